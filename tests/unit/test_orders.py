"""Orders and batches: exact decimals, the float policy, and every rule checked before sending."""

from __future__ import annotations

import pickle
from decimal import Decimal
from typing import Any

import pytest
from az_futures import (
    Order,
    OrderSide,
    OrderType,
    PositionSide,
    Problem,
    TimeInForce,
    ValidationError,
    build_batch,
)
from az_futures._orders import _check
from az_futures_client.models import OrderCreate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import order, order_fields


def _problems(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [str(p) for p in error.value.problems]


def test_order_keeps_exact_decimals_and_wire_form() -> None:
    o = order(price="39000.1", orig_qty=3, trigger_stop_price=Decimal("1E+3"), time_in_force="GTX")
    assert o.price == Decimal("39000.1")
    assert o.orig_qty == Decimal(3)
    assert o.order_side is OrderSide.BUY and o.time_in_force is TimeInForce.GTX
    assert o.to_wire() == {
        "clientOrderId": "o-1",
        "symbol": "btc_usdt",
        "orderSide": "BUY",
        "orderType": "LIMIT",
        "origQty": "3",
        "positionSide": "LONG",
        "price": "39000.1",
        "timeInForce": "GTX",
        "triggerStopPrice": "1000",
    }


@pytest.mark.parametrize(
    ("given", "wire"),
    [(39000.1, "39000.1"), (0.1, "0.1"), (1e-7, "0.0000001"), (123456789.12345, "123456789.12345")],
)
def test_floats_go_through_their_shortest_repr(given: float, wire: str) -> None:
    assert order(price=given).to_wire()["price"] == wire


@pytest.mark.parametrize("noisy", [0.1 + 0.2, 1 / 3, 39000.1 * 3])
def test_floats_with_rounding_noise_are_refused(noisy: float) -> None:
    with pytest.raises(ValidationError) as error:
        order(price=noisy)
    assert "binary rounding noise" in str(error.value)
    assert error.value.problems[0].field == "price"


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        ({"price": float("nan")}, "price", "finite"),
        ({"price": float("inf")}, "price", "finite"),
        ({"price": "NaN"}, "price", "finite"),
        ({"price": "-1"}, "price", "greater than zero"),
        ({"orig_qty": 0}, "orig_qty", "greater than zero"),
        ({"orig_qty": "abc"}, "orig_qty", "not a decimal"),
        ({"orig_qty": True}, "orig_qty", "got bool"),
        ({"order_side": "buy"}, "order_side", "upper case"),
        ({"order_type": "STOP"}, "order_type", "not one of LIMIT, MARKET"),
        ({"position_side": 1}, "position_side", "got int"),
        ({"time_in_force": "DAY"}, "time_in_force", "FOK, GTC, GTX, IOC"),
        ({"client_order_id": ""}, "client_order_id", "empty"),
        ({"symbol": "   "}, "symbol", "empty"),
        ({"client_order_id": "a\x00b"}, "client_order_id", "control character"),
        ({"symbol": "btc\x1busdt"}, "symbol", "control character"),
        ({"client_order_id": "q\x85"}, "client_order_id", "control character"),
        ({"symbol": 5}, "symbol", "got int"),
        ({"price": None}, "price", "LIMIT order needs a price"),
    ],
)
def test_bad_order_fields(changes: dict[str, Any], field: str, fragment: str) -> None:
    with pytest.raises(ValidationError) as error:
        order(**changes)
    assert [p.field for p in error.value.problems] == [field]
    assert fragment in str(error.value)


def test_market_order_needs_no_price() -> None:
    o = order(order_type=OrderType.MARKET, price=None)
    assert "price" not in o.to_wire()


def test_all_problems_of_one_order_at_once() -> None:
    with pytest.raises(ValidationError) as error:
        Order(
            client_order_id="",
            symbol="",
            order_side="X",
            order_type="LIMIT",
            orig_qty=-1,
            position_side=PositionSide.LONG,
        )
    assert {p.field for p in error.value.problems} == {
        "client_order_id",
        "symbol",
        "order_side",
        "orig_qty",
        "price",
    }


