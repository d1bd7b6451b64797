"""Typed results of a batch: one entry per order placed and per id cancelled.

Each result carries the fields of the spec's `CreateOrderResult` / `CancelOrderResult` under
their Python names, taken from the generated `FIELDS` tables, so a field added to the spec can be
read by regeneration alone; fields the spec does not name are kept too (`to_wire()`).

The exchange reports states as integers (its documentation's example: `1`) or strings (its enum
page: `OK`, `PLATFORM_REJECT`, ...). Known values map to `CreateState`/`CancelState`; any other
value is kept in `raw_state` with `state=None`, so a new state never crashes a desk's client.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import FrozenInstanceError
from enum import StrEnum
from functools import cached_property, partial
from itertools import repeat
from operator import itemgetter
from typing import TYPE_CHECKING, Any, ClassVar, cast

from az_futures_client import models
from az_futures_client.types import FieldInfo

CreateState = models.CreateStateName
"""Known outcomes of one order placement (the spec's `CreateStateName`)."""
CancelState = models.CancelStateName
"""Known outcomes of one cancellation (the spec's `CancelStateName`). `ORDER_CANCELED`: it was
already cancelled."""

_OK = "OK"

# The JSON types each kind may hold in an answer (an int is never a bool here). Another kind (an
# object, a list) is read unchecked.
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "decimal": (str,),
    "int": (int,),
    "bool": (bool,),
    "float": (int, float),
    "None": (type(None),),
}


def _json_types(field: FieldInfo) -> frozenset[type] | None:
    """The JSON types `field` may hold in an answer (NoneType too when it may be absent or null),
    or None for a kind not checked. A union kind (`CreateStateName|int|str`) allows those of its
    parts, a string enum's being str."""
    allowed: set[type] = set() if field.required and not field.nullable else {type(None)}
    for part in field.kind.split("|"):
        enum = getattr(models, part, None)
        is_text_enum = isinstance(enum, type) and issubclass(enum, StrEnum)  # read as a str
        types = _JSON_TYPES.get("str" if is_text_enum else part)
        if types is None:
            return None
        allowed.update(types)
    return frozenset(allowed)


def _field(wire_name: str, result: _Result) -> Any:
    """A field of a result (a property's getter, with the wire name bound): None when absent."""
    return result._item.get(wire_name)


class _Result:
    """One entry of an answer: the spec's fields as attributes (None when absent), and a state,
    a member of its states' enum when known, else kept raw.

    A subclass names its spec's table and its states' enum in its class statement (`class
    CreateResult(_Result, fields=..., states=CreateState)`): the fields become attributes, and the
    answer's checks and the state lookup are made once. The state is the field whose kind names
    the enum (`CreateStateName|int|str`).
    """

    __slots__ = ("_item",)
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = ()
    _CHECKS: ClassVar[tuple[tuple[str, bool, frozenset[type] | None], ...]]
    """(wire name, required, the JSON types allowed or None) per field, for `_checked`."""
    _STATE_WIRE: ClassVar[str]
    _KNOWN: ClassVar[dict[int | str, StrEnum]]
    """The known states by the values that mean them: the spec's names, and `1` for `OK`."""

    _item: dict[str, Any]

    def __init_subclass__(cls, fields: tuple[FieldInfo, ...], states: type[StrEnum]) -> None:
        cls.FIELDS = fields
        cls._CHECKS = tuple((f.wire_name, f.required, _json_types(f)) for f in fields)
        for field in fields:
            setattr(cls, field.python_name, property(partial(_field, field.wire_name)))
        cls._STATE_WIRE = next(f.wire_name for f in fields if states.__name__ in f.kind.split("|"))
        # The documentation's success example answers with `1`.
        cls._KNOWN = {s.value: s for s in states} | {1: states(_OK)}

    def __init__(self, item: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_item", dict(item))

    if TYPE_CHECKING:  # the spec's fields are attributes made from its table (above)

        def __getattr__(self, name: str) -> Any: ...

    def to_wire(self) -> dict[str, Any]:
        """The entry as the exchange sent it (a fresh copy), fields the spec does not name too."""
        return dict(self._item)

    @property
    def raw_state(self) -> int | str:
        """The state as the exchange sent it."""
        return cast(int | str, self._item.get(self._STATE_WIRE))

    @property
    def state(self) -> StrEnum | None:
        """The known state, or None for a value this SDK does not know (see `raw_state`)."""
        raw = self.raw_state
        return self._KNOWN.get(raw) if type(raw) is int or isinstance(raw, str) else None

    @property
    def ok(self) -> bool:
        """True when the order was placed, or cancelled by this request."""
        return self.state == _OK

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __eq__(self, other: object) -> bool:
        return self._item == other._item if type(other) is type(self) else NotImplemented

    def __hash__(self) -> int:
        # Equal results have equal fields, in whatever order the answer gave them.
        return hash((type(self), frozenset(self._item)))

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.python_name}={self._item.get(f.wire_name)!r}" for f in self.FIELDS)
        return f"{type(self).__name__}({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._item,))


