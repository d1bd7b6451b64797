"""The batch endpoint over real HTTP: signing, validation, order states and envelopes."""

from __future__ import annotations

import json
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, RunningSandbox

from tests.sandbox.helpers import (
    OTHER_API_KEY,
    OTHER_SECRET_KEY,
    PATH,
    compact,
    failure_of,
    hmac_hex,
    json_headers,
    now_ms,
    order,
    place,
    post_form,
    post_json,
)


def test_json_batch_is_processed_and_keeps_exact_decimals(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    document = {
        "createOrderFirst": True,
        "createOrders": [
            order("a1", price="39000.1", origQty="0.001", triggerStopPrice="37000.50"),
            order("a2", orderType="MARKET", orderSide="SELL", positionSide="SHORT", price=None),
        ],
    }
    response = post_json(client, document)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert " " not in response.text  # compact JSON
    assert response.json() == {
        "returnCode": 0,
        "msgInfo": "success",
        "error": None,
        "result": {
            "createOrdersResponse": [
                {"clientOrderId": "a1", "orderId": 100001, "createState": "OK"},
                {"clientOrderId": "a2", "orderId": 100002, "createState": "OK"},
            ],
            "cancelOrdersResponse": [],
        },
    }
    first, second = sandbox.exchange.orders(DEMO_API_KEY)
    assert first.price == Decimal("39000.1")
    assert str(first.price) == "39000.1"
    assert first.orig_qty == Decimal("0.001")
    assert str(first.trigger_stop_price) == "37000.50"
    assert (first.state, first.time_in_force, first.symbol) == ("OPEN", "GTC", "btc_usdt")
    assert (second.order_type, second.price, second.order_side) == ("MARKET", None, "SELL")


def _with_raw(document: dict[str, Any], old: bytes, new: bytes) -> bytes:
    """The compact JSON of `document` with one literal piece of it replaced (to send what a
    well-behaved encoder never would: numbers, nulls, duplicate keys)."""
    body = compact(document)
    assert old in body
    return body.replace(old, new, 1)


ONE_ORDER = {"createOrders": [order("n1", triggerStopPrice="37000")]}

# Bodies the spec forbids, each with what the strict sandbox says about it.
FORBIDDEN_BODIES = [
    pytest.param(
        _with_raw(ONE_ORDER, b'"price":"39000.1"', b'"price":39000.1'),
        "createOrders[0].price: must be a decimal string",
        id="price-number",
    ),
    pytest.param(
        _with_raw(ONE_ORDER, b'"origQty":"1"', b'"origQty":2'),
        "createOrders[0].origQty: must be a decimal string",
        id="qty-integer",
    ),
    pytest.param(
        _with_raw(ONE_ORDER, b'"triggerStopPrice":"37000"', b'"triggerStopPrice":37000.50'),
        "createOrders[0].triggerStopPrice: must be a decimal string",
        id="trigger-number",
    ),
    pytest.param(
        _with_raw(ONE_ORDER, b'"timeInForce":"GTC"', b'"timeInForce":null'),
        "createOrders[0].timeInForce: must not be null",
        id="null-in-order",
    ),
    pytest.param(
        _with_raw(ONE_ORDER, b"{", b'{"createOrderFirst":null,'),
        "createOrderFirst: must not be null",
        id="null-flag",
    ),
    pytest.param(
        _with_raw(ONE_ORDER, b"{", b'{"cancelOrderIds":null,'),
        "cancelOrderIds: must not be null",
        id="null-list",
    ),
    pytest.param(
        _with_raw(ONE_ORDER, b'"price":"39000.1"', b'"price":"1e5x","price":"39000.1"'),
        "body: key 'price' given more than once in one object",
        id="duplicate-key",
    ),
]


@pytest.mark.parametrize(("body", "expected"), FORBIDDEN_BODIES)
def test_what_the_spec_forbids_is_refused_by_default(
    sandbox: RunningSandbox, client: httpx.Client, body: bytes, expected: str
) -> None:
    status, code, msg = failure_of(post_json(client, body))
    assert (status, code) == (400, "invalid_param")
    assert msg.startswith(expected), msg
    assert sandbox.exchange.orders(DEMO_API_KEY) == []


@pytest.mark.parametrize(("body", "expected"), FORBIDDEN_BODIES)
def test_the_lenient_mode_accepts_what_the_spec_forbids(
    lenient: RunningSandbox, body: bytes, expected: str
) -> None:
    with httpx.Client(base_url=lenient.base_url, timeout=5) as http:
        response = post_json(http, body)
    assert response.status_code == 200, response.text
    (stored,) = lenient.exchange.orders(DEMO_API_KEY)
    assert stored.client_order_id == "n1"


def test_lenient_mode_reads_json_numbers_as_exact_decimals(lenient: RunningSandbox) -> None:
    body = _with_raw(ONE_ORDER, b'"price":"39000.1"', b'"price":39000.1')
    body = body.replace(b'"origQty":"1"', b'"origQty":2')
    with httpx.Client(base_url=lenient.base_url, timeout=5) as http:
        response = post_json(http, body)
    assert response.status_code == 200, response.text
    (stored,) = lenient.exchange.orders(DEMO_API_KEY)
    assert stored.price == Decimal("39000.1")
    assert isinstance(stored.price, Decimal)
    assert stored.orig_qty == Decimal(2)


def test_forms_are_strict_too(sandbox: RunningSandbox, client: httpx.Client) -> None:
    numeric = compact([order("f1")]).decode().replace('"price":"39000.1"', '"price":39000.1')
    status, _, msg = failure_of(post_form(client, {"createOrders": numeric}))
    assert status == 400
    assert msg.startswith("createOrders[0].price: must be a decimal string")
    twice = numeric.replace('"price":39000.1', '"price":"1","price":"2"')
    assert failure_of(post_form(client, {"createOrders": twice}))[2] == (
        "createOrders: key 'price' given more than once in one object"
    )
    empty = {"createOrders": compact([order("f2")]).decode(), "cancelOrderIds": ""}
    assert failure_of(post_form(client, empty))[2].startswith("cancelOrderIds: empty")
    assert sandbox.exchange.orders(DEMO_API_KEY) == []


def test_form_batch_is_processed(sandbox: RunningSandbox, client: httpx.Client) -> None:
    (existing,) = place(client, "old")
    fields = {
        "createOrderFirst": "false",
        "createOrders": json.dumps([order("f1", price="12.345")], separators=(",", ":")),
        "cancelOrderIds": f"[{existing}]",
    }
    response = post_form(client, fields)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["createOrdersResponse"] == [
        {"clientOrderId": "f1", "orderId": existing + 1, "createState": "OK"}
    ]
    assert result["cancelOrdersResponse"] == [{"cancelOrderId": existing, "cancelState": "OK"}]
    placed = sandbox.exchange.open_order(DEMO_API_KEY, "f1")
    assert placed is not None
    assert placed.price == Decimal("12.345")


def test_query_string_is_part_of_the_signature(client: httpx.Client) -> None:
    body = compact({"createOrders": [order("q1")]})
    stamp = str(now_ms())
    message = f"validate-appkey={DEMO_API_KEY}&validate-timestamp={stamp}#{PATH}#a=1 2&b=x#"
    headers = {
        "content-type": "application/json",
        "validate-appkey": DEMO_API_KEY,
        "validate-timestamp": stamp,
        "validate-signature": hmac_hex(DEMO_SECRET_KEY, message.encode() + body),
    }
    response = client.post(PATH + "?b=x&a=1%202", content=body, headers=headers)
    assert response.status_code == 200, response.text


def test_json_with_charset_is_accepted(client: httpx.Client) -> None:
    response = post_json(
        client,
        {"createOrders": [order("cs")]},
        extra_headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200, response.text


def test_other_paths_and_methods_answer_failure_envelopes(client: httpx.Client) -> None:
    assert failure_of(client.get(PATH))[:2] == (405, "405")
    assert failure_of(client.post("/az/future/trade/v1/order/nothing"))[:2] == (404, "404")


def test_xt_prefixed_headers_are_accepted(client: httpx.Client) -> None:
    body = compact({"createOrders": [order("x1")]})
    headers = json_headers(body, prefix="xt-validate-")
    assert "validate-appkey" not in headers
    response = client.post(PATH, content=body, headers=headers)
    assert response.status_code == 200, response.text


def test_bad_signature_is_403(sandbox: RunningSandbox, client: httpx.Client) -> None:
    body = compact({"createOrders": [order()]})
    headers = json_headers(body)
    tampered = body.replace(b"39000.1", b"39000.2")
    response = client.post(PATH, content=tampered, headers=headers)
    assert failure_of(response) == (403, "403", "invalid signature")
    response = post_json(client, {"createOrders": [order()]}, secret="not-the-secret")
    assert failure_of(response) == (403, "403", "invalid signature")
    assert sandbox.exchange.orders(DEMO_API_KEY) == []
    assert sandbox.stats().key(DEMO_API_KEY).auth_failures == 2


@pytest.mark.parametrize("offset_ms", [-6000, -60_000, 3000])
def test_timestamp_outside_window_is_403(client: httpx.Client, offset_ms: int) -> None:
    response = post_json(client, {"createOrders": [order()]}, timestamp=now_ms() + offset_ms)
    status, code, msg = failure_of(response)
    assert (status, code) == (403, "403")
    assert "timestamp" in msg
    assert "recvwindow" in msg


def test_recvwindow_header_widens_the_window(client: httpx.Client) -> None:
    document = {"createOrders": [order()]}
    stale = now_ms() - 8000
    assert post_json(client, document, timestamp=stale).status_code == 403
    widened = post_json(
        client, document, timestamp=stale, extra_headers={"validate-recvwindow": "20000"}
    )
    assert widened.status_code == 200, widened.text
    too_wide = post_json(client, document, extra_headers={"validate-recvwindow": "60001"})
    assert failure_of(too_wide)[:2] == (400, "invalid_param")


def test_slightly_future_timestamp_is_accepted(client: httpx.Client) -> None:
    response = post_json(client, {"createOrders": [order()]}, timestamp=now_ms() + 500)
    assert response.status_code == 200, response.text


def test_unknown_key_and_missing_headers_are_401(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    response = post_json(client, {"createOrders": [order()]}, key="who", secret="whatever")
    status, code, _ = failure_of(response)
    assert (status, code) == (401, "GATEWAY_0001")
    body = compact({"createOrders": [order()]})
    response = client.post(PATH, content=body, headers={"content-type": "application/json"})
    assert failure_of(response)[:2] == (401, "GATEWAY_0001")
    assert sandbox.stats().unauthenticated == 2


def test_unsupported_content_type_is_refused(client: httpx.Client) -> None:
    body = compact({"createOrders": [order()]})
    headers = json_headers(body) | {"content-type": "text/plain"}
    response = client.post(PATH, content=body, headers=headers)
    status, code, msg = failure_of(response)
    assert (status, code) == (400, "invalid_param")
    assert "text/plain" in msg


def _orders(*items: dict[str, Any]) -> dict[str, Any]:
    return {"createOrders": list(items)}


MANY = 101
INVALID_BATCHES = [
    pytest.param(
        _orders(*(order(f"c{i}") for i in range(MANY))),
        "createOrders: supports up to 100 orders",
        id="too-many-orders",
    ),
    pytest.param(
        {"cancelOrderIds": list(range(1, MANY + 1))},
        "cancelOrderIds: supports up to 100 ids",
        id="too-many-cancels",
    ),
    pytest.param({}, "at least one must be non-empty", id="both-absent"),
    pytest.param(
        {"createOrders": [], "cancelOrderIds": []}, "at least one must be non-empty", id="empty"
    ),
    pytest.param(
        _orders(order("a"), order("b"), order("a")),
        "createOrders[2].clientOrderId: duplicate of createOrders[0]",
        id="duplicate-client-ids",
    ),
    pytest.param(
        {"cancelOrderIds": [5, 6, 5]},
        "cancelOrderIds[2]: duplicate of cancelOrderIds[0]",
        id="duplicate-cancel-ids",
    ),
    pytest.param(
        _orders(order("a"), order("b", orderSide="HOLD")),
        "createOrders[1].orderSide: must be one of BUY, SELL",
        id="order-side",
    ),
    pytest.param(
        _orders(order(orderType="STOP")),
        "createOrders[0].orderType: must be one of LIMIT, MARKET",
        id="order-type",
    ),
    pytest.param(
        _orders(order(positionSide="BOTH")),
        "createOrders[0].positionSide: must be one of LONG, SHORT",
        id="position-side",
    ),
    pytest.param(
        _orders(order(timeInForce="DAY")),
        "createOrders[0].timeInForce: must be one of FOK, GTC, GTX, IOC",
        id="time-in-force",
    ),
    pytest.param(
        _orders(order("a"), order("b"), order("c"), order("d", price=None)),
        "createOrders[3].price: required for LIMIT orders",
        id="limit-without-price",
    ),
    pytest.param(
        _orders(order(origQty="0")), "createOrders[0].origQty: must be a positive", id="qty-zero"
    ),
    pytest.param(
        _orders(order(origQty="-1")), "createOrders[0].origQty: must be a positive", id="qty-neg"
    ),
    pytest.param(
        _orders(order(price="1e3")), "createOrders[0].price: must be a positive", id="exponent"
    ),
    pytest.param(
        _orders(order(price="abc")), "createOrders[0].price: must be a positive", id="not-number"
    ),
    pytest.param(
        _orders(order(triggerProfitPrice="0.0")),
        "createOrders[0].triggerProfitPrice: must be a positive",
        id="trigger-zero",
    ),
    pytest.param(
        _orders(order(price=True)), "createOrders[0].price: must be a positive", id="bool-price"
    ),
    pytest.param(
        _orders(order(origQty=None)), "createOrders[0].origQty: required", id="qty-missing"
    ),
    pytest.param(
        _orders(order(clientOrderId="")),
        "createOrders[0].clientOrderId: must be a non-empty string",
        id="empty-client-id",
    ),
    pytest.param(
        _orders(order(clientOrderId=7)),
        "createOrders[0].clientOrderId: must be a non-empty string",
        id="numeric-client-id",
    ),
    pytest.param(
        _orders(order(symbol="  ")),
        "createOrders[0].symbol: must be a non-empty string",
        id="blank-symbol",
    ),
    pytest.param(
        _orders(order(leverage="10")), "createOrders[0].leverage: unknown field", id="unknown"
    ),
    pytest.param(
        {"cancelOrderIds": [1, 0]},
        "cancelOrderIds[1]: must be a positive 64-bit integer",
        id="cancel-zero",
    ),
    pytest.param(
        {"cancelOrderIds": [2**63]},
        "cancelOrderIds[0]: must be a positive 64-bit integer",
        id="cancel-too-big",
    ),
    pytest.param(
        {"cancelOrderIds": ["100002"]},
        "cancelOrderIds[0]: must be a positive 64-bit integer",
        id="cancel-string",
    ),
    pytest.param(
        {"cancelOrderIds": [1], "createOrderFirst": "yes"},
        "createOrderFirst: must be a boolean",
        id="first-not-bool",
    ),
    pytest.param({"cancelOrderIds": [1], "extra": 1}, "extra: unknown field", id="unknown-top"),
    pytest.param({"createOrders": {"a": 1}}, "createOrders: must be a list", id="not-a-list"),
    pytest.param(["not", "an", "object"], "body: must be a JSON object", id="not-object"),
]


@pytest.mark.parametrize(("document", "expected"), INVALID_BATCHES)
def test_invalid_batches_are_400_naming_field_and_index(
    sandbox: RunningSandbox, client: httpx.Client, document: Any, expected: str
) -> None:
    response = post_json(client, document)
    status, code, msg = failure_of(response)
    assert (status, code) == (400, "invalid_param")
    assert expected in msg
    assert sandbox.exchange.orders(DEMO_API_KEY) == []
    assert sandbox.stats().key(DEMO_API_KEY).batches == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "body: invalid JSON"),
        (b'{"createOrders":[{"price":NaN}]}', "NaN is not a number"),
        (b"", "body: required"),
    ],
)
def test_unreadable_json_is_400(client: httpx.Client, body: bytes, expected: str) -> None:
    status, code, msg = failure_of(post_json(client, body))
    assert (status, code) == (400, "invalid_param")
    assert expected in msg


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"createOrders": "[{"}, "createOrders: invalid JSON"),
        ({"cancelOrderIds": "[1]", "createOrderFirst": "1"}, "createOrderFirst: must be true or"),
        ({"cancelOrderIds": "[1]", "other": "x"}, "other: unknown field"),
    ],
)
def test_invalid_forms_are_400(client: httpx.Client, fields: dict[str, str], expected: str) -> None:
    status, code, msg = failure_of(post_form(client, fields))
    assert (status, code) == (400, "invalid_param")
    assert msg.startswith(expected)


