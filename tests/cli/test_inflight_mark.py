"""The in-flight mark that the bulk journal relies on, through both clients' `before_send`:
written once per attempt, before the request reaches the exchange, so that a process dying
with the answer outstanding leaves its orders unknown rather than unsent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from az_futures import AsyncClient, Client, Order, OutcomeUnknownError
from az_futures._journal import Journal
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, Faults, RunningSandbox

from .orderfiles import order_row
from .runs import requests


def _send(base_url: str, orders: list[Order], mark: Callable[[], None], use_async: bool) -> None:
    keys = {"api_key": DEMO_API_KEY, "secret_key": DEMO_SECRET_KEY}
    if not use_async:
        with Client(base_url=base_url, **keys) as client:
            client.batch_orders(orders, before_send=mark)
        return

    async def send() -> None:
        async with AsyncClient(base_url=base_url, **keys) as client:
            await client.batch_orders(orders, before_send=mark)

    asyncio.run(send())


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_batch_whose_answer_is_lost_is_marked_in_flight_before_it_leaves(
    sandbox: RunningSandbox, tmp_path: Path, use_async: bool
) -> None:
    sandbox.set_faults(Faults(drop_after_rate=1.0))  # placed, then the connection drops
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.load()
    orders = [Order.from_mapping(order_row(i)) for i in range(3)]
    ids = [order.client_order_id for order in orders]
    seen_by_exchange_at_mark: list[int] = []

    def mark() -> None:
        seen_by_exchange_at_mark.append(requests(sandbox))
        journal.begin(ids, [])

    with pytest.raises(OutcomeUnknownError):
        _send(sandbox.base_url, orders, mark, use_async)
    journal.close(finished=False)  # the process dies before journaling the outcome

    assert seen_by_exchange_at_mark == [0]  # once, before the exchange saw the request
    assert requests(sandbox) == 1
    assert len(sandbox.exchange.orders(DEMO_API_KEY)) == 3
    again = Journal(path)
    state = again.load()
    again.close(finished=True)
    assert state.orders == dict.fromkeys(ids, "unknown")
    assert state.recovered_unknown == 3