def test_order_is_immutable_hashable_and_picklable() -> None:
    o = order()
    with pytest.raises(AttributeError, match="immutable"):
        o.price = Decimal(1)  # type: ignore[misc]
    assert o == order() and hash(o) == hash(order())
    assert o.replace(price="40000").price == Decimal(40000)
    assert pickle.loads(pickle.dumps(o)) == o
    assert "39000.1" in repr(o)


def test_from_mapping_takes_both_spellings_and_refuses_unknown_keys() -> None:
    wire = order().to_wire()
    assert Order.from_mapping(wire) == order()
    snake = {"client_order_id": "o-1", "symbol": "btc_usdt", "order_side": "BUY"}
    snake |= {"order_type": "LIMIT", "orig_qty": "1", "price": "39000.1", "position_side": "LONG"}
    assert Order.from_mapping(snake) == order()
    with pytest.raises(ValidationError) as error:
        Order.from_mapping({**wire, "prise": "1"})
    assert _problems(error) == ["prise: is not a field of an order"]
    with pytest.raises(ValidationError) as error:
        Order.from_mapping({"symbol": "x"})
    assert "client_order_id: is required" in _problems(error)


def test_batch_lists_every_problem_with_its_index() -> None:
    with pytest.raises(ValidationError) as error:
        build_batch(
            [order("a"), order("a"), {"clientOrderId": "c", "price": "x"}, 7],
            [5, 5, 0, 2**63, "9"],  # type: ignore[list-item]
        )
    found = _problems(error)
    assert "create_orders[1].client_order_id: 'a' is already used by create_orders[0]" in found
    assert "create_orders[2].price: 'x' is not a decimal number" in found
    assert "create_orders[2].symbol: is required" in found
    assert "create_orders[3].order: expected an az_futures.Order or a mapping, got int" in found
    assert "cancel_order_ids[1]: 5 is already listed at cancel_order_ids[0]" in found
    assert any(p.startswith("cancel_order_ids[2]: must be between 1") for p in found)
    assert any(p.startswith("cancel_order_ids[3]: must be between 1") for p in found)
    assert "cancel_order_ids[4]: expected an int order id, got str" in found
    assert str(error.value).startswith(f"{len(found)} problems in the batch; nothing was sent")


def test_batch_size_limits() -> None:
    build_batch([order(f"o-{i}") for i in range(100)], range(1, 101))
    with pytest.raises(ValidationError, match="101 orders; a batch holds at most 100"):
        build_batch([order(f"o-{i}") for i in range(101)])
    with pytest.raises(ValidationError, match="101 ids; a batch cancels at most 100"):
        build_batch(cancel_order_ids=range(1, 102))
    with pytest.raises(ValidationError, match="the batch is empty"):
        build_batch()
    with pytest.raises(ValidationError, match="create_order_first: expected a bool"):
        build_batch(cancel_order_ids=[1], create_order_first="yes")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="expected a list of orders"):
        build_batch("orders")  # type: ignore[arg-type]


def test_problem_str() -> None:
    assert str(Problem("price", "bad", 3)) == "create_orders[3].price: bad"
    assert str(Problem("cancel_order_ids", "bad")) == "cancel_order_ids: bad"


def test_rebuilding_from_the_wire_gives_the_same_order() -> None:
    """The bulk runner's spool rebuilds orders from their wire form, through the one path."""
    orders = [
        order(),
        order(order_type="MARKET", price=None, time_in_force="IOC"),
        order(price=39000.1, orig_qty=Decimal("1E+3"), trigger_profit_price="41000.50"),
        order(client_order_id="ü-ñ", trigger_stop_price=7, position_side="SHORT"),
    ]
    for original in orders:
        rebuilt = Order.from_mapping(original.to_wire())
        assert rebuilt == original
        assert rebuilt.to_wire() == original.to_wire()
        assert hash(rebuilt) == hash(original)
        assert pickle.loads(pickle.dumps(original)) == original
        assert Order(**original.to_dict()) == original


def test_an_order_has_exactly_the_specs_fields() -> None:
    o = order()
    assert o.time_in_force is None
    with pytest.raises(AttributeError):
        o.clientOrderId  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="immutable"):
        o.price = Decimal(1)  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del o.price  # type: ignore[misc]
    assert {name for name in dir(Order) if not name.startswith("_")} >= {
        f.python_name for f in OrderCreate.FIELDS
    }