def test_exactly_100_orders_and_100_cancels_are_accepted(client: httpx.Client) -> None:
    document = {
        "createOrders": [order(f"c{i}") for i in range(100)],
        "cancelOrderIds": list(range(1, 101)),
    }
    response = post_json(client, document)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert [c["orderId"] for c in result["createOrdersResponse"]] == list(range(100001, 100101))
    assert {c["cancelState"] for c in result["cancelOrdersResponse"]} == {"PLATFORM_REJECT"}


def test_cancel_states(sandbox: RunningSandbox, client: httpx.Client) -> None:
    (order_id,) = place(client, "c1")
    response = post_json(client, {"cancelOrderIds": [order_id, 999, order_id + 1]})
    assert response.json()["result"] == {
        "createOrdersResponse": [],
        "cancelOrdersResponse": [
            {"cancelOrderId": order_id, "cancelState": "OK"},
            {"cancelOrderId": 999, "cancelState": "PLATFORM_REJECT"},
            {"cancelOrderId": order_id + 1, "cancelState": "PLATFORM_REJECT"},
        ],
    }
    again = post_json(client, {"cancelOrderIds": [order_id]})
    assert again.json()["result"]["cancelOrdersResponse"] == [
        {"cancelOrderId": order_id, "cancelState": "ORDER_CANCELED"}
    ]
    stored = sandbox.exchange.order(DEMO_API_KEY, order_id)
    assert stored is not None
    assert stored.state == "CANCELED"


