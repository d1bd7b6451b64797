"""Property: whatever valid batch a desk builds, the exchange stores exactly the orders meant.

Hypothesis generates batches (decimals with many digits and wide exponents, given as Decimal, str
in plain or scientific notation, int or float; unicode client order ids and symbols; every enum;
optional fields present or not; cancel ids up to 2**63-1), in both encodings and both header
spellings. The sandbox's verifier, which shares no code with the SDK's signer, must accept every
signature, and its order book must hold exactly those orders with exactly equal decimals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from az_futures import Client, Order, ValidationError
from az_futures.sandbox import RunningSandbox
from az_futures.sandbox._exchange import FIRST_ORDER_ID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import fresh
from tests.reliability.helpers import API_KEY, client_options

MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class Meant:
    """What the desk meant by one order: the values the exchange must store."""

    client_order_id: str
    symbol: str
    order_side: str
    order_type: str
    orig_qty: Decimal
    position_side: str
    time_in_force: str
    price: Decimal | None
    trigger_profit_price: Decimal | None
    trigger_stop_price: Decimal | None


def exact_decimals() -> st.SearchStrategy[Decimal]:
    """Positive decimals of up to 40 digits with exponents from -55 to +55 (at most 100 digits
    in plain notation, the SDK's bound), trailing zeros kept."""
    return st.builds(
        lambda digits, exponent: Decimal((0, tuple(int(d) for d in str(digits)), exponent)),
        st.integers(1, 10**40 - 1),
        st.integers(-55, 55),
    )


@st.composite
def decimal_inputs(draw: st.DrawFn) -> tuple[Any, Decimal]:
    """(what the desk passes, the exact decimal that means)."""
    exact = draw(exact_decimals())
    form = draw(st.sampled_from(["decimal", "str", "plain", "sci", "int", "float"]))
    if form == "str":
        return str(exact), exact
    if form == "plain":
        return format(exact, "f"), exact
    if form == "sci":
        return format(exact, "e"), exact
    if form == "int" and exact == exact.to_integral_value():
        return int(exact), exact
    if form == "float" and len(exact.normalize().as_tuple().digits) <= 15:
        value = float(exact)
        return value, Decimal(repr(value))  # a float is taken through its shortest repr
    return exact, exact


texts = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=24).filter(
    lambda text: text.strip() != ""
)


@st.composite
def orders(draw: st.DrawFn, client_order_id: str) -> tuple[Order | dict[str, Any], Meant]:
    order_type = draw(st.sampled_from(["LIMIT", "MARKET"]))
    qty, qty_meant = draw(decimal_inputs())
    price_given = order_type == "LIMIT" or draw(st.booleans())
    price, price_meant = draw(decimal_inputs()) if price_given else (None, None)
    tp, tp_meant = draw(st.one_of(st.just((None, None)), decimal_inputs()))
    sl, sl_meant = draw(st.one_of(st.just((None, None)), decimal_inputs()))
    tif = draw(st.sampled_from([None, "GTC", "IOC", "FOK", "GTX"]))
    fields: dict[str, Any] = {
        "client_order_id": client_order_id,
        "symbol": draw(texts),
        "order_side": draw(st.sampled_from(["BUY", "SELL"])),
        "order_type": order_type,
        "orig_qty": qty,
        "position_side": draw(st.sampled_from(["LONG", "SHORT"])),
        "price": price,
        "time_in_force": tif,
        "trigger_profit_price": tp,
        "trigger_stop_price": sl,
    }
    meant = Meant(
        client_order_id=client_order_id,
        symbol=fields["symbol"],
        order_side=fields["order_side"],
        order_type=order_type,
        orig_qty=qty_meant,
        position_side=fields["position_side"],
        time_in_force=tif or "GTC",
        price=price_meant,
        trigger_profit_price=tp_meant,
        trigger_stop_price=sl_meant,
    )
    present = {name: value for name, value in fields.items() if value is not None}
    # Orders as objects, or as mappings (whose absent optional fields are simply left out).
    given_as: Order | dict[str, Any] = Order(**present) if draw(st.booleans()) else present
    return given_as, meant


@st.composite
def batches(draw: st.DrawFn) -> tuple[list[Order | dict[str, Any]], list[Meant], list[int], bool]:
    client_order_ids = draw(st.lists(texts, max_size=6, unique=True))
    drawn = [draw(orders(cid)) for cid in client_order_ids]
    # Ids the sandbox is about to give this batch's orders are left out, so every cancel is of an
    # order that does not exist.
    cancel_ids = draw(
        st.lists(
            st.one_of(st.integers(1, MAX_ID), st.just(MAX_ID)).filter(
                lambda i: not FIRST_ORDER_ID <= i < FIRST_ORDER_ID + 100
            ),
            max_size=6,
            unique=True,
            min_size=0 if drawn else 1,
        )
    )
    return [g for g, _ in drawn], [m for _, m in drawn], cancel_ids, draw(st.booleans())


@pytest.fixture(scope="module")
def clients(shared_sandbox: RunningSandbox) -> Iterator[dict[tuple[str, str], Client]]:
    made = {
        (encoding, prefix): Client(
            **client_options(shared_sandbox, encoding=encoding, header_prefix=prefix)
        )
        for encoding in ("json", "form")
        for prefix in ("validate-", "xt-validate-")
    }
    yield made
    for client in made.values():
        client.close()


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_the_exchange_stores_exactly_the_orders_meant(
    shared_sandbox: RunningSandbox, clients: dict[tuple[str, str], Client], encoding: str
) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(batch=batches(), prefix=st.sampled_from(["validate-", "xt-validate-"]))
    def check(
        batch: tuple[list[Order | dict[str, Any]], list[Meant], list[int], bool], prefix: str
    ) -> None:
        given_orders, meant, cancel_ids, create_first = batch
        sandbox = fresh(shared_sandbox)
        client = clients[encoding, prefix]
        texts = [t for m in meant for t in (m.client_order_id, m.symbol)]
        if encoding == "form" and any(set(t) & set(" &=%+;") for t in texts):
            # A form body carries no text that would need an escape: refused, nothing sent.
            with pytest.raises(ValidationError, match="encoding='json'"):
                client.batch_orders(given_orders, cancel_ids, create_order_first=create_first)
            assert sandbox.stats().key(API_KEY).requests == 0
            return
        result = client.batch_orders(given_orders, cancel_ids, create_order_first=create_first)

        stats = sandbox.stats().key(API_KEY)
        assert (stats.auth_failures, stats.requests, stats.batches) == (0, 1, 1)
        assert [r.client_order_id for r in result.created] == [m.client_order_id for m in meant]
        assert all(r.ok for r in result.created)
        assert [r.order_id for r in result.cancelled] == cancel_ids
        assert all(r.raw_state == "PLATFORM_REJECT" for r in result.cancelled)

        stored = sandbox.exchange.orders(API_KEY)
        assert len(stored) == len(meant)
        by_id = {o.client_order_id: o for o in stored}
        for want, placed in zip(meant, result.created, strict=True):
            got = by_id[want.client_order_id]
            assert got.order_id == placed.order_id
            assert (got.symbol, got.order_side, got.order_type, got.position_side) == (
                want.symbol,
                want.order_side,
                want.order_type,
                want.position_side,
            )
            assert got.time_in_force == want.time_in_force
            # Decimal equality is exact: no rounding, no float on the way.
            assert got.orig_qty == want.orig_qty
            assert got.price == want.price
            assert got.trigger_profit_price == want.trigger_profit_price
            assert got.trigger_stop_price == want.trigger_stop_price

    check()