_texts = st.one_of(
    st.text(max_size=6),
    st.sampled_from(["o-1", "btc_usdt", " ", "", 'q"\\\x7f\t', "ü", "\ud800"]),
    st.integers(),
    st.none(),
)
_decimals = st.one_of(
    st.sampled_from(["1", "0", "0.5", "39000.10", "00.5", " 1", "+1", "1e3", "1_0", "-1", "NaN"]),
    st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,4})?", fullmatch=True),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.integers(min_value=-2, max_value=10**101),
    st.floats(allow_nan=True),
    st.booleans(),
    st.none(),
    st.just("9" * 101),
)


def _choices(values: list[str]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from([*values, "buy", "", "X"]), st.integers(), st.none())


@settings(max_examples=1500, suppress_health_check=list(HealthCheck), deadline=None)
@given(
    st.fixed_dictionaries(
        {
            "client_order_id": _texts,
            "symbol": _texts,
            "order_side": _choices(["BUY", "SELL"]),
            "order_type": _choices(["LIMIT", "MARKET"]),
            "orig_qty": _decimals,
            "position_side": _choices(["LONG", "SHORT", "BOTH"]),
            "price": _decimals,
            "time_in_force": _choices(["GTC", "IOC", "FOK", "GTX"]),
            "trigger_profit_price": _decimals,
            "trigger_stop_price": _decimals,
        }
    )
)
def test_every_spelling_builds_the_same_order_as_the_generated_model_reads_it(
    fields: dict[str, Any],
) -> None:
    # The compiled constructor's quick checks against the general, table-driven ones (`_check`):
    # the same wire form, or the same problems.
    try:
        reference: dict[str, Any] | tuple[Problem, ...] = _check(dict(fields))
    except ValidationError as error:
        reference = error.problems
    try:
        built: dict[str, Any] | tuple[Problem, ...] = Order(**fields).to_wire()
    except ValidationError as error:
        built = error.problems
    assert built == reference
    if isinstance(built, dict):
        assert list(built) == list(reference)
    """Python names, exchange names and keywords give the same order or the same problems; a
    valid order's wire form is what the generated `OrderCreate` reads and writes back, in its
    field order, with the values the order holds."""
    wire_names = {f.wire_name: fields[f.python_name] for f in OrderCreate.FIELDS}
    outcomes: list[Order | tuple[Problem, ...]] = []
    for build in (
        lambda: Order(**fields),
        lambda: Order.from_mapping(fields),
        lambda: Order.from_mapping(wire_names),
    ):
        try:
            outcomes.append(build())
        except ValidationError as error:
            outcomes.append(error.problems)
    assert outcomes[0] == outcomes[1] == outcomes[2]
    got = outcomes[0]
    if isinstance(got, Order):
        wire = got.to_wire()
        generated = OrderCreate.from_dict(wire)
        assert generated.to_dict() == wire
        assert list(generated.to_dict()) == list(wire)
        assert Decimal(generated.orig_qty) == got.orig_qty
        assert generated.order_side == got.order_side
        assert {k: v for k, v in fields.items() if v is not None}.keys() == got.to_dict().keys()
        assert Order(**got.to_dict()) == got


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"orig_qty": 3, "price": "39000.10", "time_in_force": "GTX"},
        {"order_type": "MARKET", "price": None, "trigger_stop_price": "38000.5"},
        {"order_side": OrderSide.SELL, "client_order_id": 'quote "7"'},
    ],
)
def test_plainly_valid_orders_take_the_quick_checks(
    changes: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = _check(order_fields(**changes))
    monkeypatch.setattr("az_futures._orders._check", None)  # any use of it would fail
    built = Order(**order_fields(**changes))
    assert built.to_wire() == expected
    assert built.replace(client_order_id="copy").to_wire() == {**expected, "clientOrderId": "copy"}
    with pytest.raises(TypeError):  # the general checks are reached for anything else
        Order(**order_fields(orig_qty=Decimal("1")))
