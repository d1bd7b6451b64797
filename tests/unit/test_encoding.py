"""The wrapper's bodies are byte for byte what the generated client sends for the same batch."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

import httpx
import pytest
from az_futures import Batch, build_batch
from az_futures._encoding import encode, encode_form, encode_json
from az_futures_client import AuthenticatedClient
from az_futures_client.api.trade import batch_orders
from az_futures_client.models import BatchOrderForm, BatchOrderRequest, OrderCreate
from az_futures_client.types import UNSET

from .helpers import order

BATCHES = [
    build_batch([order("a"), order("b", order_type="MARKET", price=None)], [1, 2**63 - 1]),
    build_batch([order("ü-ñ", symbol="eth_usdt", trigger_profit_price="41000.50")]),
    build_batch(cancel_order_ids=[100002], create_order_first=False),
    # Text every form quoting rule touches, in ASCII and non-ASCII orders side by side.
    build_batch([order("a b%+&=~"), order("ü €"), order("plain")], [7]),
]


def _generated_bytes(batch: Batch, form: bool) -> tuple[bytes, str]:
    """What the generated endpoint sends for `batch` (empty lists left out, as the SDK does)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = AuthenticatedClient(base_url="http://h", token="unused")
    client.set_httpx_client(
        httpx.Client(base_url="http://h", transport=httpx.MockTransport(answer))
    )
    orders = [OrderCreate.from_dict(o.to_wire()) for o in batch.create_orders]
    ids = list(batch.cancel_order_ids)
    model = BatchOrderForm if form else BatchOrderRequest
    body = model(
        create_order_first=batch.create_order_first,
        create_orders=orders or UNSET,
        cancel_order_ids=ids or UNSET,
    )
    batch_orders.sync_detailed(client=client, body=body)
    assert seen[0].url.path == batch_orders.PATH
    return seen[0].content, seen[0].headers["content-type"]


@pytest.mark.parametrize("batch", BATCHES)
def test_json_matches_the_generated_client(batch: Batch) -> None:
    ours = encode_json(batch.to_wire())
    theirs, content_type = _generated_bytes(batch, form=False)
    assert ours == theirs
    assert encode(batch.to_wire(), "json") == (ours, content_type)


@pytest.mark.parametrize("batch", BATCHES)
def test_form_matches_the_generated_client(batch: Batch) -> None:
    ours = encode_form(batch.to_wire())
    as_json = json.loads(encode_json(batch.to_wire()))
    theirs, content_type = _generated_bytes(batch, form=True)
    assert ours == theirs
    assert encode(batch.to_wire(), "form") == (ours, content_type)
    decoded = {k: json.loads(v) for k, v in parse_qsl(ours.decode(), strict_parsing=True)}
    assert decoded == as_json


def test_exact_decimals_on_the_wire() -> None:
    batch = build_batch([order(price="39000.10", orig_qty="0.00000001")])
    sent = json.loads(encode_json(batch.to_wire()))["createOrders"][0]
    assert (sent["price"], sent["origQty"]) == ("39000.10", "0.00000001")
