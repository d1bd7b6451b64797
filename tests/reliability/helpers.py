"""Shared pieces of the reliability suite: keys, orders, and a client driven the same way in both
its sync and async forms, which counts and records every attempt it sends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from az_futures import AsyncClient, AZError, BatchResult, Client, Order, RateLimit
from az_futures.sandbox import RunningSandbox, SandboxConfig, SandboxStats, running_sandbox

from tests.unit.helpers import order as unit_order

# Distinctive values, so that a leak of any of them is found by a plain substring search.
API_KEY = "rel-api-key-3f9c27d1"
SECRET_KEY = "rel-secret-key-b41d07e8a2"

Kind = Literal["sync", "async"]


def order(client_order_id: str, **changes: Any) -> Order:
    """A valid LIMIT order, with fields changed (the unit tests' builder)."""
    return unit_order(client_order_id, **changes)


def orders(*client_order_ids: str) -> list[Order]:
    return [order(cid) for cid in client_order_ids]


def client_options(sandbox: RunningSandbox, **options: Any) -> dict[str, Any]:
    """Client arguments for `sandbox`: our keys, no client-side limiter, quick retries."""
    settings: dict[str, Any] = {
        "base_url": sandbox.base_url,
        "api_key": API_KEY,
        "secret_key": SECRET_KEY,
        "rate_limit": None,
        "retry_backoff_s": 0.01,
    }
    settings.update(options)
    return settings


def no_traffic(stats: SandboxStats) -> bool:
    """True when the sandbox saw no request at all, signed or not."""
    return stats.keys == {} and stats.unauthenticated == 0


class Desk:
    """One `Client` or `AsyncClient` (driven from sync test code through an event loop of its own)
    on an httpx client that records every attempt: its count and the signatures it carried."""

    def __init__(self, kind: Kind, **options: Any) -> None:
        self.kind = kind
        self.attempts = 0
        self.signatures: list[str] = []
        self.client: Client | AsyncClient
        self._runner: asyncio.Runner | None = None
        if kind == "sync":
            self._http: httpx.Client | httpx.AsyncClient = httpx.Client(
                event_hooks={"request": [self._record]}
            )
            self.client = Client(**options, http_client=self._http)
        else:
            self._runner = asyncio.Runner()
            self._http = httpx.AsyncClient(event_hooks={"request": [self._record_async]})
            self.client = AsyncClient(**options, http_client=self._http)

    def _record(self, request: httpx.Request) -> None:
        # Event hooks run once per attempt, before the connection is made.
        self.attempts += 1
        signature = request.headers.get("validate-signature") or request.headers.get(
            "xt-validate-signature"
        )
        if signature:
            self.signatures.append(signature)

    async def _record_async(self, request: httpx.Request) -> None:
        self._record(request)

    def batch(
        self,
        create_orders: Iterable[Order | Mapping[str, Any]] = (),
        cancel_order_ids: Iterable[int] = (),
        *,
        create_order_first: bool = True,
    ) -> BatchResult:
        client = self.client
        if isinstance(client, Client):
            return client.batch_orders(
                create_orders, cancel_order_ids, create_order_first=create_order_first
            )
        assert self._runner is not None
        return self._runner.run(
            client.batch_orders(
                create_orders, cancel_order_ids, create_order_first=create_order_first
            )
        )

    def close(self) -> None:
        client = self.client
        if isinstance(client, Client):
            client.close()
            assert isinstance(self._http, httpx.Client)
            self._http.close()
            return
        assert self._runner is not None
        assert isinstance(self._http, httpx.AsyncClient)
        self._runner.run(client.aclose())
        self._runner.run(self._http.aclose())
        self._runner.close()


@dataclass(frozen=True)
class LoadPlan:
    """What each desk process of the shared-limit load test does (pickled to spawned processes)."""

    base_url: str
    api_key: str
    redis_url: str
    duration_s: float


def hammer(index: int, plan: LoadPlan, start: Any, results: Any) -> None:
    """One desk process: sends batches on its own client as fast as the shared limiter allows.

    Waits at `start` (a Barrier) for the other desks, sends for `plan.duration_s`, and puts
    (index, batches sent, errors by type) on `results`.
    """
    client = Client(
        base_url=plan.base_url,
        api_key=plan.api_key,
        secret_key=SECRET_KEY,
        rate_limit=RateLimit(redis_url=plan.redis_url),
        max_retries=0,
    )
    sent = 0
    errors: dict[str, int] = {}
    try:
        start.wait(timeout=60)
        deadline = time.monotonic() + plan.duration_s
        while time.monotonic() < deadline:
            try:
                client.batch_orders([order(f"p{index}-{sent}")])
            except AZError as error:
                errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            sent += 1
    finally:
        client.close()
        results.put((index, sent, errors))


def serve_sandbox(api_key: str, ready: Any, stop: Any, report: Any) -> None:
    """The load test's exchange, in a process of its own (as a real exchange is): puts its base URL
    on `report`, serves until `stop` (an Event) is set, then puts its stats and order count."""
    with running_sandbox(SandboxConfig(keys={api_key: SECRET_KEY})) as sandbox:
        report.put(sandbox.base_url)
        ready.set()
        stop.wait(timeout=120)
        report.put((sandbox.stats(), len(sandbox.exchange.orders(api_key))))
