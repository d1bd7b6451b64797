"""Client-side rate limiting: at most `requests` per `per_seconds` per API key.

The exchange allows 200 batch requests per second per API key and answers any more with a
rate-limit error, so the SDK holds each request back until it fits. The limiter is pyrate-limiter's
`Limiter` with its exact sliding-window algorithm (one timestamp per request, never more than
`requests` in any window): a request admitted at time t counts against every window that contains t,
so bursts straddling a second boundary cannot exceed the limit either.

Two stores:

- in memory (the default), for the threads and tasks of one process;
- Redis (`RateLimit.redis_url`), for desks that run many processes or machines on one key: all of
  them share one sorted set and stay under the limit together.

Three deliberate departures from pyrate-limiter's stock buckets, each closing a gap through which
the stock ones let more than `requests` through a real one-second window:

- An entry is stamped when it is admitted. The stock `Limiter`, after sleeping, moves an entry's
  timestamp forward by the planned sleep rather than reading the clock, so an entry can be stamped
  earlier than it really went out.
- The Redis check is one Lua script stamped with the Redis server's `TIME`, counting every entry
  newer than the window start (not only those older than the caller's own timestamp). The stock
  `RedisBucket` stamps with each client's clock and counts only up to it, so a process whose clock
  lags, or that was descheduled between reading the clock and reaching Redis, slips an entry in
  behind others already counted. Measured: four processes hammering a stock `RedisBucket` at 50/s
  put 51 requests into one second, in two runs of three.
- No background leak thread: both stores drop expired entries while admitting. pyrate-limiter's
  leak thread sleeps 10 s between rounds and `Limiter.close()` does not wake it, so it outlives
  every limiter it served.

A request holds its slot from the moment it is admitted until its answer arrives, and counts for
the window from then on. The exchange counts it at some moment in between, which the client cannot
see: the request waits for the GIL, crosses the network, queues at the exchange's gateway. Counting
it from its admission, as pyrate-limiter does, lets those delays (tens of milliseconds on a busy
machine) push one request too many into the exchange's window; counting it from its answer cannot,
whatever the delays (a proof is in `RateLimiter.acquire`). It costs a round trip per window:
at 50 ms a round trip, a key sustains 200 / 1.05 = 190 requests per second. A slot whose answer
never comes (a process killed mid-request) frees itself after `_HOLD_MS`.

`window_margin_s` lengthens the enforced window beyond `per_seconds` still further, for a clock
that runs at another rate than the exchange's; millisecond stamps need a few ms of it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import hashlib
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from inspect import isawaitable
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final, NewType
from urllib.parse import urlsplit, urlunsplit

from pyrate_limiter import (
    AbstractBucket,
    Decision,
    InMemoryBucket,
    Limiter,
    Rate,
    RateItem,
    SingleBucketFactory,
)

from ._errors import ConfigurationError, RateLimiterUnavailableError, RateLimitTimeout

if TYPE_CHECKING:
    from types import TracebackType

    import redis

__all__ = ["RateLimit", "RateLimitTimeout", "RateLimiter"]

_BUCKET_PREFIX: Final = "az-futures:"

logger = logging.getLogger("az_futures")

Slot = NewType("Slot", str)
"""A request's place in the window, from `RateLimiter.acquire` until `RateLimiter.release`."""

_HELD: Final = "held:"
"""The name prefix of slots taken by `acquire`: in flight until released."""

_HOLD_MS: Final = 60_000
"""How long an unreleased slot counts as in flight: far beyond any sane request timeout, so that
only a caller that died with the slot (a killed process on a shared Redis key) ever reaches it."""

_IN_FLIGHT_POLL_MS: Final = 10
"""How soon a caller waiting behind slots that are all in flight checks again: their answers will
free them at a moment nobody knows, and a release cannot wake a sleeping waiter."""

_RETRY_SLACK_MS: Final = 5
"""Added by pyrate-limiter to every computed wait: waiters wake just after the slot frees rather
than racing its expiry (its default, 50 ms, costs throughput for nothing with exact waits)."""

_REDIS_SOCKET_TIMEOUT_S: Final = 2.0
"""A hung Redis must surface as an error, not hang every caller; the URL can override it."""

