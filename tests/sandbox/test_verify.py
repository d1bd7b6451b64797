"""The sandbox's signature verifier against the documented rule, vectors and literal messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from az_futures.sandbox._verify import (
    AuthError,
    KeyAuthError,
    UnknownKeyError,
    authenticate,
    signature,
    signing_message,
)

from tests.sandbox.helpers import hmac_hex

VECTOR_KEY = "3976eb88-76d0-4f6e-a6b2-a57980770085"
VECTOR_SECRET = "bc6630d0231fda5cd98794f52c4998659beda290"
VECTOR_TS = "1641446237201"
VECTOR_MESSAGE = (
    "validate-appkey=3976eb88-76d0-4f6e-a6b2-a57980770085&validate-timestamp=1641446237201"
    "#/future/user/v1/balance/detail#coin=btc"
)
VECTOR_SIGNATURE = "3f08fbdeb3eee1e850fb185612b5ea64eae9e6fd5d2806ff94a1ce31a9b925d3"
VECTORS_FILE = Path(__file__).parents[2] / "openapi" / "signing-vectors.json"
KEYS = {VECTOR_KEY: VECTOR_SECRET}


def vector_headers(**overrides: str) -> dict[str, str]:
    headers = {
        "validate-appkey": VECTOR_KEY,
        "validate-timestamp": VECTOR_TS,
        "validate-signature": VECTOR_SIGNATURE,
    }
    headers.update(overrides)
    return {name: value for name, value in headers.items() if value}


def check(headers: dict[str, str], **kwargs: Any) -> object:
    arguments: dict[str, Any] = {
        "path": "/future/user/v1/balance/detail",
        "query": "coin=btc",
        "body": b"",
        "keys": KEYS,
        "now_ms": int(VECTOR_TS),
    }
    arguments.update(kwargs)
    return authenticate(headers, **arguments)


def test_worked_vector_message_and_signature() -> None:
    message = signing_message(
        api_key=VECTOR_KEY,
        timestamp=VECTOR_TS,
        path="/future/user/v1/balance/detail",
        query="coin=btc",
    )
    assert message == VECTOR_MESSAGE.encode()
    assert signature(VECTOR_SECRET, message) == VECTOR_SIGNATURE
    assert hmac_hex(VECTOR_SECRET, VECTOR_MESSAGE.encode()) == VECTOR_SIGNATURE


def test_worked_vector_is_accepted() -> None:
    verified = check(vector_headers())
    assert getattr(verified, "api_key", None) == VECTOR_KEY
    assert getattr(verified, "recv_window_ms", None) == 5000


@pytest.mark.skipif(not VECTORS_FILE.exists(), reason="openapi/signing-vectors.json not present")
def test_every_published_signing_vector() -> None:
    vectors = json.loads(VECTORS_FILE.read_text())["vectors"]
    assert vectors
    for vector in vectors:
        message = signing_message(
            api_key=vector["appkey"],
            timestamp=vector["timestamp"],
            path=vector["path"],
            query=vector["query"],
            body=vector["body"].encode(),
            content_type=vector["content_type"],
        )
        assert message == vector["message"].encode(), vector["name"]
        assert signature(vector["secret"], message) == vector["signature"], vector["name"]


def test_query_is_sorted_by_name_and_decoded() -> None:
    message = signing_message(api_key="k", timestamp="1", path="/p", query="b=2&a=x%20y&c=%26")
    assert message == b"validate-appkey=k&validate-timestamp=1#/p#a=x y&b=2&c=&"


def test_json_body_is_signed_as_the_exact_bytes() -> None:
    body = b'{ "createOrders" : [] ,"x":1.50}'
    message = signing_message(
        api_key="k", timestamp="1", path="/p", body=body, content_type="application/json"
    )
    assert message == b"validate-appkey=k&validate-timestamp=1#/p#" + body


def test_form_body_is_signed_sorted_and_decoded() -> None:
    body = b"createOrders=%5B%7B%22a%22%3A1%7D%5D&cancelOrderIds=%5B1%2C2%5D&createOrderFirst=true"
    message = signing_message(
        api_key="k",
        timestamp="1",
        path="/p",
        body=body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
    )
    assert message == (
        b"validate-appkey=k&validate-timestamp=1#/p#cancelOrderIds=[1,2]&createOrderFirst=true"
        b'&createOrders=[{"a":1}]'
    )


def test_raw_reading_signs_a_form_body_as_the_text_received() -> None:
    """The reference client's reading: a form body is signed like any other, byte for byte."""
    body = b"createOrders=%5B%7B%22a%22%3A1%7D%5D&cancelOrderIds=%5B1%2C2%5D&createOrderFirst=true"
    message = signing_message(
        api_key="k",
        timestamp="1",
        path="/p",
        query="b=2&a=1",
        body=body,
        content_type="application/x-www-form-urlencoded; charset=utf-8",
        form_signature="raw",
    )
    # The query is still sorted and decoded: only the body's reading differs.
    assert message == b"validate-appkey=k&validate-timestamp=1#/p#a=1&b=2#" + body


