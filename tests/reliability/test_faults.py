"""Every fault a desk meets, from the real client against the real sandbox, sync and async.

For each: the typed error raised, and exactly how many requests the sandbox saw: a request that
never left and a 429 are resent up to `max_retries` times, a batch whose outcome is unknown never.
Where the sandbox processed the batch, the error's client order ids reconcile exactly those orders.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

import httpx
import pytest
from az_futures import (
    APIError,
    AuthenticationError,
    DecodeError,
    OutcomeUnknownError,
    RateLimitError,
    RequestNotSentError,
    ServerError,
    TimestampError,
)
from az_futures.sandbox import (
    BATCH_PATH,
    Faults,
    RunningSandbox,
    SandboxConfig,
    running_sandbox,
)

from tests.reliability.conftest import MakeDesk, fresh
from tests.reliability.helpers import API_KEY, SECRET_KEY, orders


def open_client_order_ids(sandbox: RunningSandbox) -> set[str]:
    return {o.client_order_id for o in sandbox.exchange.orders(API_KEY) if o.state == "OPEN"}


def assert_reconciles(sandbox: RunningSandbox, error: OutcomeUnknownError, placed: bool) -> None:
    """The error's ids tell exactly which orders to look up, and the lookup finds the truth."""
    found = {cid: sandbox.exchange.open_order(API_KEY, cid) for cid in error.client_order_ids}
    if placed:
        assert all(found.values()), found
        for cid, stored in found.items():
            assert stored is not None and stored.client_order_id == cid
    else:
        assert not any(found.values()), found
    for order_id in error.cancel_order_ids:
        stored_order = sandbox.exchange.order(API_KEY, order_id)
        assert stored_order is not None
        assert stored_order.state == ("CANCELED" if placed else "OPEN")


# --- never sent: retried -------------------------------------------------------------------------


@pytest.mark.parametrize("max_retries", [0, 2])
def test_connection_refused_is_retried_then_reported_not_sent(
    make_desk: MakeDesk, closed_port: int, max_retries: int
) -> None:
    desk = make_desk(base_url=f"http://127.0.0.1:{closed_port}", max_retries=max_retries)
    with pytest.raises(RequestNotSentError) as error:
        desk.batch(orders("a"))
    assert not isinstance(error.value, OutcomeUnknownError)
    assert "ConnectError" in str(error.value)
    assert "safe" in str(error.value)
    assert desk.attempts == 1 + max_retries


# --- outcome unknown: never resent ----------------------------------------------------------------


def test_read_timeout_before_any_byte_is_outcome_unknown(
    sandbox: RunningSandbox, make_desk: MakeDesk
) -> None:
    # The sandbox processes the batch, then waits 400 ms before answering: the client gives up at
    # 150 ms without having read a byte.
    sandbox.set_faults(Faults(latency_ms=400))
    desk = make_desk(timeout=httpx.Timeout(0.15, connect=2.0), max_retries=5)
    with pytest.raises(OutcomeUnknownError) as error:
        desk.batch(orders("t-1", "t-2"))
    assert type(error.value) is OutcomeUnknownError
    assert "ReadTimeout" in str(error.value) and "reconcile" in str(error.value)
    assert desk.attempts == 1
    stats = sandbox.stats().key(API_KEY)
    assert (stats.requests, stats.batches) == (1, 1)
    assert error.value.client_order_ids == ("t-1", "t-2")
    assert_reconciles(sandbox, error.value, placed=True)


def test_drop_after_processing_reconciles_exactly_the_batch(
    sandbox: RunningSandbox, make_desk: MakeDesk
) -> None:
    desk = make_desk(max_retries=5)
    earlier = desk.batch(orders("old-1", "old-2", "old-3"))  # and a keep-alive connection
    to_cancel = [r.order_id for r in earlier.created[:2] if r.order_id is not None]
    sandbox.set_faults(Faults(drop_after_rate=1.0))
    batch = orders("new-1", "new-2", "new-3", "new-4")
    with pytest.raises(OutcomeUnknownError) as error:
        desk.batch(batch, to_cancel)
    assert type(error.value) is OutcomeUnknownError
    assert "RemoteProtocolError" in str(error.value)
    assert desk.attempts == 2
    stats = sandbox.stats()
    assert stats.faults == {"drop_after": 1}
    assert (stats.key(API_KEY).requests, stats.key(API_KEY).batches) == (2, 2)

    assert error.value.batch.create_orders == tuple(batch)
    assert error.value.client_order_ids == ("new-1", "new-2", "new-3", "new-4")
    assert error.value.cancel_order_ids == tuple(to_cancel)
    assert_reconciles(sandbox, error.value, placed=True)
    # Exactly those orders, each once, and nothing else moved.
    assert open_client_order_ids(sandbox) == {"old-3", *error.value.client_order_ids}
    assert len(sandbox.exchange.orders(API_KEY)) == 3 + 4


