"""`Client` and `AsyncClient`: one shared core, two thin I/O loops.

`_Core` owns everything but the I/O: configuration, validation, encoding, the request, reading the
answer into a `BatchResult` or an error, and the retry decision. The sync and async clients only
send, sleep and wait for the rate limiter.

Retries: a request that never left (connection refused, connect timeout) and a 429 are sent again,
re-signed with a fresh timestamp, up to `max_retries` times. Anything that may have reached the
exchange (a read timeout, a dropped connection, a 5xx, an unreadable answer) raises
`OutcomeUnknownError` at once and is never resent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx
from az_futures_client.models import ErrorResponse
from az_futures_client.types import Unset

from . import __version__
from ._clock import MillisClock, RequestClock, system_millis
from ._encoding import CONTENT_TYPES, ENCODINGS, Encoding, encode_signed
from ._environments import BATCH_PATH, resolve_base_url
from ._errors import (
    APIError,
    AuthenticationError,
    AZError,
    ConfigurationError,
    DecodeError,
    OutcomeUnknownError,
    RateLimitError,
    RequestNotSentError,
    ServerError,
    TimestampError,
)
from ._orders import Batch, Order, build_batch
from ._ratelimit import RateLimit, RateLimiter
from ._results import BatchResult, read_results
from ._signing import DEFAULT_HEADER_PREFIX, PREPARED, AzAuth

logger = logging.getLogger("az_futures")

_Http = TypeVar("_Http", httpx.Client, httpx.AsyncClient)

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0, pool=2.0)
DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
_EXCERPT = 200

# Transport failures after which the request certainly did not reach the exchange.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)


def _key_from(value: str | None, env: str, name: str) -> str:
    key = value if value is not None else os.environ.get(env)
    if key is not None and not isinstance(key, str):
        raise ConfigurationError(f"{name} must be a str, got {type(key).__name__}")
    if key is None or not key.strip():
        raise ConfigurationError(f"{name} is missing: pass {name}=... or set {env}")
    if key != key.strip() or any(ord(c) < 0x21 or ord(c) == 0x7F for c in key):
        raise ConfigurationError(
            f"{name} contains whitespace or control characters; copy it again without them"
        )
    # The API key travels in a header, which holds ASCII only; the secret is only hashed.
    if name == "api_key" and not key.isascii():
        raise ConfigurationError(f"{name} contains non-ASCII characters; copy it again")
    return key


def _check_seconds(value: object, name: str, *, allow_zero: bool) -> None:
    """Refuse a duration that is not a finite number of seconds (>= 0, or > 0)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigurationError(
            f"{name} must be a finite number of seconds {bound}, got {value!r}"
        )


def _timeout_from(timeout: object) -> httpx.Timeout:
    """An httpx.Timeout from seconds, None (no limit) or a Timeout, each part checked."""
    if timeout is None or (isinstance(timeout, int | float) and not isinstance(timeout, bool)):
        _check_timeout_part(timeout, "timeout")
        return httpx.Timeout(timeout)
    if isinstance(timeout, httpx.Timeout):
        for part in ("connect", "read", "write", "pool"):
            _check_timeout_part(getattr(timeout, part), f"timeout.{part}")
        return timeout
    raise ConfigurationError(
        f"timeout must be seconds, None or an httpx.Timeout, got {type(timeout).__name__}"
    )


def _check_timeout_part(value: float | None, name: str) -> None:
    if value is not None:
        _check_seconds(value, name, allow_zero=False)


