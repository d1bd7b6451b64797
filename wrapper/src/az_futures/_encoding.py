"""Request bodies: a body object (wire names to JSON values) as compact JSON or as a form, byte
for byte what the generated client sends for the same model (a test holds the two together).

JSON: compact UTF-8, as httpx writes `json=`. Form: each list or object is one field holding its
compact JSON text, as the spec's `encoding` states; booleans are `true`/`false`; the fields are
percent-encoded as `urllib.parse.urlencode` does, which is what httpx sends for `data=`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote_plus

Encoding = Literal["json", "form"]
ENCODINGS: tuple[Encoding, ...] = ("json", "form")
CONTENT_TYPES: dict[Encoding, str] = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
}

# check_circular=False: bodies are fresh dicts and lists of strings, numbers and booleans, which
# cannot be circular; the check costs a fifth of the encoding time of a batch.
_compact = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
).encode
# Form fields: the generated template's `json.dumps(value, separators=(",", ":"))`.
_compact_ascii = json.JSONEncoder(
    separators=(",", ":"), allow_nan=False, check_circular=False
).encode

# `quote_plus` leaves these as they are, writes a space as `+` and every other byte as `%XX`.
_ALWAYS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
_ESCAPED_ASCII = tuple(
    (char, f"%{ord(char):02X}")
    for char in map(chr, range(128))
    if char not in _ALWAYS_SAFE and char not in "% "
)


def form_quote(text: str) -> str:
    """`urllib.parse.quote_plus(text)`, exactly, at C speed for ASCII text.

    `quote_plus` loops in Python over every byte of a 12 kB value; this makes one `str.replace`
    per unsafe character present: `%` first (so no escape written later is escaped again), the
    space last (after `+` became `%2B`). Non-ASCII text goes to `quote_plus` itself.
    """
    if not text.isascii():
        return quote_plus(text)
    if "%" in text:
        text = text.replace("%", "%25")
    for char, escape in _ESCAPED_ASCII:
        if char in text:
            text = text.replace(char, escape)
    if " " in text:
        text = text.replace(" ", "+")
    return text


def _form_value(value: Any) -> str:
    if isinstance(value, list | dict):
        return _compact_ascii(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_json(wire: Mapping[str, Any]) -> bytes:
    """A body object as compact JSON."""
    return _compact(wire).encode("utf-8")


def encode_form(wire: Mapping[str, Any]) -> bytes:
    """A body object as an `application/x-www-form-urlencoded` body, lists as JSON text."""
    fields = [f"{form_quote(name)}={form_quote(_form_value(v))}" for name, v in wire.items()]
    return "&".join(fields).encode("ascii")


def encode(wire: Mapping[str, Any], encoding: Encoding) -> tuple[bytes, str]:
    """The body bytes and content type of a body object in the chosen encoding."""
    body = encode_json(wire) if encoding == "json" else encode_form(wire)
    return body, CONTENT_TYPES[encoding]
