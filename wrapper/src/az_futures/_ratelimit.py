"""Client-side rate limiting: at most `requests` per `per_seconds` per API key.

The exchange allows 200 batch requests per second per API key and answers any more with a
rate-limit error, so the SDK holds each request back until it fits. The limiter is an exact sliding
log (one entry per request, never more than `requests` in any window), with one twist that no
rate-limiting library offers:

A request holds its slot from the moment it is admitted until its answer arrives, and counts for
the window from then on. The exchange counts it at some moment in between, which the client cannot
see: the request waits for the GIL, crosses the network, queues at the exchange's gateway. Counting
it from its admission, as token buckets and sliding logs (pyrate-limiter, limits, aiolimiter) do,
lets those delays push one request too many into the exchange's window; counting it from its answer
cannot, whatever the delays (a proof is in `RateLimiter.acquire`). It costs a round trip per
window: a key sustains 200 / (1.005 s + the time a request is in flight). A slot whose answer never
comes (a request of unknown outcome, a process killed mid-request) frees itself after `_HOLD_MS`.

Two stores, both owned here and driven only through public APIs:

- in memory (the default), for the threads and tasks of one process: a sorted list of answers
  and a dict of held slots, under one lock;
- Redis (`RateLimit.redis_url`), for desks that run many processes or machines on one key: one
  sorted set per key, checked and written by one Lua script (for both steps, admit and release)
  in Redis' own clock, so no client's clock or scheduling can slip an entry in behind others.
  The async path uses `redis.asyncio`: no worker threads.

`window_margin_s` lengthens the enforced window beyond `per_seconds`, for a clock that runs at
another rate than the exchange's; millisecond stamps need a few ms of it.
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
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NewType, NoReturn
from urllib.parse import urlsplit, urlunsplit

from ._errors import ConfigurationError, RateLimiterUnavailableError, RateLimitTimeoutError

if TYPE_CHECKING:
    import redis.asyncio
    from redis.commands.core import AsyncScript, Script

    _OnLoop = tuple[redis.asyncio.Redis, AsyncScript, AsyncIterator[object]]
    _Update = Callable[..., Awaitable[object]]

__all__ = ["RateLimit", "RateLimiter"]

logger = logging.getLogger("az_futures")

Slot = NewType("Slot", str)
"""A request's place in the window, from `RateLimiter.acquire` until `RateLimiter.release`."""

_HOLD_MS: Final = 60_000
"""How long an unreleased slot counts as in flight: far beyond any sane request timeout, so that
only a request of unknown outcome, or a caller that died with its slot, ever reaches it."""

_IN_FLIGHT_POLL_MS: Final = 10
"""How soon a caller waiting behind slots that are all in flight checks again: their answers will
free them at a moment nobody knows."""

_REDIS_TIMEOUTS: Final[dict[str, Any]] = {"socket_timeout": 2.0, "socket_connect_timeout": 2.0}
"""A hung Redis must surface as an error, not hang every caller; the URL can override them."""

_NUMBERS: Final[dict[str, tuple[type[float], str, Callable[[float], bool]]]] = {
    # field: its type (int, or float for any number), then what its value must be, and a check
    "requests": (int, "at least 1", lambda n: n >= 1),
    "per_seconds": (float, "positive and finite", lambda s: 0 < s < math.inf),
    "max_wait_s": (float, "0 or more", lambda s: s >= 0),  # and not NaN; infinity waits forever
    "window_margin_s": (float, "0 or more and finite", lambda s: 0 <= s < math.inf),
}


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
        for name, (kind, must, fits) in _NUMBERS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | kind):
                _refuse(name, "an int" if kind is int else "a number", value)
            if not fits(value):
                _refuse(name, must, value)
        if not isinstance(self.redis_url, str | None):
            _refuse("redis_url", "a str", self.redis_url)

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


def _refuse(name: str, must: str, value: object) -> NoReturn:
    # ConfigurationError is a ValueError: callers catching ValueError still do.
    raise ConfigurationError(f"RateLimit.{name} must be {must}, not {value!r}")


def _redacted_url(url: str | None) -> str | None:
    """`url` with the password of its user info replaced by `<redacted>`."""
    parts = urlsplit(url or "")
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:<redacted>@{host}"))


