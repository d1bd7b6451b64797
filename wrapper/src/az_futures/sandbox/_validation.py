"""Reading a batch body (JSON or form) into checked, exact values, or naming what is wrong.

Every rule of the spec is enforced with a message naming the field and its index
(`createOrders[3].price: required for LIMIT orders`), so that a client bug shows up as a precise
400 in a test instead of as a silently accepted order. Numbers are read as `decimal.Decimal` and
never pass through a binary float.

Strict (the default) refuses everything the spec forbids, where a lenient exchange of this family
might let it through and so hide a client bug until production: a JSON number where the spec says
decimal string, `null` for a field that is not nullable, a key given twice in one JSON object, an
empty form field for a list. Lenient (`strict=False`) accepts those as the old sandbox did:
numbers read exactly as decimals, `null` and an empty list field as absent, the last of duplicate
keys; every other rule (unknown fields, wrong types, limits) holds in both.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from ._verify import FORM_MEDIA_TYPE, media_type

JSON_MEDIA_TYPE = "application/json"
MAX_ITEMS = 100
MAX_ORDER_ID = 2**63 - 1

ORDER_SIDES = frozenset({"BUY", "SELL"})
ORDER_TYPES = frozenset({"LIMIT", "MARKET"})
POSITION_SIDES = frozenset({"LONG", "SHORT"})
TIMES_IN_FORCE = frozenset({"GTC", "IOC", "FOK", "GTX"})

_REQUIRED_ORDER_FIELDS = (
    "clientOrderId",
    "symbol",
    "orderSide",
    "orderType",
    "origQty",
    "positionSide",
)
_OPTIONAL_ORDER_FIELDS = ("price", "timeInForce", "triggerProfitPrice", "triggerStopPrice")
_ORDER_FIELDS = frozenset(_REQUIRED_ORDER_FIELDS + _OPTIONAL_ORDER_FIELDS)
_BATCH_FIELDS = frozenset({"createOrderFirst", "createOrders", "cancelOrderIds"})
_DECIMAL_STRING = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")


class BatchError(ValueError):
    """The batch is refused as a whole, with HTTP 400 (the only refusal status the spec lists for
    a body, an unsupported content type included)."""

    status = 400

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """One checked order of `createOrders`, with exact decimal quantities and prices."""

    client_order_id: str
    symbol: str
    order_side: str
    order_type: str
    orig_qty: Decimal
    position_side: str
    time_in_force: str = "GTC"
    price: Decimal | None = None
    trigger_profit_price: Decimal | None = None
    trigger_stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ReceivedBatch:
    """One checked batch request."""

    create_orders: tuple[OrderRequest, ...]
    cancel_order_ids: tuple[int, ...]
    create_order_first: bool = True


def _reject_constant(name: str) -> Any:
    raise BatchError(f"body: {name} is not a number")


def _unique_keys(where: str, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all distinct (strict mode): `{"price":"1","price":"2"}` is a
    client bug that a parser keeping the last value would hide."""
    document: dict[str, Any] = {}
    for name, value in pairs:
        if name in document:
            raise BatchError(f"{where}: key {name!r} given more than once in one object")
        document[name] = value
    return document


def _load_json(text: str, where: str, *, strict: bool) -> Any:
    try:
        return json.loads(
            text,
            parse_float=Decimal,
            parse_constant=_reject_constant,
            object_pairs_hook=functools.partial(_unique_keys, where) if strict else None,
        )
    except json.JSONDecodeError as exc:
        raise BatchError(f"{where}: invalid JSON ({exc.msg} at position {exc.pos})") from None
    except RecursionError:
        raise BatchError(f"{where}: JSON nested too deeply") from None


def parse_batch(body: bytes, content_type: str | None, *, strict: bool = True) -> ReceivedBatch:
    """Read and check a batch body sent as `application/json` or as a form (module docstring:
    what `strict` refuses)."""
    kind = media_type(content_type)
    if kind not in (JSON_MEDIA_TYPE, FORM_MEDIA_TYPE):
        raise BatchError(
            f"content-type: {kind or 'missing'}, expected {JSON_MEDIA_TYPE} or {FORM_MEDIA_TYPE}"
        )
    if not body:
        raise BatchError("body: required")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BatchError("body: not UTF-8") from None
    if kind == JSON_MEDIA_TYPE:
        fields = _json_fields(text, strict=strict)
    else:
        fields = _form_fields(text, strict=strict)
    return _check_batch(fields, strict=strict)


def _json_fields(text: str, *, strict: bool) -> Mapping[str, Any]:
    document = _load_json(text, "body", strict=strict)
    if not isinstance(document, dict):
        raise BatchError("body: must be a JSON object")
    return document


