"""Shared helpers for the wrapper's unit tests: a recording mock transport and sample orders."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from az_futures import Order

API_KEY = "test-api-key-0001"
SECRET_KEY = "test-secret-key-0001"
FIXED_MS = 1_700_000_000_000


def order_fields(client_order_id: str = "o-1", **changes: Any) -> dict[str, Any]:
    """The fields (Python names) of a valid LIMIT order, with some changed."""
    fields: dict[str, Any] = {
        "client_order_id": client_order_id,
        "symbol": "btc_usdt",
        "order_side": "BUY",
        "order_type": "LIMIT",
        "orig_qty": "1",
        "price": "39000.1",
        "position_side": "LONG",
    }
    fields.update(changes)
    return fields


def order(client_order_id: str = "o-1", **changes: Any) -> Order:
    return Order(**order_fields(client_order_id, **changes))


def success_for(request: httpx.Request, *, states: Any = "OK") -> httpx.Response:
    """A success envelope answering every order and cancel id of `request` with `states`."""
    body = _decode(request)
    created = [
        {"clientOrderId": o["clientOrderId"], "orderId": 100001 + i, "createState": states}
        for i, o in enumerate(body.get("createOrders", []))
    ]
    cancelled = [
        {"cancelOrderId": i, "cancelState": states} for i in body.get("cancelOrderIds", [])
    ]
    return httpx.Response(
        200,
        json={
            "returnCode": 0,
            "msgInfo": "success",
            "error": None,
            "result": {"createOrdersResponse": created, "cancelOrdersResponse": cancelled},
        },
    )


def failure(status: int, code: str, msg: str, **kwargs: Any) -> httpx.Response:
    return httpx.Response(
        status,
        json={"returnCode": 1, "msgInfo": "failure", "error": {"code": code, "msg": msg}},
        **kwargs,
    )


def _decode(request: httpx.Request) -> dict[str, Any]:
    from urllib.parse import parse_qsl

    if request.headers["content-type"] == "application/json":
        data: dict[str, Any] = json.loads(request.content)
        return data
    return {k: json.loads(v) for k, v in parse_qsl(request.content.decode())}


class Recorder:
    """A mock transport that answers with `responder` and keeps every request it saw."""

    def __init__(self, responder: Callable[[httpx.Request], httpx.Response] = success_for) -> None:
        self.requests: list[httpx.Request] = []
        self.responder = responder

    def __call__(self, request: httpx.Request) -> httpx.Response:
        # A snapshot: a retry re-signs the same request object in place.
        snapshot = httpx.Request(
            request.method, request.url, headers=request.headers.copy(), content=request.content
        )
        self.requests.append(snapshot)
        return self.responder(snapshot)

    def sync(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))

    def async_(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))