def _timeout_message(limit: RateLimit) -> str:
    shared = " (shared through Redis)" if limit.redis_url else ""
    return (
        f"no request slot within {limit.max_wait_s:g} s under the client-side rate limit of "
        f"{limit.requests} requests per {limit.per_seconds:g} s for this API key{shared}; nothing "
        "was sent: send fewer requests (put more orders in each batch), or raise "
        "RateLimit.max_wait_s to wait longer"
    )


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    """Update a slot in the store without raising: a failure (Redis down) leaves it in flight
    until it frees itself, which only ever holds requests back."""
    try:
        yield
    except Exception as error:
        message = "could not update a rate-limit slot (%s: %s); it frees itself within %d s"
        logger.warning(message, type(error).__name__, error, _HOLD_MS // 1000)


class _Memory:
    """The log of one process: answered slots by the moment of their answer (in order), held ones
    by the moment of their admission (in order too: a dict keeps insertion order).

    Both stores alike: `admit` answers 0 when the slot is admitted (and held from then on), else
    how many ms to wait before asking again; `release` counts a held slot from now.
    """

    def __init__(self, limit: RateLimit) -> None:
        self._requests, self._window = limit.requests, limit.window_ms
        self._lock = threading.Lock()
        self._answered: list[int] = []
        self._held: dict[str, int] = {}

    def admit(self, name: str) -> int:
        with self._lock:
            now = time.monotonic_ns() // 1_000_000
            while self._held:  # a slot held past the hold counts as answered then
                oldest, since = next(iter(self._held.items()))
                if since + _HOLD_MS > now:
                    break
                del self._held[oldest]
                bisect.insort(self._answered, since + _HOLD_MS)
            del self._answered[: bisect.bisect_left(self._answered, now - self._window)]
            # Entries leave oldest first, held ones last: room comes when the `excess`-th leaves.
            excess = len(self._answered) + len(self._held) - self._requests
            if excess < 0:
                self._held[name] = now
                return 0
            if excess < len(self._answered):
                return self._answered[excess] + self._window + 1 - now
            return _IN_FLIGHT_POLL_MS  # in flight: its answer frees it, nobody knows when

    def release(self, name: str) -> None:
        with self._lock:
            self._held.pop(name, None)  # gone if it outlived the hold: it counts again from now
            self._answered.append(time.monotonic_ns() // 1_000_000)  # the latest stamp: in order

    async def admit_async(self, name: str) -> int:
        return self.admit(name)  # microseconds: fine inside the event loop

    async def release_async(self, name: str) -> None:
        self.release(name)

    def close(self) -> None:
        """Nothing to let go of."""


# The Redis log: a sorted set per key (KEYS[1]) of slots scored in ms by Redis' clock, an answered
# slot at its answer and a held one `hold` ms after its admission. ARGV: the step ('admit' or
# 'release'), the slot, window, limit, hold and poll (ms). Admitting returns 0 when the slot is
# admitted (held from then on), else the ms to wait before asking again; everything left in the
# window counts, including entries stamped after `now` should the clock step back. Releasing: a
# held slot's answer arrived, it counts from now. Writes after TIME need effect replication, the
# default from Redis 5 and a no-op from 7.
_SCRIPT: Final = """
if redis.replicate_commands then redis.replicate_commands() end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local key, window, hold = KEYS[1], tonumber(ARGV[3]), tonumber(ARGV[5])
if ARGV[1] == 'admit' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', string.format('(%.0f', now - window))
    local excess = redis.call('ZCARD', key) - tonumber(ARGV[4])
    if excess >= 0 then -- room comes when the `excess`-th oldest leaves; held ones leave last
        local blocking = tonumber(redis.call('ZRANGE', key, excess, excess, 'WITHSCORES')[2])
        if blocking > now then return tonumber(ARGV[6]) end
        return blocking + window + 1 - now
    end
end
redis.call('ZADD', key, ARGV[1] == 'admit' and now + hold or now, ARGV[2]) -- held, or answered
redis.call('PEXPIRE', key, 2 * window + hold)
return 0
"""


class _Redis:
    """The log in a Redis sorted set shared by every limiter on the key: a sync client for
    `acquire`, and a `redis.asyncio` client per event loop (one cannot serve two) for
    `acquire_async`. Nothing connects until first used."""

    def __init__(self, limit: RateLimit, key: str) -> None:
        try:
            import redis.asyncio  # noqa: PLC0415 - optional extra, only when a redis_url is set
        except ImportError as exc:
            message = "RateLimit.redis_url needs the redis package: pip install 'az-futures[redis]'"
            raise ImportError(message) from exc
        assert limit.redis_url is not None
        self._url, self._key, self._async_redis = limit.redis_url, key, redis.asyncio.Redis
        self._limit = (limit.window_ms, limit.requests)
        """The window in ms and how many requests it takes, as the script reads them."""
        self._client = redis.Redis.from_url(self._url, **_REDIS_TIMEOUTS)
        self._script = self._client.register_script(_SCRIPT)
        self._loops: dict[asyncio.AbstractEventLoop, _OnLoop] = {}
        """Per event loop: its client, its script, and the generator that closes the client."""
        self._tasks: set[asyncio.Task[None]] = set()
        """Releases and drops under way in an event loop, kept from the garbage collector."""

    def _run(self, script: Script | AsyncScript, step: str, name: str) -> Any:
        """`script` for `step` (`_HOLD_MS` read at each call: tests shorten it)."""
        return script([self._key], [step, name, *self._limit, _HOLD_MS, _IN_FLIGHT_POLL_MS])

    def admit(self, name: str) -> int:
        try:
            return int(self._run(self._script, "admit", name))
        except BaseException:
            with _quietly():  # admitted, perhaps, as the call failed
                self._client.zrem(self._key, name)
            raise

    def release(self, name: str) -> None:
        with _quietly():
            self._run(self._script, "release", name)

    async def admit_async(self, name: str) -> int:
        client, script, _ = await self._on_loop()
        # In a task of its own, shielded: a cancellation or an error can strike as Redis admits
        # the slot; it is then dropped once the call settled, so that it cannot stay held.
        pending = asyncio.ensure_future(self._run(script, "admit", name))
        try:
            return int(await asyncio.shield(pending))
        except BaseException:
            pending.add_done_callback(lambda _: self._in_background(client.zrem, self._key, name))
            raise

    async def release_async(self, name: str) -> None:
        _, script, _ = await self._on_loop()
        # Shielded: a caller cancelled while releasing must not leave the slot held.
        await asyncio.shield(self._in_background(self._run, script, "release", name))

    def _in_background(self, update: _Update, *args: object) -> asyncio.Task[None]:
        """Run `update(*args)` in a task of its own; the call is made in the task, so that a task
        cancelled before it starts (its loop shutting down) leaves no coroutine unawaited."""

        async def run() -> None:
            with _quietly():
                await update(*args)

        task = asyncio.ensure_future(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _on_loop(self) -> _OnLoop:
        loop = asyncio.get_running_loop()
        if loop not in self._loops:
            connection = self._connected()  # kept in `_loops`: the loop holds it weakly
            client, script = await anext(connection)
            self._loops[loop] = (client, script, connection)
        return self._loops[loop]

    async def _connected(self) -> AsyncIterator[tuple[redis.asyncio.Redis, AsyncScript]]:
        """A client for the running loop and its script; the client is closed as the loop shuts
        down: `asyncio.run` (like any owner of a loop, through `loop.shutdown_asyncgens`) closes
        open async generators while the loop still runs, the last moment the connections bound
        to it can be closed."""
        client = self._async_redis.from_url(self._url, **_REDIS_TIMEOUTS)
        try:
            yield client, client.register_script(_SCRIPT)
        finally:
            self._loops.pop(asyncio.get_running_loop(), None)
            await client.aclose()

    def close(self) -> None:
        for loop, (client, *_) in list(self._loops.items()):
            if not loop.is_closed():  # a closed one closed its client as it shut down
                asyncio.run_coroutine_threadsafe(client.aclose(), loop)
        self._client.close()  # and its connections: from_url gave it its own pool


class RateLimiter(contextlib.AbstractContextManager["RateLimiter"]):
    """Holds each request back until it fits under a `RateLimit`, for threads and asyncio alike.

    Create one per API key (`bucket_name_for`) and share it: every acquisition through it, or
    through any limiter on the same Redis key, counts against the same window.
    """

    def __init__(self, limit: RateLimit, *, bucket_name: str) -> None:
        self.limit = limit
        self.bucket_name = bucket_name
        self._lock = threading.Lock()
        self._closed = False
        self._outstanding: set[Slot] = set()
        """Slots acquired and not released yet (`close` releases them)."""
        self._queue = threading.Lock()
        """Callers wait their turn here, so that only the first asks the store and sleeps: a slot
        that frees wakes one caller, not every one (two dozen threads waking for each slot cost a
        busy process the time it needs to send)."""
        self._async_queues = weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]()
        """The same for the tasks of each event loop (an asyncio.Lock serves one loop)."""
        shared = limit.enabled and limit.redis_url is not None
        self._store = _Redis(limit, bucket_name) if shared else _Memory(limit)

    @staticmethod
    def bucket_name_for(api_key: str) -> str:
        """A stable name per API key that hides the key (the name may sit in a shared Redis)."""
        return "az-futures:" + hashlib.sha256(api_key.encode()).hexdigest()[:16]

    def acquire(self) -> Slot | None:
        """Block until a request may go out; return its slot (None when limiting is off).
        `RateLimitTimeoutError` after `max_wait_s`.

        The slot counts as in flight until `release`d, which the caller does once the answer
        arrived or the attempt failed, and counts for the window from then on. Why no delay can
        then take the exchange over the limit: were more than `requests` of ours counted by the
        exchange within one window W, take the one of them admitted last, b. Every other one was
        admitted before b, and when b was admitted it was either in flight or answered after the
        exchange counted it, so within one window before b's admission (which precedes its own
        counting, within W): counted by this limiter, `requests` of them, so b was not admitted.
        """
        if not self._open():
            return None
        slot, deadline = Slot(uuid.uuid4().hex), time.monotonic() + self.limit.max_wait_s
        # The longest timeout threading takes stands for an endless max_wait_s.
        if not self._queue.acquire(timeout=min(self.limit.max_wait_s, threading.TIMEOUT_MAX)):
            raise RateLimitTimeoutError(_timeout_message(self.limit))
        with self._turn(self._queue):
            while wait_ms := self._store.admit(slot):
                time.sleep(self._pause(wait_ms, deadline))
                self._open()
        return self._kept(slot)

    async def acquire_async(self) -> Slot | None:
        """`acquire` without blocking the event loop."""
        if not self._open():
            return None
        slot, deadline = Slot(uuid.uuid4().hex), time.monotonic() + self.limit.max_wait_s
        queue = self._async_queues.setdefault(asyncio.get_running_loop(), asyncio.Lock())
        try:
            async with asyncio.timeout(self.limit.max_wait_s):  # an endless one never fires
                await queue.acquire()  # at once when free (no wait, so no timeout, even at 0 s)
        except TimeoutError:
            raise RateLimitTimeoutError(_timeout_message(self.limit)) from None
        with self._turn(queue):
            while wait_ms := await self._store.admit_async(slot):
                await asyncio.sleep(self._pause(wait_ms, deadline))
                self._open()
        return self._kept(slot)

    def _pause(self, wait_ms: int, deadline: float) -> float:
        """How long to sleep before asking again; `RateLimitTimeoutError` past the deadline."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RateLimitTimeoutError(_timeout_message(self.limit))
        return min(wait_ms / 1000, remaining)

    @contextlib.contextmanager
    def _turn(self, queue: threading.Lock | asyncio.Lock) -> Iterator[None]:
        """A caller's turn at the store, from the moment it acquired `queue`: a Redis failure
        raises `RateLimiterUnavailableError`, and the turn passes on."""
        try:
            yield
        except Exception as error:
            if not type(error).__module__.startswith("redis"):  # only the Redis store raises these
                raise
            raise RateLimiterUnavailableError(
                f"the shared rate limiter's Redis at {_redacted_url(self.limit.redis_url)} failed "
                f"({type(error).__name__}); nothing was sent. Start Redis or fix the URL, or use "
                "RateLimit() without redis_url for a limit within this process"
            ) from error
        finally:
            queue.release()

    def _kept(self, slot: Slot) -> Slot:
        """`slot`, admitted, and out from now until released. Should `close` have run as the store
        admitted it, it releases the slot like the others, and raises `RuntimeError` like any
        acquisition that finds the limiter closed."""
        with self._lock:
            if not self._closed:
                self._outstanding.add(slot)
                return slot
        self._store.release(slot)  # the sync call even in an event loop: only as it closes
        raise RuntimeError("this RateLimiter is closed")

    def _taken_back(self, slot: Slot | None) -> bool:
        """True, once, for a slot acquired here and not released yet."""
        with self._lock:
            if slot is None or slot not in self._outstanding:
                return False
            self._outstanding.discard(slot)
            return True

    def release(self, slot: Slot | None, *, answered: bool = True) -> None:
        """Count `slot` from now on: its request was answered, or certainly never left.

        `answered=False` for a request whose outcome is unknown (a timeout after sending): the
        exchange may count it still, so it keeps its slot until the slot frees itself
        (`_HOLD_MS`). Never raises: a Redis failure leaves the slot in flight likewise, which
        only ever holds requests back. After `close`, which released every slot still out, a
        release does nothing.
        """
        if self._taken_back(slot) and answered:
            self._store.release(str(slot))

    async def release_async(self, slot: Slot | None, *, answered: bool = True) -> None:
        """`release` without blocking the event loop on Redis."""
        if self._taken_back(slot) and answered:
            await self._store.release_async(str(slot))

    def close(self) -> None:
        """Release the slots still out and the Redis connections; later acquisitions raise."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            outstanding, self._outstanding = self._outstanding, set()
        # Requests still out when their client closes have lost their connections: whatever the
        # exchange counts of them it has counted by now. Released before Redis is let go, so
        # that other processes on the key do not wait for them to free themselves.
        for slot in outstanding:
            self._store.release(slot)
        self._store.close()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open(self) -> bool:
        """Whether limiting is on; `RuntimeError` once closed."""
        if self._closed:
            raise RuntimeError("this RateLimiter is closed")
        return self.limit.enabled
