"""Typed results of a batch: one entry per order placed and per id cancelled.

Each result carries the fields of the spec's `CreateOrderResult` / `CancelOrderResult` under
their Python names, taken from the generated `FIELDS` tables, so a field added to the spec can be
read by regeneration alone; fields the spec does not name are kept too (`to_wire()`).

The exchange reports states as integers (its documentation's example: `1`) or strings (its enum
page: `OK`, `PLATFORM_REJECT`, ...). Known values map to `CreateState`/`CancelState`; any other
value is kept in `raw_state` with `state=None`, so a new state never crashes a desk's client.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import FrozenInstanceError
from enum import StrEnum
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar

from az_futures_client import models
from az_futures_client.models import (
    BatchOrderResult,
    CancelOrderResult,
    CancelStateName,
    CreateOrderResult,
    CreateStateName,
)
from az_futures_client.types import FieldInfo

CreateState = CreateStateName
"""Known outcomes of one order placement (the spec's `CreateStateName`)."""
CancelState = CancelStateName
"""Known outcomes of one cancellation (the spec's `CancelStateName`). `ORDER_CANCELED`: it was
already cancelled."""

_INTEGER_OK = 1  # the documentation's success example answers with `1`
_OK = "OK"

# The JSON types each kind may hold in an answer (bool is not an int here); a union kind
# (`CreateStateName|int|str`) allows those of its parts, a string enum's being str.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "decimal": (str,),
    "int": (int,),
    "bool": (bool,),
    "float": (int, float),
    "None": (type(None),),
}


@functools.cache
def _allowed_types(kind: str) -> frozenset[type] | None:
    """The JSON types a field of `kind` may hold, or None for a kind not checked (objects)."""
    allowed: set[type] = set()
    for part in kind.split("|"):
        enum = getattr(models, part, None)
        if part in _JSON_TYPES:
            allowed.update(_JSON_TYPES[part])
        elif isinstance(enum, type) and issubclass(enum, StrEnum):
            allowed.add(str)
        else:
            return None
    return frozenset(allowed)


_NONE = frozenset({type(None)})
_DICT = frozenset({dict})


