"""Typed results of a batch: one entry per order placed and per id cancelled.

The exchange reports states as integers (its documentation's example: `1`) or strings (its enum
page: `OK`, `PLATFORM_REJECT`, ...). Known values map to `CreateState`/`CancelState`; any other
value is kept in `raw_state` with `state=None`, so a new state never crashes a desk's client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
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


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What the exchange did with a batch it accepted as a whole.

    A batch accepted as a whole can still hold rejected orders: check `ok`, or `rejected`.
    """

    created: tuple[CreateResult, ...]
    cancelled: tuple[CancelResult, ...]

    @property
    def ok(self) -> bool:
        """True when every order was placed and every id cancelled."""
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

    @classmethod
    def of(cls, created: Sequence[CreateResult], cancelled: Sequence[CancelResult]) -> BatchResult:
        return cls(tuple(created), tuple(cancelled))


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
