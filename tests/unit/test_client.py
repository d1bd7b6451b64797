"""Client and AsyncClient on a mock transport: results, errors, retries, config and logging."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

import az_futures
import httpx
import pytest
from az_futures import (
    APIError,
    AsyncClient,
    AuthenticationError,
    AZError,
    Client,
    ConfigurationError,
    CreateState,
    DecodeError,
    OutcomeUnknownError,
    RateLimitError,
    RequestNotSentError,
    ServerError,
    TimestampError,
    ValidationError,
    _batch_orders,
)

from .helpers import API_KEY, SECRET_KEY, Recorder, failure, order, success_for

Responder = Callable[[httpx.Request], httpx.Response]


SETTINGS: dict[str, Any] = {
    "base_url": "http://127.0.0.1:9",
    "api_key": API_KEY,
    "secret_key": SECRET_KEY,
    "rate_limit": None,
    "retry_backoff_s": 0.001,
}
"""What every test client is built with, unless a test says otherwise."""


def make_client(recorder: Recorder, **options: Any) -> Client:
    return Client(**{**SETTINGS, "http_client": recorder.sync(), **options})


def sequence(*answers: Responder | httpx.Response | Exception) -> Responder:
    """A responder giving each answer in turn (an exception is raised; a callable is called)."""
    pending: Iterator[Responder | httpx.Response | Exception] = iter(answers)

    def respond(request: httpx.Request) -> httpx.Response:
        answer = next(pending)
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return answer(request)

    return respond


def test_success_gives_typed_results_per_order() -> None:
    recorder = Recorder()
    with make_client(recorder) as client:
        result = client.batch_orders([order("a"), order("b")], [100002])
    assert result.ok and not result.rejected
    assert [(r.client_order_id, r.order_id, r.state) for r in result.created] == [
        ("a", 100001, CreateState.OK),
        ("b", 100002, CreateState.OK),
    ]
    assert result.cancelled[0].order_id == 100002 and result.cancelled[0].ok
    assert result.by_client_order_id()["b"].order_id == 100002


def test_integer_and_unknown_states() -> None:
    def mixed(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "returnCode": 0,
                "msgInfo": "success",
                "error": {"code": "", "msg": ""},
                "result": {
                    "createOrdersResponse": [
                        {"clientOrderId": "a", "orderId": 1, "createState": 1},
                        {"clientOrderId": "b", "orderId": None, "createState": "NEW_STATE_2027"},
                        {"clientOrderId": "c", "createState": "INSUFFICIENT_BALANCE"},
                    ],
                    "cancelOrdersResponse": [{"cancelOrderId": 9, "cancelState": "ORDER_CANCELED"}],
                },
            },
        )

    result = make_client(Recorder(mixed)).batch_orders([order("a"), order("b"), order("c")], [9])
    a, b, c = result.created
    assert a.ok and a.state is CreateState.OK and a.raw_state == 1
    assert not b.ok and b.state is None and b.raw_state == "NEW_STATE_2027" and b.order_id is None
    assert c.state is CreateState.INSUFFICIENT_BALANCE and c.order_id is None
    assert not result.ok and len(result.rejected) == 3


@pytest.mark.parametrize(
    ("answer", "error_type", "fragment"),
    [
        (failure(403, "403", "invalid signature"), AuthenticationError, "secret_key"),
        (failure(200, "403", "invalid signature"), AuthenticationError, "invalid signature"),
        (failure(401, "GATEWAY_0001", "invalid appkey"), AuthenticationError, "api_key"),
        (failure(403, "403", "timestamp outside recvwindow"), TimestampError, "recv_window_ms"),
        (failure(400, "invalid_param", "createOrders[0].price"), APIError, "invalid_param"),
        (failure(200, "insufficient_balance", "no money"), APIError, "insufficient_balance"),
        (httpx.Response(403, text="<html>WAF</html>"), APIError, "WAF"),
    ],
)
def test_failure_envelopes_map_to_typed_errors(
    answer: httpx.Response, error_type: type[APIError], fragment: str
) -> None:
    recorder = Recorder(lambda r: answer)
    with pytest.raises(error_type) as error:
        make_client(recorder).batch_orders([order()])
    assert fragment in str(error.value)
    assert error.value.status_code == answer.status_code
    assert not isinstance(error.value, OutcomeUnknownError)
    assert len(recorder.requests) == 1  # refused as a whole: never retried


@pytest.mark.parametrize(
    ("answer", "error_type"),
    [
        (failure(429, "GATEWAY_0001", "too many"), RateLimitError),
        (failure(503, "403", "invalid signature"), ServerError),
        # Not a timestamp refusal either, which would be resent: the outcome is unknown.
        (failure(503, "403", "timestamp outside recvWindow"), ServerError),
        (failure(429, "403", "timestamp outside recvWindow"), RateLimitError),
        (failure(502, "insufficient_balance", "upstream"), ServerError),
    ],
)
def test_a_429_or_5xx_status_decides_whatever_the_code(
    answer: httpx.Response, error_type: type[APIError]
) -> None:
    """What the status says happened (limited; outcome unknown) outweighs the code's meaning."""
    with pytest.raises(APIError) as raised:
        make_client(Recorder(lambda r: answer), max_retries=0).batch_orders([order()])
    assert type(raised.value) is error_type