def test_drop_before_processing_is_outcome_unknown_and_reconciles_to_nothing(
    sandbox: RunningSandbox, make_desk: MakeDesk
) -> None:
    desk = make_desk(max_retries=5)
    sandbox.set_faults(Faults(drop_before_rate=1.0))
    with pytest.raises(OutcomeUnknownError) as error:
        desk.batch(orders("d-1", "d-2"))
    # The client cannot tell a drop before processing from one after: it must not resend.
    assert type(error.value) is OutcomeUnknownError
    assert desk.attempts == 1
    stats = sandbox.stats()
    assert stats.faults == {"drop_before": 1}
    assert (stats.key(API_KEY).requests, stats.key(API_KEY).batches) == (1, 0)
    assert_reconciles(sandbox, error.value, placed=False)

    # Reconciled as not placed, the same batch is sent again by the caller, and lands once.
    sandbox.set_faults(Faults())
    assert desk.batch(error.value.batch.create_orders).ok
    assert open_client_order_ids(sandbox) == {"d-1", "d-2"}
    assert sandbox.stats().key(API_KEY).batches == 1


def test_server_error_is_outcome_unknown_and_not_resent(
    sandbox: RunningSandbox, make_desk: MakeDesk
) -> None:
    sandbox.set_faults(Faults(error_rate=1.0))
    desk = make_desk(max_retries=5)
    with pytest.raises(ServerError) as error:
        desk.batch(orders("s-1"), [100001])
    assert isinstance(error.value, OutcomeUnknownError) and isinstance(error.value, APIError)
    assert (error.value.status_code, error.value.code) == (503, "GATEWAY_0005")
    assert error.value.client_order_ids == ("s-1",)
    assert error.value.cancel_order_ids == (100001,)
    assert desk.attempts == 1
    stats = sandbox.stats()
    assert stats.faults == {"error": 1}
    assert (stats.key(API_KEY).requests, stats.key(API_KEY).batches) == (1, 0)
    assert open_client_order_ids(sandbox) == set()


@pytest.mark.parametrize(
    ("fault", "fragment"),
    [
        (Faults(malformed_rate=1.0), "is not a JSON envelope"),
        (Faults(truncated_rate=1.0), "is not a JSON envelope"),
        (Faults(missing_fields_rate=1.0), "cannot be read"),
    ],
    ids=["malformed", "truncated", "missing-fields"],
)
def test_unreadable_answers_after_processing_are_decode_errors(
    sandbox: RunningSandbox, make_desk: MakeDesk, fault: Faults, fragment: str
) -> None:
    sandbox.set_faults(fault)
    desk = make_desk(max_retries=5)
    with pytest.raises(DecodeError) as error:
        desk.batch(orders("m-1", "m-2"))
    assert fragment in str(error.value)
    assert error.value.status_code == 200
    assert error.value.body_excerpt
    assert desk.attempts == 1
    stats = sandbox.stats().key(API_KEY)
    assert (stats.requests, stats.batches) == (1, 1)
    assert error.value.client_order_ids == ("m-1", "m-2")
    assert_reconciles(sandbox, error.value, placed=True)
    assert open_client_order_ids(sandbox) == {"m-1", "m-2"}


# --- 429: retried ---------------------------------------------------------------------------------


@pytest.mark.parametrize("retry_after", [None, 0], ids=["no-retry-after", "retry-after-0"])
def test_429_is_retried_max_retries_times(
    limited: RunningSandbox, make_desk: MakeDesk, retry_after: int | None
) -> None:
    limited.set_faults(Faults(rate_limit_retry_after=retry_after))
    desk = make_desk(limited, max_retries=2, retry_backoff_s=0.01)
    assert desk.batch(orders("first")).ok  # takes the only slot of this second
    with pytest.raises(RateLimitError) as error:
        desk.batch(orders("second"))
    assert error.value.status_code == 429
    assert error.value.retry_after == retry_after
    assert not isinstance(error.value, OutcomeUnknownError)
    assert desk.attempts == 1 + 3
    stats = limited.stats().key(API_KEY)
    assert (stats.requests, stats.rate_limited, stats.batches) == (4, 3, 1)
    assert open_client_order_ids(limited) == {"first"}


def test_429_with_retry_after_is_waited_for_then_succeeds(
    limited: RunningSandbox, make_desk: MakeDesk, caplog: pytest.LogCaptureFixture
) -> None:
    limited.set_faults(Faults(rate_limit_retry_after=1))
    desk = make_desk(limited, max_retries=2, max_retry_wait_s=2.0)
    assert desk.batch(orders("first")).ok
    with caplog.at_level(logging.WARNING, logger="az_futures"):
        started = time.monotonic()
        assert desk.batch(orders("second")).ok  # 429, a 1 s wait, then admitted
        assert time.monotonic() - started >= 1.0
    assert [r.getMessage() for r in caplog.records if r.name == "az_futures"] == [
        f"POST {BATCH_PATH}: RateLimitError; retry 1 of 2 in 1.000 s"
    ]
    assert desk.attempts == 3
    stats = limited.stats().key(API_KEY)
    assert (stats.requests, stats.rate_limited, stats.batches) == (3, 1, 2)
    assert open_client_order_ids(limited) == {"first", "second"}


