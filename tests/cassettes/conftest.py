"""Cassette tests: HTTP exchanges with the sandbox, recorded by `nox -s record`, replayed offline.

Recording (`--record-mode=rewrite`) starts two sandboxes on fixed ports, one with a rate limit of
2 requests per second. Clients stamp requests with a fixed clock and the sandboxes' clocks are
skewed to match it, and every test starts from a reset sandbox, so the bodies (and order ids) are
the same on every recording and replays match them byte for byte. The signing headers are
filtered out of the cassettes: they are neither stored nor matched.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from az_futures.sandbox import (
    DEMO_API_KEY,
    DEMO_SECRET_KEY,
    Faults,
    RunningSandbox,
    SandboxConfig,
    running_sandbox,
)

HOST = "127.0.0.1"
MAIN_PORT = 18765
LIMITED_PORT = 18766
MAIN_URL = f"http://{HOST}:{MAIN_PORT}"
LIMITED_URL = f"http://{HOST}:{LIMITED_PORT}"
FIXED_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SIGNING_HEADERS = [
    "validate-appkey",
    "validate-timestamp",
    "validate-signature",
    "validate-recvwindow",
    "xt-validate-appkey",
    "xt-validate-timestamp",
    "xt-validate-signature",
    "xt-validate-recvwindow",
]


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": SIGNING_HEADERS,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
    }


class Sandboxes:
    """The recording sandboxes (absent on replay, when nothing listens)."""

    def __init__(self, main: RunningSandbox | None, limited: RunningSandbox | None) -> None:
        self.main = main
        self.limited = limited

    def reset(self) -> None:
        for sandbox in (self.main, self.limited):
            if sandbox is not None:
                sandbox.set_faults(Faults())
                sandbox.reset()

    def faults(self, faults: Faults) -> None:
        if self.main is not None:
            self.main.set_faults(faults)


@pytest.fixture(scope="session")
def _recording_sandboxes(request: pytest.FixtureRequest) -> Iterator[Sandboxes]:
    if request.config.getoption("--record-mode") in (None, "none"):
        yield Sandboxes(None, None)
        return
    skew = FIXED_MS - time.time_ns() // 1_000_000
    keys = {DEMO_API_KEY: DEMO_SECRET_KEY}
    main = SandboxConfig(keys=keys, server_clock_skew_ms=skew)
    limited = SandboxConfig(keys=keys, server_clock_skew_ms=skew, rate_limit_per_second=2)
    with (
        running_sandbox(main, host=HOST, port=MAIN_PORT) as main_sandbox,
        running_sandbox(limited, host=HOST, port=LIMITED_PORT) as limited_sandbox,
    ):
        yield Sandboxes(main_sandbox, limited_sandbox)


@pytest.fixture
def sandboxes(_recording_sandboxes: Sandboxes) -> Iterator[Sandboxes]:
    _recording_sandboxes.reset()
    yield _recording_sandboxes
    _recording_sandboxes.reset()
