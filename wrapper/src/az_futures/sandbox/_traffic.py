"""Per-key traffic: the sliding-window rate limit and the counters behind `/sandbox/stats`.

The counters exist so that tests and benchmarks can prove what a client did on the wire: how many
requests it sent in its busiest second, how many were refused with 429, how many batches were
processed. They are kept per API key and per epoch second.
"""

from __future__ import annotations

import collections
import hashlib
from dataclasses import dataclass, field
from typing import Any


def key_label(api_key: str) -> str:
    """How `/sandbox/stats` and reprs name an API key: a fingerprint, never the key itself.

    API keys are treated as secrets throughout the project; whoever knows a key can compute its
    label to find its stats.
    """
    return "sha256:" + hashlib.sha256(api_key.encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Admission:
    """The rate limiter's verdict on one request."""

    admitted: bool
    limit: int
    remaining: int
    retry_after_s: float = 0.0
    """When refused: how long until the key's oldest admitted request leaves the window."""


class SlidingWindowLimiter:
    """At most `limit` admitted requests per key in any window of one second.

    Refused requests do not take a slot, so a client that backs off is served again as soon as its
    earlier requests leave the window. Not thread-safe on its own; the exchange's lock guards it.
    """

    def __init__(self, limit: int, window_s: float = 1.0) -> None:
        self.limit = limit
        self._window_s = window_s
        self._admitted: dict[str, collections.deque[float]] = {}

    def admit(self, api_key: str, now_s: float) -> Admission:
        """Take a slot for `api_key` at monotonic time `now_s`, if one is free."""
        times = self._admitted.setdefault(api_key, collections.deque())
        while times and times[0] <= now_s - self._window_s:
            times.popleft()
        if len(times) >= self.limit:
            wait = times[0] + self._window_s - now_s
            return Admission(admitted=False, limit=self.limit, remaining=0, retry_after_s=wait)
        times.append(now_s)
        return Admission(admitted=True, limit=self.limit, remaining=self.limit - len(times))

    def clear(self) -> None:
        """Forget every request."""
        self._admitted.clear()


@dataclass(slots=True)
class KeyStats:
    """What one API key did. `per_second` maps epoch seconds to authenticated requests."""

    requests: int = 0
    """Authenticated requests to the batch endpoint, 429s included."""
    per_second: dict[int, int] = field(default_factory=dict)
    max_per_second: int = 0
    """The most requests counted in any one epoch second."""
    rate_limited: int = 0
    """Requests answered 429."""
    batches: int = 0
    """Batches processed (placements and cancellations applied)."""
    auth_failures: int = 0
    """Requests naming this key refused for their signature, timestamp or receive window."""

    def copy(self) -> KeyStats:
        """An independent snapshot."""
        return KeyStats(
            requests=self.requests,
            per_second=dict(self.per_second),
            max_per_second=self.max_per_second,
            rate_limited=self.rate_limited,
            batches=self.batches,
            auth_failures=self.auth_failures,
        )

    def to_json(self) -> dict[str, Any]:
        """The camelCase form served by `/sandbox/stats`."""
        return {
            "requests": self.requests,
            "perSecond": {str(second): count for second, count in sorted(self.per_second.items())},
            "maxPerSecond": self.max_per_second,
            "rateLimited": self.rate_limited,
            "batches": self.batches,
            "authFailures": self.auth_failures,
        }


@dataclass(slots=True, repr=False)
class SandboxStats:
    """A snapshot of the whole sandbox's traffic."""

    keys: dict[str, KeyStats] = field(default_factory=dict)
    unauthenticated: int = 0
    """Requests without signing headers or with an unknown key."""
    faults: dict[str, int] = field(default_factory=dict)
    """Injected faults by name (`error`, `drop_before`, ...)."""

    def key(self, api_key: str) -> KeyStats:
        """The stats of `api_key` (zeros if it made no request)."""
        return self.keys.get(api_key) or KeyStats()

    def copy(self) -> SandboxStats:
        """An independent snapshot."""
        return SandboxStats(
            keys={key: stats.copy() for key, stats in self.keys.items()},
            unauthenticated=self.unauthenticated,
            faults=dict(self.faults),
        )

    def __repr__(self) -> str:
        keys = {key_label(key): stats for key, stats in self.keys.items()}
        return (
            f"SandboxStats(keys={keys!r}, unauthenticated={self.unauthenticated!r}, "
            f"faults={self.faults!r})"
        )

    def to_json(self) -> dict[str, Any]:
        """The form served by `/sandbox/stats`: keys by `key_label`, never in clear."""
        return {
            "keys": {key_label(key): stats.to_json() for key, stats in self.keys.items()},
            "unauthenticated": self.unauthenticated,
            "faults": dict(self.faults),
        }
