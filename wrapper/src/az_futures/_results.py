"""Typed results of a batch: one entry per order placed and per id cancelled.

The exchange reports states as integers (its documentation's example: `1`) or strings (its enum
page: `OK`, `PLATFORM_REJECT`, ...). Known values map to `CreateState`/`CancelState`; any other
value is kept in `raw_state` with `state=None`, so a new state never crashes a desk's client.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import FrozenInstanceError, dataclass
from enum import StrEnum
from itertools import repeat
from operator import itemgetter
from typing import Any, TypeVar

# The documentation's success example answers a placed order and a cancelled one with `1`.
_INTEGER_OK = 1


class CreateState(StrEnum):
    """Known outcomes of one order placement."""

    OK = "OK"
    PLATFORM_REJECT = "PLATFORM_REJECT"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    INSUFFICIENT_POSITION = "INSUFFICIENT_POSITION"
    ORDER_NUMBER_LIMIT = "ORDER_NUMBER_LIMIT"
    OPEN_ORDER_MIN_NOMINAL_VALUE_LIMIT = "OPEN_ORDER_MIN_NOMINAL_VALUE_LIMIT"
    MARKET_DEVIATION_RISK_CONTROL = "MARKET_DEVIATION_RISK_CONTROL"
    MARKPRICE_INVALID = "MARKPRICE_INVALID"


class CancelState(StrEnum):
    """Known outcomes of one cancellation. `ORDER_CANCELED`: it was already cancelled."""

    OK = "OK"
    ORDER_CANCELED = "ORDER_CANCELED"
    PLATFORM_REJECT = "PLATFORM_REJECT"


_S = TypeVar("_S", CreateState, CancelState)


def _known(raw: int | str, states: type[_S]) -> _S | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return states.OK if raw == _INTEGER_OK else None
    try:
        return states(raw)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class CreateResult:
    """The outcome of one order of the batch."""

    client_order_id: str
    order_id: int | None
    raw_state: int | str

    @property
    def state(self) -> CreateState | None:
        """The known state, or None for a value this SDK does not know (see `raw_state`)."""
        return _known(self.raw_state, CreateState)

    @property
    def ok(self) -> bool:
        """True when the order was placed."""
        return self.state is CreateState.OK


@dataclass(frozen=True, slots=True)
class CancelResult:
    """The outcome of one cancellation of the batch."""

    order_id: int
    raw_state: int | str

    @property
    def state(self) -> CancelState | None:
        """The known state, or None for a value this SDK does not know (see `raw_state`)."""
        return _known(self.raw_state, CancelState)

    @property
    def ok(self) -> bool:
        """True when the order was cancelled by this request."""
        return self.state is CancelState.OK


_Columns = tuple[list[str], list[int | None], list[int | str], list[int], list[int | str]]
"""An answer's fields, one list each: client order ids, order ids and states of the placements,
order ids and states of the cancellations."""


class BatchResult:
    """What the exchange did with a batch it accepted as a whole.

    A batch accepted as a whole can still hold rejected orders: check `ok`, or `rejected`.
    Immutable. Read from an answer, the per-order results become `CreateResult`s and
    `CancelResult`s when first used, and `ok` is answered from the states alone when all are
    `"OK"`: a desk that only checks `ok` does not pay for a hundred objects per batch.
    """

    __slots__ = ("_cancelled", "_columns", "_created")

    _created: tuple[CreateResult, ...] | None
    _cancelled: tuple[CancelResult, ...] | None
    _columns: _Columns | None

    def __init__(
        self, created: Sequence[CreateResult] = (), cancelled: Sequence[CancelResult] = ()
    ) -> None:
        _set(self, "_created", tuple(created))
        _set(self, "_cancelled", tuple(cancelled))
        _set(self, "_columns", None)

    @classmethod
    def of(cls, created: Sequence[CreateResult], cancelled: Sequence[CancelResult]) -> BatchResult:
        return cls(created, cancelled)

    @classmethod
    def _of_columns(cls, columns: _Columns) -> BatchResult:
        result = object.__new__(cls)
        _set(result, "_created", None)
        _set(result, "_cancelled", None)
        _set(result, "_columns", columns)
        return result

    @property
    def created(self) -> tuple[CreateResult, ...]:
        """One result per order placed, in the batch's order."""
        created = self._created
        if created is None:
            assert self._columns is not None
            client_order_ids, order_ids, states, _, _ = self._columns
            created = tuple(map(CreateResult, client_order_ids, order_ids, states))
            _set(self, "_created", created)
        return created

    def _placements(self) -> Iterator[tuple[str, int | None, int | str, bool]]:
        """(client order id, order id, raw state, ok) per order placed, without building
        `CreateResult`s: the bulk runner journals a hundred per batch and looks at nothing else."""
        columns = self._columns
        if columns is None:
            return ((r.client_order_id, r.order_id, r.raw_state, r.ok) for r in self.created)
        client_order_ids, order_ids, states, _, _ = columns
        return zip(client_order_ids, order_ids, states, map(_create_ok, states), strict=True)

    @property
    def cancelled(self) -> tuple[CancelResult, ...]:
        """One result per id cancelled, in the batch's order."""
        cancelled = self._cancelled
        if cancelled is None:
            assert self._columns is not None
            _, _, _, order_ids, states = self._columns
            cancelled = tuple(map(CancelResult, order_ids, states))
            _set(self, "_cancelled", cancelled)
        return cancelled

    @property
    def ok(self) -> bool:
        """True when every order was placed and every id cancelled."""
        columns = self._columns
        if columns is not None:
            creates, cancels = columns[2], columns[4]
            if creates.count(_OK) == len(creates) and cancels.count(_OK) == len(cancels):
                return True  # every state in the answer is the string "OK"
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


