"""The signer against the reference's worked vector and against hand-written messages.

Expected signatures are computed here with `hmac` from literal message strings, never through
the code under test.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from itertools import count

import httpx
from az_futures import Client
from az_futures._clock import RequestClock
from az_futures._signing import AzAuth, sign, signing_message

from .helpers import API_KEY, FIXED_MS, SECRET_KEY, Recorder, failure, order, success_for

VECTOR_KEY = "3976eb88-76d0-4f6e-a6b2-a57980770085"
VECTOR_SECRET = "bc6630d0231fda5cd98794f52c4998659beda290"
VECTOR_SIGNATURE = "3f08fbdeb3eee1e850fb185612b5ea64eae9e6fd5d2806ff94a1ce31a9b925d3"


def _hmac(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def test_worked_vector_from_the_reference() -> None:
    message = signing_message(
        api_key=VECTOR_KEY,
        timestamp=1641446237201,
        path="/future/user/v1/balance/detail",
        query="coin=btc",
    )
    assert message == (
        "validate-appkey=3976eb88-76d0-4f6e-a6b2-a57980770085&validate-timestamp=1641446237201"
        "#/future/user/v1/balance/detail#coin=btc"
    )
    assert sign(VECTOR_SECRET, message) == VECTOR_SIGNATURE


def test_worked_vector_through_the_auth_on_a_real_request() -> None:
    auth = AzAuth(
        VECTOR_KEY,
        VECTOR_SECRET,
        clock=RequestClock(lambda: 1641446237201, learn_from_server=False),
    )
    request = httpx.Request(
        "GET", "https://f-api.azverse.xyz/future/user/v1/balance/detail?coin=btc"
    )
    auth.sign_request(request)
    assert request.headers["validate-signature"] == VECTOR_SIGNATURE
    assert request.headers["validate-timestamp"] == "1641446237201"
    assert request.headers["validate-appkey"] == VECTOR_KEY
    assert "validate-recvwindow" not in request.headers


def test_query_is_signed_sorted_and_decoded() -> None:
    auth = AzAuth("k", "s", clock=RequestClock(lambda: 5, learn_from_server=False))
    request = httpx.Request("GET", "http://h/p?symbol=btc%5Fusdt&b=2&a=x+y")
    auth.sign_request(request)
    literal = "validate-appkey=k&validate-timestamp=5#/p#a=x y&b=2&symbol=btc_usdt"
    assert request.headers["validate-signature"] == _hmac("s", literal)


def _client(recorder: Recorder, encoding: str, clock_ms: int = FIXED_MS) -> Client:
    return Client(
        base_url="http://127.0.0.1:9",
        api_key=API_KEY,
        secret_key=SECRET_KEY,
        encoding=encoding,  # type: ignore[arg-type]
        clock=lambda: clock_ms,
        learn_clock_offset=False,
        rate_limit=None,
        http_client=recorder.sync(),
    )


ORDER_JSON = (
    '{"clientOrderId":"o-1","symbol":"btc_usdt","orderSide":"BUY","orderType":"LIMIT",'
    '"origQty":"1","positionSide":"LONG","price":"39000.1"}'
)


def test_json_batch_signature_matches_a_literal_message() -> None:
    recorder = Recorder()
    _client(recorder, "json").batch_orders([order()], [100002])
    (request,) = recorder.requests
    body = '{"createOrderFirst":true,"createOrders":[' + ORDER_JSON + '],"cancelOrderIds":[100002]}'
    assert request.content.decode() == body
    literal = (
        f"validate-appkey={API_KEY}&validate-timestamp={FIXED_MS}"
        f"#/az/future/trade/v1/order/batch#{body}"
    )
    assert request.headers["validate-signature"] == _hmac(SECRET_KEY, literal)
    assert request.headers["validate-recvwindow"] == "5000"


def test_form_batch_signature_matches_a_literal_message() -> None:
    recorder = Recorder()
    _client(recorder, "form").batch_orders([order()], [100002, 7], create_order_first=False)
    (request,) = recorder.requests
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    # Sorted by name, values decoded: cancelOrderIds < createOrderFirst < createOrders.
    literal = (
        f"validate-appkey={API_KEY}&validate-timestamp={FIXED_MS}"
        "#/az/future/trade/v1/order/batch"
        f"#cancelOrderIds=[100002,7]&createOrderFirst=false&createOrders=[{ORDER_JSON}]"
    )
    assert request.headers["validate-signature"] == _hmac(SECRET_KEY, literal)
    # The body is that text itself: the reference client's raw-body reading gives the same.
    assert request.content.decode() == literal.split("#", 2)[2]


def test_every_attempt_is_signed_afresh() -> None:
    answers = iter([failure(429, "too_many_requests", "slow down"), None])
    recorder = Recorder(lambda r: next(answers) or success_for(r))
    ticks = count(FIXED_MS, 250)
    client = Client(
        base_url="http://127.0.0.1:9",
        api_key=API_KEY,
        secret_key=SECRET_KEY,
        clock=lambda: next(ticks),
        learn_clock_offset=False,
        rate_limit=None,
        retry_backoff_s=0.001,
        http_client=recorder.sync(),
    )
    assert client.batch_orders([order()]).ok
    first, second = recorder.requests
    stamps = [r.headers["validate-timestamp"] for r in recorder.requests]
    assert stamps[0] != stamps[1]
    for request in (first, second):
        literal = (
            f"validate-appkey={API_KEY}&validate-timestamp={request.headers['validate-timestamp']}"
            f"#/az/future/trade/v1/order/batch#{request.content.decode()}"
        )
        assert request.headers["validate-signature"] == _hmac(SECRET_KEY, literal)
    assert json.loads(first.content) == json.loads(second.content)


def test_xt_header_prefix() -> None:
    recorder = Recorder()
    client = Client(
        base_url="http://127.0.0.1:9",
        api_key=API_KEY,
        secret_key=SECRET_KEY,
        header_prefix="xt-validate-",
        rate_limit=None,
        http_client=recorder.sync(),
    )
    client.batch_orders(cancel_order_ids=[1])
    headers = recorder.requests[0].headers
    assert {"xt-validate-appkey", "xt-validate-timestamp", "xt-validate-signature"} <= set(headers)
    assert "validate-appkey" not in headers


def test_auth_repr_hides_keys() -> None:
    auth = AzAuth(API_KEY, SECRET_KEY)
    assert API_KEY not in repr(auth) and SECRET_KEY not in repr(auth)
    assert "redacted" in repr(auth)
