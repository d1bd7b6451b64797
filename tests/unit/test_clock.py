"""The request clock: a settable offset, and one learnt from the exchange's `Date` header."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime

from az_futures._clock import RequestClock


def _date(ms: int) -> str:
    return format_datetime(datetime.fromtimestamp(ms / 1000, UTC), usegmt=True)


def test_offset_is_added() -> None:
    clock = RequestClock(lambda: 1_000_000, offset_ms=-500)
    assert clock.now_ms() == 999_500
    clock.offset_ms = 250
    assert clock.now_ms() == 1_000_250


def test_agreeing_clocks_leave_the_offset_alone() -> None:
    clock = RequestClock(lambda: 1_700_000_000_400)
    clock.observe_date(_date(1_700_000_000_000), 1_700_000_000_300, 1_700_000_000_400)
    assert clock.offset_ms == 0


def test_local_clock_behind_is_corrected_never_into_the_future() -> None:
    local = 1_700_000_000_000
    server = local + 7_300  # the exchange is 7.3 s ahead
    clock = RequestClock(lambda: local)
    clock.observe_date(_date(server), local - 20, local)
    # Date truncates to the second: the exchange was at least at 1_700_000_007_000.
    assert clock.offset_ms == 7_000
    assert clock.now_ms() <= server


def test_local_clock_ahead_is_corrected() -> None:
    local = 1_700_000_010_000
    server = local - 10_000
    clock = RequestClock(lambda: local)
    clock.observe_date(_date(server), local - 20, local)
    assert clock.now_ms() <= server
    assert server - clock.now_ms() < 1_100


def test_learning_can_be_turned_off_and_bad_dates_are_ignored() -> None:
    clock = RequestClock(lambda: 0, learn_from_server=False)
    clock.observe_date(_date(1_700_000_000_000), 0, 0)
    assert clock.offset_ms == 0
    learning = RequestClock(lambda: 0)
    learning.observe_date("not a date", 0, 0)
    learning.observe_date(None, 0, 0)
    assert learning.offset_ms == 0
