"""Every injected fault, observed from a real httpx client."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from az_futures.sandbox import DEMO_API_KEY, Faults, RunningSandbox

from tests.sandbox.helpers import failure_of, order, place, post_json

BATCH = {"createOrders": [order("f1")]}


def processed(sandbox: RunningSandbox) -> bool:
    return sandbox.exchange.open_order(DEMO_API_KEY, "f1") is not None


def test_error_answers_5xx_without_processing(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.set_faults(Faults(error_rate=1.0))
    status, code, _ = failure_of(post_json(client, BATCH))
    assert status == 503
    assert code == "GATEWAY_0005"
    assert not processed(sandbox)
    assert sandbox.stats().faults == {"error": 1}


def test_drop_before_closes_without_answer_or_processing(
    sandbox: RunningSandbox, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    place(client, "warm")  # the drop must also work on a reused keep-alive connection
    sandbox.set_faults(Faults(drop_before_rate=1.0))
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        post_json(client, BATCH)
    assert not processed(sandbox)
    sandbox.set_faults(Faults())
    assert post_json(client, BATCH).status_code == 200  # the client recovers
    assert processed(sandbox)
    # A clean drop: uvicorn neither answered 500 nor logged an unanswered request.
    assert [r.getMessage() for r in caplog.records if r.name.startswith("uvicorn")] == []


def test_drop_after_closes_without_answer_after_processing(
    sandbox: RunningSandbox, client: httpx.Client
) -> None:
    sandbox.set_faults(Faults(drop_after_rate=1.0))
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        post_json(client, BATCH)
    assert processed(sandbox)
    assert sandbox.stats().key(DEMO_API_KEY).batches == 1


def test_malformed_answer_after_processing(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.set_faults(Faults(malformed_rate=1.0))
    response = post_json(client, BATCH)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert processed(sandbox)


def test_truncated_answer_after_processing(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.set_faults(Faults(truncated_rate=1.0))
    response = post_json(client, BATCH)
    assert response.status_code == 200
    assert response.text.startswith('{"returnCode":0,')
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert processed(sandbox)


def test_missing_fields_after_processing(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.set_faults(Faults(missing_fields_rate=1.0))
    response = post_json(client, BATCH)
    assert response.status_code == 200
    document = response.json()
    assert document["returnCode"] == 0
    assert "result" not in document
    assert processed(sandbox)


def test_latency(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.set_faults(Faults(latency_ms=150))
    started = time.perf_counter()
    assert post_json(client, BATCH).status_code == 200
    assert time.perf_counter() - started >= 0.15
    sandbox.set_faults(Faults())
    assert sandbox.exchange.faults.latency_ms == 0
    assert post_json(client, {"cancelOrderIds": [1]}).status_code == 200


def test_seeded_faults_repeat(sandbox: RunningSandbox, client: httpx.Client) -> None:
    def run() -> list[int]:
        sandbox.set_faults(Faults(error_rate=0.5, seed=42))
        return [post_json(client, {"cancelOrderIds": [1]}).status_code for _ in range(16)]

    first = run()
    assert set(first) == {200, 503}
    assert run() == first


def test_faults_spare_the_sandbox_endpoints(sandbox: RunningSandbox, client: httpx.Client) -> None:
    sandbox.set_faults(Faults(drop_before_rate=1.0, latency_ms=3000))
    started = time.perf_counter()
    assert client.get("/sandbox/stats").status_code == 200
    assert time.perf_counter() - started < 2.5  # far from the 3 s a fault would add


@pytest.mark.parametrize(
    "faults",
    [
        {"error_rate": 0.6, "drop_after_rate": 0.6},
        {"malformed_rate": -0.1},
        {"latency_ms": -1},
        {"rate_limit_retry_after": -1},
        {"rate_limit_retry_after": "soon"},
        {"rate_limit_retry_after": True},
    ],
)
def test_invalid_faults_are_refused(faults: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        Faults(**faults)  # type: ignore[arg-type]
