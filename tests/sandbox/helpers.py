"""Test-side request signing and batch building, written from the documented rule by hand.

The signer here builds each message literally and calls `hmac` itself: it shares nothing with the
SDK's signer (`az_futures._signing`) nor with the sandbox's verifier, so a bug in either shows.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY

PATH = "/az/future/trade/v1/order/batch"
OTHER_API_KEY = "desk-b-key"
OTHER_SECRET_KEY = "desk-b-secret"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def order(client_order_id: str = "c1", **overrides: Any) -> dict[str, Any]:
    """One valid LIMIT order as it goes on the wire, with fields replaced or removed (None)."""
    wire: dict[str, Any] = {
        "clientOrderId": client_order_id,
        "symbol": "btc_usdt",
        "orderSide": "BUY",
        "orderType": "LIMIT",
        "origQty": "1",
        "price": "39000.1",
        "timeInForce": "GTC",
        "positionSide": "LONG",
    }
    wire.update(overrides)
    return {name: value for name, value in wire.items() if value is not None}


def compact(document: Any) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def json_headers(
    body: bytes,
    *,
    key: str = DEMO_API_KEY,
    secret: str = DEMO_SECRET_KEY,
    timestamp: int | None = None,
    prefix: str = "validate-",
) -> dict[str, str]:
    stamp = str(now_ms() if timestamp is None else timestamp)
    message = f"validate-appkey={key}&validate-timestamp={stamp}#{PATH}".encode()
    if body:
        message += b"#" + body
    return {
        "content-type": "application/json",
        f"{prefix}appkey": key,
        f"{prefix}timestamp": stamp,
        f"{prefix}signature": hmac_hex(secret, message),
    }


def post_json(
    client: httpx.Client,
    document: Any,
    *,
    key: str = DEMO_API_KEY,
    secret: str = DEMO_SECRET_KEY,
    timestamp: int | None = None,
    extra_headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST a batch as compact JSON, signed over the exact bytes sent."""
    body = document if isinstance(document, bytes) else compact(document)
    headers = json_headers(body, key=key, secret=secret, timestamp=timestamp)
    headers.update(extra_headers or {})
    return client.post(PATH, content=body, headers=headers)


def post_form(
    client: httpx.Client,
    fields: dict[str, str],
    *,
    key: str = DEMO_API_KEY,
    secret: str = DEMO_SECRET_KEY,
) -> httpx.Response:
    """POST a batch as a form, signed over its fields sorted by name with values not encoded."""
    body = urlencode(fields).encode()
    canonical = "&".join(f"{name}={fields[name]}" for name in sorted(fields))
    stamp = str(now_ms())
    message = f"validate-appkey={key}&validate-timestamp={stamp}#{PATH}#{canonical}"
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "validate-appkey": key,
        "validate-timestamp": stamp,
        "validate-signature": hmac_hex(secret, message.encode()),
    }
    return client.post(PATH, content=body, headers=headers)


def place(client: httpx.Client, *client_order_ids: str, **kwargs: Any) -> list[int]:
    """Place LIMIT orders and return their ids (asserting they were all accepted)."""
    response = post_json(client, {"createOrders": [order(c) for c in client_order_ids]}, **kwargs)
    assert response.status_code == 200, response.text
    creates = response.json()["result"]["createOrdersResponse"]
    assert [c["createState"] for c in creates] == ["OK"] * len(client_order_ids)
    return [c["orderId"] for c in creates]


def failure_of(response: httpx.Response) -> tuple[int, str, str]:
    """(status, error.code, error.msg) of a failure envelope, checking the envelope's shape."""
    document = response.json()
    assert document["returnCode"] == 1
    assert document["msgInfo"] == "failure"
    assert document["result"] is None
    return response.status_code, document["error"]["code"], document["error"]["msg"]
