"""Secrets stay secret: no log record (at DEBUG, from any logger: ours, httpx, httpcore, uvicorn,
asyncio), no repr or str of a client, auth, clock, limiter, error or result, and no formatted
traceback holds the secret key, the API key or any signature that was sent.

One mixed session produces them: successes in both encodings and both header spellings, sync and
async, retries (connection refused, 429), every injected fault, refusals (bad signature, stale
timestamp) and bad input.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from az_futures import (
    AZError,
    BatchResult,
    Client,
    Order,
    OutcomeUnknownError,
    RateLimit,
    build_batch,
)
from az_futures.sandbox import Faults, RunningSandbox

from tests.reliability.conftest import fresh
from tests.reliability.helpers import API_KEY, SECRET_KEY, Desk, client_options, order, orders

REDIS_PASSWORD = "rel-redis-password-5e1b"
LOGGERS = (
    "",
    "az_futures",
    "az_futures.sandbox",
    "httpx",
    "httpcore",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "uvicorn.asgi",
    "asyncio",
    "hpack",
)


class Keep(logging.Handler):
    """Keeps every record it sees, once."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: dict[int, logging.LogRecord] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.records[id(record)] = record


@contextmanager
def every_log_record() -> Iterator[list[logging.LogRecord]]:
    """Every record of every logger above at DEBUG, however each propagates."""
    keep = Keep()
    saved: list[tuple[logging.Logger, int, bool]] = []
    for name in LOGGERS:
        log = logging.getLogger(name)
        saved.append((log, log.level, log.disabled))
        log.setLevel(logging.DEBUG)
        log.disabled = False
        log.addHandler(keep)
    records: list[logging.LogRecord] = []
    try:
        yield records
    finally:
        for log, level, disabled in saved:
            log.removeHandler(keep)
            log.setLevel(level)
            log.disabled = disabled
        records.extend(keep.records.values())


def rendered(record: logging.LogRecord) -> str:
    """Everything a handler could print from `record`: message, arguments, extras, traceback."""
    text = logging.Formatter("%(name)s %(levelname)s %(message)s").format(record)
    return f"{text}\n{record.args!r}\n{record.__dict__!r}"


