"""`Client` and `AsyncClient`: thin I/O loops over one request core (`_core.py`).

The core makes every decision (validation, encoding, signing, reading answers, errors, retries);
each client only sends, sleeps and waits for the rate limiter. Each operation is a module that
hands the core a `Call` (the batch: `_batch_orders.py`).

Requests go straight to an httpx transport of the SDK's own (the connection pool; proxies from the
environment as `httpx.Client` takes them): `httpx.Client.send`'s per-request work (merging
defaults, cookies, auth and redirect flows, hooks) costs a fifth of a batch and does nothing for
one signed POST. A client passed in as `http_client` is sent through whole, hooks and all.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Self, TypeVar

import httpx

from . import _batch_orders
from ._clock import MillisClock
from ._core import DEFAULT_RECV_WINDOW_MS, DEFAULT_TIMEOUT, Call, R, RequestCore
from ._encoding import Encoding
from ._environments import proxy_for
from ._errors import AZError, OutcomeUnknownError
from ._orders import Order
from ._ratelimit import RateLimit
from ._results import BatchResult
from ._signing import DEFAULT_HEADER_PREFIX

_Http = TypeVar("_Http", httpx.Client, httpx.AsyncClient)
_Transport = TypeVar("_Transport", httpx.HTTPTransport, httpx.AsyncHTTPTransport)


class _BaseClient(Generic[_Http, _Transport]):
    """Construction, settings and repr shared by `Client` and `AsyncClient`.

    `base_url` is `'production'`, `'test'`, `'sandbox'` (http://127.0.0.1:8080) or a URL.
    Keys default to the `AZ_API_KEY` and `AZ_SECRET_KEY` environment variables. `encoding` is
    `'json'` or `'form'`. `rate_limit` defaults to 200 requests per second for this key in this
    process; `RateLimit(redis_url=...)` shares it across processes, `None` turns it off.
    `max_retries` bounds resends of requests that never left and of 429s (never of a batch
    whose outcome is unknown). `clock` (Unix ms) is injectable; `clock_offset_ms` is added to it,
    and learnt from the exchange's `Date` header unless `learn_clock_offset=False`.
    `http_client` lets you bring your own httpx client (you then close it yourself); requests
    then go through its `send`, with its defaults, hooks and mounts.
    """

    _transport_class: type[_Transport]
    """The SDK's own transport (the connection pool), used when no `http_client` is passed."""

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None = None,
        secret_key: str | None = None,
        encoding: Encoding = "json",
        recv_window_ms: int | None = DEFAULT_RECV_WINDOW_MS,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        rate_limit: RateLimit | None = RateLimit(),  # noqa: B008 (immutable)
        max_retries: int = 2,
        retry_backoff_s: float = 0.05,
        max_retry_wait_s: float = 2.0,
        header_prefix: str = DEFAULT_HEADER_PREFIX,
        clock: MillisClock | None = None,
        clock_offset_ms: int = 0,
        learn_clock_offset: bool = True,
        http_client: _Http | None = None,
    ) -> None:
        self._core = RequestCore(
            api_key=api_key,
            secret_key=secret_key,
            base_url=base_url,
            encoding=encoding,
            recv_window_ms=recv_window_ms,
            timeout=timeout,
            rate_limit=rate_limit,
            max_retries=max_retries,
            retry_backoff_s=retry_backoff_s,
            max_retry_wait_s=max_retry_wait_s,
            header_prefix=header_prefix,
            clock=clock,
            clock_offset_ms=clock_offset_ms,
            learn_clock_offset=learn_clock_offset,
        )
        self._http: _Http | None = http_client
        self._transport: _Transport | None = None
        if http_client is None:
            self._transport = self._transport_class(proxy=proxy_for(self._core.base_url))

    @property
    def base_url(self) -> str:
        """The exchange's base URL requests go to."""
        return self._core.base_url

    @property
    def encoding(self) -> Encoding:
        """The body encoding: 'json' or 'form'."""
        return self._core.encoding

    @property
    def clock_offset_ms(self) -> int:
        """Milliseconds added to local time when stamping requests (set by hand or learnt)."""
        return self._core.auth.clock.offset_ms

    @clock_offset_ms.setter
    def clock_offset_ms(self, value: int) -> None:
        self._core.auth.clock.offset_ms = value

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._core.base_url!r}, "
            f"encoding={self._core.encoding!r}, api_key=<redacted>, secret_key=<redacted>)"
        )


