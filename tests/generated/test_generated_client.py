"""The generated client on its own sends correct JSON and form requests and parses the envelopes.

These tests pin the generator fixes made through `codegen/` (distinct body schemas per content type,
form lists as JSON text, a required body): if a regeneration loses one, a test here fails.
"""

from __future__ import annotations

import inspect
import json
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from az_futures_client import AuthenticatedClient
from az_futures_client.api.trade import batch_orders
from az_futures_client.models import (
    BatchOrderForm,
    BatchOrderRequest,
    BatchOrderResponse,
    ErrorResponse,
    OrderCreate,
    OrderSide,
    OrderType,
    PositionSide,
    TimeInForce,
)
from az_futures_client.types import Unset

from tests.spec_loader import example

BASE_URL = "http://127.0.0.1:8080"
PATH = "/az/future/trade/v1/order/batch"

ORDER_WIRE = {
    "clientOrderId": "abc123",
    "symbol": "btc_usdt",
    "orderSide": "BUY",
    "orderType": "LIMIT",
    "origQty": "1",
    "positionSide": "LONG",
    "price": "39000.1",
    "timeInForce": "GTC",
}


def _order() -> OrderCreate:
    return OrderCreate(
        client_order_id="abc123",
        symbol="btc_usdt",
        order_side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        orig_qty="1",
        position_side=PositionSide.LONG,
        price="39000.1",
        time_in_force=TimeInForce.GTC,
    )


def _client(handler: Any) -> AuthenticatedClient:
    client = AuthenticatedClient(base_url=BASE_URL, token="unused")
    client.set_httpx_client(
        httpx.Client(base_url=BASE_URL, transport=httpx.MockTransport(handler))
    )
    return client


def _send(body: BatchOrderRequest | BatchOrderForm) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=example("BatchOrderSuccess"))

    batch_orders.sync_detailed(client=_client(handler), body=body)
    assert len(seen) == 1
    return seen[0]


def test_json_body_is_compact_json_of_the_batch() -> None:
    request = _send(
        BatchOrderRequest(create_order_first=True, create_orders=[_order()], cancel_order_ids=[100002])
    )
    assert request.method == "POST"
    assert request.url.path == PATH
    assert request.headers["content-type"] == "application/json"
    expected = {"createOrderFirst": True, "createOrders": [ORDER_WIRE], "cancelOrderIds": [100002]}
    assert json.loads(request.content) == expected
    assert request.content == json.dumps(expected, separators=(",", ":")).encode()


def test_form_body_carries_each_list_as_json_text() -> None:
    request = _send(
        BatchOrderForm(create_order_first=False, create_orders=[_order()], cancel_order_ids=[100002, 7])
    )
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    fields = parse_qsl(request.content.decode(), keep_blank_values=True, strict_parsing=True)
    names = [name for name, _ in fields]
    assert sorted(names) == ["cancelOrderIds", "createOrderFirst", "createOrders"]  # no repeats
    values = dict(fields)
    assert values["createOrderFirst"] == "false"
    assert json.loads(values["createOrders"]) == [ORDER_WIRE]
    assert values["createOrders"] == json.dumps([ORDER_WIRE], separators=(",", ":"))
    assert values["cancelOrderIds"] == "[100002,7]"
    assert "{'" not in request.content.decode()  # no Python repr of a dict


def test_json_and_form_carry_the_same_batch() -> None:
    as_json = _send(BatchOrderRequest(create_orders=[_order()], cancel_order_ids=[5]))
    as_form = _send(BatchOrderForm(create_orders=[_order()], cancel_order_ids=[5]))
    form = dict(parse_qsl(as_form.content.decode()))
    decoded_form = {key: json.loads(value) for key, value in form.items()}
    assert decoded_form == json.loads(as_json.content)


def test_body_is_required() -> None:
    parameter = inspect.signature(batch_orders.sync_detailed).parameters["body"]
    assert parameter.default is inspect.Parameter.empty
    with pytest.raises(TypeError):
        batch_orders.sync_detailed(client=_client(lambda r: httpx.Response(200)))  # type: ignore[call-arg]


def test_parses_the_seed_success_example() -> None:
    client = _client(lambda request: httpx.Response(200, json=example("BatchOrderSuccess")))
    parsed = batch_orders.sync(client=client, body=BatchOrderRequest(cancel_order_ids=[100002]))
    assert isinstance(parsed, BatchOrderResponse)
    assert parsed.return_code == 0
    assert parsed.msg_info == "success"
    assert not isinstance(parsed.result, Unset) and parsed.result is not None
    created = parsed.result.create_orders_response
    cancelled = parsed.result.cancel_orders_response
    assert not isinstance(created, Unset) and not isinstance(cancelled, Unset)
    assert (created[0].client_order_id, created[0].order_id, created[0].create_state) == (
        "abc123",
        100001,
        1,
    )
    assert (cancelled[0].cancel_order_id, cancelled[0].cancel_state) == (100002, 1)


def test_parses_string_states_and_a_null_order_id() -> None:
    body = example("BatchOrderSuccessStringStates")
    client = _client(lambda request: httpx.Response(200, json=body))
    parsed = batch_orders.sync(client=client, body=BatchOrderRequest(cancel_order_ids=[1]))
    assert isinstance(parsed, BatchOrderResponse)
    assert parsed.error is None
    assert parsed.result is not None and not isinstance(parsed.result, Unset)
    created = parsed.result.create_orders_response
    assert not isinstance(created, Unset)
    assert [(c.create_state, c.order_id) for c in created] == [
        ("OK", 100001),
        ("INSUFFICIENT_BALANCE", None),
    ]


@pytest.mark.parametrize("status", [200, 403])
def test_parses_the_failure_envelope(status: int) -> None:
    client = _client(lambda request: httpx.Response(status, json=example("InvalidSignature")))
    parsed = batch_orders.sync(client=client, body=BatchOrderRequest(cancel_order_ids=[1]))
    assert isinstance(parsed, BatchOrderResponse if status == 200 else ErrorResponse)
    assert parsed.return_code == 1
    assert parsed.error is not None and not isinstance(parsed.error, Unset)
    assert (parsed.error.code, parsed.error.msg) == ("403", "invalid signature")
    assert parsed.result is None


async def _async_send(body: BatchOrderRequest | BatchOrderForm) -> httpx.Request:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=example("BatchOrderSuccess"))

    client = AuthenticatedClient(base_url=BASE_URL, token="unused")
    client.set_async_httpx_client(
        httpx.AsyncClient(base_url=BASE_URL, transport=httpx.MockTransport(handler))
    )
    await batch_orders.asyncio_detailed(client=client, body=body)
    return seen[0]


def test_async_endpoint_sends_the_same_bytes() -> None:
    import asyncio

    body = BatchOrderForm(create_orders=[_order()], cancel_order_ids=[100002])
    assert asyncio.run(_async_send(body)).content == _send(body).content
