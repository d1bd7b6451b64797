"""The client against recorded sandbox answers: accepted batches in both encodings, per-order
rejections, and every failure envelope the sandbox produces."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from az_futures import (
    AuthenticationError,
    CancelState,
    Client,
    CreateState,
    Order,
    RateLimitError,
    ServerError,
    TimestampError,
)
from az_futures._clock import RequestClock
from az_futures._signing import AzAuth
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, Faults
from az_futures_client import AuthenticatedClient
from az_futures_client.api.trade import batch_orders
from az_futures_client.models import BatchOrderRequest, ErrorResponse, OrderCreate
from az_futures_client.types import Unset

from .conftest import FIXED_MS, LIMITED_URL, MAIN_URL, SIGNING_HEADERS, WRONG_SECRET, Sandboxes

pytestmark = pytest.mark.vcr


def _client(base_url: str = MAIN_URL, **options: Any) -> Client:
    settings: dict[str, Any] = {
        "base_url": base_url,
        "api_key": DEMO_API_KEY,
        "secret_key": DEMO_SECRET_KEY,
        "clock": lambda: FIXED_MS,
        "learn_clock_offset": False,
        "recv_window_ms": 60_000,
        "rate_limit": None,
        "max_retries": 0,
    }
    settings.update(options)
    return Client(**settings)


def _order(client_order_id: str, **changes: Any) -> Order:
    fields: dict[str, Any] = {
        "client_order_id": client_order_id,
        "symbol": "btc_usdt",
        "order_side": "BUY",
        "order_type": "LIMIT",
        "orig_qty": "2",
        "price": "39000.1",
        "position_side": "LONG",
    }
    fields.update(changes)
    return Order(**fields)


@pytest.mark.parametrize("encoding", ["json", "form"])
def test_mixed_batch_is_accepted(sandboxes: Sandboxes, encoding: str) -> None:
    with _client(encoding=encoding) as client:
        placed = client.batch_orders(
            [_order("mix-1"), _order("mix-2", order_type="MARKET", price=None, order_side="SELL")]
        )
        result = client.batch_orders([_order("mix-3")], [placed.created[0].order_id or 0])
    assert [(r.client_order_id, r.order_id, r.state) for r in placed.created] == [
        ("mix-1", 100001, CreateState.OK),
        ("mix-2", 100002, CreateState.OK),
    ]
    assert result.ok
    assert result.created[0].order_id == 100003
    assert (result.cancelled[0].order_id, result.cancelled[0].state) == (100001, CancelState.OK)


def test_per_order_rejections(sandboxes: Sandboxes) -> None:
    with _client() as client:
        first = client.batch_orders([_order("dup-1")])
        again = client.batch_orders([_order("dup-1"), _order("dup-2")], [424242, 100001])
        twice = client.batch_orders(cancel_order_ids=[100001])
    assert first.ok
    duplicate, fresh = again.created
    assert duplicate.state is CreateState.PLATFORM_REJECT and duplicate.order_id is None
    assert fresh.ok
    unknown, cancelled = again.cancelled
    assert unknown.state is CancelState.PLATFORM_REJECT
    assert cancelled.ok
    assert twice.cancelled[0].state is CancelState.ORDER_CANCELED
    assert [r.ok for r in again.rejected] == [False, False]


def test_bad_signature_envelope(sandboxes: Sandboxes) -> None:
    with (
        _client(secret_key=WRONG_SECRET) as client,
        pytest.raises(AuthenticationError) as error,
    ):
        client.batch_orders([_order("sig-1")])
    assert (error.value.status_code, error.value.code) == (403, "403")
    assert "invalid signature" in error.value.msg


def test_timestamp_outside_the_window_envelope(sandboxes: Sandboxes) -> None:
    with (
        _client(clock=lambda: FIXED_MS - 600_000, recv_window_ms=5000) as client,
        pytest.raises(TimestampError) as error,
    ):
        client.batch_orders([_order("late-1")])
    assert error.value.status_code == 403
    assert "recv_window_ms" in str(error.value)


def test_validation_envelope(sandboxes: Sandboxes) -> None:
    """The SDK never sends an invalid batch, so the generated client sends one (101 orders)."""
    auth = AzAuth(
        DEMO_API_KEY,
        DEMO_SECRET_KEY,
        clock=RequestClock(lambda: FIXED_MS, learn_from_server=False),
        recv_window_ms=60_000,
    )
    client = AuthenticatedClient(base_url=MAIN_URL, token="unused", httpx_args={"auth": auth})
    orders = [OrderCreate.from_dict(_order(f"v-{i}").to_wire()) for i in range(101)]
    with client:
        response = batch_orders.sync_detailed(
            client=client, body=BatchOrderRequest(create_orders=orders)
        )
    assert response.status_code == 400
    assert isinstance(response.parsed, ErrorResponse)
    assert response.parsed.return_code == 1
    error = response.parsed.error
    assert error is not None
    assert not isinstance(error, Unset)
    assert error.code == "invalid_param"
    assert "createOrders" in str(error.msg)


def test_rate_limited(sandboxes: Sandboxes) -> None:
    with _client(base_url=LIMITED_URL) as client:
        assert client.batch_orders([_order("rl-1")]).ok
        assert client.batch_orders([_order("rl-2")]).ok
        with pytest.raises(RateLimitError) as error:
            client.batch_orders([_order("rl-3")])
    assert error.value.status_code == 429


def test_server_error(sandboxes: Sandboxes) -> None:
    sandboxes.faults(Faults(error_rate=1.0))
    with _client() as client, pytest.raises(ServerError) as error:
        client.batch_orders([_order("boom-1")])
    assert error.value.status_code == 503
    assert error.value.client_order_ids == ("boom-1",)


def test_cassettes_carry_no_secrets() -> None:
    """Every cassette exists, holds no signing header, and no key or secret."""
    folder = Path(__file__).parent / "cassettes" / "test_cassettes"
    cassettes = sorted(folder.glob("*.yaml"))
    assert len(cassettes) >= 8
    for cassette in cassettes:
        text = cassette.read_text(encoding="utf-8")
        assert "interactions" in text
        for secret in (DEMO_SECRET_KEY, DEMO_API_KEY, WRONG_SECRET, *SIGNING_HEADERS):
            assert secret not in text, f"{secret!r} in {cassette.name}"