class Client(_BaseClient[httpx.Client, httpx.HTTPTransport]):
    """A synchronous client for the batch endpoint; see `_BaseClient` for the arguments."""

    _transport_class = httpx.HTTPTransport

    def _exchange(self, request: httpx.Request) -> httpx.Response:
        """One attempt's answer, read whole."""
        if self._transport is None:
            assert self._http is not None
            return self._http.send(request)
        response = self._transport.handle_request(request)
        try:
            response.read()
        finally:
            response.close()
        return response

    def batch_orders(
        self,
        create_orders: Iterable[Order | Mapping[str, Any]] = (),
        cancel_order_ids: Iterable[int] = (),
        *,
        create_order_first: bool = True,
        before_send: Callable[[], None] | None = None,
    ) -> BatchResult:
        """Place up to 100 orders and cancel up to 100 orders in one signed request.

        `before_send`, when given, is called right before each attempt goes out (after the
        rate limiter let it through): the moment from which its outcome can be unknown.
        """
        call = _batch_orders.prepare(
            self._core.encoding, create_orders, cancel_order_ids, create_order_first
        )
        return self._send(call, before_send)

    def _send(self, call: Call[R], before_send: Callable[[], None] | None) -> R:
        """Send `call`, re-signed on each attempt, until it succeeds or its error is final."""
        core = self._core
        request = core.build(call, self._http)
        attempt = 0
        while True:
            slot = core.limiter.acquire()
            unknown = False  # whether the exchange may count the request without our knowing
            try:
                sent_ms = core.sign(request, before_send)
                started = time.perf_counter()
                unknown = True
                response = self._exchange(request)
                unknown = False
                outcome = core.read(call, response, sent_ms, started)
            except httpx.TransportError as error:
                outcome = core.transport_error(call, error)
                unknown = isinstance(outcome, OutcomeUnknownError)
            finally:
                core.limiter.release(slot, answered=not unknown)
            if not isinstance(outcome, AZError):
                return outcome
            time.sleep(core.retry_delay(call, attempt, outcome))  # raises `outcome` if final
            attempt += 1

    def close(self) -> None:
        """Close the connections (unless the httpx client was passed in) and the limiter."""
        if self._transport is not None:
            self._transport.close()
        self._core.limiter.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(_BaseClient[httpx.AsyncClient, httpx.AsyncHTTPTransport]):
    """The asyncio twin of `Client`, with the same arguments (`http_client` is async)."""

    _transport_class = httpx.AsyncHTTPTransport

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        """One attempt's answer, read whole."""
        if self._transport is None:
            assert self._http is not None
            return await self._http.send(request)
        response = await self._transport.handle_async_request(request)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def batch_orders(
        self,
        create_orders: Iterable[Order | Mapping[str, Any]] = (),
        cancel_order_ids: Iterable[int] = (),
        *,
        create_order_first: bool = True,
        before_send: Callable[[], None] | None = None,
    ) -> BatchResult:
        """Place up to 100 orders and cancel up to 100 orders in one signed request.

        `before_send`, when given, is called right before each attempt goes out (after the
        rate limiter let it through): the moment from which its outcome can be unknown.
        """
        call = _batch_orders.prepare(
            self._core.encoding, create_orders, cancel_order_ids, create_order_first
        )
        return await self._send(call, before_send)

    async def _send(self, call: Call[R], before_send: Callable[[], None] | None) -> R:
        """Send `call`, re-signed on each attempt, until it succeeds or its error is final."""
        core = self._core
        request = core.build(call, self._http)
        attempt = 0
        while True:
            slot = await core.limiter.acquire_async()
            unknown = False  # whether the exchange may count the request without our knowing
            try:
                sent_ms = core.sign(request, before_send)
                started = time.perf_counter()
                unknown = True
                response = await self._exchange(request)
                unknown = False
                outcome = core.read(call, response, sent_ms, started)
            except httpx.TransportError as error:
                outcome = core.transport_error(call, error)
                unknown = isinstance(outcome, OutcomeUnknownError)
            finally:
                await core.limiter.release_async(slot, answered=not unknown)
            if not isinstance(outcome, AZError):
                return outcome
            await asyncio.sleep(
                core.retry_delay(call, attempt, outcome)
            )  # raises `outcome` if final
            attempt += 1

    async def aclose(self) -> None:
        """Close the connections (unless the httpx client was passed in) and the limiter."""
        if self._transport is not None:
            await self._transport.aclose()
        self._core.limiter.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
