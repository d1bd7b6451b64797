"""Request bodies: the same batch as compact JSON or as a form, byte for byte what the generated
client would send (a test holds the two together).

JSON: `{"createOrderFirst":..,"createOrders":[..],"cancelOrderIds":[..]}`, compact, UTF-8.
Form: the same three fields; each list is one field holding its compact JSON text, as the spec's
`encoding` states; booleans are `true`/`false`. Empty lists are left out of both.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import urlencode

from ._orders import Batch

Encoding = Literal["json", "form"]
ENCODINGS: tuple[Encoding, ...] = ("json", "form")
CONTENT_TYPES: dict[Encoding, str] = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
}

_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode
# Form fields go through the generated template's `json.dumps(value, separators=(",", ":"))`.
_compact_ascii = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


def _fields(batch: Batch) -> dict[str, Any]:
    fields: dict[str, Any] = {"createOrderFirst": batch.create_order_first}
    if batch.create_orders:
        fields["createOrders"] = [order._wire for order in batch.create_orders]
    if batch.cancel_order_ids:
        fields["cancelOrderIds"] = list(batch.cancel_order_ids)
    return fields


def encode_json(batch: Batch) -> bytes:
    """The batch as a compact JSON body."""
    return _compact(_fields(batch)).encode("utf-8")


def encode_form(batch: Batch) -> bytes:
    """The batch as an `application/x-www-form-urlencoded` body, lists as JSON text."""
    pairs = [
        (name, "true" if value is True else "false" if value is False else _compact_ascii(value))
        for name, value in _fields(batch).items()
    ]
    return urlencode(pairs).encode("ascii")


def encode(batch: Batch, encoding: Encoding) -> tuple[bytes, str]:
    """The body bytes and content type for `batch` in the chosen encoding."""
    body = encode_json(batch) if encoding == "json" else encode_form(batch)
    return body, CONTENT_TYPES[encoding]