def _known(raw: object, states: type[StrEnum]) -> StrEnum | None:
    if type(raw) is int:
        return states(_OK) if raw == _INTEGER_OK else None
    try:
        return states(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


class _Result:
    """One entry of an answer: the spec's fields as attributes (None when absent)."""

    __slots__ = ("_item",)
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = ()

    _item: dict[str, Any]

    def __init__(self, item: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_item", dict(item))

    if TYPE_CHECKING:  # the spec's fields are attributes made from its table (below)

        def __getattr__(self, name: str) -> Any: ...

    def to_wire(self) -> dict[str, Any]:
        """The entry as the exchange sent it (a fresh copy), fields the spec does not name too."""
        return dict(self._item)

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._item == other._item

    def __hash__(self) -> int:
        return hash(tuple(map(repr, self._item.items())))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.python_name}={self._item.get(f.wire_name)!r}" for f in self.FIELDS)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._item,))

    @classmethod
    def _with_fields(cls, fields: tuple[FieldInfo, ...]) -> None:
        cls.FIELDS = fields
        for field in fields:
            setattr(cls, field.python_name, property(_getter(field.wire_name)))


def _getter(wire_name: str) -> Any:
    def get(result: _Result) -> Any:
        return result._item.get(wire_name)

    return get


class _StatefulResult(_Result):
    """A result with a state: known ones as members of `_STATES`, any other kept raw."""

    __slots__ = ()
    _STATE_FIELD: ClassVar[str]
    _STATES: ClassVar[type[StrEnum]]

    @property
    def raw_state(self) -> int | str:
        """The state as the exchange sent it."""
        state: int | str = getattr(self, self._STATE_FIELD)
        return state

    @property
    def state(self) -> StrEnum | None:
        """The known state, or None for a value this SDK does not know (see `raw_state`)."""
        return _known(self.raw_state, self._STATES)

    @property
    def ok(self) -> bool:
        """True when the order was placed, or cancelled by this request."""
        return self.state == _OK


class CreateResult(_StatefulResult):
    """The outcome of one order of the batch (the spec's `CreateOrderResult`); `state` is a
    `CreateState` or None."""

    __slots__ = ()
    _STATE_FIELD = "create_state"
    _STATES = CreateStateName


class CancelResult(_StatefulResult):
    """The outcome of one cancellation of the batch (the spec's `CancelOrderResult`); `state` is
    a `CancelState` or None (`ORDER_CANCELED`: it was cancelled already)."""

    __slots__ = ()
    _STATE_FIELD = "cancel_state"
    _STATES = CancelStateName

    @property
    def order_id(self) -> int:
        """The id whose cancellation this is (`cancel_order_id`)."""
        order_id: int = self.cancel_order_id
        return order_id


CreateResult._with_fields(CreateOrderResult.FIELDS)
CancelResult._with_fields(CancelOrderResult.FIELDS)


def _checked(items: object, result_type: type[_Result], where: str) -> list[dict[str, Any]]:
    """The entries of one list of an answer, every field the spec names checked by its kind in
    C-speed passes over the whole list. Raises ValueError naming what is missing or wrong."""
    if items is None:
        return []
    if type(items) is not list or not set(map(type, items)) <= _DICT:
        raise ValueError(f"{where} is not a list of objects")
    for field in result_type.FIELDS:
        name = field.wire_name
        if field.required:
            column = map(itemgetter(name), items)
        else:
            column = map(dict.get, items, repeat(name))
        try:  # in C over the whole list; a required field missing raises KeyError
            types = set(map(type, column))
        except KeyError:
            raise ValueError(f"{where}: an entry lacks {name}") from None
        allowed = _allowed_types(field.kind)
        if allowed is None:
            continue
        if not field.required or field.nullable:
            allowed = allowed | _NONE
        if not types <= allowed:
            bad = next(item.get(name) for item in items if type(item.get(name)) not in allowed)
            raise ValueError(f"{where}: {name} {bad!r} is not of the spec's type")
    return items


def _wire_name(fields: tuple[FieldInfo, ...], python_name: str) -> str:
    return next(f.wire_name for f in fields if f.python_name == python_name)


_CREATE_STATE = itemgetter(_wire_name(CreateOrderResult.FIELDS, CreateResult._STATE_FIELD))
_CANCEL_STATE = itemgetter(_wire_name(CancelOrderResult.FIELDS, CancelResult._STATE_FIELD))
_LISTS = {f.python_name: f.wire_name for f in BatchOrderResult.FIELDS}


class BatchResult:
    """What the exchange did with a batch it accepted as a whole.

    A batch accepted as a whole can still hold rejected orders: check `ok`, or `rejected`.
    Immutable. The per-order results are built when first used: a desk that only checks `ok`
    does not pay for a hundred objects per batch.
    """

    __slots__ = ("_cancel_items", "_cancelled", "_create_items", "_created")

    _create_items: list[dict[str, Any]]
    _cancel_items: list[dict[str, Any]]
    _created: tuple[CreateResult, ...] | None
    _cancelled: tuple[CancelResult, ...] | None

    def __init__(
        self, created: Iterable[CreateResult] = (), cancelled: Iterable[CancelResult] = ()
    ) -> None:
        created, cancelled = tuple(created), tuple(cancelled)
        _set(self, "_created", created)
        _set(self, "_cancelled", cancelled)
        _set(self, "_create_items", [r._item for r in created])
        _set(self, "_cancel_items", [r._item for r in cancelled])

    @classmethod
    def from_wire(cls, result: object) -> BatchResult:
        """The result of a success envelope's `result` (the spec's `BatchOrderResult`).

        Raises ValueError naming what is missing or of the wrong type.
        """
        if not isinstance(result, dict):
            raise ValueError("the result is not an object")
        answer = object.__new__(cls)
        creates = _checked(result.get(_LISTS["create_orders_response"]), CreateResult, "creates")
        cancels = _checked(result.get(_LISTS["cancel_orders_response"]), CancelResult, "cancels")
        _set(answer, "_create_items", creates)
        _set(answer, "_cancel_items", cancels)
        _set(answer, "_created", None)
        _set(answer, "_cancelled", None)
        return answer

    @property
    def created(self) -> tuple[CreateResult, ...]:
        """One result per order placed, in the batch's order."""
        created = self._created
        if created is None:
            created = tuple(map(CreateResult, self._create_items))
            _set(self, "_created", created)
        return created

    @property
    def cancelled(self) -> tuple[CancelResult, ...]:
        """One result per id cancelled, in the batch's order."""
        cancelled = self._cancelled
        if cancelled is None:
            cancelled = tuple(map(CancelResult, self._cancel_items))
            _set(self, "_cancelled", cancelled)
        return cancelled

    def counts(self) -> tuple[int, int]:
        """How many placements and cancellations the answer reports."""
        return len(self._create_items), len(self._cancel_items)

    @property
    def ok(self) -> bool:
        """True when every order was placed and every id cancelled."""
        creates = list(map(_CREATE_STATE, self._create_items))
        cancels = list(map(_CANCEL_STATE, self._cancel_items))
        if creates.count(_OK) == len(creates) and cancels.count(_OK) == len(cancels):
            return True  # every state is the string "OK": no result objects needed
        return all(r.ok for r in self.created) and all(r.ok for r in self.cancelled)

    @property
    def rejected(self) -> tuple[CreateResult | CancelResult, ...]:
        """The placements and cancellations that did not succeed."""
        failed: list[CreateResult | CancelResult] = [r for r in self.created if not r.ok]
        failed.extend(r for r in self.cancelled if not r.ok)
        return tuple(failed)

    def by_client_order_id(self) -> dict[str, CreateResult]:
        """Placement results keyed by client order id."""
        return {r.client_order_id: r for r in self.created}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BatchResult):
            return NotImplemented
        return (self.created, self.cancelled) == (other.created, other.cancelled)

    def __hash__(self) -> int:
        return hash((self.created, self.cancelled))

    def __repr__(self) -> str:
        return f"BatchResult(created={self.created!r}, cancelled={self.cancelled!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (BatchResult, (self.created, self.cancelled))

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


_set = object.__setattr__
