"""Request bodies: a body object (wire names to JSON values) as compact JSON or as a form.

JSON: compact UTF-8, written by orjson: byte for byte what httpx writes for `json=` (and so the
generated client) for every value an order holds (text, integers of 64 bits, booleans, lists and
objects of them; tests/unit/test_json_codec.py and test_encoding.py hold the two to it), in a
tenth of the time. A value orjson cannot write as it should (an integer beyond 64 bits, a float
that is not finite) is refused by the order's own checks before it gets here.

Form: each list or object is one field holding its compact JSON text (ASCII, `\\uXXXX` for the
rest), as the spec's `encoding` states; booleans are `true`/`false`. The body is written as its
own canonical signing text: fields sorted by name, nothing percent-encoded. Gateways read a form
signature two ways (the docs: the fields sorted and decoded; the exchange's reference client: the
body text as sent); for such a body the two are the same text, so the signature holds under both.
A value that would need an escape (space, `&`, `=`, `%`, `+`, `;`, control or non-ASCII
characters) cannot be written that way: `AmbiguousFormError`, and nothing is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import orjson

Encoding = Literal["json", "form"]
ENCODINGS: tuple[Encoding, ...] = ("json", "form")
CONTENT_TYPES: dict[Encoding, str] = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
}

# Form fields hold the generated template's `json.dumps(value, separators=(",", ":"))`: ASCII.
_compact_ascii = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def _ascii_json(value: Any) -> str:
    """Compact JSON text in ASCII (orjson's, unless it holds other characters)."""
    text = orjson.dumps(value).decode()
    return text if text.isascii() else _compact_ascii(value)


_ESCAPED = " &=%+;"
"""Printable ASCII characters a form value would have to escape (besides control and non-ASCII
characters): parsers and signers could read them two ways."""


def _needs_escape(text: str) -> str | None:
    """The first character of `text` that a form value would have to escape, or None.

    Scans in C (a 12 kB value of JSON text per batch): a regular expression takes 300 µs.
    """
    if text.isascii() and text.isprintable() and not any(c in text for c in _ESCAPED):
        return None
    return next(c for c in text if not c.isascii() or not c.isprintable() or c in _ESCAPED)


class AmbiguousFormError(ValueError):
    """A form field's value holds a character that would need an escape."""


def form_escape_needed(text: str) -> str | None:
    """The first character of a string, as a form body's JSON text would hold it, that would
    need an escape; None when there is none."""
    return _needs_escape(_ascii_json(text))


def _form_value(value: Any) -> str:
    """A field's text: lists, objects and booleans as their compact JSON, the rest as `str`."""
    return _ascii_json(value) if isinstance(value, list | dict | bool) else str(value)


def encode_json(wire: dict[str, Any]) -> bytes:
    """A body object as compact JSON."""
    return orjson.dumps(wire)


def encode_form(wire: Mapping[str, Any]) -> bytes:
    """A body object as an `application/x-www-form-urlencoded` body that is its own canonical
    signing text: `name=value` sorted by name, lists as JSON text, nothing escaped.

    Raises `AmbiguousFormError` for a value that would need an escape.
    """
    fields = sorted((name, _form_value(value)) for name, value in wire.items())
    for name, value in fields:
        if _needs_escape(value) or _needs_escape(name):
            raise AmbiguousFormError(f"form field {name} holds a character that needs an escape")
    return "&".join([f"{name}={value}" for name, value in fields]).encode("ascii")


def encode(wire: dict[str, Any], encoding: Encoding) -> tuple[bytes, str]:
    """The body bytes and content type of a body object in the chosen encoding."""
    body = encode_json(wire) if encoding == "json" else encode_form(wire)
    return body, CONTENT_TYPES[encoding]