class _Core:
    """Configuration and every decision of a client, without I/O."""

    def __init__(
        self,
        *,
        api_key: str | None,
        secret_key: str | None,
        base_url: str,
        encoding: Encoding,
        recv_window_ms: int | None,
        timeout: float | httpx.Timeout,
        rate_limit: RateLimit | None,
        max_retries: int,
        retry_backoff_s: float,
        max_retry_wait_s: float,
        header_prefix: str,
        clock: MillisClock | None,
        clock_offset_ms: int,
        learn_clock_offset: bool,
    ) -> None:
        api_key = _key_from(api_key, "AZ_API_KEY", "api_key")
        secret = _key_from(secret_key, "AZ_SECRET_KEY", "secret_key")
        self.base_url = resolve_base_url(base_url)
        if encoding not in ENCODINGS:
            raise ConfigurationError(f"encoding {encoding!r} is not one of {', '.join(ENCODINGS)}")
        self.encoding: Encoding = encoding
        if recv_window_ms is not None and (
            isinstance(recv_window_ms, bool)
            or not isinstance(recv_window_ms, int)
            or not 1 <= recv_window_ms <= MAX_RECV_WINDOW_MS
        ):
            raise ConfigurationError(
                f"recv_window_ms must be an int from 1 to {MAX_RECV_WINDOW_MS}, "
                f"got {recv_window_ms!r}"
            )
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries must be an int >= 0, got {max_retries!r}")
        _check_seconds(retry_backoff_s, "retry_backoff_s", allow_zero=True)
        _check_seconds(max_retry_wait_s, "max_retry_wait_s", allow_zero=True)
        if isinstance(clock_offset_ms, bool) or not isinstance(clock_offset_ms, int):
            raise ConfigurationError(f"clock_offset_ms must be an int, got {clock_offset_ms!r}")
        if header_prefix not in (DEFAULT_HEADER_PREFIX, "xt-validate-"):
            raise ConfigurationError(
                f"header_prefix {header_prefix!r} is neither 'validate-' (AZ) nor "
                "'xt-validate-' (XT.com)"
            )
        self.timeout = _timeout_from(timeout)
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.max_retry_wait_s = max_retry_wait_s
        self.url = self.base_url + BATCH_PATH
        self.auth = AzAuth(
            api_key,
            secret,
            clock=RequestClock(
                clock or system_millis,
                offset_ms=clock_offset_ms,
                learn_from_server=learn_clock_offset,
            ),
            recv_window_ms=recv_window_ms,
            header_prefix=header_prefix,
        )
        limit = rate_limit if rate_limit is not None else RateLimit(enabled=False)
        self.limiter = RateLimiter(limit, bucket_name=RateLimiter.bucket_name_for(api_key))
        self.recv_window_ms = recv_window_ms or DEFAULT_RECV_WINDOW_MS
        self.headers = {
            "accept": "application/json",
            "user-agent": f"az-futures/{__version__}",
            "content-type": CONTENT_TYPES[encoding],
            **self.auth.fixed_headers,
        }
        """Every request's headers but the stamp and signature."""

    # --- building -------------------------------------------------------------------------

    def prepare(
        self,
        http: httpx.Client | httpx.AsyncClient,
        create_orders: Iterable[Order | Mapping[str, Any]],
        cancel_order_ids: Iterable[int],
        create_order_first: bool,
        headers: Mapping[str, str] | None,
    ) -> tuple[Batch, httpx.Request]:
        """Validate the batch (raising before anything is sent) and build its request.

        `headers`: `self.headers` for an httpx client that does not carry them already.
        """
        batch = build_batch(create_orders, cancel_order_ids, create_order_first)
        body, _, signed = encode_signed(batch, self.encoding)
        request = http.build_request(
            "POST",
            self.url,
            content=body,
            headers=headers,
            timeout=self.timeout,
            extensions={PREPARED: (body, signed)},
        )
        return batch, request

    # --- reading the answer -----------------------------------------------------------------

    def read(self, batch: Batch, response: httpx.Response, elapsed_s: float) -> BatchResult:
        """The batch's result from an answer, or the error it stands for."""
        status = response.status_code
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "POST %s -> %d in %.1f ms (orders=%d, cancels=%d, bytes=%d)",
                BATCH_PATH,
                status,
                elapsed_s * 1000,
                len(batch.create_orders),
                len(batch.cancel_order_ids),
                len(response.content),
            )
        try:
            data = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            data = None
        envelope = data if isinstance(data, dict) and "returnCode" in data else None
        if status == 200 and envelope is not None and envelope["returnCode"] == 0:
            return self._result(batch, response, envelope)
        if status >= 400 or envelope is not None:
            raise self._failure(batch, response, envelope or {})
        raise self._undecodable(batch, response, "is not a JSON envelope")

    def _result(self, batch: Batch, response: httpx.Response, data: dict[str, Any]) -> BatchResult:
        try:
            answer, placed, cancelled = read_results(data.get("result"))
        except (KeyError, TypeError, ValueError) as error:
            raise self._undecodable(batch, response, f"lacks or garbles {error}") from None
        if placed != len(batch.create_orders) or cancelled != len(batch.cancel_order_ids):
            raise self._undecodable(
                batch,
                response,
                f"reports {placed} placements and {cancelled} cancellations for a "
                f"batch of {len(batch.create_orders)} and {len(batch.cancel_order_ids)}",
            )
        return answer

    def _undecodable(self, batch: Batch, response: httpx.Response, what: str) -> DecodeError:
        excerpt = response.content[:_EXCERPT].decode("utf-8", "replace")
        logger.warning(
            "POST %s -> %d: answer %s; outcome unknown for %d orders",
            BATCH_PATH,
            response.status_code,
            what,
            len(batch.create_orders),
        )
        return DecodeError(
            f"the exchange's answer (HTTP {response.status_code}) {what}, so whether the batch "
            "was processed is unknown: reconcile its orders by client order id "
            "(error.client_order_ids) before sending them again",
            batch=batch,
            status_code=response.status_code,
            body_excerpt=excerpt,
        )

    def _failure(self, batch: Batch, response: httpx.Response, data: dict[str, Any]) -> AZError:
        status = response.status_code
        try:
            envelope = ErrorResponse.from_dict(data)
            error = envelope.error
            code = "" if error is None or isinstance(error, Unset) else str(error.code or "")
            msg = "" if error is None or isinstance(error, Unset) else str(error.msg or "")
        except (KeyError, TypeError, ValueError, AttributeError):
            code, msg = "", ""
        if not code and not msg:
            msg = response.content[:_EXCERPT].decode("utf-8", "replace").strip()
        said = f"{msg or 'no message'} (code {code or 'none'}, HTTP {status})"
        lowered = f"{code} {msg}".lower()
        if status == 429:
            retry_after = _retry_after(response.headers.get("retry-after"))
            return RateLimitError(
                f"rate limited by the exchange: {said}; the limit is 200 requests per second "
                "per key: lower your rate or share one limiter among processes (RateLimit)",
                status_code=status,
                code=code,
                msg=msg,
                retry_after=retry_after,
            )
        if status >= 500:
            return ServerError(
                f"the exchange failed: {said}; whether the batch was processed is unknown: "
                "reconcile its orders by client order id (error.client_order_ids) before "
                "sending them again",
                status_code=status,
                code=code,
                msg=msg,
                batch=batch,
            )
        if "timestamp" in lowered or "recvwindow" in lowered or "recv_window" in lowered:
            return TimestampError(
                f"the exchange refused the request's timestamp: {said}; check this machine's "
                f"clock (NTP) or raise recv_window_ms (now {self.recv_window_ms}, at most "
                f"{MAX_RECV_WINDOW_MS}); the clock offset in use is "
                f"{self.auth.clock.offset_ms} ms",
                status_code=status,
                code=code,
                msg=msg,
            )
        if status == 401 or "signature" in lowered or "appkey" in lowered or "api key" in lowered:
            return AuthenticationError(
                f"the exchange refused the credentials: {said}; check that api_key and "
                "secret_key belong together and to this environment, and that nothing between "
                "this client and the exchange rewrites the request",
                status_code=status,
                code=code,
                msg=msg,
            )
        return APIError(
            f"the exchange refused the batch: {said}; nothing was processed",
            status_code=status,
            code=code,
            msg=msg,
        )

    def transport_error(self, batch: Batch, error: httpx.TransportError) -> AZError:
        """The SDK error for a transport failure: not sent (retryable) or outcome unknown."""
        kind = type(error).__name__
        if isinstance(error, _NOT_SENT):
            return RequestNotSentError(
                f"could not reach {self.base_url} ({kind}: {error}); the batch was not sent, "
                "so sending it again is safe"
            )
        logger.warning(
            "POST %s: %s after sending; outcome unknown for %d orders, %d cancels",
            BATCH_PATH,
            kind,
            len(batch.create_orders),
            len(batch.cancel_order_ids),
        )
        return OutcomeUnknownError(
            f"{kind} after the batch was sent to {self.base_url}: the exchange may or may not "
            "have processed it. It is not resent automatically: reconcile its orders by client "
            "order id (error.client_order_ids) before sending them again",
            batch=batch,
        )

    # --- retrying ---------------------------------------------------------------------------

    def retry_delay(self, attempt: int, error: AZError) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None when `error` is final."""
        if attempt >= self.max_retries:
            return None
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            if error.retry_after > self.max_retry_wait_s:
                return None
            delay = error.retry_after
        elif isinstance(error, RateLimitError | RequestNotSentError):
            backoff = self.retry_backoff_s * (2**attempt)
            jittered: float = backoff * random.uniform(0.75, 1.25)
            delay = min(jittered, self.max_retry_wait_s)
        else:
            return None
        logger.warning(
            "POST %s: %s; retry %d of %d in %.3f s",
            BATCH_PATH,
            type(error).__name__,
            attempt + 1,
            self.max_retries,
            delay,
        )
        return delay


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class _BaseClient(Generic[_Http]):
    """Construction, settings and repr shared by `Client` and `AsyncClient`.

    `base_url` is `'production'`, `'test'`, `'sandbox'` (http://127.0.0.1:8080) or a URL.
    Keys default to the `AZ_API_KEY` and `AZ_SECRET_KEY` environment variables. `encoding` is
    `'json'` or `'form'`. `rate_limit` defaults to 200 requests per second for this key in this
    process; `RateLimit(redis_url=...)` shares it across processes, `None` turns it off.
    `max_retries` bounds resends of requests that never left and of 429s (never of a batch
    whose outcome is unknown). `clock` (Unix ms) is injectable; `clock_offset_ms` is added to it,
    and learnt from the exchange's `Date` header unless `learn_clock_offset=False`.
    `http_client` lets you bring your own httpx client (you then close it yourself).
    """

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
        self._core = _Core(
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
        self._owns_http = http_client is None
        # An httpx client of our own carries the SDK's headers, so that requests need not merge
        # them into its defaults one by one; a client passed in gets them with each request.
        self._http: _Http = http_client if http_client is not None else self._new_http()
        self._request_headers = None if self._owns_http else self._core.headers

    def _new_http(self) -> _Http:
        """An httpx client of our own, with the SDK's headers (`_Core.headers`)."""
        raise NotImplementedError

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


class Client(_BaseClient[httpx.Client]):
    """A synchronous client for the batch endpoint; see `_BaseClient` for the arguments."""

    def _new_http(self) -> httpx.Client:
        return httpx.Client(headers=self._core.headers)

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
        core = self._core
        batch, request = core.prepare(
            self._http, create_orders, cancel_order_ids, create_order_first, self._request_headers
        )
        attempt = 0
        while True:
            slot = core.limiter.acquire()
            unknown = False  # whether the exchange may count the request without our knowing
            try:
                if before_send is not None:
                    before_send()
                started = time.perf_counter()
                unknown = True
                response = self._http.send(request, auth=core.auth)
                unknown = False
            except httpx.TransportError as error:
                failure = core.transport_error(batch, error)
                unknown = not isinstance(failure, RequestNotSentError)
            else:
                try:
                    return core.read(batch, response, time.perf_counter() - started)
                except AZError as error:
                    failure = error
            finally:
                core.limiter.release(slot, answered=not unknown)
            delay = core.retry_delay(attempt, failure)
            if delay is None:
                raise failure
            attempt += 1
            time.sleep(delay)

    def close(self) -> None:
        """Close the connections (unless the httpx client was passed in) and the limiter."""
        if self._owns_http:
            self._http.close()
        self._core.limiter.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_BaseClient[httpx.AsyncClient]):
    """The asyncio twin of `Client`, with the same arguments (`http_client` is async)."""

    def _new_http(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(headers=self._core.headers)

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
        core = self._core
        batch, request = core.prepare(
            self._http, create_orders, cancel_order_ids, create_order_first, self._request_headers
        )
        attempt = 0
        while True:
            slot = await core.limiter.acquire_async()
            unknown = False  # whether the exchange may count the request without our knowing
            try:
                if before_send is not None:
                    before_send()
                started = time.perf_counter()
                unknown = True
                response = await self._http.send(request, auth=core.auth)
                unknown = False
            except httpx.TransportError as error:
                failure = core.transport_error(batch, error)
                unknown = not isinstance(failure, RequestNotSentError)
            else:
                try:
                    return core.read(batch, response, time.perf_counter() - started)
                except AZError as error:
                    failure = error
            finally:
                await core.limiter.release_async(slot, answered=not unknown)
            delay = core.retry_delay(attempt, failure)
            if delay is None:
                raise failure
            attempt += 1
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        """Close the connections (unless the httpx client was passed in) and the limiter."""
        if self._owns_http:
            await self._http.aclose()
        self._core.limiter.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
