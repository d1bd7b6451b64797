"""A sandbox exchange for the command-line tests, reset before each test."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from az_futures.sandbox import Faults, RunningSandbox, SandboxConfig, running_sandbox


@pytest.fixture(scope="session")
def cli_sandbox_session() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig()) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(cli_sandbox_session: RunningSandbox) -> RunningSandbox:
    cli_sandbox_session.set_faults(Faults())
    cli_sandbox_session.reset()
    return cli_sandbox_session


@pytest.fixture
def demo_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY

    monkeypatch.setenv("AZ_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("AZ_SECRET_KEY", DEMO_SECRET_KEY)


@pytest.fixture
def unused_url() -> str:
    """The URL of a local port nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
