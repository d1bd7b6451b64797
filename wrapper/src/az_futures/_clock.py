"""The clock that stamps requests: local time plus an offset toward the exchange's clock.

The exchange refuses a request stamped more than 1 s ahead of its clock or older than the receive
window, so a desk whose clock drifts needs an offset. It can be set by hand, and it is learned from
the `Date` header of the exchange's answers when that header proves the two clocks disagree.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

MillisClock = Callable[[], int]
"""A source of Unix time in milliseconds; injectable so that tests get fixed timestamps."""


@functools.lru_cache(maxsize=8)
def _date_ms(date_header: str) -> int | None:
    """Unix ms of an HTTP `Date` header, or None; cached, as every answer of a second repeats it."""
    try:
        return int(parsedate_to_datetime(date_header).timestamp() * 1000)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def system_millis() -> int:
    """Unix time in milliseconds from the system clock."""
    return time.time_ns() // 1_000_000


class RequestClock:
    """Stamps requests with local time plus an offset (in ms) toward the exchange's clock.

    `observe_date` narrows the offset from an HTTP `Date` header. That header has whole seconds, so
    the exchange's time at the moment it answered lies in [date, date + 1000) ms. With the local
    send and receive times this bounds the true offset to [low, high]. While the current offset lies
    inside, it is left alone; once it does not, the offset becomes `low`, which stamps
    requests at most about a second (plus the round trip) in the exchange's past: never in its
    future, and well inside the default 5 s receive window.
    """

    __slots__ = ("_learn", "_lock", "_offset_ms", "_source")

    def __init__(
        self,
        source: MillisClock = system_millis,
        *,
        offset_ms: int = 0,
        learn_from_server: bool = True,
    ) -> None:
        self._source = source
        self._offset_ms = offset_ms
        self._learn = learn_from_server
        self._lock = threading.Lock()

    @property
    def offset_ms(self) -> int:
        """Milliseconds added to local time when stamping a request."""
        return self._offset_ms

    @offset_ms.setter
    def offset_ms(self, value: int) -> None:
        self._offset_ms = int(value)

    def local_ms(self) -> int:
        """Local Unix time in milliseconds, without the offset."""
        return self._source()

    def now_ms(self) -> int:
        """The timestamp to stamp a request with."""
        return self._source() + self._offset_ms

    def observe_date(self, date_header: str | None, sent_ms: int, received_ms: int) -> None:
        """Learn from an answer's `Date` header, sent and received at the given local times."""
        server_ms = _date_ms(date_header) if self._learn and date_header else None
        if server_ms is not None:
            low, high = server_ms - received_ms, server_ms + 1000 - sent_ms
            with self._lock:
                if not low <= self._offset_ms <= high:
                    self._offset_ms = low

    def __repr__(self) -> str:
        return f"RequestClock(offset_ms={self._offset_ms}, learn_from_server={self._learn})"
