"""Cassette tests: HTTP exchanges with the sandbox, recorded by `nox -s record`, replayed offline.

Recording (`--record-mode=rewrite`) starts two sandboxes on fixed ports, one with a rate limit of
2 requests per second. Clients stamp requests with a fixed clock and the sandboxes' clocks are
skewed to match it, and every test starts from a reset sandbox, so the bodies (and order ids) are
the same on every recording and replays match them byte for byte.

No signing header is stored (`SIGNING_HEADERS`). In their place each request carries one header,
`x-cassette-signing`, computed from the request by the sandbox's own verifier (never the SDK's):
which known secret signed it under each reading of the form rule, whether it names the demo key,
its timestamp relative to the fixed clock, its receive window and algorithm. It is computed again
for every request on replay and must match (matcher `signing`), so a request signed with another
secret, over another path or at another time does not replay, although its signature is never
stored.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from az_futures.sandbox import (
    DEMO_API_KEY,
    DEMO_SECRET_KEY,
    Faults,
    RunningSandbox,
    SandboxConfig,
    running_sandbox,
)
from az_futures.sandbox._verify import FORM_SIGNATURES, HEADER_PREFIXES, KeyAuthError, authenticate
from vcr import VCR
from vcr.request import Request

HOST = "127.0.0.1"
MAIN_PORT = 18765
LIMITED_PORT = 18766
MAIN_URL = f"http://{HOST}:{MAIN_PORT}"
LIMITED_URL = f"http://{HOST}:{LIMITED_PORT}"
FIXED_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
WRONG_SECRET = "not-the-secret"  # what the bad-signature test signs with
# Every signing header, in both spellings. `algorithms` is not secret, but it is summarised in the
# verdict like the others, so that the cassettes hold no header of the signing scheme at all and
# one rule ("no validate-* header") keeps them clean.
SIGNING_HEADERS = [
    f"{prefix}{name}"
    for prefix in HEADER_PREFIXES
    for name in ("appkey", "timestamp", "signature", "recvwindow", "algorithms")
]
VERDICT_HEADER = "x-cassette-signing"
KNOWN_SECRETS = {"demo-secret": DEMO_SECRET_KEY, "wrong-secret": WRONG_SECRET}
"""The secrets a recorded request may be signed with, by the label its verdict names."""


def signing_verdict(request: Request) -> str:
    """What the sandbox's verifier finds in a request's signing headers, without any secret.

    The signature is checked with each known secret under each reading of the form rule, at the
    request's own timestamp (so a stale request still has its signature checked); the timestamp is
    given relative to the fixed clock.
    """
    headers = {name.lower(): value for name, value in request.headers.items()}
    prefix = next((p for p in HEADER_PREFIXES if f"{p}appkey" in headers), None)
    if prefix is None:
        return "unsigned"
    timestamp = headers.get(f"{prefix}timestamp", "")
    url = urlsplit(request.uri)
    body = request.body or b""
    signed_by: list[str] = []
    for label, secret in KNOWN_SECRETS.items():
        readings = []
        for reading in FORM_SIGNATURES:
            try:
                authenticate(
                    headers,
                    path=url.path,
                    query=url.query,
                    body=body if isinstance(body, bytes) else body.encode(),
                    keys={headers[f"{prefix}appkey"]: secret},
                    now_ms=int(timestamp) if timestamp.isdigit() else FIXED_MS,
                )
            except KeyAuthError:
                continue
            readings.append(reading)
        if readings:
            signed_by.append(f"{label}/{'+'.join(readings)}")
    key = "demo" if headers[f"{prefix}appkey"] == DEMO_API_KEY else "other"
    offset = f"{int(timestamp) - FIXED_MS:+d}" if timestamp.isdigit() else repr(timestamp)
    return "; ".join(
        [
            f"prefix={'az' if prefix == 'validate-' else 'xt'}",
            f"key={key}",
            f"signed-by={','.join(signed_by) or 'none'}",
            f"timestamp=fixed{offset}",
            f"recvwindow={headers.get(f'{prefix}recvwindow', '-')}",
            f"algorithms={headers.get(f'{prefix}algorithms', '-')}",
        ]
    )


def summarise_signing(request: Request) -> Request:
    """`before_record_request`: the signing headers replaced by their verdict (on recording, and
    on replay before matching, so both sides are compared the same way). vcrpy also passes the
    requests it loads from a cassette through it: those keep the verdict they were recorded with."""
    if VERDICT_HEADER in request.headers and not any(h in request.headers for h in SIGNING_HEADERS):
        return request
    verdict = signing_verdict(request)
    for name in SIGNING_HEADERS:
        request.headers.pop(name, None)
    request.headers[VERDICT_HEADER] = verdict
    return request


def signing_matcher(live: Request, recorded: Request) -> None:
    """vcrpy matcher: the live request's signing verdict is the one recorded."""
    got, expected = live.headers.get(VERDICT_HEADER), recorded.headers.get(VERDICT_HEADER)
    if got != expected:
        raise AssertionError(f"signing differs: {got!r} != recorded {expected!r}")


MATCH_ON = ["method", "scheme", "host", "port", "path", "query", "body", "signing"]


def pytest_recording_configure(config: pytest.Config, vcr: VCR) -> None:
    vcr.register_matcher("signing", signing_matcher)


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "before_record_request": summarise_signing,
        "match_on": MATCH_ON,
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
