"""Both fetchers behind a real forwarding CONNECT proxy, trusting a private CA named by the
environment (a VPC function behind a corporate proxy needs no code), and how a fetcher is
chosen: the standard library by default, ``requests`` by name or with one's own Session.

Everything runs on 127.0.0.1: the proxy tunnels to a TLS JWKS server whose certificate a CA
made here signed (tests/servers/tls_and_proxy.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from helpers import run_isolated
from jwks_support import jwks, public_jwk
from servers.tls_and_proxy import IDP_HOST, ConnectProxy, LocalPki, TlsJwksServer

from authorizers.config import ConfigFieldError, build_authorizer
from authorizers.errors import ConfigurationError
from authorizers.jwks import fetch
from authorizers.jwks.fetch import CA_BUNDLE_VARIABLES, FetchError, fetch_json, resolve_fetcher
from authorizers.jwks.http_client_fetch import HttpClientFetcher
from authorizers.jwks.requests_fetch import RequestsFetcher
from authorizers.jwks.sources import RemoteJwks
from authorizers.validators.jwt import JwtValidator

A = public_jwk("RSA", "a")
ENVIRONMENT = (*CA_BUNDLE_VARIABLES, "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "ALL_PROXY")
ENVIRONMENT += ("all_proxy", "NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LocalPki:
    return LocalPki.create(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def idp(pki: LocalPki) -> Iterator[TlsJwksServer]:
    with TlsJwksServer(pki, jwks(A)) as server:
        yield server


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectProxy]:
    with ConnectProxy() as server:
        monkeypatch.setenv("HTTPS_PROXY", server.url)
        yield server


@pytest.fixture(params=["http.client", "requests"])
def fetcher_name(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def get(url: str, fetcher: Any) -> Any:
    try:
        return fetch_json(url, fetcher=fetcher, timeout=5)
    except FetchError as error:
        return error


@pytest.mark.parametrize("variable", CA_BUNDLE_VARIABLES)
def test_through_the_proxy_trusting_the_ca_the_environment_names(
    idp: TlsJwksServer,
    proxy: ConnectProxy,
    pki: LocalPki,
    fetcher_name: str,
    variable: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable, str(pki.ca))
    assert get(idp.jwks_url(), fetcher_name) == jwks(A)
    assert proxy.seen == [(f"{IDP_HOST}:{idp.port}", None)]


def test_an_untrusted_certificate_is_refused_through_the_proxy(
    idp: TlsJwksServer, proxy: ConnectProxy, fetcher_name: str
) -> None:
    refused = get(idp.jwks_url(), fetcher_name)
    assert isinstance(refused, FetchError)
    assert "SSL" in str(refused) or "CERTIFICATE" in str(refused).upper()
    assert proxy.seen, "the tunnel was opened: the refusal is TLS's, not the proxy's"


def test_proxy_credentials_go_to_the_proxy_only(
    idp: TlsJwksServer,
    pki: LocalPki,
    fetcher_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ConnectProxy() as proxy:
        monkeypatch.setenv("HTTPS_PROXY", f"http://user:p%40ss@127.0.0.1:{proxy.port}")
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))
        assert get(idp.jwks_url(), fetcher_name) == jwks(A)
    assert proxy.seen == [(f"{IDP_HOST}:{idp.port}", "Basic dXNlcjpwQHNz")]  # user:p@ss


def test_no_proxy_and_loopback_go_direct(
    idp: TlsJwksServer,
    proxy: ConnectProxy,
    pki: LocalPki,
    fetcher_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_CA_BUNDLE", str(pki.ca))
    assert get(idp.jwks_url("127.0.0.1"), fetcher_name) == jwks(A)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert get(idp.jwks_url("127.0.0.1"), fetcher_name) == jwks(A)
    assert proxy.seen == []


def test_an_explicit_bundle_wins_over_the_environment(
    idp: TlsJwksServer, proxy: ConnectProxy, pki: LocalPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.chain))  # not the CA: would fail
    for fetcher in (HttpClientFetcher(verify=str(pki.ca)), RequestsFetcher(verify=str(pki.ca))):
        assert get(idp.jwks_url(), fetcher) == jwks(A)


def test_the_applications_own_requests_session(
    idp: TlsJwksServer, proxy: ConnectProxy, pki: LocalPki
) -> None:
    session = requests.Session()
    session.verify = str(pki.ca)
    session.proxies = {"https": proxy.url}
    assert get(idp.jwks_url(), RequestsFetcher(session=session)) == jwks(A)
    assert proxy.seen == [(f"{IDP_HOST}:{idp.port}", None)]
    assert get(idp.jwks_url(), RequestsFetcher(session=session)) == jwks(A), "left usable"


# -- choosing the fetcher ---------------------------------------------------------------------


def test_the_standard_library_fetcher_is_the_default_and_requests_goes_by_name() -> None:
    assert isinstance(fetch.default_fetcher(), HttpClientFetcher)
    assert resolve_fetcher(None) is resolve_fetcher("http.client") is fetch.default_fetcher()
    assert isinstance(resolve_fetcher("requests"), RequestsFetcher)
    assert resolve_fetcher("requests") is resolve_fetcher("requests"), "one per process"
    mine = HttpClientFetcher()
    assert resolve_fetcher(mine) is mine
    with pytest.raises(ConfigurationError, match="unknown fetcher 'urllib3'"):
        resolve_fetcher("urllib3")
    assert fetch.RequestsFetcher is RequestsFetcher  # the old import path still works


def test_a_default_key_source_imports_no_http_client_until_it_fetches() -> None:
    code = (
        "import sys\n"
        "from authorizers.jwks.sources import RemoteJwks\n"
        "RemoteJwks('https://issuer.example/jwks.json')\n"
        "print('requests' in sys.modules, 'http.client' in sys.modules)\n"
    )
    done = run_isolated(code)
    assert done.stdout.split() == ["False", "False"], done.stderr


def _jwt_document(url: str, **settings: Any) -> dict[str, Any]:
    issuer = {"issuer": "https://issuer.example", "jwks_url": url, "audience": "api"}
    return {"validators": [{"type": "jwt", "issuers": [issuer], **settings}]}


def _fetcher_of(authorizer: Any) -> Any:
    return authorizer._validator._issuers["https://issuer.example"].keys.cache.fetcher


def test_requests_by_name_in_code_and_in_the_json_config(idp: TlsJwksServer) -> None:
    url = idp.jwks_url("127.0.0.1")
    assert isinstance(RemoteJwks(url, fetcher="requests").cache.fetcher, RequestsFetcher)
    assert isinstance(RemoteJwks(url).cache.fetcher, HttpClientFetcher)
    validator = JwtValidator(
        issuer="https://issuer.example", jwks_url=url, audience="api", fetcher="requests"
    )
    assert isinstance(
        validator._issuers["https://issuer.example"].keys.cache.fetcher, RequestsFetcher
    )
    assert isinstance(
        _fetcher_of(build_authorizer(_jwt_document(url, fetcher="requests"))), RequestsFetcher
    )
    assert isinstance(_fetcher_of(build_authorizer(_jwt_document(url))), HttpClientFetcher)
    with pytest.raises(
        ConfigFieldError, match=r"fetcher.*must be one of 'http\.client', 'requests'"
    ):
        build_authorizer(_jwt_document(url, fetcher="curl"))


def test_a_missing_extra_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util  # noqa: PLC0415

    real = importlib.util.find_spec

    def without(name: str, *args: Any) -> Any:
        return None if name in {"requests", "aws_lambda_powertools"} else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without)
    with pytest.raises(ConfigurationError, match=r"pip install 'authorizers\[requests\]'"):
        RequestsFetcher()
    from authorizers.observability import PowertoolsObserver  # noqa: PLC0415

    with pytest.raises(ConfigurationError, match=r"authorizers\[powertools\]"):
        PowertoolsObserver()
