"""Four processes on one key, sharing the limit through Redis, against one sandbox at its real
limit (200 requests per second per key): the exchange never sees a busy second over the limit and
never answers 429, while the desks together still get most of the limit's throughput.

The sandbox runs in a process of its own, as an exchange does. The limiter holds a request's slot
from Redis' admission until its answer and counts it for the window from then on, so however late
the sandbox handles it (a busy machine: four desks, Redis and the sandbox on 2 cores), no second of
the sandbox's can see more than the limit.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from az_futures.sandbox import SandboxStats

from tests.redis_server import RedisServer
from tests.reliability.helpers import LoadPlan, hammer, serve_sandbox

PROCESSES = 4
DURATION_S = 3.0
LIMIT = 200  # the exchange's, and the sandbox's default

spawn = multiprocessing.get_context("spawn")


@dataclass
class Exchange:
    """The sandbox process: where it serves, and how to stop it and read what it saw."""

    key: str
    base_url: str
    stop: Any
    report: Any

    def finish(self) -> tuple[SandboxStats, int]:
        self.stop.set()
        stats, orders = self.report.get(timeout=30)
        return stats, orders


@pytest.fixture
def exchange() -> Iterator[Exchange]:
    key = f"load-{uuid.uuid4().hex[:12]}"  # no earlier run's window in Redis counts
    ready, stop, report = spawn.Event(), spawn.Event(), spawn.Queue()
    process = spawn.Process(target=serve_sandbox, args=(key, ready, stop, report), name="exchange")
    process.start()
    try:
        assert ready.wait(timeout=60), "the sandbox process did not start"
        yield Exchange(key, report.get(timeout=5), stop, report)
    finally:
        stop.set()
        process.join(timeout=30)
        if process.is_alive():  # pragma: no cover - only if the sandbox hangs
            process.kill()
            process.join()


@pytest.mark.slow
def test_processes_sharing_a_key_through_redis_stay_under_the_exchange_limit(
    exchange: Exchange, redis_server: RedisServer
) -> None:
    start = spawn.Barrier(PROCESSES + 1)
    results = spawn.Queue()
    plan = LoadPlan(exchange.base_url, exchange.key, redis_server.url, DURATION_S)
    workers = [
        spawn.Process(target=hammer, args=(i, plan, start, results), name=f"desk-{i}")
        for i in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        start.wait(timeout=60)  # every desk has built its client
        outcomes = sorted(results.get(timeout=DURATION_S + 30) for _ in workers)
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():  # pragma: no cover - only if a desk hangs
                worker.kill()
                worker.join()
    stats, orders = exchange.finish()
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    assert [errors for _, _, errors in outcomes] == [{}] * PROCESSES, outcomes
    sent = sum(count for _, count, _ in outcomes)

    key_stats = stats.key(exchange.key)
    assert key_stats.rate_limited == 0
    assert key_stats.requests == key_stats.batches == orders == sent
    assert max(key_stats.per_second.values()) == key_stats.max_per_second <= LIMIT
    # Not by doing nothing: together the desks used most of the limit, each its share.
    assert sent >= 0.6 * LIMIT * DURATION_S, (sent, key_stats.per_second)
    assert all(count >= 0.1 * LIMIT * DURATION_S for _, count, _ in outcomes), outcomes
