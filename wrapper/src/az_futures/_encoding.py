"""Request bodies: the same batch as compact JSON or as a form, byte for byte what the generated
client would send (a test holds the two together).

JSON: `{"createOrderFirst":..,"createOrders":[..],"cancelOrderIds":[..]}`, compact, UTF-8.
Form: the same three fields; each list is one field holding its compact JSON text, as the spec's
`encoding` states; booleans are `true`/`false`. Empty lists are left out of both.

This runs on every batch, so it is written for speed; `form_quote` stands in for
`urllib.parse.quote_plus`, which escapes a 12 kB value one byte at a time in Python.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote_plus

if TYPE_CHECKING:  # _orders imports wire_json from here
    from ._orders import Batch, Order

Encoding = Literal["json", "form"]
ENCODINGS: tuple[Encoding, ...] = ("json", "form")
CONTENT_TYPES: dict[Encoding, str] = {
    "json": "application/json",
    "form": "application/x-www-form-urlencoded",
}

# check_circular=False: the encoder is only given fresh dicts and lists of strings, numbers and
# booleans, which cannot be circular; the check costs a fifth of the encoding time of a batch.
_compact = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, check_circular=False
).encode
# Form fields go through the generated template's `json.dumps(value, separators=(",", ":"))`.
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

    One `str.replace` per unsafe character present instead of one Python call per byte: `%`
    first (so no escape written later is escaped again), the space last (after `+` became `%2B`).
    Non-ASCII text, which the SDK's form values never hold, goes to `quote_plus` itself.
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


_order_json = attrgetter("_json")
"""An `Order`'s JSON text (its `_json`), read in C."""


def wire_json(wire: Mapping[str, Any]) -> str:
    """An order's wire object as the compact JSON text a JSON body holds for it.

    `Order` keeps it from construction, so a batch's body is joined from texts already made.
    """
    return _compact(wire)


def _ascii_json(order: Order) -> str:
    """The order's JSON text with non-ASCII escaped (`ensure_ascii`), as form values have it."""
    text = order._json
    # Only non-ASCII characters and DEL (escaped by ensure_ascii alone) make the two differ.
    return text if text.isascii() and "\x7f" not in text else _compact_ascii(order._wire)


def encode_json(batch: Batch) -> bytes:
    """The batch as a compact JSON body: `{"createOrderFirst":..,"createOrders":[..],..}`."""
    parts = ['{"createOrderFirst":', "true" if batch.create_order_first else "false"]
    if batch.create_orders:
        parts.extend((',"createOrders":[', ",".join(map(_order_json, batch.create_orders)), "]"))
    if batch.cancel_order_ids:
        parts.extend((',"cancelOrderIds":', _compact(list(batch.cancel_order_ids))))
    parts.append("}")
    return "".join(parts).encode("utf-8")


def encode_form(batch: Batch) -> bytes:
    """The batch as an `application/x-www-form-urlencoded` body, lists as JSON text.

    The same bytes as `urllib.parse.urlencode` of the fields (what httpx sends for `data=`).
    """
    _, quoted = _form_fields(batch)
    return "&".join([f"{name}={value}" for name, value in quoted]).encode("ascii")


def _form_fields(batch: Batch) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """A form's fields before and after percent-encoding: lists as ASCII JSON text, booleans as
    words.

    Percent-encoding maps each character on its own, so the orders' list is quoted as the quoted
    orders joined by a quoted comma, each order's quoted text kept on the order (`_form_text`).
    """
    first = "true" if batch.create_order_first else "false"
    plain = [("createOrderFirst", first)]
    quoted = [("createOrderFirst", first)]
    orders = batch.create_orders
    if orders:
        texts = ",".join(map(_order_json, orders))
        if not texts.isascii() or "\x7f" in texts:
            texts = ",".join(map(_ascii_json, orders))
        try:
            quoted_texts = "%2C".join(map(_order_form, orders))
        except AttributeError:  # an order not sent as a form before
            quoted_texts = "%2C".join(map(_form_text, orders))
        plain.append(("createOrders", f"[{texts}]"))
        quoted.append(("createOrders", f"%5B{quoted_texts}%5D"))
    if batch.cancel_order_ids:
        ids = _compact_ascii(list(batch.cancel_order_ids))
        plain.append(("cancelOrderIds", ids))
        quoted.append(("cancelOrderIds", form_quote(ids)))
    return plain, quoted


_order_form = attrgetter("_form")


def _form_text(order: Order) -> str:
    """The order's ASCII JSON text percent-encoded, made once and kept on the (immutable) order:
    a desk sends the same orders again and again."""
    try:
        text: str = order._form
    except AttributeError:
        text = form_quote(_ascii_json(order))
        object.__setattr__(order, "_form", text)  # its slot; Order.__setattr__ is closed
    return text


def encode_signed(batch: Batch, encoding: Encoding) -> tuple[bytes, str, bytes]:
    """`encode`, and the text the body's signature covers: a JSON body itself; for a form, its
    fields sorted by name, values before percent-encoding (what `canonical_params` parses back
    from the body, without parsing it)."""
    if encoding == "json":
        body = encode_json(batch)
        return body, CONTENT_TYPES["json"], body
    plain, quoted = _form_fields(batch)
    form = "&".join([f"{name}={value}" for name, value in quoted])
    signed = "&".join([f"{name}={value}" for name, value in sorted(plain, key=_name)])
    return form.encode("ascii"), CONTENT_TYPES["form"], signed.encode("ascii")


def _name(field: tuple[str, str]) -> str:
    return field[0]


def encode(batch: Batch, encoding: Encoding) -> tuple[bytes, str]:
    """The body bytes and content type for `batch` in the chosen encoding."""
    body = encode_json(batch) if encoding == "json" else encode_form(batch)
    return body, CONTENT_TYPES[encoding]
