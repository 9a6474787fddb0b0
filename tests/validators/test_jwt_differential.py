"""Differential test: ``JwtValidator`` accepts exactly the tokens PyJWT accepts.

Both sides get equivalent settings: issuer, audience, a 30 s leeway, ``exp``/``iss``/``aud``/``sub``
required, algorithms RS256, PS256, ES256 and EdDSA, and the key that the token's ``kid`` names in
one JWK Set (PyJWT gets it as a ``PyJWK``, which binds the JWK's ``alg``; a token without a
known ``kid`` has no key on the PyJWT side either). The corpus: valid tokens of every
algorithm, a list of named attacks, tokens re-signed with generated claims and headers, and
character-level mutations of valid tokens (Hypothesis).

Intended differences - each one is asserted in ``test_intended_differences``, so this list
cannot go stale. We are stricter in every case:

1. Duplicate JSON member names: refused. Two parsers may pick different duplicates (PyJWT keeps
   the last); a token must have one meaning (RFC 7515 §5.2, RFC 8725bis).
2. Base64url padding (``=``): refused. Compact JWS is base64url *without* padding (RFC 7515 §2);
   PyJWT strips it.
3. NumericDate claims (``exp``/``nbf``/``iat``) must be JSON numbers: ``"1700000000"`` and
   ``true`` are refused (RFC 7519 §2); PyJWT applies ``int()`` (so ``true`` is 1970).
4. ``NaN``/``Infinity`` anywhere in the JSON: refused - they are not JSON (RFC 8259 §6);
   PyJWT's ``json`` reads them.
5. An empty ``sub`` (the principal): refused - an authorizer needs a principal id.
6. ``scope`` that is not a string (or ``scp`` not a string or string list): refused rather than
   ignored - it is an authorization claim.
7. ``b64`` other than ``true`` or absent: refused (RFC 7797 §3 defines a boolean); PyJWT only
   refuses the literal ``false``.
8. JSON not in UTF-8, or with a byte-order mark: refused (RFC 8259 §8.1); PyJWT auto-detects
   UTF-16/32 and skips a BOM.
9. Nesting deeper than 16 and tokens over 16 KB: refused (bounded work on hostile input).
10. Fractional dates are compared exactly; PyJWT truncates them to whole seconds, so the two
    can differ within one second of a boundary (the corpus stays clear of that second).
11. A date past year 9999 (``exp`` of ``10**40``): refused - a token that never expires
    defeats the reason ``exp`` is required; PyJWT accepts it.
"""

from __future__ import annotations

import base64
import hmac
import json
import string
import time
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authorizers.errors import AuthorizerError
from authorizers.jwks.sources import StaticJwks
from authorizers.testing.issuer import SigningKey, b64url, encode_jws
from authorizers.validators.jwt import JwtValidator

ISS = "https://issuer.example.test"
AUD = "https://api.example.test"
LEEWAY = 30
ALGORITHMS = ["RS256", "PS256", "ES256", "EdDSA"]

RS = SigningKey.generate("RS256", "rs")
PS = SigningKey(kid="ps", alg="PS256", private_key=RS.private_key)
ES = SigningKey.generate("ES256", "es")
ED = SigningKey.generate("EdDSA", "ed")
KEYS = {key.kid: key for key in (RS, PS, ES, ED)}
JWKS = {"keys": [key.public_jwk for key in KEYS.values()]}
PYJWKS = {jwk["kid"]: jwt.PyJWK(jwk) for jwk in JWKS["keys"]}

OURS = JwtValidator(
    issuer=ISS,
    keys=StaticJwks(JWKS),
    audience=AUD,
    algorithms=ALGORITHMS,
    leeway=LEEWAY,
    cache_size=0,  # every mutation is judged afresh
)


def ours_accepts(token: str) -> bool:
    try:
        OURS.verify(token)
    except AuthorizerError:
        return False
    return True  # any other exception fails the test: we must never crash


def pyjwt_accepts(token: str) -> bool:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key = PYJWKS[kid]
        jwt.decode(
            token,
            key,
            algorithms=ALGORITHMS,
            audience=AUD,
            issuer=ISS,
            leeway=LEEWAY,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )
    except (jwt.PyJWTError, KeyError, TypeError):
        return False
    except Exception:  # PyJWT crashed on the input: it did not accept it
        return False
    return True


def agree(token: str) -> None:
    assert ours_accepts(token) == pyjwt_accepts(token), token


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISS, "aud": AUD, "sub": "user-1", "iat": now, "exp": now + 600, "jti": "j1"}
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not _DROP}


_DROP = object()


def signed(
    payload: dict[str, Any] | str, key: SigningKey = RS, header: dict[str, Any] | None = None
) -> str:
    head = {"alg": key.alg, "kid": key.kid, "typ": "JWT", **(header or {})}
    head = {name: value for name, value in head.items() if value is not _DROP}
    if isinstance(payload, str):  # exact payload text
        segments = f"{b64url(json.dumps(head).encode())}.{b64url(payload.encode())}"
        return f"{segments}.{b64url(key.sign(segments.encode(), _alg_for(key, head)))}"
    return encode_jws(head, payload, lambda data: key.sign(data, _alg_for(key, head)))