def test_429_with_retry_after_beyond_the_cap_is_not_retried(
    limited: RunningSandbox, make_desk: MakeDesk
) -> None:
    limited.set_faults(Faults(rate_limit_retry_after=5))
    desk = make_desk(limited, max_retries=2, max_retry_wait_s=2.0)
    assert desk.batch(orders("first")).ok
    with pytest.raises(RateLimitError) as error:
        desk.batch(orders("second"))
    assert error.value.retry_after == 5
    assert desk.attempts == 2
    stats = limited.stats().key(API_KEY)
    assert (stats.requests, stats.rate_limited, stats.batches) == (2, 1, 1)


# --- clocks ---------------------------------------------------------------------------------------

SKEW_MS = 30_000  # six times the default receive window


@pytest.fixture(scope="module", params=[SKEW_MS, -SKEW_MS], ids=["server-ahead", "server-behind"])
def skewed_sandbox(request: pytest.FixtureRequest) -> Iterator[RunningSandbox]:
    config = SandboxConfig(keys={API_KEY: SECRET_KEY}, server_clock_skew_ms=request.param)
    with running_sandbox(config) as sandbox:
        yield sandbox


@pytest.fixture
def skewed(skewed_sandbox: RunningSandbox) -> RunningSandbox:
    return fresh(skewed_sandbox)


def test_clock_skew_beyond_the_window_is_a_timestamp_error_not_retried(
    skewed: RunningSandbox, make_desk: MakeDesk
) -> None:
    desk = make_desk(skewed, learn_clock_offset=False, max_retries=5)
    for attempt in range(2):
        with pytest.raises(TimestampError) as error:
            desk.batch(orders(f"k-{attempt}"))
        assert error.value.status_code == 403
        assert "recv_window_ms" in str(error.value) and "clock" in str(error.value)
        assert not isinstance(error.value, AuthenticationError | OutcomeUnknownError)
    assert desk.attempts == 2
    assert desk.client.clock_offset_ms == 0
    stats = skewed.stats().key(API_KEY)
    assert (stats.auth_failures, stats.requests, stats.batches) == (2, 0, 0)
    assert skewed.exchange.orders(API_KEY) == []


def test_clock_offset_is_learnt_from_the_refusal_and_the_refused_batch_is_resent(
    skewed: RunningSandbox, make_desk: MakeDesk
) -> None:
    skew = skewed.exchange.config.server_clock_skew_ms
    desk = make_desk(skewed, max_retries=5)
    # The refusal's Date header proves the skew; the exchange did not act on the refused
    # request, so it is sent again at once, stamped with the learnt offset: no order is lost.
    assert desk.batch(orders("k-1")).ok
    assert desk.attempts == 2
    # Date has whole seconds: the offset learnt lies up to a second (plus the round trip) behind
    # the true skew, and never ahead of it, so requests are never stamped in the server's future.
    learnt = desk.client.clock_offset_ms
    assert skew - 1000 - 250 <= learnt <= skew
    assert desk.batch(orders("k-2")).ok
    assert desk.attempts == 3
    stats = skewed.stats().key(API_KEY)
    assert (stats.auth_failures, stats.requests, stats.batches) == (1, 2, 2)
    assert open_client_order_ids(skewed) == {"k-1", "k-2"}


def test_under_a_one_second_window_the_offset_tightens_answer_by_answer(
    skewed: RunningSandbox, make_desk: MakeDesk
) -> None:
    """What the 1 s resolution of `Date` means: the first estimate may be up to a second behind
    the server, too stale for a receive window under a second; each later answer can only tighten
    it (never overshoot), and one answered just after a whole second of the server's clock pins
    it to within the round trip."""
    skew = skewed.exchange.config.server_clock_skew_ms
    desk = make_desk(skewed, recv_window_ms=500, max_retries=0)
    with pytest.raises(TimestampError):
        desk.batch(orders("w-0"))
    first = desk.client.clock_offset_ms
    assert skew - 1000 - 250 <= first <= skew

    # Send 20 ms after the server's clock turns a second: its Date is then that second.
    server_ms = time.time_ns() // 1_000_000 + skew
    time.sleep((1000 - server_ms % 1000 + 20) / 1000)
    with contextlib.suppress(TimestampError):  # stamped with the first estimate: may be stale
        desk.batch(orders("w-1"))
    tight = desk.client.clock_offset_ms
    assert first <= tight <= skew
    assert tight >= skew - 250
    assert desk.batch(orders("w-2")).ok