def test_no_secret_in_any_log_repr_or_error(
    shared_sandbox: RunningSandbox, limited_sandbox: RunningSandbox, closed_port: int
) -> None:
    errors: list[BaseException] = []
    results: list[BatchResult] = []
    desks: list[Desk] = []
    shown: list[object] = []

    def desk(kind: str, target: RunningSandbox, **options: object) -> Desk:
        made = Desk("sync" if kind == "sync" else "async", **client_options(target, **options))
        desks.append(made)
        return made

    def attempt(
        by: Desk,
        create_orders: Sequence[Order | Mapping[str, Any]] = (),
        cancel_order_ids: Sequence[int] = (),
    ) -> None:
        try:
            results.append(by.batch(create_orders, cancel_order_ids))
        except AZError as error:
            errors.append(error)

    with every_log_record() as records, _closing(desks):
        for kind in ("sync", "async"):
            sandbox = fresh(shared_sandbox)
            plain = desk(kind, sandbox)
            form = desk(kind, sandbox, encoding="form", header_prefix="xt-validate-")
            attempt(plain, orders("s-1", "s-2"), [100001])
            attempt(form, orders("s-3"), [100003, 99])
            for faults in (
                Faults(error_rate=1.0),
                Faults(drop_after_rate=1.0),
                Faults(drop_before_rate=1.0),
                Faults(malformed_rate=1.0),
                Faults(truncated_rate=1.0),
                Faults(missing_fields_rate=1.0),
            ):
                sandbox.set_faults(faults)
                attempt(plain, orders(f"f-{len(errors)}"))
            sandbox.set_faults(Faults(latency_ms=300))
            slow = desk(kind, sandbox, timeout=httpx.Timeout(0.1, connect=2.0))
            attempt(slow, orders("slow"))
            sandbox.set_faults(Faults())
            wrong = desk(kind, sandbox, secret_key=SECRET_KEY + "-wrong")
            attempt(wrong, orders("w"))
            stale = desk(kind, sandbox, clock_offset_ms=-60_000, learn_clock_offset=False)
            attempt(stale, orders("t"))
            refused = desk(kind, sandbox, base_url=f"http://127.0.0.1:{closed_port}")
            attempt(refused, orders("r"))
            attempt(plain, [order("a"), {**order("a").to_wire(), "price": 0.1 + 0.2}], [0])

            limited = fresh(limited_sandbox)
            # No Retry-After, so that the second batch's 429 is final and raises.
            limited.set_faults(Faults(rate_limit_retry_after=None))
            busy = desk(kind, limited, max_retries=2, retry_backoff_s=0.01)
            attempt(busy, cancel_order_ids=[1])
            attempt(busy, cancel_order_ids=[2])
        for options in (
            {"secret_key": f" {SECRET_KEY} "},
            {"api_key": f"{API_KEY}\t"},
            {"api_key": API_KEY + "é"},
            {"secret_key": None, "api_key": API_KEY},
        ):
            try:
                Client(**client_options(shared_sandbox, **options))
            except AZError as error:
                errors.append(error)
        shared = Client(
            **client_options(shared_sandbox, rate_limit=RateLimit(redis_url=_redis_url()))
        )
        shown += [shared, shared._limiter, shared._limiter.limit]
        shared.close()

    # The session did what it was meant to: every kind of outcome, and the logs to prove it.
    kinds = {type(error).__name__ for error in errors}
    assert kinds >= {
        "ServerError",
        "OutcomeUnknownError",
        "DecodeError",
        "AuthenticationError",
        "TimestampError",
        "RequestNotSentError",
        "ValidationError",
        "RateLimitError",
        "ConfigurationError",
    }, kinds
    assert len(results) >= 6
    names = {record.name for record in records}
    assert {"az_futures", "httpx", "httpcore.connection", "httpcore.http11"} <= names, names
    messages = "\n".join(record.getMessage() for record in records)
    assert "retry 1 of 2" in messages
    assert "outcome unknown" in messages
    signatures = {signature for d in desks for signature in d.signatures}
    assert len(signatures) >= 30

    for d in desks:
        auth = d.client._auth
        shown += [d.client, auth, auth.clock, d.client._limiter]
    for raised in errors:
        shown += [raised, *traceback.format_exception(raised), vars(raised)]
        if isinstance(raised, OutcomeUnknownError):
            shown += [raised.batch, raised.client_order_ids]
    shown += [*results, build_batch(orders("x"), [1])]

    texts = [rendered(record) for record in records]
    texts += [text for thing in shown for text in (repr(thing), str(thing))]
    for secret in (API_KEY, SECRET_KEY, REDIS_PASSWORD, *signatures):
        leaks = [text for text in texts if secret in text]
        assert leaks == [], (secret, leaks[:3])


@contextmanager
def _closing(desks: list[Desk]) -> Iterator[None]:
    try:
        yield
    finally:
        for desk in desks:
            desk.close()


def _redis_url() -> str:
    # Never connected to: the limiter connects on first use.
    return f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0"


@pytest.mark.parametrize("header_prefix", ["validate-", "xt-validate-"])
def test_httpcore_debug_logs_carry_no_request_headers(
    sandbox: RunningSandbox, header_prefix: str
) -> None:
    """httpcore logs at DEBUG around each step of a request; it names the method, never the
    headers sent (only the response's, which carry nothing secret)."""
    with (
        every_log_record() as records,
        Client(**client_options(sandbox, header_prefix=header_prefix)) as client,
    ):
        assert client.batch_orders(orders("h")).ok
    lines = [rendered(record) for record in records if record.name.startswith("httpcore")]
    assert any("send_request_headers" in line for line in lines)
    assert any("receive_response_headers" in line for line in lines)
    assert not any(header_prefix + "signature" in line for line in lines)
    assert not any(API_KEY in line for line in lines)