def _alg_for(key: SigningKey, header: dict[str, Any]) -> str:
    alg = header.get("alg")
    # Sign with the header's alg when the key can (to test alg/JWK mismatches), else its own.
    rsa = ("RS256", "RS384", "PS256")
    fits = {"RS": rsa, "PS": rsa, "ES": ("ES256",), "Ed": ("EdDSA",)}
    return alg if isinstance(alg, str) and alg in fits[key.alg[:2]] else key.alg


# --- the corpus -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(KEYS.values()), ids=list(KEYS))
def test_valid_tokens_agree(key: SigningKey) -> None:
    token = signed(claims(), key)
    assert ours_accepts(token)
    agree(token)


def _named_corpus() -> dict[str, str]:
    now = int(time.time())
    good = signed(claims())
    head, body, sig = good.split(".")
    hs_secret = RS.public_pem()
    return {
        "expired": signed(claims(exp=now - 120)),
        "expired within leeway": signed(claims(exp=now - 10)),
        "not yet valid": signed(claims(nbf=now + 120)),
        "nbf within leeway": signed(claims(nbf=now + 10)),
        "iat in the future": signed(claims(iat=now + 120)),
        "no exp": signed(claims(exp=_DROP)),
        "no iss": signed(claims(iss=_DROP)),
        "no aud": signed(claims(aud=_DROP)),
        "no sub": signed(claims(sub=_DROP)),
        "wrong iss": signed(claims(iss=ISS + "/")),
        "iss list": signed(claims(iss=[ISS])),
        "wrong aud": signed(claims(aud="other")),
        "aud list with ours": signed(claims(aud=["other", AUD])),
        "aud empty list": signed(claims(aud=[])),
        "aud ints": signed(claims(aud=[1])),
        "sub int": signed(claims(sub=7)),
        "jti int": signed(claims(jti=7)),
        "jti null": signed(claims(jti=None)),
        "exp null": signed(claims(exp=None)),
        "exp list": signed(claims(exp=[now + 60])),
        "exp float": signed(claims(exp=now + 600.25)),
        "exp 1e400": signed(json.dumps(claims()).replace(str(now + 600), "1e400")),
        "alg none": encode_jws({"alg": "none", "kid": "rs"}, claims(), lambda _: b""),
        "alg None": encode_jws({"alg": "None", "kid": "rs"}, claims(), lambda _: b""),
        "alg nOnE signed": signed(claims(), header={"alg": "nOnE"}),
        "no alg": signed(claims(), header={"alg": _DROP}),
        "hs256 with pem": encode_jws(
            {"alg": "HS256", "kid": "rs"},
            claims(),
            lambda data: hmac.new(hs_secret, data, "sha256").digest(),
        ),
        "rs256 header, ec kid": encode_jws({"alg": "RS256", "kid": "es"}, claims(), RS.sign),
        "ps256 header, rs256 jwk": signed(claims(), RS, {"alg": "PS256"}),
        "unknown kid": signed(claims(), header={"kid": "nope"}),
        "no kid": signed(claims(), header={"kid": _DROP}),
        "kid int": signed(claims(), header={"kid": 1}),
        "crit exp": signed(claims(), header={"crit": ["exp"]}),
        "crit b64": signed(claims(), header={"crit": ["b64"]}),
        "crit empty": signed(claims(), header={"crit": []}),
        "crit b64 false": signed(claims(), header={"crit": ["b64"], "b64": False}),
        "jku ignored": signed(claims(), header={"jku": "http://127.0.0.1:9/jwks"}),
        "swapped payload": f"{head}.{signed(claims(sub='admin')).split('.')[1]}.{sig}",
        "empty signature": f"{head}.{body}.",
        "two segments": f"{head}.{body}",
        "jwe shaped": f"{head}.{body}.{sig}.{sig}.{sig}",
        "trailing dot": good + ".",
        "whitespace": good + " ",
        "standard base64": good.replace("-", "+").replace("_", "/"),
        "header array": f"{b64url(b'[]')}.{body}.{sig}",
        "payload array": signed("[]"),
        "payload whitespace": signed(" " + json.dumps(claims()) + " "),
        "payload with unicode": signed(claims(name="Zoë \u2603")),
        "payload lone surrogate": signed(json.dumps(claims())[:-1] + ', "x": "\\ud800"}'),
        "payload huge int": signed(json.dumps(claims())[:-1] + ', "x": ' + "9" * 5000 + "}"),
    }


NAMED = _named_corpus()


@pytest.mark.parametrize("name", list(NAMED))
def test_named_corpus_agrees(name: str) -> None:
    agree(NAMED[name])


NOW_OFFSETS = [-7200, -120, -45, 0, 45, 120, 7200]  # never within a second of leeway


