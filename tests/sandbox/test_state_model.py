"""The sandbox's order book against a model of the documented states, over random histories.

For one API key, a cancel id gets `OK` if that key has the order open, `ORDER_CANCELED` if that
key's order was already cancelled, and `PLATFORM_REJECT` (the unknown-id answer) otherwise: an id
never issued, one issued to another key, one issued before a reset, or one that the placements of
the same batch issue only after the cancellations ran (`createOrderFirst: false`).
"""

from __future__ import annotations

from decimal import Decimal

from az_futures.sandbox import Exchange, OrderRequest, ReceivedBatch, SandboxConfig
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

KEYS = ("desk-a", "desk-b")


def _request(client_order_id: str) -> OrderRequest:
    return OrderRequest(
        client_order_id=client_order_id,
        symbol="btc_usdt",
        order_side="BUY",
        order_type="LIMIT",
        orig_qty=Decimal(1),
        position_side="LONG",
        price=Decimal("39000.1"),
    )


class OrderBook(RuleBasedStateMachine):
    """Random batches of placements and cancellations on two keys, with resets."""

    def __init__(self) -> None:
        super().__init__()
        self.exchange = Exchange(SandboxConfig(keys={key: key + "-secret" for key in KEYS}))
        self.reset_model()

    def reset_model(self) -> None:
        self.open: dict[str, dict[int, str]] = {key: {} for key in KEYS}  # id -> client id
        self.cancelled: dict[str, set[int]] = {key: set() for key in KEYS}
        self.issued: set[int] = set()
        self.issued_before_reset: set[int] = set()

    def expected(self, key: str, order_id: int) -> str:
        if order_id in self.open[key]:
            return "OK"
        if order_id in self.cancelled[key]:
            return "ORDER_CANCELED"
        return "PLATFORM_REJECT"

    def candidate_ids(self, data: st.DataObject) -> list[int]:
        known = sorted(self.issued | self.issued_before_reset)
        top = max(known, default=100_000)
        pool = st.one_of(
            st.sampled_from(known) if known else st.nothing(),
            st.integers(min_value=1, max_value=top + 5),  # never issued, or about to be
        )
        ids: list[int] = data.draw(st.lists(pool, max_size=6, unique=True), label="cancel ids")
        return ids

    @rule(
        key=st.sampled_from(KEYS),
        names=st.lists(st.sampled_from("abcdef"), max_size=4, unique=True),
        create_first=st.booleans(),
        data=st.data(),
    )
    def batch(self, key: str, names: list[str], create_first: bool, data: st.DataObject) -> None:
        cancel_ids = self.candidate_ids(data)
        if not names and not cancel_ids:
            return
        batch = ReceivedBatch(tuple(_request(n) for n in names), tuple(cancel_ids), create_first)

        def place() -> None:
            for create in result.creates:
                if create.state == "OK":
                    assert create.order_id is not None
                    assert create.order_id not in self.issued
                    self.issued.add(create.order_id)
                    self.open[key][create.order_id] = create.client_order_id

        def cancel() -> None:
            for cancelled in result.cancels:
                assert cancelled.state == self.expected(key, cancelled.order_id), cancelled
                if cancelled.state == "OK":
                    del self.open[key][cancelled.order_id]
                    self.cancelled[key].add(cancelled.order_id)

        open_client_ids = set(self.open[key].values())
        result = self.exchange.process(key, batch)
        # Placements: a client order id open on this key is refused, any other gets a new id.
        refused = {c.client_order_id for c in result.creates if c.state != "OK"}
        if create_first:
            assert refused == open_client_ids & set(names)
            place()
            cancel()
        else:
            cancel()
            now_open = {self.open[key][i] for i in self.open[key]}
            assert refused == now_open & set(names)
            place()
        assert [c.order_id for c in result.cancels] == cancel_ids

    @precondition(lambda self: bool(self.issued))
    @rule()
    def reset(self) -> None:
        self.exchange.reset()
        before = self.issued | self.issued_before_reset
        self.reset_model()
        self.issued_before_reset = before

    @invariant()
    def book_matches_model(self) -> None:
        for key in KEYS:
            stored = {o.order_id: o for o in self.exchange.orders(key)}
            assert {i for i, o in stored.items() if o.state == "OPEN"} == set(self.open[key])
            assert {i for i, o in stored.items() if o.state == "CANCELED"} == self.cancelled[key]


OrderBook.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestOrderBook = OrderBook.TestCase