_REDIS_INSTALL_HINT: Final = (
    "RateLimit.redis_url needs the redis package: pip install 'az-futures[redis]'"
)


@dataclass(frozen=True)
class RateLimit:
    """Client-side limit settings.

    Each request counts for `per_seconds` from the moment its answer arrives (see the module
    docstring). `window_margin_s` lengthens that window: 5 ms covers the millisecond stamps and
    timer slack; a machine whose clock runs at another rate than the exchange's may need more.
    """

    requests: int = 200
    per_seconds: float = 1.0
    redis_url: str | None = None
    max_wait_s: float = 5.0
    enabled: bool = True
    window_margin_s: float = 0.005

    def __post_init__(self) -> None:
        # ConfigurationError is a ValueError: callers catching ValueError still do.
        if isinstance(self.requests, bool) or not isinstance(self.requests, int):
            raise ConfigurationError(f"RateLimit.requests must be an int, not {self.requests!r}")
        if self.requests < 1:
            raise ConfigurationError(f"RateLimit.requests must be at least 1, not {self.requests}")
        for name in ("per_seconds", "max_wait_s", "window_margin_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigurationError(f"RateLimit.{name} must be a number, not {value!r}")
        if not 0 < self.per_seconds < math.inf:
            raise ConfigurationError(
                f"RateLimit.per_seconds must be positive and finite, not {self.per_seconds}"
            )
        if not self.max_wait_s >= 0:
            raise ConfigurationError(
                f"RateLimit.max_wait_s must be 0 or more, not {self.max_wait_s}"
            )
        if not 0 <= self.window_margin_s < math.inf:
            raise ConfigurationError(
                "RateLimit.window_margin_s must be 0 or more and finite, "
                f"not {self.window_margin_s}"
            )
        if self.redis_url is not None and not isinstance(self.redis_url, str):
            raise ConfigurationError(f"RateLimit.redis_url must be a str, not {self.redis_url!r}")

    def __repr__(self) -> str:
        # A Redis URL may carry a password (redis://:password@host): never show it.
        fields = {**self.__dict__, "redis_url": _redacted_url(self.redis_url)}
        return f"RateLimit({', '.join(f'{name}={value!r}' for name, value in fields.items())})"

    @property
    def window_ms(self) -> int:
        """The window actually enforced, in whole milliseconds (rounded up: stricter)."""
        # Rounded to the microsecond first, so that float noise (0.7 * 1000 = 700.0000000000001)
        # does not add a millisecond.
        return math.ceil(round((self.per_seconds + self.window_margin_s) * 1000, 3))


def _redacted_url(url: str | None) -> str | None:
    """`url` with the password of its user info replaced by `<redacted>`."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:<redacted>@{host}"))


def _timeout_message(limit: RateLimit) -> str:
    shared = " (shared through Redis)" if limit.redis_url else ""
    return (
        f"no request slot within {limit.max_wait_s:g} s under the client-side rate limit of "
        f"{limit.requests} requests per {limit.per_seconds:g} s for this API key{shared}; nothing "
        "was sent: send fewer requests (put more orders in each batch), or raise "
        "RateLimit.max_wait_s to wait longer"
    )


_timestamp = attrgetter("timestamp")


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class _Abandoned:
    """Slots whose `acquire` failed or was cancelled, perhaps just as the store admitted them (an
    asyncio deadline or cancellation can strike while a worker thread's Redis call or pyrate's
    inner task still admits): the store drops such a slot as soon as it sees it admitted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._names: dict[str, float] = {}

    def add(self, name: str) -> None:
        now = time.monotonic()
        with self._lock:
            # A name never admitted stays at most as long as an entry could: then it is moot.
            stale = [n for n, at in self._names.items() if now - at > _HOLD_MS / 1000 * 2]
            for old_name in stale:
                del self._names[old_name]
            self._names[name] = now

    def take(self, name: str) -> bool:
        """True, forgetting it, when `name` was abandoned."""
        with self._lock:
            return self._names.pop(name, None) is not None


class _LocalBucket(InMemoryBucket):
    """pyrate-limiter's in-memory sliding-window log, trimmed in place, whose held entries are
    stamped `_HOLD_MS` ahead while in flight and re-stamped when released."""

    def __init__(self, rates: list[Rate]) -> None:
        super().__init__(rates)
        self._held: dict[str, RateItem] = {}
        self._abandoned = _Abandoned()

    def now(self) -> int:
        return _monotonic_ms()

    def put(self, item: RateItem) -> bool:
        # Under the bucket's lock, so entries stay in stamp order for its bisect.
        with self._lock:
            now = item.timestamp = self.now()
            self.leak(now)
            if not super().put(item):
                self._poll_if_in_flight(item)
                return False
            if item.name.startswith(_HELD):
                if self._abandoned.take(item.name):  # its caller gave up: end its wait, count none
                    self.items.pop()
                    return True
                # Still last in stamp order: no other entry is stamped later than its own now+hold.
                item.timestamp = now + _HOLD_MS
                self._held[item.name] = item
            return True

    def _poll_if_in_flight(self, item: RateItem) -> None:
        """A wait longer than the window means the entry blocking `item` is in flight (stamped
        ahead): it frees at its answer, so check again soon rather than at its stamp."""
        wait = self._recorded_wait(item)
        rate = self.failing_rate
        if wait is not None and rate is not None and wait > rate.interval + 1:
            self._record(item, Decision(failing_rate=rate, retry_after_ms=_IN_FLIGHT_POLL_MS))

    def _unlist(self, name: str) -> RateItem | None:
        """Take a held entry out of the log (under the lock); None if it holds no such entry."""
        item = self._held.pop(name, None)
        if item is not None:
            with contextlib.suppress(ValueError):  # gone if it outlived the hold and was trimmed
                self.items.remove(item)
        return item

    def forget(self, name: str) -> None:
        """Drop a slot whose `acquire` failed: admitted already, or whenever it is."""
        with self._lock:
            if self._unlist(name) is None:
                self._abandoned.add(name)

    def release(self, name: str) -> None:
        """Count a held entry from now: its answer has arrived."""
        with self._lock:
            item = self._unlist(name)
            if item is not None:
                item.timestamp = self.now()
                bisect.insort(self.items, item, key=_timestamp)


_REDIS_SLIDING_WINDOW: Final = """
-- One sliding-window log per key: a sorted set of admitted requests, scored by Redis' clock in ms;
-- a request in flight is scored `hold` ms ahead, until _REDIS_RELEASE scores it at its answer.
-- KEYS[1] the set; ARGV: window_ms, limit, weight, unique member prefix, hold_ms, poll_ms.
-- Returns {1, 0} when admitted, {0, ms until room} when not, {-1, -1} when it can never fit.
local key = KEYS[1]
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local weight = tonumber(ARGV[3])
local hold = tonumber(ARGV[5])

if weight > limit then
    return {-1, -1}
end

-- Writes after TIME need effect replication, the default from Redis 5 and a no-op from 7.
if redis.replicate_commands then
    redis.replicate_commands()
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- Entries older than the window can never count again. Everything left counts, including entries
-- stamped after `now` should the server clock step back.
redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('(%.0f', now - window))
local count = redis.call('ZCARD', key)

if count + weight > limit then
    -- Room comes when the (limit - weight + 1)-th newest entry leaves the window.
    local rank = weight - limit - 1
    local blocking = tonumber(redis.call('ZRANGE', key, rank, rank, 'WITHSCORES')[2])
    if blocking > now then
        -- In flight: its answer frees it, at a moment nobody knows yet.
        return {0, tonumber(ARGV[6])}
    end
    return {0, blocking + window + 1 - now}
end

for i = 1, weight do
    redis.call('ZADD', key, now + hold, ARGV[4] .. ':' .. i)
end
redis.call('PEXPIRE', key, 2 * window + hold)
return {1, 0}
"""

_REDIS_RELEASE: Final = """
-- A held request's answer arrived: it counts from now (Redis' clock), like any other entry.
-- KEYS[1] the set; ARGV: member prefix, weight, expiry_ms.
if redis.replicate_commands then
    redis.replicate_commands()
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
for i = 1, tonumber(ARGV[2]) do
    redis.call('ZADD', KEYS[1], now, ARGV[1] .. ':' .. i)
end
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]))
return 1
"""


class _RedisWindow(AbstractBucket):
    """A sliding-window log in Redis, checked and written atomically in Redis' own time.

    pyrate-limiter's `RedisBucket` with the fixes in the module docstring; the `Limiter` drives it
    as any bucket, and the wait it reports comes back from the same script call.
    """

    def __init__(self, rate: Rate, client: redis.Redis, key: str, abandoned: _Abandoned) -> None:
        self.rates = [rate]
        self._abandoned = abandoned
        self.failing_rate = None
        self._rate = rate
        self._client = client
        self._key = key
        self._script = client.register_script(_REDIS_SLIDING_WINDOW)
        self._release_script = client.register_script(_REDIS_RELEASE)
        self._closed = False

    def close(self) -> None:
        # A caller still asleep in acquire() must not reopen a connection once the limiter closed.
        self._closed = True

    def now(self) -> int:
        # Only the Limiter's bookkeeping of relative waits sees this; admission uses Redis' clock.
        return _wall_ms()

    def _decide(self, item: RateItem) -> Decision:
        """One round trip: admit and record `item`, or say how long until it would fit."""
        if self._closed:
            raise RuntimeError("this RateLimiter is closed")
        held = item.name.startswith(_HELD)
        reply = self._script(
            keys=[self._key],
            args=[
                self._rate.interval,
                self._rate.limit,
                item.weight,
                item.name if held else uuid.uuid4().hex,
                _HOLD_MS if held else 0,
                _IN_FLIGHT_POLL_MS,
            ],
        )
        admitted, retry_after_ms = (int(value) for value in reply)
        if admitted > 0:
            if held and self._abandoned.take(item.name):  # its caller gave up meanwhile
                self._client.zrem(self._key, f"{item.name}:1")
            return Decision()
        if admitted < 0:
            return Decision(failing_rate=self._rate)  # can never fit
        return Decision(failing_rate=self._rate, retry_after_ms=retry_after_ms)

    def forget(self, name: str) -> None:
        """Drop a slot whose `acquire` failed: admitted already, or whenever it is."""
        self._abandoned.add(name)  # first: an admission finishing after the ZREM drops itself
        if self._client.zrem(self._key, f"{name}:1"):
            self._abandoned.take(name)

    def release(self, name: str) -> None:
        """Score a held entry at its answer (now, on Redis' clock)."""
        self._release_script(keys=[self._key], args=[name, 1, 2 * self._rate.interval + _HOLD_MS])

    def leak(self, current_timestamp: int | None = None) -> int:
        return 0  # the script trims on every put, and the key expires when idle

    def flush(self) -> None:
        self.failing_rate = None
        self._last_wait = None
        self._client.delete(self._key)

    def count(self) -> int:
        return int(self._client.zcard(self._key))

    def peek(self, index: int) -> RateItem | None:
        found = self._client.zrange(self._key, -1 - index, -1 - index, withscores=True)
        entry = found[0] if found else None
        if not isinstance(entry, tuple | list):  # (member, score), or [member, score] on RESP3
            return None
        member, score = entry
        name = member.decode() if isinstance(member, bytes) else str(member)
        return RateItem(name=name, timestamp=int(score))


class _RedisBucket(_RedisWindow):
    """For `acquire`: the round trip blocks the calling thread."""

    is_async = False

    def put(self, item: RateItem) -> bool:
        return self._record(item, self._decide(item))


class _AsyncRedisBucket(_RedisWindow):
    """For `acquire_async`: the round trip runs in a worker thread, so the event loop never waits.

    One sync client then serves both paths: no `redis.asyncio` client bound to one event loop, and
    nothing that needs an `await` to close. `put` answers with a Task rather than a coroutine: when
    a deadline passes before the Limiter awaits it, the Limiter cancels a pending future but drops
    a coroutine unawaited (a RuntimeWarning, and for `max_wait_s=0` no attempt at all).
    """

    is_async = True

    def put(self, item: RateItem) -> asyncio.Task[bool]:
        async def admit() -> bool:
            decision = await asyncio.to_thread(self._decide, item)
            return self._record(item, decision)

        return asyncio.ensure_future(admit())


def _import_redis() -> Any:
    try:
        import redis  # noqa: PLC0415 - optional extra, imported only when a redis_url is set
    except ImportError as exc:
        raise ImportError(_REDIS_INSTALL_HINT) from exc
    return redis


class RateLimiter:
    """Holds each request back until it fits under a `RateLimit`, for threads and asyncio alike.

    Create one per API key (`bucket_name_for`) and share it: every acquisition through it, or
    through any limiter on the same Redis key, counts against the same window.
    """

    def __init__(self, limit: RateLimit, *, bucket_name: str) -> None:
        self.limit = limit
        self.bucket_name = bucket_name
        # max_wait_s=0 is one non-blocking try: with a zero timeout pyrate-limiter's deadline has
        # passed before an async bucket's answer is awaited, so it would never even ask.
        self._blocking = limit.max_wait_s > 0
        no_deadline = not self._blocking or math.isinf(limit.max_wait_s)
        self._timeout: float = -1 if no_deadline else limit.max_wait_s
        self._close_lock = threading.Lock()
        self._closed = False
        self._outstanding: set[Slot] = set()
        """Slots acquired and not released yet (`close` releases them)."""
        self._redis: redis.Redis | None = None
        self._sync: Limiter | None = None
        self._async: Limiter | None = None
        self._bucket: _LocalBucket | _RedisBucket | None = None
        if not limit.enabled:
            return
        rate = Rate(limit.requests, limit.window_ms)
        if limit.redis_url is None:
            # One store for both paths: a sync put is microseconds, fine inside the event loop.
            self._bucket = _LocalBucket([rate])
            self._sync = self._async = _limiter(self._bucket)
        else:
            client: redis.Redis = _import_redis().Redis.from_url(
                limit.redis_url,
                socket_timeout=_REDIS_SOCKET_TIMEOUT_S,
                socket_connect_timeout=_REDIS_SOCKET_TIMEOUT_S,
            )
            self._redis = client
            # Two Limiters because each keeps its own lock and last-wait state; the count lives in
            # Redis, so both (and every other process on the key) share it. Nothing connects yet.
            abandoned = _Abandoned()
            self._bucket = _RedisBucket(rate, client, bucket_name, abandoned)
            self._sync = _limiter(self._bucket)
            self._async = _limiter(_AsyncRedisBucket(rate, client, bucket_name, abandoned))

    @staticmethod
    def bucket_name_for(api_key: str) -> str:
        """A stable name per API key that hides the key (the name may sit in a shared Redis)."""
        digest = hashlib.sha256(api_key.encode()).hexdigest()
        return _BUCKET_PREFIX + digest[:16]

    def acquire(self) -> Slot | None:
        """Block until a request may go out; return its slot (None when limiting is off).
        `RateLimitTimeout` after `max_wait_s`.

        The slot counts as in flight until `release`d, which the caller does once the answer
        arrived or the attempt failed, and counts for the window from then on. Why no delay can
        then take the exchange over the limit: were more than `requests` of ours counted by the
        exchange within one window W, take the one of them admitted last, b. Every other one was
        admitted before b, and when b was admitted it was either in flight or answered after the
        exchange counted it, so within one window before b's admission (which precedes its own
        counting, within W): counted by this limiter, `requests` of them, so b was not admitted.
        """
        limiter = self._limiter(self._sync)
        if limiter is None:
            return None
        slot = Slot(_HELD + uuid.uuid4().hex)
        with self._dropped_on_failure(slot):
            acquired = limiter.try_acquire(slot, blocking=self._blocking, timeout=self._timeout)
            if isawaitable(acquired):  # only async buckets answer with an awaitable; ours are sync
                raise TypeError("internal error: the sync rate limiter returned an awaitable")
        return self._admitted(slot, acquired)

    async def acquire_async(self) -> Slot | None:
        """`acquire` without blocking the event loop."""
        limiter = self._limiter(self._async)
        if limiter is None:
            return None
        slot = Slot(_HELD + uuid.uuid4().hex)
        with self._dropped_on_failure(slot):  # a deadline or a cancellation, too
            acquired = await limiter.try_acquire_async(
                slot, blocking=self._blocking, timeout=self._timeout
            )
        return self._admitted(slot, acquired)

    @contextlib.contextmanager
    def _dropped_on_failure(self, slot: Slot) -> Iterator[None]:
        """Drop `slot` if acquiring it fails in any way; a Redis failure becomes the SDK's."""
        try:
            yield
        except BaseException as error:
            self._forget(slot)
            unavailable = self._unavailable(error)
            if unavailable is error:
                raise
            raise unavailable from error

    def _admitted(self, slot: Slot, acquired: object) -> Slot:
        if not acquired:
            self._forget(slot)
            raise RateLimitTimeout(_timeout_message(self.limit))
        with self._close_lock:
            self._outstanding.add(slot)
        return slot

    def _forget(self, slot: Slot) -> None:
        """Undo an acquisition that failed, whether or not the store admitted it (see
        `_Abandoned`); never raises."""
        if self._bucket is not None:
            self._quietly(self._bucket.forget, slot)

    def release(self, slot: Slot | None, *, answered: bool = True) -> None:
        """Count `slot` from now on: its request was answered, or certainly never left.

        `answered=False` for a request whose outcome is unknown (a timeout after sending): the
        exchange may count it still, so it keeps its slot until the slot frees itself
        (`_HOLD_MS`). Never raises: a Redis failure leaves the slot in flight likewise, which
        only ever holds requests back. After `close`, which released every slot still out, a
        release does nothing.
        """
        if slot is None or self._bucket is None:
            return
        with self._close_lock:
            if slot not in self._outstanding:
                return
            self._outstanding.discard(slot)
        if answered:
            self._quietly(self._bucket.release, slot)

    async def release_async(self, slot: Slot | None, *, answered: bool = True) -> None:
        """`release` without blocking the event loop on Redis."""
        if self.limit.redis_url is None or slot is None or not answered:
            self.release(slot, answered=answered)
        else:
            await asyncio.to_thread(self.release, slot)

    @staticmethod
    def _quietly(update: Callable[[str], None], slot: Slot) -> None:
        """Update a slot in the store without raising: a failure (Redis down) leaves it in
        flight until it frees itself, which only ever holds requests back."""
        try:
            update(slot)
        except Exception as error:
            logger.warning(
                "could not update a rate-limit slot (%s: %s); it frees itself within %d s",
                type(error).__name__,
                error,
                _HOLD_MS // 1000,
            )

    def _unavailable(self, error: BaseException) -> BaseException:
        """The SDK's error for a Redis failure; any other error is passed on as it is."""
        if self.limit.redis_url is None or not type(error).__module__.startswith("redis"):
            return error
        return RateLimiterUnavailableError(
            f"the shared rate limiter's Redis at {_redacted_url(self.limit.redis_url)} failed "
            f"({type(error).__name__}); nothing was sent. Start Redis or fix the URL, or use "
            "RateLimit() without redis_url for a limit within this process"
        )

    def close(self) -> None:
        """Release the limiters and the Redis connections; later acquisitions raise."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
            outstanding, self._outstanding = self._outstanding, set()
        # Requests still out when their client closes have lost their connections: whatever the
        # exchange counts of them it has counted by now. Released before Redis is let go, so
        # that other processes on the key do not wait for them to free themselves.
        if self._bucket is not None:
            for slot in outstanding:
                self._quietly(self._bucket.release, slot)
        for limiter in {id(lim): lim for lim in (self._sync, self._async) if lim}.values():
            limiter.close()
        if self._redis is not None:
            self._redis.close()
            self._redis.connection_pool.disconnect()

    def __enter__(self) -> RateLimiter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _limiter(self, limiter: Limiter | None) -> Limiter | None:
        if self._closed:
            raise RuntimeError("this RateLimiter is closed")
        return limiter


def _limiter(bucket: AbstractBucket) -> Limiter:
    # schedule_leak=False: no leak thread (the buckets trim themselves; see the module docstring).
    return Limiter(SingleBucketFactory(bucket, schedule_leak=False), buffer_ms=_RETRY_SLACK_MS)