def _form_fields(text: str, *, strict: bool) -> Mapping[str, Any]:
    """A form whose lists are each one field of JSON text and whose boolean is `true`/`false`."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise BatchError("body: malformed form") from None
    fields: dict[str, Any] = {}
    for name, value in pairs:
        if name in fields:
            raise BatchError(f"{name}: given more than once")
        if name == "createOrderFirst":
            if value not in ("true", "false"):
                raise BatchError("createOrderFirst: must be true or false")
            fields[name] = value == "true"
        elif name in ("createOrders", "cancelOrderIds"):
            if not value and strict:
                raise BatchError(f"{name}: empty; send a JSON list, or leave the field out")
            fields[name] = _load_json(value, name, strict=strict) if value else None
        else:
            fields[name] = value  # refused as an unknown field below
    return fields


def _refuse_nulls(fields: Mapping[str, Any], where: str) -> None:
    """Strict mode: no field of the spec is nullable in a request, so `null` is a client bug."""
    for name, value in fields.items():
        if value is None:
            raise BatchError(f"{where}{name}: must not be null (leave the field out instead)")


def _check_batch(fields: Mapping[str, Any], *, strict: bool) -> ReceivedBatch:
    for name in fields:
        if name not in _BATCH_FIELDS:
            raise BatchError(f"{name}: unknown field")
    if strict:
        _refuse_nulls(fields, "")
    first = fields.get("createOrderFirst", True)
    if first is None:
        first = True
    if not isinstance(first, bool):
        raise BatchError("createOrderFirst: must be a boolean")
    orders = _list_field(fields, "createOrders")
    ids = _list_field(fields, "cancelOrderIds")
    if len(orders) > MAX_ITEMS:
        raise BatchError(f"createOrders: supports up to {MAX_ITEMS} orders")
    if len(ids) > MAX_ITEMS:
        raise BatchError(f"cancelOrderIds: supports up to {MAX_ITEMS} ids")
    if not orders and not ids:
        raise BatchError("createOrders, cancelOrderIds: at least one must be non-empty")

    checked_orders: list[OrderRequest] = []
    seen_client_ids: dict[str, int] = {}
    for index, raw in enumerate(orders):
        order = _check_order(raw, f"createOrders[{index}]", strict=strict)
        earlier = seen_client_ids.setdefault(order.client_order_id, index)
        if earlier != index:
            raise BatchError(
                f"createOrders[{index}].clientOrderId: duplicate of createOrders[{earlier}]"
            )
        checked_orders.append(order)

    checked_ids: list[int] = []
    seen_ids: dict[int, int] = {}
    for index, raw in enumerate(ids):
        where = f"cancelOrderIds[{index}]"
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_ORDER_ID:
            raise BatchError(f"{where}: must be a positive 64-bit integer")
        earlier = seen_ids.setdefault(raw, index)
        if earlier != index:
            raise BatchError(f"{where}: duplicate of cancelOrderIds[{earlier}]")
        checked_ids.append(raw)
    return ReceivedBatch(tuple(checked_orders), tuple(checked_ids), first)


def _list_field(fields: Mapping[str, Any], name: str) -> list[Any]:
    value = fields.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BatchError(f"{name}: must be a list")
    return value


def _check_order(raw: Any, where: str, *, strict: bool) -> OrderRequest:
    if not isinstance(raw, dict):
        raise BatchError(f"{where}: must be an object")
    for name in raw:
        if name not in _ORDER_FIELDS:
            raise BatchError(f"{where}.{name}: unknown field")
    if strict:
        _refuse_nulls(raw, f"{where}.")
    for name in _REQUIRED_ORDER_FIELDS:
        if raw.get(name) is None:
            raise BatchError(f"{where}.{name}: required")
    client_order_id = _text(raw, "clientOrderId", where)
    symbol = _text(raw, "symbol", where)
    order_side = _choice(raw, "orderSide", ORDER_SIDES, where)
    order_type = _choice(raw, "orderType", ORDER_TYPES, where)
    position_side = _choice(raw, "positionSide", POSITION_SIDES, where)
    time_in_force = (
        "GTC"
        if raw.get("timeInForce") is None
        else _choice(raw, "timeInForce", TIMES_IN_FORCE, where)
    )
    price = _optional_decimal(raw, "price", where, strict=strict)
    if order_type == "LIMIT" and price is None:
        raise BatchError(f"{where}.price: required for LIMIT orders")
    return OrderRequest(
        client_order_id=client_order_id,
        symbol=symbol,
        order_side=order_side,
        order_type=order_type,
        orig_qty=_decimal(raw["origQty"], "origQty", where, strict=strict),
        position_side=position_side,
        time_in_force=time_in_force,
        price=price,
        trigger_profit_price=_optional_decimal(raw, "triggerProfitPrice", where, strict=strict),
        trigger_stop_price=_optional_decimal(raw, "triggerStopPrice", where, strict=strict),
    )


def _text(raw: Mapping[str, Any], name: str, where: str) -> str:
    value = raw[name]
    if not isinstance(value, str) or not value.strip():
        raise BatchError(f"{where}.{name}: must be a non-empty string")
    return value


def _choice(raw: Mapping[str, Any], name: str, allowed: frozenset[str], where: str) -> str:
    value = raw[name]
    if not isinstance(value, str) or value not in allowed:
        raise BatchError(f"{where}.{name}: must be one of {', '.join(sorted(allowed))}")
    return value


def _optional_decimal(
    raw: Mapping[str, Any], name: str, where: str, *, strict: bool
) -> Decimal | None:
    """`_decimal` of an optional field; None if absent (or null, which strict mode refused)."""
    value = raw.get(name)
    return None if value is None else _decimal(value, name, where, strict=strict)


def _decimal(value: Any, name: str, where: str, *, strict: bool) -> Decimal:
    """A positive finite decimal from a plain decimal string (or, lenient, a JSON number)."""
    number: Decimal | None = None
    if isinstance(value, str):
        if _DECIMAL_STRING.fullmatch(value):
            try:
                number = Decimal(value)
            except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
                number = None
    elif isinstance(value, Decimal | int) and not isinstance(value, bool):
        if strict:
            raise BatchError(
                f'{where}.{name}: must be a decimal string such as "39000.1", not a JSON '
                f"number ({value}): a number may reach the exchange rounded through a float"
            )
        number = Decimal(value)
    if number is None or not number.is_finite() or number <= 0:
        raise BatchError(f'{where}.{name}: must be a positive decimal string such as "39000.1"')
    return number
