"""Bad input to the library API: a clear error naming the field (and the order's index), and not
one request on the wire.

Each batch row runs through the real `Client` and `AsyncClient` against the sandbox; the sandbox's
counters (signed and unsigned requests alike) and the client's own count of attempts stay at zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from az_futures import (
    AsyncClient,
    Client,
    ConfigurationError,
    PositionSide,
    RateLimit,
    ValidationError,
)
from az_futures.sandbox import RunningSandbox

from tests.reliability.conftest import MakeDesk
from tests.reliability.helpers import API_KEY, SECRET_KEY, client_options, no_traffic, order
from tests.unit.helpers import order_fields


def wire(client_order_id: str = "ok", **changes: Any) -> dict[str, Any]:
    """A valid order as a mapping (Python names); a change to None removes the field."""
    fields = order_fields(client_order_id, **changes)
    return {name: value for name, value in fields.items() if value is not None}


def at(index: int, **changes: Any) -> list[dict[str, Any]]:
    """A batch of valid orders with the bad one at `index`."""
    return [wire(f"ok-{i}") for i in range(index)] + [wire(**{"client_order_id": "bad", **changes})]


@dataclass(frozen=True)
class Bad:
    """A batch the client must refuse: the arguments, and the problem it must report."""

    create_orders: Any = ()
    cancel_order_ids: Any = ()
    field: str = ""
    index: int | None = None
    says: str = ""
    create_order_first: Any = True


BATCHES: dict[str, Bad] = {
    # sizes and emptiness
    "101-orders": Bad(
        [wire(f"o{i}") for i in range(101)], (), "create_orders", None, "at most 100"
    ),
    "101-cancels": Bad((), range(1, 102), "cancel_order_ids", None, "at most 100"),
    "empty-batch": Bad((), (), "create_orders", None, "the batch is empty"),
    # duplicates
    "duplicate-client-order-id": Bad(
        [wire("a"), wire("b"), wire("a")], (), "client_order_id", 2, "used by create_orders[0]"
    ),
    "duplicate-cancel-id": Bad(
        (), [5, 6, 5], "cancel_order_ids[2]", None, "already listed at cancel_order_ids[0]"
    ),
    # enums
    "side-lower-case": Bad(at(1, order_side="buy"), (), "order_side", 1, "values are upper case"),
    "type-unknown": Bad(at(0, order_type="STOP"), (), "order_type", 0, "not one of LIMIT, MARKET"),
    "position-side-unknown": Bad(at(2, position_side="BOTH"), (), "position_side", 2, "LONG"),
    "time-in-force-unknown": Bad(at(1, time_in_force="DAY"), (), "time_in_force", 1, "GTX"),
    "enum-of-another-field": Bad(
        at(0, order_side=PositionSide.LONG), (), "order_side", 0, "not one of BUY, SELL"
    ),
    # numbers that are not finite, positive decimals
    "nan-float": Bad(at(3, price=math.nan), (), "price", 3, "finite"),
    "nan-decimal": Bad(at(1, orig_qty=Decimal("NaN")), (), "orig_qty", 1, "finite"),
    "signalling-nan": Bad(at(0, trigger_stop_price=Decimal("sNaN")), (), "trigger_stop_price", 0),
    "infinity-float": Bad(at(1, price=math.inf), (), "price", 1, "finite"),
    "infinity-string": Bad(at(0, trigger_profit_price="Infinity"), (), "trigger_profit_price", 0),
    "negative-quantity": Bad(at(2, orig_qty="-1"), (), "orig_qty", 2, "greater than zero"),
    "zero-quantity": Bad(at(0, orig_qty=0), (), "orig_qty", 0, "greater than zero"),
    "zero-price": Bad(at(1, price=Decimal("0.000")), (), "price", 1, "greater than zero"),
    "negative-zero": Bad(at(0, orig_qty="-0"), (), "orig_qty", 0, "greater than zero"),
    "limit-without-price": Bad(at(4, price=None), (), "price", 4, "LIMIT order needs a price"),
    "float-noise-0.1+0.2": Bad(at(1, price=0.1 + 0.2), (), "price", 1, "such as '0.3'"),
    "float-noise-1.1*3": Bad(at(0, trigger_stop_price=1.1 * 3), (), "trigger_stop_price", 0),
    "huge-exponent": Bad(at(0, orig_qty="1E+999999999"), (), "orig_qty", 0, "plain notation"),
    "not-a-number": Bad(at(1, price="39000,1"), (), "price", 1, "not a decimal number"),
    "empty-price": Bad(at(0, price=""), (), "price", 0, "not a decimal number"),
    # order ids
    "cancel-id-2**63": Bad((), [1, 2**63], "cancel_order_ids[1]", None, "between 1 and 2**63-1"),
    "cancel-id-2**64": Bad((), [2**64], "cancel_order_ids[0]", None, "between 1 and 2**63-1"),
    "cancel-id-zero": Bad((), [0], "cancel_order_ids[0]", None, "between 1 and 2**63-1"),
    "cancel-id-negative": Bad((), [7, -7], "cancel_order_ids[1]", None, "between 1"),
    # wrong types
    "cancel-id-str": Bad((), ["100002"], "cancel_order_ids[0]", None, "expected an int"),
    "cancel-id-bool": Bad((), [True], "cancel_order_ids[0]", None, "got bool"),
    "cancel-id-float": Bad((), [100002.0], "cancel_order_ids[0]", None, "got float"),
    "quantity-bool": Bad(at(1, orig_qty=True), (), "orig_qty", 1, "got bool"),
    "quantity-list": Bad(at(0, orig_qty=[1]), (), "orig_qty", 0, "got list"),
    "client-order-id-int": Bad(at(2, client_order_id=123), (), "client_order_id", 2, "got int"),
    "item-not-an-order": Bad([wire("a"), 42], (), "order", 1, "got int"),
    "orders-a-string": Bad("orders", [1], "create_orders", None, "got str"),
    "one-order-not-in-a-list": Bad(wire("a"), (), "create_orders", None, "put it in a list"),
    "cancel-ids-none": Bad([wire("a")], None, "cancel_order_ids", None, "got NoneType"),
    "create-order-first-str": Bad((), [1], "create_order_first", None, "expected a bool", "yes"),
    # strings
    "empty-client-order-id": Bad(at(1, client_order_id=""), (), "client_order_id", 1, "empty"),
    "blank-symbol": Bad(at(0, symbol="   "), (), "symbol", 0, "must not be empty"),
    "lone-surrogate": Bad(at(1, client_order_id="q-\ud800"), (), "client_order_id", 1, "UTF-8"),
    # mappings
    "unknown-field": Bad([wire("a"), {**wire("b"), "qty": 1}], (), "qty", 1, "not a field"),
    "missing-field": Bad(at(1, symbol=None), (), "symbol", 1, "is required"),
    "field-given-twice": Bad(
        [{**wire("a"), "clientOrderId": "a"}], (), "client_order_id", 0, "given twice"
    ),
}


@pytest.mark.parametrize("bad", BATCHES.values(), ids=BATCHES.keys())
def test_bad_batches_are_refused_before_sending(
    sandbox: RunningSandbox, make_desk: MakeDesk, bad: Bad
) -> None:
    desk = make_desk()
    with pytest.raises(ValidationError) as error:
        desk.batch(
            bad.create_orders, bad.cancel_order_ids, create_order_first=bad.create_order_first
        )
    problems = [p for p in error.value.problems if (p.field, p.index) == (bad.field, bad.index)]
    assert problems, error.value.problems
    where = bad.field if bad.index is None else f"create_orders[{bad.index}].{bad.field}"
    assert f"{where}: " in str(error.value)
    assert bad.says in problems[0].message
    assert "nothing was sent" in str(error.value)
    assert desk.attempts == 0
    assert no_traffic(sandbox.stats())


def test_every_problem_is_listed_at_once(sandbox: RunningSandbox, make_desk: MakeDesk) -> None:
    desk = make_desk()
    batch = [wire("a"), wire("b", price=0.1 + 0.2, orig_qty=0), wire("a", order_side="SIDEWAYS")]
    with pytest.raises(ValidationError) as error:
        desk.batch(batch, [0, 3, 3])
    assert {(p.field, p.index) for p in error.value.problems} == {
        ("price", 1),
        ("orig_qty", 1),
        ("order_side", 2),
        ("cancel_order_ids[0]", None),
        ("cancel_order_ids[2]", None),
    }
    assert str(error.value).startswith("5 problems in the batch; nothing was sent")
    assert desk.attempts == 0
    assert no_traffic(sandbox.stats())


def test_an_order_object_is_refused_when_built(sandbox: RunningSandbox) -> None:
    with pytest.raises(ValidationError) as error:
        order("x", orig_qty="-3", price=None)
    assert [(p.field, p.index) for p in error.value.problems] == [
        ("orig_qty", None),
        ("price", None),
    ]
    assert no_traffic(sandbox.stats())


# --- configuration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadOption:
    options: dict[str, Any]
    says: str


OPTIONS: dict[str, BadOption] = {
    "encoding-xml": BadOption({"encoding": "xml"}, "encoding 'xml' is not one of json, form"),
    "encoding-upper-case": BadOption({"encoding": "JSON"}, "encoding 'JSON'"),
    "base-url-ftp": BadOption({"base_url": "ftp://127.0.0.1"}, "base_url 'ftp://127.0.0.1'"),
    "base-url-unknown-preset": BadOption({"base_url": "prod"}, "base_url 'prod' is neither"),
    "base-url-empty": BadOption({"base_url": ""}, "base_url is missing"),
    "base-url-bad-port": BadOption({"base_url": "http://127.0.0.1:99999"}, "invalid port"),
    "base-url-query": BadOption({"base_url": "http://127.0.0.1:1/?a=1"}, "query"),
    "api-key-missing": BadOption({"api_key": None}, "api_key is missing"),
    "api-key-blank": BadOption({"api_key": "  "}, "api_key is missing"),
    "api-key-int": BadOption({"api_key": 1234}, "api_key must be a str"),
    "api-key-newline": BadOption({"api_key": API_KEY + "\n"}, "api_key contains whitespace"),
    "api-key-non-ascii": BadOption({"api_key": "clé-api"}, "api_key contains non-ASCII"),
    "secret-key-missing": BadOption({"secret_key": None}, "secret_key is missing"),
    "secret-key-padded": BadOption({"secret_key": f" {SECRET_KEY} "}, "secret_key contains"),
    "recv-window-zero": BadOption({"recv_window_ms": 0}, "recv_window_ms must be an int"),
    "recv-window-too-big": BadOption({"recv_window_ms": 60001}, "from 1 to 60000"),
    "recv-window-bool": BadOption({"recv_window_ms": True}, "recv_window_ms"),
    "recv-window-str": BadOption({"recv_window_ms": "5000"}, "recv_window_ms"),
    "max-retries-negative": BadOption({"max_retries": -1}, "max_retries must be an int >= 0"),
    "retry-backoff-negative": BadOption({"retry_backoff_s": -1}, "retry_backoff_s must be"),
    "retry-wait-nan": BadOption({"max_retry_wait_s": math.nan}, "max_retry_wait_s must be"),
    "timeout-negative": BadOption({"timeout": -1}, "timeout must be"),
    "timeout-str": BadOption({"timeout": "5"}, "timeout must be"),
    "clock-offset-float": BadOption({"clock_offset_ms": 1.5}, "clock_offset_ms must be an int"),
    "header-prefix": BadOption({"header_prefix": "x-"}, "header_prefix 'x-'"),
}


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
@pytest.mark.parametrize("bad", OPTIONS.values(), ids=OPTIONS.keys())
def test_bad_configuration_is_refused_when_the_client_is_built(
    sandbox: RunningSandbox,
    monkeypatch: pytest.MonkeyPatch,
    client_class: Callable[..., Client | AsyncClient],
    bad: BadOption,
) -> None:
    monkeypatch.delenv("AZ_API_KEY", raising=False)
    monkeypatch.delenv("AZ_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError) as error:
        client_class(**client_options(sandbox, **bad.options))
    assert bad.says in str(error.value)
    assert no_traffic(sandbox.stats())


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"requests": 0}, "RateLimit.requests must be at least 1"),
        ({"requests": "200"}, "RateLimit.requests must be an int"),
        ({"requests": 1.5}, "RateLimit.requests must be an int"),
        ({"per_seconds": math.inf}, "RateLimit.per_seconds must be positive and finite"),
        ({"max_wait_s": math.nan}, "RateLimit.max_wait_s"),
    ],
)
def test_bad_rate_limits_are_refused(
    sandbox: RunningSandbox, settings: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigurationError, match=says.replace(".", r"\.")):
        RateLimit(**settings)
    assert no_traffic(sandbox.stats())