class CreateResult(_Result, fields=models.CreateOrderResult.FIELDS, states=CreateState):
    """The outcome of one order of the batch (the spec's `CreateOrderResult`); `state` is a
    `CreateState` or None."""

    __slots__ = ()


class CancelResult(_Result, fields=models.CancelOrderResult.FIELDS, states=CancelState):
    """The outcome of one cancellation of the batch (the spec's `CancelOrderResult`); `state` is
    a `CancelState` or None (`ORDER_CANCELED`: it was cancelled already)."""

    __slots__ = ()

    @property
    def order_id(self) -> int:
        """The id whose cancellation this is (`cancel_order_id`)."""
        return cast(int, self.cancel_order_id)


def _checked(items: object, result_type: type[_Result], where: str) -> list[dict[str, Any]]:
    """The entries of one list of an answer, every field the spec names checked by its kind in
    C-speed passes over the whole list. Raises ValueError naming what is missing or wrong."""
    if items is None:
        return []
    if type(items) is not list or not set(map(type, items)) <= {dict}:
        raise ValueError(f"{where} is not a list of objects")
    for name, required, allowed in result_type._CHECKS:
        column = map(itemgetter(name), items) if required else map(dict.get, items, repeat(name))
        try:  # in C over the whole list; a required field missing raises KeyError
            types = set(map(type, column))
        except KeyError:
            raise ValueError(f"{where}: an entry lacks {name}") from None
        if allowed is not None and not types <= allowed:
            bad = next(item.get(name) for item in items if type(item.get(name)) not in allowed)
            raise ValueError(f"{where}: {name} {bad!r} is not of the spec's type")
    return items


_CREATE_STATE = itemgetter(CreateResult._STATE_WIRE)
_CANCEL_STATE = itemgetter(CancelResult._STATE_WIRE)
_LISTS = {f.python_name: f.wire_name for f in models.BatchOrderResult.FIELDS}


class BatchResult:
    """What the exchange did with a batch it accepted as a whole.

    A batch accepted as a whole can still hold rejected orders: check `ok`, or `rejected`.
    Immutable. The per-order results are built when first used, then kept: a desk that only
    checks `ok` does not pay for a hundred objects per batch. Everything is kept in the instance's
    dict, written directly (as `cached_property` writes it): assignment is refused.
    """

    _create_items: list[dict[str, Any]]
    _cancel_items: list[dict[str, Any]]
    """The answer's entries, which `counts` and `ok` read without building results."""

    def __init__(
        self, created: Iterable[CreateResult] = (), cancelled: Iterable[CancelResult] = ()
    ) -> None:
        created, cancelled = tuple(created), tuple(cancelled)
        creates, cancels = [r._item for r in created], [r._item for r in cancelled]
        vars(self).update(_create_items=creates, _cancel_items=cancels)
        vars(self).update(created=created, cancelled=cancelled)  # built already: kept as given

    @classmethod
    def from_wire(cls, result: object) -> BatchResult:
        """The result of a success envelope's `result` (the spec's `BatchOrderResult`).

        Raises ValueError naming what is missing or of the wrong type.
        """
        if not isinstance(result, dict):
            raise ValueError("the result is not an object")
        creates = _checked(result.get(_LISTS["create_orders_response"]), CreateResult, "creates")
        cancels = _checked(result.get(_LISTS["cancel_orders_response"]), CancelResult, "cancels")
        answer = object.__new__(cls)
        vars(answer).update(_create_items=creates, _cancel_items=cancels)
        return answer

    @cached_property
    def created(self) -> tuple[CreateResult, ...]:
        """One result per order placed, in the batch's order."""
        return tuple(map(CreateResult, self._create_items))

    @cached_property
    def cancelled(self) -> tuple[CancelResult, ...]:
        """One result per id cancelled, in the batch's order."""
        return tuple(map(CancelResult, self._cancel_items))

    def counts(self) -> tuple[int, int]:
        """How many placements and cancellations the answer reports."""
        return len(self._create_items), len(self._cancel_items)

    @property
    def ok(self) -> bool:
        """True when every order was placed and every id cancelled."""
        states = [*map(_CREATE_STATE, self._create_items), *map(_CANCEL_STATE, self._cancel_items)]
        # When every state is the string "OK", no result objects are needed.
        return states.count(_OK) == len(states) or not self.rejected

    @property
    def rejected(self) -> tuple[CreateResult | CancelResult, ...]:
        """The placements and cancellations that did not succeed."""
        return (*(r for r in self.created if not r.ok), *(r for r in self.cancelled if not r.ok))

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
