"""The client-side rate limiter: never more than `requests` in any window, in one process or many.

Every window check is strict: no tolerance, and no margin (`window_margin_s=0`). A caller holds its
slot while its request is "in flight" (a random 0-30 ms) and stamps the moment the exchange would
count the request at a random point within that time, as network and GIL delays scatter it; the
limiter counts each request from its release, so no such delay may push a window over the limit.
"""

from __future__ import annotations

import asyncio
import bisect
import dataclasses
import multiprocessing
import queue
import random
import sys
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest
import redis
from az_futures._ratelimit import RateLimit, RateLimiter, RateLimitTimeoutError

if TYPE_CHECKING:
    from tests.redis_server import RedisServer

LIMIT = 50
HAMMER_S = 1.5
# Hammering callers give up on a slot after 0.6 s and try again, so they stop soon after HAMMER_S
# instead of waiting for one more window; and each timeout is a failed attempt that takes no slot.
HAMMER_LIMIT = RateLimit(requests=LIMIT, max_wait_s=0.6, window_margin_s=0)
# The longest a request is "in flight" (between acquire and release); sleeping it also releases the
# GIL, without which the threads admitted first take a whole burst before the event loop's thread
# is scheduled again.
IN_FLIGHT_S = 0.03


def flight() -> tuple[float, float]:
    """A request's time in flight, split at the moment the exchange counts it."""
    total = random.uniform(0.001, IN_FLIGHT_S)
    counted_after = random.uniform(0, total)
    return counted_after, total - counted_after


def take(limiter: RateLimiter) -> None:
    """A request answered at once."""
    limiter.release(limiter.acquire())


async def take_async(limiter: RateLimiter) -> None:
    await limiter.release_async(await limiter.acquire_async())


def busiest_window(stamps: list[float], width_s: float = 1.0) -> int:
    """Most stamps in any closed window [t, t + width_s]; the busiest one starts at a stamp."""
    ordered = sorted(stamps)
    return max(
        (bisect.bisect_right(ordered, start + width_s) - i for i, start in enumerate(ordered)),
        default=0,
    )


def assert_limit_held_and_used(stamps: list[float], hammer_started: float) -> None:
    """At most LIMIT per second, and at least 80 % of it used while hammering (bursts included)."""
    assert busiest_window(stamps) <= LIMIT
    during = [s for s in stamps if s <= hammer_started + HAMMER_S]
    assert len(during) >= 0.8 * LIMIT * HAMMER_S


def test_busiest_window_counts_a_closed_window() -> None:
    assert busiest_window([]) == 0
    assert busiest_window([0.0, 0.5, 1.0, 1.001, 1.6]) == 3
    assert busiest_window([0.0, 0.5, 1.0, 1.001, 1.6], width_s=0.5) == 2


def unique_bucket() -> str:
    return RateLimiter.bucket_name_for(f"test-{uuid.uuid4()}")


