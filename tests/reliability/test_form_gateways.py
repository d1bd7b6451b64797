"""The SDK's form requests against the sandbox as either gateway.

The docs sign a form body as its fields sorted by name with values decoded; the exchange's Java
reference client signs the body text as sent. Which one the real gateway applies is not
documented, so the SDK writes each form body as its own canonical text, which signs the same under
both. These tests send real batches to a sandbox verifying each way, and show the mode matters:
a percent-encoded form (what the SDK sent before) passes only the docs' reading.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import urlencode

import httpx
import pytest
from az_futures.sandbox import BATCH_PATH, RunningSandbox, SandboxConfig, running_sandbox
from az_futures.sandbox._verify import FormSignature

from tests.reliability.conftest import fresh
from tests.reliability.helpers import API_KEY, SECRET_KEY, Desk, Kind, client_options, order

READINGS: tuple[FormSignature, ...] = ("docs", "raw")


@pytest.fixture(scope="module")
def gateways() -> Iterator[dict[FormSignature, RunningSandbox]]:
    """One sandbox per reading of the form signing rule."""
    keys = {API_KEY: SECRET_KEY}
    with (
        running_sandbox(SandboxConfig(keys=keys, form_signature="docs")) as docs,
        running_sandbox(SandboxConfig(keys=keys, form_signature="raw")) as raw,
    ):
        yield {"docs": docs, "raw": raw}


@pytest.fixture(params=READINGS)
def gateway(
    request: pytest.FixtureRequest, gateways: dict[FormSignature, RunningSandbox]
) -> RunningSandbox:
    reading: FormSignature = request.param
    return fresh(gateways[reading])


@pytest.fixture
def form_desk(kind: Kind, gateway: RunningSandbox) -> Iterator[Desk]:
    desk = Desk(kind, **client_options(gateway, encoding="form"))
    yield desk
    desk.close()


def test_sdk_form_batches_are_accepted_by_either_gateway(
    form_desk: Desk, gateway: RunningSandbox
) -> None:
    """Places, then cancels and places with cancels first: every request verified and processed,
    the values arriving exactly as meant (a non-ASCII client order id included)."""
    placed = form_desk.batch([order("fg-1"), order("fg-\u00e9-2", price="39010.25")])
    assert placed.ok, placed
    ids = [created.order_id or 0 for created in placed.created]
    both = form_desk.batch([order("fg-3")], [ids[0]], create_order_first=False)
    assert both.ok, both
    assert [cancel.order_id for cancel in both.cancelled] == [ids[0]]

    stats = gateway.stats().keys
    assert sum(key.auth_failures for key in stats.values()) == 0
    book = {o.client_order_id: o for o in gateway.exchange.orders(API_KEY)}
    assert set(book) == {"fg-1", "fg-\u00e9-2", "fg-3"}
    assert book["fg-\u00e9-2"].price == Decimal("39010.25")
    assert book["fg-1"].state != book["fg-3"].state  # fg-1 cancelled, fg-3 open


def _sign(message: str) -> str:
    return hmac.new(SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def _post_form(sandbox: RunningSandbox, body: str, signed_body: str) -> httpx.Response:
    """POST `body` as a form, signed over `signed_body`."""
    stamp = str(time.time_ns() // 1_000_000)
    message = f"validate-appkey={API_KEY}&validate-timestamp={stamp}#{BATCH_PATH}#{signed_body}"
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "validate-appkey": API_KEY,
        "validate-timestamp": stamp,
        "validate-signature": _sign(message),
    }
    return httpx.post(sandbox.base_url + BATCH_PATH, content=body.encode(), headers=headers)


# A form as the SDK wrote it before: percent-encoded, in its own field order.
_FIELDS = {
    "createOrderFirst": "true",
    "createOrders": '[{"clientOrderId":"old-1","symbol":"btc_usdt","orderSide":"BUY",'
    '"orderType":"LIMIT","origQty":"1","price":"39000.1","positionSide":"LONG"}]',
    "cancelOrderIds": "[100001]",
}
_PERCENT_ENCODED = urlencode(_FIELDS)
_DOCS_READING = "&".join(f"{name}={_FIELDS[name]}" for name in sorted(_FIELDS))


@pytest.mark.parametrize(
    ("reading", "signed_body", "status"),
    [
        ("docs", _DOCS_READING, 200),
        ("raw", _DOCS_READING, 403),
        ("docs", _PERCENT_ENCODED, 403),
        ("raw", _PERCENT_ENCODED, 200),
    ],
    ids=[
        "docs-signed-docs-gateway",
        "docs-signed-raw-gateway",
        "raw-signed-docs-gateway",
        "raw-signed-raw-gateway",
    ],
)
def test_a_percent_encoded_form_passes_only_the_reading_it_was_signed_for(
    gateways: dict[FormSignature, RunningSandbox],
    reading: FormSignature,
    signed_body: str,
    status: int,
) -> None:
    """The mode matters: a percent-encoded body signs differently under the two readings, so
    each gateway refuses what was signed for the other with a 403 `invalid signature`."""
    assert _PERCENT_ENCODED != _DOCS_READING
    sandbox = fresh(gateways[reading])
    response = _post_form(sandbox, _PERCENT_ENCODED, signed_body)
    assert response.status_code == status, response.text
    if status == 403:
        assert response.json()["error"] == {"code": "403", "msg": "invalid signature"}
    else:
        assert response.json()["result"]["createOrdersResponse"][0]["createState"] == "OK"


@pytest.mark.parametrize("reading", READINGS)
def test_a_canonical_form_body_passes_both_readings(
    gateways: dict[FormSignature, RunningSandbox], reading: FormSignature
) -> None:
    """The body that is its own canonical text, signed once, passes either gateway."""
    response = _post_form(fresh(gateways[reading]), _DOCS_READING, _DOCS_READING)
    assert response.status_code == 200, response.text