def test_429_is_retried_then_succeeds() -> None:
    recorder = Recorder(sequence(failure(429, "too_many_requests", "slow"), success_for))
    assert make_client(recorder).batch_orders([order()]).ok
    assert len(recorder.requests) == 2


def test_429_retries_are_bounded_and_honour_retry_after() -> None:
    slow = failure(429, "too_many_requests", "slow", headers={"Retry-After": "0.01"})
    recorder = Recorder(lambda r: slow)
    with pytest.raises(RateLimitError) as error:
        make_client(recorder, max_retries=3).batch_orders([order()])
    assert error.value.retry_after == 0.01
    assert len(recorder.requests) == 4


def test_429_with_a_retry_after_beyond_the_cap_is_not_waited_for() -> None:
    recorder = Recorder(lambda r: failure(429, "x", "y", headers={"Retry-After": "30"}))
    with pytest.raises(RateLimitError) as error:
        make_client(recorder, max_retry_wait_s=1.0).batch_orders([order()])
    assert error.value.retry_after == 30
    assert len(recorder.requests) == 1


def test_connect_failures_are_retried_then_reported_as_not_sent() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    recorder = Recorder(refuse)
    with pytest.raises(RequestNotSentError, match="safe"):
        make_client(recorder, max_retries=2).batch_orders([order()])
    assert len(recorder.requests) == 3

    recorder = Recorder(sequence(httpx.ConnectTimeout("slow connect"), success_for))
    assert make_client(recorder).batch_orders([order()]).ok
    assert len(recorder.requests) == 2


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
        httpx.WriteTimeout("write timed out"),
    ],
)
def test_outcome_unknown_is_never_resent(exception: Exception) -> None:
    recorder = Recorder(sequence(exception, success_for))
    batch = [order("a"), order("b")]
    with pytest.raises(OutcomeUnknownError) as error:
        make_client(recorder, max_retries=5).batch_orders(batch, [77])
    assert len(recorder.requests) == 1
    assert error.value.client_order_ids == ("a", "b")
    assert error.value.cancel_order_ids == (77,)
    assert error.value.batch.create_orders == tuple(batch)
    assert "reconcile" in str(error.value)