def test_threads_and_tasks_never_exceed_the_limit_in_any_window() -> None:
    stamps: list[float] = []
    from_tasks = 0
    lock = threading.Lock()
    started = time.time()
    stop_at = time.monotonic() + HAMMER_S

    with RateLimiter(HAMMER_LIMIT, bucket_name=unique_bucket()) as limiter:

        def record() -> None:
            stamp = time.time()
            with lock:
                stamps.append(stamp)

        def hammer() -> None:
            while time.monotonic() < stop_at:
                try:
                    slot = limiter.acquire()
                except RateLimitTimeoutError:
                    continue
                before, after = flight()
                time.sleep(before)
                record()
                time.sleep(after)
                limiter.release(slot)

        async def hammer_async() -> None:
            while time.monotonic() < stop_at:
                try:
                    slot = await limiter.acquire_async()
                except RateLimitTimeoutError:
                    continue
                before, after = flight()
                await asyncio.sleep(before)
                record()
                nonlocal from_tasks
                from_tasks += 1
                await asyncio.sleep(after)
                await limiter.release_async(slot)

        async def tasks() -> None:
            await asyncio.gather(*(hammer_async() for _ in range(4)))

        threads = [threading.Thread(target=hammer) for _ in range(8)]
        threads.append(threading.Thread(target=asyncio.run, args=(tasks(),)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert_limit_held_and_used(stamps, started)
    assert 0 < from_tasks < len(stamps)  # both paths took part, and shared the one window


def test_acquire_async_waits_for_a_slot_without_blocking_the_loop() -> None:
    limit = RateLimit(requests=2, per_seconds=0.3, window_margin_s=0)

    async def main() -> tuple[float, int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
            ticker = asyncio.create_task(tick())
            started = time.monotonic()
            await asyncio.gather(*(take_async(limiter) for _ in range(3)))
            elapsed = time.monotonic() - started
            ticker.cancel()
        return elapsed, ticks

    elapsed, ticks = asyncio.run(main())
    assert 0.29 <= elapsed < 1.0  # the third waited for the first to leave the window
    assert ticks >= 10  # the loop kept running meanwhile


def test_acquire_async_times_out() -> None:
    limit = RateLimit(requests=1, per_seconds=10, max_wait_s=0.1)

    async def main() -> None:
        with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
            await limiter.acquire_async()
            with pytest.raises(RateLimitTimeoutError):
                await limiter.acquire_async()

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 1.0


def test_timeout_raises_with_a_useful_message_and_takes_no_slot() -> None:
    limit = RateLimit(requests=1, per_seconds=0.5, max_wait_s=0.1, window_margin_s=0)
    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        take(limiter)
        first = time.monotonic()
        with pytest.raises(RateLimitTimeoutError) as caught:
            limiter.acquire()
        assert 0.09 <= time.monotonic() - first < 0.4
        message = str(caught.value)
        assert "1 requests per 0.5 s" in message
        assert "RateLimit.max_wait_s" in message

        # The failed attempt took nothing: once the first leaves the window, a slot is free at once.
        time.sleep(max(0.0, first + 0.52 - time.monotonic()))
        started = time.monotonic()
        take(limiter)
        assert time.monotonic() - started < 0.05


def test_max_wait_zero_tries_once() -> None:
    limit = RateLimit(requests=1, per_seconds=10, max_wait_s=0)
    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        limiter.acquire()
        started = time.monotonic()
        with pytest.raises(RateLimitTimeoutError):
            limiter.acquire()
        assert time.monotonic() - started < 0.05


def test_max_wait_zero_tries_once_async_and_gets_a_free_slot() -> None:
    limit = RateLimit(requests=1, per_seconds=10, max_wait_s=0)

    async def main() -> None:
        with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
            assert await limiter.acquire_async() is not None  # free: no wait, so no timeout
            with pytest.raises(RateLimitTimeoutError):
                await limiter.acquire_async()

    asyncio.run(main())


def test_a_caller_waiting_for_its_turn_times_out_too() -> None:
    """Callers queue behind the one asking the store; `max_wait_s` bounds that wait as well, so
    the second caller gives up within its own wait, not after the first caller's."""
    limit = RateLimit(requests=1, per_seconds=10, max_wait_s=0.5)
    outcomes: list[str] = []

    def waiter() -> None:
        try:
            limiter.acquire()
        except RateLimitTimeoutError:
            outcomes.append("timeout")

    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        limiter.acquire()
        first = threading.Thread(target=waiter)
        first.start()  # waits for the window, holding the turn
        time.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(RateLimitTimeoutError):
            limiter.acquire()
        assert time.monotonic() - started < 0.5 + 0.4
        first.join()
    assert outcomes == ["timeout"]


def test_disabled_limiter_never_waits() -> None:
    # A bad Redis URL too: a disabled limiter never connects anywhere.
    limit = RateLimit(requests=1, enabled=False, redis_url="redis://127.0.0.1:1/0", max_wait_s=0)

    async def many_async(limiter: RateLimiter) -> None:
        for _ in range(1000):
            await limiter.acquire_async()

    started = time.monotonic()
    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        for _ in range(1000):
            limiter.acquire()
        asyncio.run(many_async(limiter))
    assert time.monotonic() - started < 0.5


def test_bucket_name_hides_the_key() -> None:
    key = "ak-0123456789abcdef-secret"
    name = RateLimiter.bucket_name_for(key)
    assert key not in name
    assert "0123456789abcdef" not in name
    assert name.startswith("az-futures:")
    assert len(name) == len("az-futures:") + 16
    assert name == RateLimiter.bucket_name_for(key)
    assert name != RateLimiter.bucket_name_for(key + "x")


@pytest.mark.parametrize(
    "settings",
    [
        {"requests": 0},
        {"per_seconds": 0},
        {"max_wait_s": -1},
        {"window_margin_s": -0.1},
    ],
)
def test_rejects_nonsense_settings(settings: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="RateLimit"):
        RateLimit(**settings)


def test_enforced_window_includes_the_margin() -> None:
    assert RateLimit().window_ms == 1005
    assert RateLimit(per_seconds=0.5, window_margin_s=0).window_ms == 500
    assert RateLimit(per_seconds=0.7, window_margin_s=0).window_ms == 700


def test_redis_url_without_redis_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # makes `import redis` fail
    with pytest.raises(ImportError, match=r"pip install 'az-futures\[redis\]'"):
        RateLimiter(RateLimit(redis_url="redis://127.0.0.1:6379/0"), bucket_name="b")


def test_acquire_after_close_raises() -> None:
    limiter = RateLimiter(RateLimit(), bucket_name=unique_bucket())
    limiter.close()
    limiter.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        limiter.acquire()


def _connected_clients(server: RedisServer) -> int:
    with redis.Redis(host=server.host, port=server.port) as admin:
        return len(admin.client_list()) - 1  # less this one


def test_close_leaves_no_threads_or_connections(redis_server: RedisServer) -> None:
    threads_before = set(threading.enumerate())
    connections_before = _connected_clients(redis_server)
    limiters = [
        RateLimiter(RateLimit(), bucket_name=unique_bucket()),
        RateLimiter(RateLimit(redis_url=redis_server.url), bucket_name=unique_bucket()),
    ]
    for limiter in limiters:
        take(limiter)
        asyncio.run(take_async(limiter))
    assert _connected_clients(redis_server) > connections_before

    for limiter in limiters:
        limiter.close()
    assert set(threading.enumerate()) == threads_before
    assert _connected_clients(redis_server) == connections_before


def test_closing_within_the_event_loop_closes_its_redis_connections(
    redis_server: RedisServer,
) -> None:
    """An `AsyncClient` closes its limiter from inside its event loop, which may run on for long:
    the loop's Redis connections must not wait for the loop to end."""
    before = _connected_clients(redis_server)

    async def main() -> int:
        limiter = RateLimiter(RateLimit(redis_url=redis_server.url), bucket_name=unique_bucket())
        await take_async(limiter)
        assert _connected_clients(redis_server) > before
        limiter.close()
        for _ in range(200):  # the server sees the connection go within a few ms
            await asyncio.sleep(0.01)
            if _connected_clients(redis_server) == before:
                break
        return _connected_clients(redis_server)

    assert asyncio.run(main()) == before


def test_limiters_on_one_redis_key_share_the_limit(redis_server: RedisServer) -> None:
    limit = RateLimit(requests=3, per_seconds=10, max_wait_s=0, redis_url=redis_server.url)
    bucket = unique_bucket()
    with (
        RateLimiter(limit, bucket_name=bucket) as first,
        RateLimiter(limit, bucket_name=bucket) as second,
        RateLimiter(limit, bucket_name=unique_bucket()) as elsewhere,
    ):
        first.acquire()
        asyncio.run(first.acquire_async())  # the async path counts in the same window
        second.acquire()
        for limiter in (first, second):
            with pytest.raises(RateLimitTimeoutError, match="shared through Redis"):
                limiter.acquire()
        with pytest.raises(RateLimitTimeoutError):
            asyncio.run(second.acquire_async())
        elsewhere.acquire()  # another key has its own window


def test_redis_limiter_waits_for_the_window_to_move(redis_server: RedisServer) -> None:
    limit = RateLimit(requests=2, per_seconds=0.3, window_margin_s=0, redis_url=redis_server.url)

    async def two_async(limiter: RateLimiter) -> None:
        await take_async(limiter)
        await take_async(limiter)

    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        started = time.monotonic()
        take(limiter)
        take(limiter)
        take(limiter)  # waits for the first two to leave the window
        elapsed = time.monotonic() - started
        asyncio.run(two_async(limiter))  # at once, then once the third has left it
        elapsed_async = time.monotonic() - started
    assert 0.3 <= elapsed < 1.0
    assert elapsed + 0.3 <= elapsed_async < elapsed + 1.0


def _hammer_shared_limit(
    redis_url: str,
    bucket_name: str,
    barrier: Any,
    results: Any,
) -> None:
    """One of several processes acquiring from one Redis-backed limit as fast as it can."""
    stamps: list[float] = []
    limit = dataclasses.replace(HAMMER_LIMIT, redis_url=redis_url)
    limiter = RateLimiter(limit, bucket_name=bucket_name)
    try:
        barrier.wait(timeout=60)
        stop_at = time.monotonic() + HAMMER_S
        while time.monotonic() < stop_at:
            try:
                slot = limiter.acquire()
            except RateLimitTimeoutError:
                continue
            before, after = flight()
            time.sleep(before)
            stamps.append(time.time())
            time.sleep(after)
            limiter.release(slot)
    finally:
        limiter.close()
        results.put(stamps)


@pytest.mark.slow
def test_processes_sharing_redis_never_exceed_the_limit_in_any_window(
    redis_server: RedisServer,
) -> None:
    processes = 4
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    bucket = unique_bucket()
    workers = [
        context.Process(
            target=_hammer_shared_limit,
            args=(redis_server.url, bucket, barrier, results),
            daemon=True,
        )
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(timeout=60)  # every process is up, with its limiter built
        started = time.time()
        per_process: list[list[float]] = []
        while len(per_process) < processes:
            try:
                per_process.append(results.get(timeout=1))
            except queue.Empty:
                assert all(w.is_alive() or w.exitcode == 0 for w in workers), "a worker died"
        for worker in workers:
            worker.join(timeout=10)
            assert worker.exitcode == 0
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()

    stamps = [stamp for stamps in per_process for stamp in stamps]
    assert_limit_held_and_used(stamps, started)
    assert all(per_process), "every process got some requests through"


@pytest.fixture(params=["in memory", "redis"])
def redis_url(request: pytest.FixtureRequest) -> str | None:
    """Each store in turn: None, or a Redis URL."""
    if request.param == "in memory":
        return None
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


def test_a_slot_counts_while_in_flight_and_for_a_window_after_its_answer(
    redis_url: str | None,
) -> None:
    limit = RateLimit(
        requests=1, per_seconds=0.3, window_margin_s=0, max_wait_s=0.05, redis_url=redis_url
    )
    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        slot = limiter.acquire()
        time.sleep(0.35)  # in flight for longer than a window: the exchange may count it only now
        with pytest.raises(RateLimitTimeoutError):
            limiter.acquire()
        limiter.release(slot)
        answered = time.monotonic()
        time.sleep(0.2)
        with pytest.raises(RateLimitTimeoutError):  # within a window of its answer: still counted
            limiter.acquire()
        time.sleep(max(0.0, answered + 0.32 - time.monotonic()))
        take(limiter)  # a window after its answer: free


def test_a_caller_waiting_behind_a_request_in_flight_gets_in_a_window_after_its_answer(
    redis_url: str | None,
) -> None:
    limit = RateLimit(requests=1, per_seconds=0.2, window_margin_s=0, redis_url=redis_url)
    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        slot = limiter.acquire()
        admitted: list[float] = []

        def waiter() -> None:
            limiter.acquire()
            admitted.append(time.monotonic())

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.3)  # in flight; the waiter checks again every few ms meanwhile
        limiter.release(slot)
        answered = time.monotonic()
        thread.join(timeout=5)
    assert len(admitted) == 1
    assert answered + 0.2 <= admitted[0] < answered + 0.35


def test_a_slot_never_released_frees_itself_after_the_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller that dies holding a slot blocks it for `_HOLD_MS`, then no longer."""
    monkeypatch.setattr("az_futures._ratelimit._HOLD_MS", 100)
    limit = RateLimit(requests=1, per_seconds=0.1, window_margin_s=0, max_wait_s=1)
    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        limiter.acquire()  # never released
        started = time.monotonic()
        take(limiter)
    assert 0.2 <= time.monotonic() - started < 0.5  # the hold, then a window


def _held_in_store(limiter: RateLimiter, redis_url: str | None) -> int:
    """How many slots the store still counts as in flight."""
    if redis_url is None:
        return len(limiter._store._held)  # type: ignore[union-attr]
    with redis.Redis.from_url(redis_url) as admin:
        seconds, micros = admin.time()
        now_ms = seconds * 1000 + micros // 1000
        return int(admin.zcount(limiter.bucket_name, f"({now_ms + 1000}", "+inf"))


def test_a_cancelled_or_timed_out_acquisition_leaves_no_slot_behind(
    redis_url: str | None,
) -> None:
    """An asyncio deadline or cancellation can strike while the store admits the slot (a
    redis.asyncio call for Redis): the slot must not stay taken with nobody to release it."""
    limit = RateLimit(requests=3, per_seconds=0.05, window_margin_s=0, max_wait_s=0.012)

    async def main(limiter: RateLimiter) -> None:
        async def worker() -> None:
            try:
                slot = await limiter.acquire_async()
            except RateLimitTimeoutError:
                return
            try:
                await asyncio.sleep(random.uniform(0, 0.004))
            finally:
                await limiter.release_async(slot)

        for _ in range(40):
            tasks = [asyncio.create_task(worker()) for _ in range(12)]
            await asyncio.sleep(random.uniform(0, 0.003))
            for task in tasks[::3]:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.05)  # background drops and releases finishing their Redis calls

    limit = dataclasses.replace(limit, redis_url=redis_url)
    with RateLimiter(limit, bucket_name=unique_bucket()) as limiter:
        asyncio.run(main(limiter))
        assert _held_in_store(limiter, redis_url) == 0


def test_closing_releases_the_slots_still_out(redis_server: RedisServer) -> None:
    """A client closed with requests out must not leave their slots taken for the hold: other
    processes on the key would wait for them."""
    limit = RateLimit(requests=1, per_seconds=0.1, window_margin_s=0, redis_url=redis_server.url)
    bucket = unique_bucket()
    first = RateLimiter(limit, bucket_name=bucket)
    slot = first.acquire()
    first.close()
    first.release(slot)  # after close: nothing more to do
    with RateLimiter(dataclasses.replace(limit, max_wait_s=1), bucket_name=bucket) as second:
        started = time.monotonic()
        take(second)
    assert time.monotonic() - started < 0.5
