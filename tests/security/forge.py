"""Turn a corpus recipe (JSON data) into a token string.

A recipe starts from a valid token of its profile and says what to change: header and claim
overrides (``null`` removes a member), raw JSON text, how segments are encoded, how the token
is signed, what is done to it after signing. Tokens are signed at run time with the suite's
keys (``keys.py``), so the corpus holds no key material. Nothing is written anywhere.

Special values inside ``header``/``claims``: ``{"$now": s}`` (the suite's NOW plus ``s``),
``{"$null": true}`` (a literal JSON null), ``{"$repeat": [text, n]}``, ``{"$nested": depth}``
(arrays nested ``depth`` deep, written as raw text so any depth is possible),
``{"$jwk": key}`` and ``{"$x5c": key}``. Strings (and raw texts) may name ``${ISSUER}``,
``${AUDIENCE}``, ``${TRAP}`` (the trap server's URL) and the other constants of ``keys.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from . import keys
from .keys import NOW

SIGNING_STYLES = frozenset(
    {"key", "none", "hmac-pem", "hmac-jwk", "hmac-der", "hmac-n", "zeros"}
    | {"ecdsa-der", "ecdsa-high-s", "small-order-forgery"}
)
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)\}")
_RAW = "\u0000raw{}\u0000"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class Forge:
    """Builds tokens for one run; ``trap_url`` is what ``${TRAP}`` stands for."""

    def __init__(self, trap_url: str) -> None:
        self.constants = {
            "ISSUER": keys.ISSUER,
            "OTHER_ISSUER": keys.OTHER_ISSUER,
            "AUDIENCE": keys.AUDIENCE,
            "POOL_ISSUER": keys.POOL_ISSUER,
            "POOL_UPDATED_ISSUER": keys.POOL_UPDATED_ISSUER,
            "CLIENT_ID": keys.CLIENT_ID,
            "TRAP": trap_url,
            "NOW": str(NOW),
            "EXP": str(NOW + 3600),
            "FOUR_HUNDRED_DIGITS": "1" + "0" * 399,
        }

    # -- values ------------------------------------------------------------------------------

    def text(self, value: str) -> str:
        return _PLACEHOLDER.sub(lambda match: self.constants[match[1]], value)

    def value(self, spec: Any, raws: list[str]) -> Any:
        if isinstance(spec, str):
            return self.text(spec)
        if isinstance(spec, list):
            return [self.value(item, raws) for item in spec]
        if not isinstance(spec, dict):
            return spec
        if len(spec) == 1:
            ((name, argument),) = spec.items()
            if name == "$now":
                return NOW + argument
            if name == "$null":
                return None
            if name == "$repeat":
                return argument[0] * argument[1]
            if name == "$jwk":
                return keys.key(argument).public_jwk
            if name == "$x5c":
                return [keys.attacker_certificate()]
            if name == "$nested":
                raws.append("[" * argument + "]" * argument)
                return _RAW.format(len(raws) - 1)
        return {name: self.value(item, raws) for name, item in spec.items()}

    def document(self, base: Mapping[str, Any], overrides: Mapping[str, Any]) -> str:
        """``base`` with ``overrides`` applied (``None`` removes), as compact JSON text."""
        raws: list[str] = []
        merged = dict(base)
        for name, spec in overrides.items():
            if spec is None:
                merged.pop(name, None)
            else:
                merged[name] = self.value(spec, raws)
        text = json.dumps(merged, separators=(",", ":"))
        for index, raw in enumerate(raws):
            text = text.replace(json.dumps(_RAW.format(index)), raw)
        return text

    # -- building ----------------------------------------------------------------------------

    def token(
        self,
        recipe: Mapping[str, Any],
        base_header: Mapping[str, Any],
        base_claims: Mapping[str, Any],
        default_key: str,
    ) -> str:
        key_name = recipe.get("key", default_key)
        signer = keys.key(key_name)
        header_base = {"alg": signer.alg, "kid": signer.kid, **base_header}
        header_text = (
            self.text(recipe["raw_header"])
            if "raw_header" in recipe
            else self.document(header_base, recipe.get("header", {}))
        )
        claims_text = (
            self.text(recipe["raw_claims"])
            if "raw_claims" in recipe
            else self.document(base_claims, recipe.get("claims", {}))
        )
        payload = claims_text.encode(recipe.get("payload_codec", "utf-8"))
        signing_input = ".".join(
            (
                _encode(header_text.encode(), recipe.get("header_encoding")),
                _encode(payload, recipe.get("payload_encoding")),
            )
        )
        signature = _sign(recipe, signing_input.encode("ascii"), header_text, key_name)
        token = f"{signing_input}.{b64(signature)}"
        if "tamper" in recipe:  # claims changed after signing: the signature no longer fits
            header_b64, _, signature_b64 = token.split(".")
            tampered = self.document(json.loads(claims_text), recipe["tamper"])
            token = f"{header_b64}.{b64(tampered.encode())}.{signature_b64}"
        for name in recipe.get("transforms", ()):
            changed = TRANSFORMS[name](token)
            if changed == token:
                raise ValueError(f"transform {name!r} did not change the token")
            token = changed
        return token


def _sign(recipe: Mapping[str, Any], data: bytes, header_text: str, key_name: str) -> bytes:
    style = recipe.get("signature", "key")
    if style == "none":
        return b""
    if style == "zeros":
        return bytes(256)
    if style == "small-order-forgery":  # R = the identity point, S = 0
        return bytes([1]) + bytes(31) + bytes(32)
    if style.startswith("hmac-"):
        alg = _header_alg(header_text)
        bits = alg[2:] if alg in ("HS256", "HS384", "HS512") else "256"
        digest = getattr(hashlib, f"sha{bits}")
        return hmac.new(_hmac_secret(style, key_name), data, digest).digest()
    signature = keys.key(key_name).sign(data, recipe.get("sign_as"))
    if style in ("ecdsa-der", "ecdsa-high-s"):
        half = len(signature) // 2
        r, s = int.from_bytes(signature[:half]), int.from_bytes(signature[half:])
        if style == "ecdsa-der":
            return encode_dss_signature(r, s)
        return signature[:half] + (_P256_ORDER - s).to_bytes(half)  # (r, n - s) verifies too
    return signature


def _header_alg(header_text: str) -> str:
    try:
        alg = json.loads(header_text).get("alg")
    except (ValueError, AttributeError):
        return ""
    return alg if isinstance(alg, str) else ""


def _hmac_secret(style: str, name: str) -> bytes:
    """The public key material a confused verifier might use as an HMAC secret."""
    signer = keys.key(name)
    if style == "hmac-pem":
        return signer.public_pem()
    if style == "hmac-der":
        return keys.public_der(name)
    if style == "hmac-jwk":
        return json.dumps(signer.public_jwk, separators=(",", ":"), sort_keys=True).encode()
    return unb64(signer.public_jwk["n"])


def _encode(data: bytes, style: str | None) -> str:
    if style is None:
        return b64(data)
    if style == "padded":
        while len(data) % 3 == 0:  # padding needs a length that is not a multiple of 3
            data += b" "
        return base64.urlsafe_b64encode(data).decode("ascii")
    if style == "noncanonical":
        while len(data) % 3 == 0:  # so the last character carries unused bits
            data += b" "
        return _set_unused_bits(b64(data))
    raise ValueError(f"unknown segment encoding {style!r}")


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _set_unused_bits(segment: str) -> str:
    """The same bytes, with a non-zero unused bit in the last character."""
    last = _ALPHABET.index(segment[-1])
    if len(segment) % 4 in (2, 3):
        return segment[:-1] + _ALPHABET[last | 1]
    raise ValueError("segment has no unused bits")


def _segments(token: str) -> list[str]:
    return token.split(".")


def _json_serialization(token: str, *, flattened: bool) -> str:
    header, payload, signature = _segments(token)
    if flattened:
        return json.dumps({"payload": payload, "protected": header, "signature": signature})
    signatures = [{"protected": header, "signature": signature}]
    return json.dumps({"payload": payload, "signatures": signatures})


def _insert(token: str, text: str) -> str:
    header, payload, signature = _segments(token)
    middle = len(payload) // 2
    return f"{header}.{payload[:middle]}{text}{payload[middle:]}.{signature}"


def _cut(token: str) -> str:
    """At least four characters off the signature, leaving a length of 1 modulo 4: no
    base64url text has that length, so the cut always shows."""
    length = len(_segments(token)[2]) - 4
    length -= (length - 1) % 4
    return token[: token.rfind(".") + 1 + length]


def _jwe(token: str) -> str:
    header = b64(b'{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rsa-1"}')
    encrypted_key, iv, ciphertext, tag = (
        b64(bytes([n]) * size) for n, size in ((1, 256), (2, 12), (3, 64), (4, 16))
    )
    return ".".join((header, encrypted_key, iv, ciphertext, tag))


TRANSFORMS: Mapping[str, Callable[[str], str]] = {
    "strip_signature": lambda t: t.rsplit(".", 1)[0] + ".",
    "drop_signature": lambda t: t.rsplit(".", 1)[0],
    "header_only": lambda t: t.split(".", 1)[0],
    "empty": lambda t: "",
    "jwe": _jwe,
    "four_parts": lambda t: t + ".e30",
    "json_flattened": lambda t: _json_serialization(t, flattened=True),
    "json_general": lambda t: _json_serialization(t, flattened=False),
    "trailing_dot": lambda t: t + ".",
    "leading_dot": lambda t: "." + t,
    "double_dot": lambda t: t.replace(".", "..", 1),
    "percent_dot": lambda t: t.replace(".", "%2E", 1),
    "space_inside": lambda t: _insert(t, " "),
    "newline_inside": lambda t: _insert(t, "\n"),
    "tab_inside": lambda t: _insert(t, "\t"),
    "nul_inside": lambda t: _insert(t, "\x00"),
    "leading_space": lambda t: " " + t,
    "trailing_space": lambda t: t + " ",
    "trailing_tab": lambda t: t + "\t",
    "trailing_crlf": lambda t: t + "\r\n",
    "pad_signature": lambda t: t + "=" * (-len(_segments(t)[2]) % 4),
    "std_alphabet": lambda t: t.replace("-", "+").replace("_", "/"),
    "noncanonical_signature": lambda t: t[: t.rfind(".") + 1] + _set_unused_bits(_segments(t)[2]),
    "truncate_signature": lambda t: t[: t.rfind(".") + 1] + b64(unb64(_segments(t)[2])[:-3]),
    "cut_signature": _cut,
    "swap_header_payload": lambda t: ".".join((_segments(t)[1], _segments(t)[0], _segments(t)[2])),
    "bad_character": lambda t: t[:-1] + "!",
}