def test_server_error_is_outcome_unknown_and_not_resent() -> None:
    recorder = Recorder(lambda r: failure(502, "GATEWAY_0005", "bad gateway"))
    with pytest.raises(ServerError) as error:
        make_client(recorder, max_retries=5).batch_orders([order("a")])
    assert isinstance(error.value, OutcomeUnknownError) and isinstance(error.value, APIError)
    assert error.value.client_order_ids == ("a",)
    assert len(recorder.requests) == 1


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (httpx.Response(200, text="<html>oops"), "not a JSON envelope"),
        (httpx.Response(200, text='{"returnCode":0,"msgInfo":"succ'), "not a JSON envelope"),
        (httpx.Response(200, json={"returnCode": 0, "msgInfo": "success"}), "cannot be read"),
        (
            httpx.Response(
                200,
                json={
                    "returnCode": 0,
                    "result": {"createOrdersResponse": [{"clientOrderId": "a"}]},
                },
            ),
            "cannot be read",
        ),
        (
            httpx.Response(200, json={"returnCode": 0, "result": {"createOrdersResponse": []}}),
            "reports 0 placements",
        ),
        (httpx.Response(502, text="<html>bad gateway</html>"), "bad gateway"),
    ],
)
def test_unreadable_answers_are_outcome_unknown(answer: httpx.Response, fragment: str) -> None:
    recorder = Recorder(lambda r: answer)
    with pytest.raises(OutcomeUnknownError) as error:
        make_client(recorder).batch_orders([order("a")])
    assert fragment in str(error.value)
    assert error.value.client_order_ids == ("a",)
    assert len(recorder.requests) == 1
    if answer.status_code == 200:
        assert isinstance(error.value, DecodeError)
        assert error.value.body_excerpt == answer.text[:200]


def test_bad_input_sends_nothing() -> None:
    recorder = Recorder()
    client = make_client(recorder)
    with pytest.raises(ValidationError):
        client.batch_orders([order("a"), order("a")])
    with pytest.raises(ValidationError):
        client.batch_orders()
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"encoding": "xml"}, "encoding 'xml'"),
        ({"base_url": "ftp://x"}, "neither a preset"),
        ({"base_url": "prod"}, "neither a preset"),
        ({"base_url": ""}, "base_url is missing"),
        ({"base_url": "http://h:99999"}, "invalid port"),
        ({"base_url": "http://h/?a=1"}, "query"),
        ({"base_url": "https://user:pw@h"}, "user name or password"),
        ({"api_key": ""}, "api_key is missing"),
        ({"secret_key": " padded "}, "whitespace"),
        ({"recv_window_ms": 60001}, "recv_window_ms"),
        ({"max_retries": -1}, "max_retries"),
        ({"header_prefix": "x-"}, "header_prefix"),
    ],
)
def test_configuration_errors(options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        make_client(Recorder(), **options)
    assert fragment in str(error.value)


def test_keys_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZ_API_KEY", "env-key")
    monkeypatch.setenv("AZ_SECRET_KEY", "env-secret")
    recorder = Recorder()
    make_client(recorder, api_key=None, secret_key=None).batch_orders(cancel_order_ids=[1])
    assert recorder.requests[0].headers["validate-appkey"] == "env-key"
    monkeypatch.delenv("AZ_SECRET_KEY")
    with pytest.raises(ConfigurationError, match="AZ_SECRET_KEY"):
        make_client(recorder, api_key=None, secret_key=None)


def test_presets_and_repr() -> None:
    client = make_client(Recorder(), base_url="production")
    assert client.base_url == "https://f-api.azverse.xyz"
    assert make_client(Recorder(), base_url="test").base_url == "https://f-api.az-qa.xyz"
    assert make_client(Recorder(), base_url="sandbox").base_url == "http://127.0.0.1:8080"
    assert make_client(Recorder(), base_url="http://h:1/").base_url == "http://h:1"
    text = repr(client)
    assert API_KEY not in text and SECRET_KEY not in text and "redacted" in text


def test_clock_offset_is_learnt_from_the_date_header() -> None:
    local = 1_700_000_000_000
    server = datetime.fromtimestamp((local + 30_000) / 1000, UTC)
    recorder = Recorder(
        lambda r: success_for(r).__class__(
            200, json=success_for(r).json(), headers={"Date": format_datetime(server, usegmt=True)}
        )
    )
    client = make_client(recorder, clock=lambda: local)
    client.batch_orders([order()])
    assert client.clock_offset_ms == 30_000
    client.batch_orders([order("second")])
    assert recorder.requests[1].headers["validate-timestamp"] == str(local + 30_000)
    client.clock_offset_ms = -5
    assert client.clock_offset_ms == -5


def test_logs_say_what_happened_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="az_futures")
    recorder = Recorder(sequence(failure(429, "x", "y"), success_for))
    make_client(recorder).batch_orders([order("a"), order("b")], [5])
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "POST /az/future/trade/v1/order/batch -> 200" in text
    assert "orders=2, cancels=1" in text
    assert "retry 1 of 2" in text
    for secret in (API_KEY, SECRET_KEY, recorder.requests[0].headers["validate-signature"]):
        assert secret not in text