def test_open_client_order_id_is_unique_until_cancelled(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    (first,) = place(client, "dup")
    response = post_json(client, {"createOrders": [order("dup"), order("fresh")]})
    assert response.json()["result"]["createOrdersResponse"] == [
        {"clientOrderId": "dup", "orderId": None, "createState": "PLATFORM_REJECT"},
        {"clientOrderId": "fresh", "orderId": first + 1, "createState": "OK"},
    ]
    # Cancelling frees the id; the same batch cancels first, then places it again.
    response = post_json(
        client,
        {"createOrderFirst": False, "createOrders": [order("dup")], "cancelOrderIds": [first]},
    )
    result = response.json()["result"]
    assert result["cancelOrdersResponse"] == [{"cancelOrderId": first, "cancelState": "OK"}]
    assert result["createOrdersResponse"] == [
        {"clientOrderId": "dup", "orderId": first + 2, "createState": "OK"}
    ]
    reopened = sandbox.exchange.open_order(DEMO_API_KEY, "dup")
    assert reopened is not None
    assert reopened.order_id == first + 2


@pytest.mark.parametrize("create_first", [True, False])
def test_create_order_first_decides_which_half_runs_first(
    sandbox: RunningSandbox, client: httpx.Client, create_first: bool
) -> None:
    (existing,) = place(client, "base")
    next_id = existing + 1  # the id the placement half of the batch will create
    document = {
        "createOrderFirst": create_first,
        "createOrders": [order("new")],
        "cancelOrderIds": [next_id],
    }
    result = post_json(client, document).json()["result"]
    assert result["createOrdersResponse"][0]["orderId"] == next_id
    expected = "OK" if create_first else "PLATFORM_REJECT"
    assert result["cancelOrdersResponse"] == [{"cancelOrderId": next_id, "cancelState": expected}]
    stored = sandbox.exchange.order(DEMO_API_KEY, next_id)
    assert stored is not None
    assert stored.state == ("CANCELED" if create_first else "OPEN")


def test_keys_have_separate_books(sandbox: RunningSandbox, client: httpx.Client) -> None:
    (mine,) = place(client, "shared-id")
    (theirs,) = place(client, "shared-id", key=OTHER_API_KEY, secret=OTHER_SECRET_KEY)
    assert theirs == mine + 1
    response = post_json(
        client, {"cancelOrderIds": [mine]}, key=OTHER_API_KEY, secret=OTHER_SECRET_KEY
    )
    assert response.json()["result"]["cancelOrdersResponse"][0]["cancelState"] == (
        "PLATFORM_REJECT"
    )
    assert [o.order_id for o in sandbox.exchange.orders(OTHER_API_KEY)] == [theirs]


def test_rate_limit_headers_and_date_on_success(client: httpx.Client) -> None:
    response = post_json(client, {"createOrders": [order()]})
    assert response.headers["x-ratelimit-limit"] == "200"
    assert response.headers["x-ratelimit-remaining"] == "199"
    sent = parsedate_to_datetime(response.headers["date"]).timestamp() * 1000
    assert abs(sent - now_ms()) < 2000
    assert "server" not in response.headers