def test_a_canonical_form_body_signs_the_same_under_both_readings() -> None:
    body = b'cancelOrderIds=[1,2]&createOrderFirst=true&createOrders=[{"a":"\\u00e9"}]'
    docs, raw = (
        signing_message(
            api_key="k",
            timestamp="1",
            path="/p",
            body=body,
            content_type="application/x-www-form-urlencoded",
            form_signature=reading,
        )
        for reading in ("docs", "raw")
    )
    assert docs == raw == b"validate-appkey=k&validate-timestamp=1#/p#" + body


@pytest.mark.parametrize(("reading", "accepted"), [("docs", False), ("raw", True)])
def test_authenticate_applies_the_reading_it_is_given(reading: str, accepted: bool) -> None:
    body = b"createOrderFirst=true&cancelOrderIds=%5B1%5D"
    raw_message = f"validate-appkey={VECTOR_KEY}&validate-timestamp={VECTOR_TS}#/p#".encode() + body
    headers = vector_headers(
        **{
            "validate-signature": signature(VECTOR_SECRET, raw_message),
            "content-type": "application/x-www-form-urlencoded",
        }
    )
    arguments: dict[str, Any] = {"path": "/p", "query": "", "body": body}
    if accepted:
        check(headers, form_signature=reading, **arguments)
        return
    with pytest.raises(KeyAuthError) as raised:
        check(headers, form_signature=reading, **arguments)
    assert (raised.value.status, raised.value.msg) == (403, "invalid signature")


def test_authenticate_refuses_an_unknown_reading() -> None:
    with pytest.raises(ValueError, match="form_signature"):
        check(vector_headers(), form_signature="sorted")


def test_no_query_and_no_body_sign_the_path_alone() -> None:
    assert signing_message(api_key="k", timestamp="1", path="/p") == (
        b"validate-appkey=k&validate-timestamp=1#/p"
    )


def test_xt_prefix_is_accepted_with_either_spelling_of_the_message() -> None:
    xt = {
        "xt-validate-appkey": VECTOR_KEY,
        "xt-validate-timestamp": VECTOR_TS,
        "xt-validate-signature": VECTOR_SIGNATURE,
    }
    assert getattr(check(xt), "header_prefix", None) == "xt-validate-"
    xt_message = VECTOR_MESSAGE.replace("validate-", "xt-validate-").encode()
    xt["xt-validate-signature"] = hmac_hex(VECTOR_SECRET, xt_message)
    assert getattr(check(xt), "api_key", None) == VECTOR_KEY


@pytest.mark.parametrize(
    ("headers", "kind", "status", "code", "fragment"),
    [
        pytest.param({}, UnknownKeyError, 401, "GATEWAY_0001", "missing", id="no-headers"),
        pytest.param(
            vector_headers(**{"validate-signature": ""}),
            UnknownKeyError,
            401,
            "GATEWAY_0001",
            "missing",
            id="no-signature",
        ),
        pytest.param(
            vector_headers(**{"validate-appkey": "nobody"}),
            UnknownKeyError,
            401,
            "GATEWAY_0001",
            "invalid appkey",
            id="unknown-key",
        ),
        pytest.param(
            vector_headers(**{"validate-signature": VECTOR_SIGNATURE.upper()}),
            KeyAuthError,
            403,
            "403",
            "invalid signature",
            id="upper-case-signature",
        ),
        pytest.param(
            vector_headers(**{"validate-timestamp": "1641446237202"}),
            KeyAuthError,
            403,
            "403",
            "invalid signature",
            id="other-timestamp",
        ),
        pytest.param(
            vector_headers(**{"validate-timestamp": "16414x"}),
            KeyAuthError,
            400,
            "invalid_param",
            "validate-timestamp",
            id="malformed-timestamp",
        ),
        pytest.param(
            vector_headers(**{"validate-recvwindow": "0"}),
            KeyAuthError,
            400,
            "invalid_param",
            "validate-recvwindow",
            id="recvwindow-zero",
        ),
        pytest.param(
            vector_headers(**{"validate-recvwindow": "60001"}),
            KeyAuthError,
            400,
            "invalid_param",
            "validate-recvwindow",
            id="recvwindow-too-large",
        ),
    ],
)
def test_refusals(
    headers: dict[str, str], kind: type[AuthError], status: int, code: str, fragment: str
) -> None:
    with pytest.raises(kind) as raised:
        check(headers)
    assert (raised.value.status, raised.value.code) == (status, code)
    assert fragment in raised.value.msg


@pytest.mark.parametrize(
    ("now_offset_ms", "recv_window", "accepted"),
    [
        (5000, None, True),  # exactly the default window old
        (5001, None, False),
        (9000, "10000", True),
        (-1000, None, True),  # exactly the tolerance ahead of the server
        (-1001, None, False),
    ],
)
def test_timestamp_window(now_offset_ms: int, recv_window: str | None, accepted: bool) -> None:
    headers = vector_headers(**({"validate-recvwindow": recv_window} if recv_window else {}))
    now = int(VECTOR_TS) + now_offset_ms
    if accepted:
        check(headers, now_ms=now)
        return
    with pytest.raises(KeyAuthError) as raised:
        check(headers, now_ms=now)
    assert raised.value.status == 403
    assert "timestamp" in raised.value.msg
    assert "recvwindow" in raised.value.msg