def _async_client(recorder: Recorder, **options: Any) -> AsyncClient:
    return AsyncClient(**{**SETTINGS, "http_client": recorder.async_(), **options})


def test_async_client_success_retry_and_unknown_outcome() -> None:
    async def scenario() -> None:
        recorder = Recorder(sequence(failure(429, "x", "y"), success_for))
        async with _async_client(recorder) as client:
            result = await client.batch_orders([order("a")], [3], create_order_first=False)
        assert result.ok and len(recorder.requests) == 2

        recorder = Recorder(sequence(httpx.ReadTimeout("late"), success_for))
        with pytest.raises(OutcomeUnknownError):
            await _async_client(recorder).batch_orders([order("a")])
        assert len(recorder.requests) == 1

        recorder = Recorder(lambda r: failure(403, "403", "invalid signature"))
        with pytest.raises(AuthenticationError):
            await _async_client(recorder).batch_orders([order("a")])

    asyncio.run(scenario())


def test_sync_and_async_send_the_same_bytes() -> None:
    sync_recorder, async_recorder = Recorder(), Recorder()
    for encoding in ("json", "form"):
        make_client(sync_recorder, encoding=encoding, clock=lambda: 1).batch_orders([order()], [1])
        asyncio.run(
            _async_client(async_recorder, encoding=encoding, clock=lambda: 1).batch_orders(
                [order()], [1]
            )
        )
    for mine, theirs in zip(sync_recorder.requests, async_recorder.requests, strict=True):
        assert mine.content == theirs.content
        assert mine.headers["validate-signature"] == theirs.headers["validate-signature"]


@pytest.mark.parametrize(
    "item",
    [
        {"clientOrderId": 5, "orderId": 1, "createState": "OK"},
        {"clientOrderId": "a", "orderId": "1", "createState": "OK"},
        {"clientOrderId": "a", "orderId": 1, "createState": None},
        {"clientOrderId": "a", "orderId": True, "createState": "OK"},
        ["a", 1, "OK"],
    ],
)
def test_mistyped_results_are_undecodable(item: object) -> None:
    answer = httpx.Response(200, json={"returnCode": 0, "result": {"createOrdersResponse": [item]}})
    with pytest.raises(DecodeError, match="cannot be read"):
        make_client(Recorder(lambda r: answer)).batch_orders([order("a")])


def test_an_unreachable_shared_limiter_is_a_clear_error_and_sends_nothing() -> None:
    from az_futures import RateLimit, RateLimiterUnavailableError

    limit = RateLimit(redis_url="redis://user:hunter2@127.0.0.1:1/0", max_wait_s=1)
    recorder = Recorder()
    with pytest.raises(RateLimiterUnavailableError) as error:
        make_client(recorder, rate_limit=limit).batch_orders([order()])
    assert "nothing was sent" in str(error.value)
    assert "hunter2" not in str(error.value)
    assert recorder.requests == []

    async def scenario() -> None:
        async with _async_client(recorder, rate_limit=limit) as client:
            with pytest.raises(RateLimiterUnavailableError):
                await client.batch_orders([order()])

    asyncio.run(scenario())
    assert recorder.requests == []


