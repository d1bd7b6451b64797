"""Fixtures of the reliability suite: the real client against the real sandbox on 127.0.0.1.

One sandbox serves the whole session and is reset (orders, counters, rate-limit window, faults)
before every test that takes `sandbox`; tests that need the sandbox started differently (a tiny rate
limit, a skewed clock) get their own for their module.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from az_futures.sandbox import Faults, RunningSandbox, SandboxConfig, running_sandbox

from tests.reliability.helpers import API_KEY, SECRET_KEY, Desk, Kind, client_options

MakeDesk = Callable[..., Desk]


def fresh(sandbox: RunningSandbox) -> RunningSandbox:
    """`sandbox` without faults, orders or counters."""
    sandbox.set_faults(Faults())
    sandbox.reset()
    return sandbox


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(keys={API_KEY: SECRET_KEY})) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(shared_sandbox: RunningSandbox) -> RunningSandbox:
    return fresh(shared_sandbox)


@pytest.fixture(scope="session")
def limited_sandbox() -> Iterator[RunningSandbox]:
    """A sandbox that admits one request per second for our key."""
    config = SandboxConfig(keys={API_KEY: SECRET_KEY}, rate_limit_per_second=1)
    with running_sandbox(config) as sandbox:
        yield sandbox


@pytest.fixture
def limited(limited_sandbox: RunningSandbox) -> RunningSandbox:
    return fresh(limited_sandbox)


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> Kind:
    value: Kind = request.param
    return value


@pytest.fixture
def make_desk(kind: Kind, sandbox: RunningSandbox) -> Iterator[MakeDesk]:
    """Build clients of this test's kind on `sandbox` (or wherever `base_url` says)."""
    desks: list[Desk] = []

    def make(target: RunningSandbox | None = None, **options: Any) -> Desk:
        desk = Desk(kind, **client_options(target or sandbox, **options))
        desks.append(desk)
        return desk

    yield make
    for desk in desks:
        desk.close()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port where nothing listens: bound (so nobody else takes it) but not listening, so
    a connection to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
