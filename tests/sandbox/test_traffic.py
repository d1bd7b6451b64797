"""Rate limit, stats, introspection endpoints and configuration variants over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest
from az_futures.sandbox import (
    DEMO_API_KEY,
    Faults,
    RunningSandbox,
    SandboxConfig,
    key_label,
    running_sandbox,
)

from tests.sandbox.helpers import (
    OTHER_API_KEY,
    OTHER_SECRET_KEY,
    failure_of,
    now_ms,
    order,
    place,
    post_json,
)


@pytest.fixture(scope="module")
def limited() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(rate_limit_per_second=5)) as sandbox:
        yield sandbox


def test_rate_limit_429_with_headers_and_no_processing(limited: RunningSandbox) -> None:
    limited.reset()
    limited.set_faults(Faults(rate_limit_retry_after=1))
    with httpx.Client(base_url=limited.base_url) as client:
        responses = [post_json(client, {"createOrders": [order(f"r{i}")]}) for i in range(7)]
    statuses = [r.status_code for r in responses]
    assert statuses == [200] * 5 + [429] * 2
    assert [r.headers["x-ratelimit-remaining"] for r in responses[:5]] == ["4", "3", "2", "1", "0"]
    refused = responses[5]
    assert failure_of(refused)[:2] == (429, "too_many_requests")
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["x-ratelimit-limit"] == "5"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert len(limited.exchange.orders(DEMO_API_KEY)) == 5
    stats = limited.stats().key(DEMO_API_KEY)
    assert (stats.requests, stats.rate_limited, stats.batches) == (7, 2, 5)
    assert stats.max_per_second >= 4  # 7 requests in one or two epoch seconds


def test_rate_limit_window_slides_and_is_per_key(limited: RunningSandbox) -> None:
    limited.reset()
    limited.set_faults(Faults())  # Retry-After "auto", the default
    with httpx.Client(base_url=limited.base_url) as client:
        for i in range(5):
            assert post_json(client, {"createOrders": [order(f"w{i}")]}).status_code == 200
        refused = post_json(client, {"createOrders": [order("late")]})
        assert refused.status_code == 429
        # Whole seconds until the oldest of the five leaves the one-second window: 1.
        assert refused.headers["retry-after"] == "1"
        time.sleep(1.05)
        assert post_json(client, {"createOrders": [order("after")]}).status_code == 200


def test_retry_after_can_be_left_out_like_an_exchange_that_omits_it(
    limited: RunningSandbox,
) -> None:
    limited.reset()
    limited.set_faults(Faults(rate_limit_retry_after=None))
    with httpx.Client(base_url=limited.base_url) as client:
        answers = [post_json(client, {"createOrders": [order(f"n{i}")]}) for i in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert "retry-after" not in answers[-1].headers


def test_stats_endpoint(sandbox: RunningSandbox, client: httpx.Client) -> None:
    before = now_ms() // 1000
    place(client, "s1")
    place(client, "s2")
    assert post_json(client, {"cancelOrderIds": [0]}).status_code == 400
    assert post_json(client, {"createOrders": [order()]}, secret="wrong").status_code == 403
    assert post_json(client, {"createOrders": [order()]}, key="who").status_code == 401
    after = now_ms() // 1000
    response = client.get("/sandbox/stats")
    # Keys are secrets: the stats name them by fingerprint only.
    assert DEMO_API_KEY not in response.text
    document = response.json()
    assert list(document["keys"]) == [key_label(DEMO_API_KEY)]
    assert key_label(DEMO_API_KEY).startswith("sha256:")
    mine = document["keys"][key_label(DEMO_API_KEY)]
    assert mine["requests"] == 3  # authenticated ones
    assert mine["batches"] == 2
    assert mine["rateLimited"] == 0
    assert mine["authFailures"] == 1
    assert sum(mine["perSecond"].values()) == 3
    assert all(before <= int(second) <= after for second in mine["perSecond"])
    assert mine["maxPerSecond"] == max(mine["perSecond"].values())
    assert document["unauthenticated"] == 1
    snapshot = sandbox.stats()
    assert snapshot.key(DEMO_API_KEY).requests == 3
    assert snapshot.key(OTHER_API_KEY).requests == 0
    assert DEMO_API_KEY not in repr(snapshot)
    assert key_label(DEMO_API_KEY) in repr(snapshot)


def test_orders_endpoint_and_reset(sandbox: RunningSandbox, client: httpx.Client) -> None:
    (first, second) = place(client, "o1", "o2")
    post_json(client, {"cancelOrderIds": [first]})
    place(client, "theirs", key=OTHER_API_KEY, secret=OTHER_SECRET_KEY)
    listing = client.get("/sandbox/orders", params={"apiKey": DEMO_API_KEY}).json()["orders"]
    assert [(o["clientOrderId"], o["orderId"], o["state"]) for o in listing] == [
        ("o1", first, "CANCELED"),
        ("o2", second, "OPEN"),
    ]
    assert listing[0]["price"] == "39000.1"
    assert listing[0]["origQty"] == "1"
    assert failure_of(client.get("/sandbox/orders"))[:2] == (400, "invalid_param")

    assert client.post("/sandbox/reset").status_code == 200
    assert client.get("/sandbox/orders", params={"apiKey": DEMO_API_KEY}).json() == {"orders": []}
    assert client.get("/sandbox/stats").json()["keys"] == {}
    assert place(client, "again") == [100001]  # ids start afresh


def test_faults_endpoint(sandbox: RunningSandbox, client: httpx.Client) -> None:
    response = client.put("/sandbox/faults", json={"error_rate": 1.0, "seed": 3})
    assert response.status_code == 200
    assert sandbox.exchange.faults == Faults(error_rate=1.0, seed=3)
    assert client.get("/sandbox/faults").json()["error_rate"] == 1.0
    assert post_json(client, {"createOrders": [order()]}).status_code == 503
    bad = client.put("/sandbox/faults", json={"error_rate": 2})
    assert failure_of(bad)[:2] == (400, "invalid_param")
    unknown = client.put("/sandbox/faults", json={"explode": 1})
    assert "unknown fields: explode" in failure_of(unknown)[2]
    client.put("/sandbox/faults", json={})
    assert sandbox.exchange.faults == Faults()


def test_int_states() -> None:
    with (
        running_sandbox(SandboxConfig(int_states=True)) as sandbox,
        httpx.Client(base_url=sandbox.base_url) as client,
    ):
        (order_id,) = [
            c["orderId"]
            for c in post_json(client, {"createOrders": [order("i1")]}).json()["result"][
                "createOrdersResponse"
            ]
        ]
        result = post_json(
            client, {"createOrders": [order("i1"), order("i2")], "cancelOrderIds": [order_id, 7]}
        ).json()["result"]
    assert [c["createState"] for c in result["createOrdersResponse"]] == ["PLATFORM_REJECT", 1]
    assert [c["cancelState"] for c in result["cancelOrdersResponse"]] == [1, "PLATFORM_REJECT"]


def test_server_clock_skew() -> None:
    skew = 60_000
    with (
        running_sandbox(SandboxConfig(server_clock_skew_ms=skew)) as sandbox,
        httpx.Client(base_url=sandbox.base_url) as client,
    ):
        stale = post_json(client, {"createOrders": [order()]})
        assert failure_of(stale)[:2] == (403, "403")
        server_ms = parsedate_to_datetime(stale.headers["date"]).timestamp() * 1000
        assert abs(server_ms - (now_ms() + skew)) < 2000
        fixed = post_json(client, {"createOrders": [order()]}, timestamp=now_ms() + skew)
        assert fixed.status_code == 200, fixed.text