def test_the_limiter_counts_a_request_from_its_answer() -> None:
    """With one request per 0.2 s, a request answered after 0.3 s holds the next one back for a
    window after that answer, not after it was sent; so also after a refusal."""
    from az_futures import RateLimit

    sent: list[float] = []

    def slow(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        time.sleep(0.3)
        if len(sent) == 2:
            return failure(400, "invalid_param", "bad")
        return success_for(request)

    limit = RateLimit(requests=1, per_seconds=0.2, window_margin_s=0)
    with make_client(Recorder(slow), rate_limit=limit) as client:
        client.batch_orders([order("a")])
        with pytest.raises(APIError):
            client.batch_orders([order("b")])
        client.batch_orders([order("c")])
    assert sent[1] - sent[0] >= 0.3 + 0.2
    assert sent[2] - sent[1] >= 0.3 + 0.2

    async def scenario() -> list[float]:
        sent.clear()
        async with _async_client(Recorder(slow), rate_limit=limit) as client:
            await client.batch_orders([order("a")])
            with pytest.raises(APIError):
                await client.batch_orders([order("b")])
        return sent

    first, second = asyncio.run(scenario())
    assert second - first >= 0.3 + 0.2


@pytest.mark.parametrize("use_async", [False, True])
def test_a_request_of_unknown_outcome_keeps_its_slot_one_never_sent_frees_it(
    use_async: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a read timeout the exchange may still count the request: its slot stays taken until
    it frees itself (the hold, 0.5 s here). A request that never left frees its slot at once."""
    from az_futures import RateLimit

    monkeypatch.setattr("az_futures._ratelimit._HOLD_MS", 500)
    sent: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(time.monotonic())
        if len(sent) == 1:
            raise httpx.ConnectError("refused")  # never left
        if len(sent) == 3:
            raise httpx.ReadTimeout("late")  # may have been counted
        return success_for(request)

    limit = RateLimit(requests=1, per_seconds=0.1, window_margin_s=0)
    options: dict[str, Any] = {"rate_limit": limit, "max_retries": 0}
    outcomes: list[type[AZError] | None] = []

    async def run_async() -> None:
        async with _async_client(Recorder(answer), **options) as client:
            for name in "abcd":
                try:
                    await client.batch_orders([order(name)])
                    outcomes.append(None)
                except AZError as error:
                    outcomes.append(type(error))

    if use_async:
        asyncio.run(run_async())
    else:
        with make_client(Recorder(answer), **options) as client:
            for name in "abcd":
                try:
                    client.batch_orders([order(name)])
                    outcomes.append(None)
                except AZError as error:
                    outcomes.append(type(error))
    assert outcomes == [RequestNotSentError, None, OutcomeUnknownError, None]
    assert sent[1] - sent[0] < 0.1 + 0.05  # the refused connection freed its slot at once
    assert sent[3] - sent[2] >= 0.5  # the timed-out request held its slot for the hold


@pytest.mark.parametrize("owned", [True, False])
@pytest.mark.parametrize("encoding", ["json", "form"])
def test_every_request_carries_the_sdk_headers_once(owned: bool, encoding: str) -> None:
    """Requests on the SDK's own transport and through a client passed in carry them once."""
    options: dict[str, Any] = {"encoding": encoding}
    if owned:
        options["http_client"] = None
    client = make_client(Recorder(), **options)
    call = _batch_orders.prepare(client.encoding, [order()], (), True)
    request = client._build(call)
    client._sign(request)
    expected = {
        "accept": "application/json",
        "user-agent": f"az-futures/{az_futures.__version__}",
        "content-type": "application/json"
        if encoding == "json"
        else "application/x-www-form-urlencoded",
        "validate-appkey": API_KEY,
        "validate-recvwindow": "5000",
        "validate-algorithms": "HmacSHA256",
    }
    for name, value in expected.items():
        assert request.headers.get_list(name) == [value]
    assert len(request.headers.get_list("validate-signature")) == 1
    client.close()
