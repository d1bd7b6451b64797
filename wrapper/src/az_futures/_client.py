"""`Client` and `AsyncClient`: the request core (`_core.py`, their base class) plus the I/O.

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
from contextlib import AbstractContextManager
from typing import Any, Self

import httpx

from . import _batch_orders
from ._core import Call, R, RequestCore
from ._errors import AZError, OutcomeUnknownError
from ._orders import Order
from ._results import BatchResult


class Client(RequestCore[httpx.Client, httpx.HTTPTransport], AbstractContextManager["Client"]):
    """A synchronous client for the batch endpoint. Its arguments, all keywords: `base_url`,
    `api_key`, `secret_key`, `encoding`, `recv_window_ms`, `timeout`, `rate_limit`,
    `max_retries`, `retry_backoff_s`, `max_retry_wait_s`, `header_prefix`, `clock`,
    `clock_offset_ms`, `learn_clock_offset`, `http_client` (see `RequestCore`)."""

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
            self._encoding, create_orders, cancel_order_ids, create_order_first
        )
        return self._send(call, before_send)

    def _send(self, call: Call[R], before_send: Callable[[], None] | None) -> R:
        """Send `call`, re-signed on each attempt, until it succeeds or its error is final."""
        request = self._build(call)
        attempt = 0
        while True:
            slot = self._limiter.acquire()
            unknown = False  # whether the exchange may count the request without our knowing
            try:
                sent_ms = self._sign(request, before_send)
                unknown = True
                response = self._exchange(request)
                unknown = False
                outcome = self._read(call, response, sent_ms)
            except httpx.TransportError as error:
                outcome = self._transport_error(call, error)
                unknown = isinstance(outcome, OutcomeUnknownError)
            finally:
                self._limiter.release(slot, answered=not unknown)
            if not isinstance(outcome, AZError):
                return outcome
            time.sleep(self._retry_delay(call, attempt, outcome))  # raises `outcome` if final
            attempt += 1

    def close(self) -> None:
        """Close the connections (unless the httpx client was passed in) and the limiter."""
        if self._transport is not None:
            self._transport.close()
        self._limiter.close()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncClient(RequestCore[httpx.AsyncClient, httpx.AsyncHTTPTransport]):
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
            self._encoding, create_orders, cancel_order_ids, create_order_first
        )
        return await self._send(call, before_send)

    async def _send(self, call: Call[R], before_send: Callable[[], None] | None) -> R:
        """Send `call`, re-signed on each attempt, until it succeeds or its error is final."""
        request = self._build(call)
        attempt = 0
        while True:
            slot = await self._limiter.acquire_async()
            unknown = False  # whether the exchange may count the request without our knowing
            try:
                sent_ms = self._sign(request, before_send)
                unknown = True
                response = await self._exchange(request)
                unknown = False
                outcome = self._read(call, response, sent_ms)
            except httpx.TransportError as error:
                outcome = self._transport_error(call, error)
                unknown = isinstance(outcome, OutcomeUnknownError)
            finally:
                await self._limiter.release_async(slot, answered=not unknown)
            if not isinstance(outcome, AZError):
                return outcome
            await asyncio.sleep(
                self._retry_delay(call, attempt, outcome)
            )  # raises `outcome` if final
            attempt += 1

    async def aclose(self) -> None:
        """Close the connections (unless the httpx client was passed in) and the limiter."""
        if self._transport is not None:
            await self._transport.aclose()
        self._limiter.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
