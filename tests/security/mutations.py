"""Mutations of valid tokens: bit flips in the decoded bytes (re-encoded canonically, so the
damage reaches JSON parsing and signature verification instead of stopping at base64), segment
splices between tokens, truncations, and character edits. Exhaustive generators for the
differential test, one Hypothesis strategy for the property tests.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from hypothesis import strategies as st

from .forge import b64, unb64

SEGMENTS = ("header", "payload", "signature")


def flip_bit(token: str, segment: int, bit: int) -> str:
    """``token`` with one bit of one decoded segment flipped (``bit`` modulo its length)."""
    parts = token.split(".")
    try:
        data = bytearray(unb64(parts[segment]))
    except (IndexError, ValueError):  # a segment an earlier mutation destroyed
        return token
    if not data:
        return token
    bit %= len(data) * 8
    data[bit // 8] ^= 1 << (bit % 8)
    parts[segment] = b64(bytes(data))
    return ".".join(parts)


def bit_flips(token: str, segment: int, *, every_bit: bool = True) -> Iterator[str]:
    """Every single-bit flip of one segment, or one flip per byte (a different bit each)."""
    size = len(unb64(token.split(".")[segment]))
    for bit in range(size * 8) if every_bit else (8 * i + i % 8 for i in range(size)):
        yield flip_bit(token, segment, bit)


def splice(tokens: Sequence[str], header: int, payload: int, signature: int) -> str:
    """Header, payload and signature taken from (possibly) different tokens."""
    picks = zip((header, payload, signature), range(3), strict=True)
    return ".".join(_part(tokens[index], segment) for index, segment in picks)


def _part(token: str, segment: int) -> str:
    parts = token.split(".")
    return parts[segment] if segment < len(parts) else ""


def truncations(token: str) -> Iterator[str]:
    """Every proper prefix and every proper suffix."""
    for end in range(len(token)):
        yield token[:end]
    for start in range(1, len(token)):
        yield token[start:]


_TOKEN_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."
_EDIT_CHARACTERS = _TOKEN_CHARACTERS + "+/=~ \t\n\x00%é"


@st.composite
def mutated(draw: st.DrawFn, originals: Sequence[str]) -> tuple[str, str]:
    """``(original, mutated)``: one to three mutations of one valid token; never unchanged."""
    index = draw(st.integers(0, len(originals) - 1))
    original = token = originals[index]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "splice", "truncate", "edit", "swap"]))
        if kind == "flip":
            token = flip_bit(token, draw(st.integers(0, 2)), draw(st.integers(0, 1 << 16)))
        elif kind == "splice":
            picks = [draw(st.integers(0, len(originals) - 1)) for _ in SEGMENTS]
            token = splice(
                [token if i == index else originals[i] for i in range(len(originals))], *picks
            )
        elif kind == "truncate":
            token = token[: draw(st.integers(0, max(len(token) - 1, 0)))]
        elif kind == "swap":
            parts = token.split(".")
            i, j = draw(st.integers(0, len(parts) - 1)), draw(st.integers(0, len(parts) - 1))
            parts[i], parts[j] = parts[j], parts[i]
            token = ".".join(parts)
        else:
            position = draw(st.integers(0, len(token)))
            removed = draw(st.integers(0, 3))
            inserted = draw(st.text(alphabet=_EDIT_CHARACTERS, max_size=3))
            token = token[:position] + inserted + token[position + removed :]
    if token in originals:  # the mutations cancelled out, or rebuilt another valid token
        token = flip_bit(original, 2, draw(st.integers(0, 1 << 16)))
    return original, token
