"""The public surface: every exported name resolves, and importing the package costs nothing."""

from __future__ import annotations

from helpers import run_isolated

import authorizers


def test_every_exported_name_resolves_to_the_object_of_its_module() -> None:
    for name in authorizers.__all__:
        assert getattr(authorizers, name) is not None, name
    assert sorted(authorizers.__all__) == sorted(set(authorizers.__all__)), "duplicate export"


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        authorizers.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "NoSuchThing" in str(error)
    else:  # pragma: no cover - the assertion is the point
        raise AssertionError("unknown names must raise AttributeError")


def test_importing_the_package_imports_none_of_its_modules_or_dependencies() -> None:
    code = (
        "import sys, authorizers; "
        "print(sorted(m for m in sys.modules if m.startswith("
        "('authorizers.', 'jwt', 'cryptography', 'requests', 'boto3', 'aws_lambda_powertools'))))"
    )
    out = run_isolated(code, check=True).stdout.strip()
    # the lazy-export helper itself is the only module ``import authorizers`` loads
    assert out == "['authorizers._lazy']"


def test_a_jwt_only_authorizer_never_imports_boto3_the_test_kit_or_the_cli() -> None:
    code = (
        "import sys\n"
        "from authorizers import Authorizer, JwtValidator\n"
        "Authorizer(JwtValidator(issuer='https://issuer.example', audience='api',"
        " jwks_url='https://issuer.example/jwks.json'))\n"
        "print(sorted({m.split('.')[0] if not m.startswith('authorizers.') else m.split('.')[1]"
        " for m in sys.modules} & {'boto3', 'botocore', 'testing', 'cli', 'local', 'moto'}))\n"
    )
    out = run_isolated(code, check=True).stdout.strip()
    assert out == "[]"
