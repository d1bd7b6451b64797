"""One sandbox exchange for the whole session, reset before every test that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from az_futures.sandbox import (
    DEMO_API_KEY,
    DEMO_SECRET_KEY,
    Faults,
    RunningSandbox,
    SandboxConfig,
    running_sandbox,
)

from tests.sandbox.helpers import OTHER_API_KEY, OTHER_SECRET_KEY


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[RunningSandbox]:
    config = SandboxConfig(keys={DEMO_API_KEY: DEMO_SECRET_KEY, OTHER_API_KEY: OTHER_SECRET_KEY})
    with running_sandbox(config) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def shared_lenient_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(strict=False)) as sandbox:
        yield sandbox


@pytest.fixture
def lenient(shared_lenient_sandbox: RunningSandbox) -> RunningSandbox:
    """A sandbox that takes what the spec forbids but exchanges of this family accept."""
    shared_lenient_sandbox.set_faults(Faults())
    shared_lenient_sandbox.reset()
    return shared_lenient_sandbox


@pytest.fixture
def sandbox(shared_sandbox: RunningSandbox) -> RunningSandbox:
    shared_sandbox.set_faults(Faults())
    shared_sandbox.reset()
    return shared_sandbox


@pytest.fixture(scope="session")
def shared_client(shared_sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    # One client for the session: building an httpx.Client (its TLS context) costs ~20 ms.
    with httpx.Client(base_url=shared_sandbox.base_url, timeout=5) as http:
        yield http


@pytest.fixture
def client(sandbox: RunningSandbox, shared_client: httpx.Client) -> httpx.Client:
    return shared_client


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