def _date(offsets: list[int]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(offsets).map(lambda offset: int(time.time()) + offset),
        st.sampled_from(offsets).map(lambda offset: int(time.time()) + offset + 0.5),
        st.sampled_from([None, "soon", [], {}, -1, 0]),
    )


_STRINGS = st.text(alphabet=string.ascii_letters + "é/:.", min_size=1, max_size=8)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=5,
)
_CLAIMS = st.fixed_dictionaries(
    {},
    optional={
        "iss": st.sampled_from([ISS, ISS + "/", "", None, [ISS], 1]),
        "aud": st.sampled_from([AUD, [AUD], ["x", AUD], "x", [], [1], None, 1, ""]),
        "sub": st.one_of(_STRINGS, st.sampled_from([None, 1, ["a"], {}])),
        "exp": _date(NOW_OFFSETS),
        "nbf": _date(NOW_OFFSETS),
        "iat": _date(NOW_OFFSETS),
        "jti": st.one_of(_STRINGS, st.sampled_from([None, 1, [], ""])),
        "scope": _STRINGS,
        "extra": _JSON,
    },
)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(payload=_CLAIMS, key=st.sampled_from(list(KEYS.values())))
def test_generated_claims_agree(payload: dict[str, Any], key: SigningKey) -> None:
    agree(signed(payload, key))


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    alg=st.sampled_from(["RS256", "PS256", "ES256", "EdDSA", "RS384", "HS256", "none", "", None]),
    kid=st.sampled_from(["rs", "ps", "es", "ed", "other", "", None, 1, _DROP]),
    typ=st.sampled_from(["JWT", "at+jwt", 1, None, _DROP]),
    crit=st.sampled_from([_DROP, ["b64"], ["exp"], [], "b64", [1]]),
    b64=st.sampled_from([_DROP, True, False]),
    signer=st.sampled_from(list(KEYS.values())),
)
def test_generated_headers_agree(
    alg: Any, kid: Any, typ: Any, crit: Any, b64: Any, signer: SigningKey
) -> None:
    header = {"alg": alg, "kid": kid, "typ": typ, "crit": crit, "b64": b64}
    agree(signed(claims(), signer, header))


_VALID = [signed(claims(), key) for key in KEYS.values()]
_MUTANT_CHARS = string.ascii_letters + string.digits + "-_.+/ \n"


@given(
    token=st.sampled_from(_VALID),
    position=st.integers(min_value=0),
    replacement=st.text(alphabet=_MUTANT_CHARS, max_size=3),
    delete=st.integers(min_value=0, max_value=3),
)
def test_character_mutations_agree(
    token: str, position: int, replacement: str, delete: int
) -> None:
    position %= len(token) + 1
    agree(token[:position] + replacement + token[position + delete :])


# --- where we differ, on purpose -------------------------------------------------------------


def _padded(token: str) -> str:
    """The signature segment padded (padding the others would change the signing input)."""
    return token + "=" * (-len(token.rsplit(".", 1)[1]) % 4)


def _signed_raw(header: bytes, payload: bytes) -> str:
    """Signed with the RSA key, header and payload exactly these bytes."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    return f"{signing_input}.{b64url(RS.sign(signing_input.encode()))}"


def _intended() -> dict[str, str]:
    now = int(time.time())
    text = json.dumps(claims())
    header = json.dumps({"alg": "RS256", "kid": "rs"})
    return {
        "duplicate claim": signed(text[:-1] + ', "sub": "admin"}'),
        "duplicate header member": _signed_raw(
            b'{"alg":"RS256","kid":"rs","kid":"rs"}', text.encode()
        ),
        "padding": _padded(signed(claims())),  # an RSA-2048 signature needs "=="
        "exp as string": signed(claims(exp=str(now + 600))),
        "nbf true": signed(claims(nbf=True)),
        "iat as string": signed(claims(iat=str(now))),
        "NaN claim": signed(text[:-1] + ', "x": NaN}'),
        "empty sub": signed(claims(sub="")),
        "scope list": signed(claims(scope=["read"])),
        "b64 string": signed(claims(), header={"b64": "false"}),
        "utf-16 header": _signed_raw(header.encode("utf-16"), text.encode()),
        "bom payload": _signed_raw(header.encode(), b"\xef\xbb\xbf" + text.encode()),
        "deep nesting": signed(claims(x=json.loads("[" * 20 + "]" * 20))),
        "over 16 KB": signed(claims(x="x" * 17_000)),
        "exp past year 9999": signed(claims(exp=10**40)),
    }


INTENDED = _intended()


@pytest.mark.parametrize("name", list(INTENDED))
def test_intended_differences(name: str) -> None:
    assert not ours_accepts(INTENDED[name])
    assert pyjwt_accepts(INTENDED[name]), "no longer a difference: update the module docstring"


def test_decoding_segments_agree_with_the_standard_library() -> None:
    for token in _VALID:
        for segment in token.split("."):
            raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
            assert b64url(raw) == segment
