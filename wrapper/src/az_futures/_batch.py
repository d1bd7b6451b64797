"""A batch: what one request places and cancels, validated as a whole before anything is sent.

The limits (100 orders, 100 cancel ids) are the `maxItems` of the spec's `BatchOrderRequest`,
read from its generated `FIELDS` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from az_futures_client.models import BatchOrderRequest

from ._errors import Problem, ValidationError
from ._orders import CLIENT_ORDER_ID, Order, wire_form

_LIMITS = {f.python_name: f.max_items for f in BatchOrderRequest.FIELDS}
MAX_ORDERS: int = _LIMITS["create_orders"] or 100
MAX_CANCELS: int = _LIMITS["cancel_order_ids"] or 100
MAX_ORDER_ID = 2**63 - 1
"""Order ids are positive 64-bit integers (the spec's `OrderId`)."""
_WIRE = {f.python_name: f.wire_name for f in BatchOrderRequest.FIELDS}


@dataclass(frozen=True, slots=True)
class Batch:
    """A validated batch: what one request places and cancels, in order."""

    create_orders: tuple[Order, ...]
    cancel_order_ids: tuple[int, ...]
    create_order_first: bool = True

    def to_wire(self) -> dict[str, Any]:
        """The batch as the spec's `BatchOrderRequest` object (a fresh copy); empty lists are
        left out."""
        wire = self.wire_view()
        if self.create_orders:
            wire[_WIRE["create_orders"]] = [dict(order) for order in wire[_WIRE["create_orders"]]]
        return wire

    def wire_view(self) -> dict[str, Any]:
        """`to_wire()` sharing the orders' wire forms, for an encoder, which only reads them."""
        wire: dict[str, Any] = {_WIRE["create_order_first"]: self.create_order_first}
        if self.create_orders:
            wire[_WIRE["create_orders"]] = list(map(wire_form, self.create_orders))
        if self.cancel_order_ids:
            wire[_WIRE["cancel_order_ids"]] = list(self.cancel_order_ids)
        return wire


_client_order_id = itemgetter(CLIENT_ORDER_ID)


def _as_list(value: object, field: str, expected: str, problems: list[Problem]) -> Sequence[Any]:
    """The items of a batch list, or [] with a problem when `value` is not a list of items."""
    if isinstance(value, (list, tuple)):  # a tuple of types: taken faster than `list | tuple`
        return value
    if isinstance(value, Order | Mapping):
        problems.append(Problem(field, f"expected {expected}, got one order: put it in a list"))
    elif isinstance(value, str | bytes) or not isinstance(value, Iterable):
        problems.append(Problem(field, f"expected {expected}, got {type(value).__name__}"))
    else:
        return list(value)
    return []


def _size_problems(orders: Sequence[Any], ids: Sequence[Any], first: object) -> Iterator[Problem]:
    if not isinstance(first, bool):
        yield Problem("create_order_first", f"expected a bool, got {type(first).__name__}")
    if len(orders) > MAX_ORDERS:
        yield Problem(
            "create_orders", f"{len(orders)} orders; a batch holds at most {MAX_ORDERS}: split it"
        )
    if len(ids) > MAX_CANCELS:
        yield Problem(
            "cancel_order_ids", f"{len(ids)} ids; a batch cancels at most {MAX_CANCELS}: split it"
        )
    if not orders and not ids:
        yield Problem("create_orders", "the batch is empty: give orders to place or ids to cancel")


def _checked_orders(items: Sequence[Any], problems: list[Problem]) -> Sequence[Order]:
    """The batch's orders, each problem (with its index) added to `problems`.

    Built Orders with distinct client order ids are the common case, checked in C over the whole
    list; anything else (a mapping, a duplicate) is checked item by item, which explains it.
    """
    built = set(map(type, items)) <= {Order}  # an empty list too
    if built and len(set(map(_client_order_id, map(wire_form, items)))) == len(items):
        return items
    orders: list[Order] = []
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Order | Mapping):
            message = f"expected an az_futures.Order or a mapping, got {type(item).__name__}"
            problems.append(Problem("order", message, index))
            continue
        try:
            order = item if isinstance(item, Order) else Order.from_mapping(item)
        except ValidationError as error:
            problems.extend(Problem(p.field, p.message, index) for p in error.problems)
            continue
        first = first_seen.setdefault(order.client_order_id, index)
        if first != index:
            message = f"{order.client_order_id!r} is already used by create_orders[{first}]"
            problems.append(Problem("client_order_id", message, index))
        orders.append(order)
    return orders


def _checked_ids(items: Sequence[Any], problems: list[Problem]) -> Sequence[int]:
    """The batch's cancel ids, each problem added to `problems`: distinct ints in range are found
    in C over the whole list, anything else item by item, which explains it."""
    in_range = set(map(type, items)) == {int} and 0 < min(items) <= max(items) <= MAX_ORDER_ID
    if in_range and len(set(items)) == len(items):
        return items
    first_seen: dict[int, int] = {}  # the good ids, in order, to their index
    for index, value in enumerate(items):
        if isinstance(value, bool) or not isinstance(value, int):
            message = f"expected an int order id, got {type(value).__name__}"
        elif not 1 <= value <= MAX_ORDER_ID:
            message = f"must be between 1 and 2**63-1, got {value}"
        elif value in first_seen:
            message = f"{value} is already listed at cancel_order_ids[{first_seen[value]}]"
        else:
            first_seen[value] = index
            continue
        problems.append(Problem(f"cancel_order_ids[{index}]", message))
    return list(first_seen)


def build_batch(
    create_orders: Iterable[Order | Mapping[str, Any]] = (),
    cancel_order_ids: Iterable[int] = (),
    create_order_first: bool = True,
) -> Batch:
    """Validate a batch against every rule of the exchange, reporting all problems at once.

    Orders may be `Order`s or mappings (see `Order.from_mapping`). Raises `ValidationError`.
    """
    problems: list[Problem] = []
    raw_orders = _as_list(create_orders, "create_orders", "a list of orders", problems)
    raw_ids = _as_list(cancel_order_ids, "cancel_order_ids", "a list of ints", problems)
    problems.extend(_size_problems(raw_orders, raw_ids, create_order_first))
    # An empty list (a batch that only places or only cancels) needs no check.
    orders = _checked_orders(raw_orders, problems) if raw_orders else raw_orders
    ids = _checked_ids(raw_ids, problems) if raw_ids else raw_ids
    if problems:
        raise ValidationError(problems)
    return Batch(tuple(orders), tuple(ids), create_order_first)