def _create_ok(raw: int | str) -> bool:
    """`CreateResult(...).ok` for a state, straight away for the usual `"OK"`."""
    return raw == _OK or _known(raw, CreateState) is CreateState.OK


_set = object.__setattr__
_OK = CreateState.OK.value
_CLIENT_ORDER_ID = itemgetter("clientOrderId")
_CREATE_STATE = itemgetter("createState")
_CANCEL_ORDER_ID = itemgetter("cancelOrderId")
_CANCEL_STATE = itemgetter("cancelState")
_STR, _STATE, _ORDER_ID, _OPTIONAL_ORDER_ID = {str}, {int, str}, {int}, {int, type(None)}


def read_results(result: Any) -> tuple[BatchResult, int, int]:
    """The `BatchResult` of a success envelope's `result`, and its numbers of placements and
    cancellations; the same checks and values as `results_from_wire`, at a fraction of the cost.

    Each field is read and its types checked in C, one pass over the whole answer; the typed
    results are built on first use. Whatever these checks do not accept goes through
    `results_from_wire`, which reads it or raises the error naming what is wrong.
    """
    columns = _columns(result)
    if columns is None:
        created, cancelled = results_from_wire(result)
        return BatchResult(created, cancelled), len(created), len(cancelled)
    return BatchResult._of_columns(columns), len(columns[0]), len(columns[3])


def _columns(result: Any) -> _Columns | None:
    if not isinstance(result, dict):
        return None
    creates = result.get("createOrdersResponse") or []
    cancels = result.get("cancelOrdersResponse") or []
    if type(creates) is not list or type(cancels) is not list:
        return None
    try:
        columns: _Columns = (
            list(map(_CLIENT_ORDER_ID, creates)),
            list(map(dict.get, creates, repeat("orderId"))),
            list(map(_CREATE_STATE, creates)),
            list(map(_CANCEL_ORDER_ID, cancels)),
            list(map(_CANCEL_STATE, cancels)),
        )
    except (KeyError, TypeError):
        return None
    client_order_ids, order_ids, states, cancel_ids, cancel_states = columns
    if (
        set(map(type, client_order_ids)) <= _STR
        and set(map(type, order_ids)) <= _OPTIONAL_ORDER_ID
        and set(map(type, states)) <= _STATE
        and set(map(type, cancel_ids)) <= _ORDER_ID
        and set(map(type, cancel_states)) <= _STATE
    ):
        return columns
    return None


def _state(item: dict[str, Any], key: str) -> int | str:
    state = item[key]
    if isinstance(state, bool) or not isinstance(state, int | str):
        raise TypeError(f"{key} {state!r}")
    return state


def _order_id(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{key} {value!r}")
    return value


def results_from_wire(result: Any) -> tuple[list[CreateResult], list[CancelResult]]:
    """The per-order outcomes of a success envelope's `result` (the spec's `BatchOrderResult`).

    Read straight from the decoded JSON rather than through the generated models, which cost
    three times as much for a 100-order answer and check no types; this checks every field the
    SDK reports. Raises KeyError, TypeError or ValueError naming what is missing or wrong.
    """
    if not isinstance(result, dict):
        raise KeyError("result")
    created: list[CreateResult] = []
    cancelled: list[CancelResult] = []
    for item in result.get("createOrdersResponse") or ():
        client_order_id = item["clientOrderId"]
        if not isinstance(client_order_id, str):
            raise TypeError(f"clientOrderId {client_order_id!r}")
        order_id = item.get("orderId")
        created.append(
            CreateResult(
                client_order_id,
                None if order_id is None else _order_id(order_id, "orderId"),
                _state(item, "createState"),
            )
        )
    for item in result.get("cancelOrdersResponse") or ():
        cancelled.append(
            CancelResult(
                _order_id(item["cancelOrderId"], "cancelOrderId"), _state(item, "cancelState")
            )
        )
    return created, cancelled
