"""The request core every operation runs on: settings, signing, the request, reading the answer
into a result or an error, and the retry decision; everything but the I/O.

`RequestCore` is the base class of `Client` and `AsyncClient` (as openai-python's `BaseClient` is
of its sync and async clients), which add only the I/O: send, sleep, wait for the rate limiter.
Between those, each attempt is `_sign`, then `_read` (or `_transport_error`), then `_retry_delay`.
An operation (the batch, `_batch_orders.py`) hands the core a `Call`: what to send and how to
read a success.

Errors come from one table keyed by the documented `error.code` and the HTTP status. Only where
the docs give one code two meanings (`403`: a bad signature, or a timestamp outside the receive
window) is the message read.

Retries: a request that never left (connection refused, connect timeout), a 429 and a refused
timestamp (the exchange did not act; the request is re-stamped with the learnt clock offset) are
sent again, re-signed, up to `max_retries` times. Anything that may have reached the exchange (a
read timeout, a dropped connection, a 5xx, an unreadable answer) raises `OutcomeUnknownError` at
once and is never resent.
"""

from __future__ import annotations

import logging
import math
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

import httpx
import orjson
from az_futures_client.models import ErrorResponse

from ._clock import MillisClock, RequestClock, system_millis
from ._encoding import CONTENT_TYPES, ENCODINGS, Encoding
from ._environments import proxy_for, resolve_base_url
from ._errors import (
    APIError,
    AuthenticationError,
    AZError,
    ConfigurationError,
    DecodeError,
    OutcomeUnknownError,
    RateLimitError,
    RequestNotSentError,
    SentBatch,
    ServerError,
    TimestampError,
)
from ._ratelimit import RateLimit, RateLimiter
from ._signing import DEFAULT_HEADER_PREFIX, XT_HEADER_PREFIX, AzAuth
from ._version import __version__

logger = logging.getLogger("az_futures")

R = TypeVar("R")
_Http = TypeVar("_Http", httpx.Client, httpx.AsyncClient)
_Transport = TypeVar("_Transport", httpx.HTTPTransport, httpx.AsyncHTTPTransport)

DEFAULT_TIMEOUT = httpx.Timeout(5.0, connect=2.0, pool=2.0)
DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
_EXCERPT = 200

# Transport failures after which the request certainly did not reach the exchange.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ProxyError)

_RETURN_CODE = next(f.wire_name for f in ErrorResponse.FIELDS if f.python_name == "return_code")

# The error table. A 429 or a 5xx says what happened (rate limited; outcome unknown) whatever the
# code; otherwise the documented code decides (GATEWAY_0001: an unknown or missing API key), then
# the status. The docs give code 403 a second meaning, a timestamp outside the receive window,
# which only its message tells apart (_TIMESTAMP_WORDS).
_BY_STATUS_FIRST: dict[int, type[APIError]] = {
    429: RateLimitError,
    **dict.fromkeys(range(500, 600), ServerError),
}
_BY_CODE = {"403": AuthenticationError, "GATEWAY_0001": AuthenticationError}
_BY_STATUS = {401: AuthenticationError, 403: AuthenticationError}
_TIMESTAMP_WORDS = ("timestamp", "recvwindow", "recv_window")
_RECONCILE = (
    "reconcile its orders by client order id (error.client_order_ids) before sending them again"
)
_WORDING: dict[type[APIError], tuple[str, str]] = {
    # What happened, and what to do.
    AuthenticationError: (
        "the exchange refused the credentials",
        "check that api_key and secret_key belong together and to this environment, and that "
        "nothing between this client and the exchange rewrites the request",
    ),
    TimestampError: (
        "the exchange refused the request's timestamp",
        "check this machine's clock (NTP) or raise recv_window_ms",
    ),
    RateLimitError: (
        "rate limited by the exchange",
        "the limit is 200 requests per second per key: lower your rate or share one limiter "
        "among processes (RateLimit)",
    ),
    ServerError: (
        "the exchange failed",
        f"whether the batch was processed is unknown: {_RECONCILE}",
    ),
    APIError: ("the exchange refused the batch", "nothing was processed"),
}


@dataclass(frozen=True, slots=True)
class Call(Generic[R]):
    """One operation's request, ready to sign and send, and how to read its success."""

    method: str
    path: str
    body: bytes
    read: Callable[[dict[str, Any]], R]
    """A success envelope -> the operation's result; ValueError when it cannot be read."""
    subject: SentBatch
    """What the request places and cancels, for errors of unknown outcome and for logs."""


# --- settings ---------------------------------------------------------------------------------


def _refuse(name: str, must: str, got: object) -> NoReturn:
    raise ConfigurationError(f"{name} must be {must}, got {got!r}")


def _is_int(value: object, low: float = -math.inf, high: float = math.inf) -> bool:
    """An int (a bool is not one) from `low` to `high`."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_seconds(value: object, name: str, *, allow_zero: bool) -> None:
    """Refuse a duration that is not a finite number of seconds (>= 0, or > 0)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
        or (value == 0 and not allow_zero)
    ):
        _refuse(name, f"a finite number of seconds {'>= 0' if allow_zero else '> 0'}", value)


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


def _timeout_from(timeout: object) -> httpx.Timeout:
    """An httpx.Timeout from seconds, None (no limit) or a Timeout, each part checked."""
    if not isinstance(timeout, int | float | httpx.Timeout | None):
        raise ConfigurationError(
            f"timeout must be seconds, None or an httpx.Timeout, got {type(timeout).__name__}"
        )
    checked = httpx.Timeout(timeout)
    for part, value in checked.as_dict().items():
        name = f"timeout.{part}" if isinstance(timeout, httpx.Timeout) else "timeout"
        if value is not None:
            _check_seconds(value, name, allow_zero=False)
    return checked


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else -1.0
    except ValueError:
        return None
    return seconds if seconds >= 0 and math.isfinite(seconds) else None


def _warn_unknown(call: Call[Any], what: str, *args: object) -> None:
    """Log a request whose outcome is unknown: what happened, and what it placed and cancelled."""
    subject = call.subject
    logger.warning(
        "%s %s" + what + "; outcome unknown for %d orders, %d cancels", call.method, call.path,
        *args, len(subject.create_orders), len(subject.cancel_order_ids),
    )  # fmt: skip


class RequestCore(Generic[_Http, _Transport]):
    """Configuration and every decision of a client, without I/O; see `Client` for the arguments.

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
    """The SDK's own transport (a connection pool), used when no `http_client` is passed."""

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
        key = _key_from(api_key, "AZ_API_KEY", "api_key")
        secret = _key_from(secret_key, "AZ_SECRET_KEY", "secret_key")
        if encoding not in ENCODINGS:
            raise ConfigurationError(f"encoding {encoding!r} is not one of {', '.join(ENCODINGS)}")
        if recv_window_ms is not None and not _is_int(recv_window_ms, 1, MAX_RECV_WINDOW_MS):
            _refuse("recv_window_ms", f"an int from 1 to {MAX_RECV_WINDOW_MS}", recv_window_ms)
        if not _is_int(max_retries, 0):
            _refuse("max_retries", "an int >= 0", max_retries)
        _check_seconds(retry_backoff_s, "retry_backoff_s", allow_zero=True)
        _check_seconds(max_retry_wait_s, "max_retry_wait_s", allow_zero=True)
        if not _is_int(clock_offset_ms):
            _refuse("clock_offset_ms", "an int", clock_offset_ms)
        if header_prefix not in (DEFAULT_HEADER_PREFIX, XT_HEADER_PREFIX):
            raise ConfigurationError(
                f"header_prefix {header_prefix!r} is neither {DEFAULT_HEADER_PREFIX!r} (AZ) nor "
                f"{XT_HEADER_PREFIX!r} (XT.com)"
            )
        self._base_url = resolve_base_url(base_url)
        self._encoding: Encoding = encoding
        self._timeout = _timeout_from(timeout)
        self._max_retries = max_retries
        self._retry_backoff_s = retry_backoff_s
        self._max_retry_wait_s = max_retry_wait_s
        self._recv_window_ms = recv_window_ms or DEFAULT_RECV_WINDOW_MS
        stamps = RequestClock(
            clock or system_millis, offset_ms=clock_offset_ms, learn_from_server=learn_clock_offset
        )
        self._auth = AzAuth(
            key, secret, clock=stamps, recv_window_ms=recv_window_ms, header_prefix=header_prefix
        )
        limit = rate_limit if rate_limit is not None else RateLimit(enabled=False)
        self._limiter = RateLimiter(limit, bucket_name=RateLimiter.bucket_name_for(key))
        self._headers = {
            "accept": "application/json",
            "user-agent": f"az-futures/{__version__}",
            "content-type": CONTENT_TYPES[encoding],
            **self._auth.fixed_headers,
        }
        """Every request's headers but the stamp and signature."""
        self._own_headers = httpx.Headers(self._headers)  # normalised once, copied per request
        self._extensions = {"timeout": self._timeout.as_dict()}
        self._urls: dict[str, httpx.URL] = {}  # per operation path: parsed once
        self._http: _Http | None = http_client
        self._transport: _Transport | None = None
        if http_client is None:
            self._transport = self._transport_class(proxy=proxy_for(self._base_url))

    @property
    def base_url(self) -> str:
        """The exchange's base URL requests go to."""
        return self._base_url

    @property
    def encoding(self) -> Encoding:
        """The body encoding: 'json' or 'form'."""
        return self._encoding

    @property
    def clock_offset_ms(self) -> int:
        """Milliseconds added to local time when stamping requests (set by hand or learnt)."""
        return self._auth.clock.offset_ms

    @clock_offset_ms.setter
    def clock_offset_ms(self, value: int) -> None:
        self._auth.clock.offset_ms = value

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self._base_url!r}, "
            f"encoding={self._encoding!r}, api_key=<redacted>, secret_key=<redacted>)"
        )

    # --- building -------------------------------------------------------------------------

    def _build(self, call: Call[Any]) -> httpx.Request:
        """The request for `call`, unsigned (`_sign` stamps each attempt). Through an httpx client
        passed in, its own defaults (headers, cookies) apply too."""
        url = self._urls.get(call.path)
        if url is None:
            url = self._urls[call.path] = httpx.URL(self._base_url + call.path)
        if self._http is not None:
            return self._http.build_request(
                call.method, url, content=call.body, headers=self._headers, timeout=self._timeout
            )
        return httpx.Request(
            call.method, url, content=call.body, headers=self._own_headers,
            extensions=self._extensions,
        )  # fmt: skip

    def _sign(self, request: httpx.Request, before_send: Callable[[], None] | None = None) -> int:
        """Stamp and sign an attempt, after calling `before_send` (the moment from which its
        outcome can be unknown); its local send time, for learning the clock offset."""
        if before_send is not None:
            before_send()
        self._auth.sign_request(request)
        return self._auth.clock.local_ms()

    # --- reading the answer -----------------------------------------------------------------

    def _read(self, call: Call[R], response: httpx.Response, sent_ms: int) -> R | AZError:
        """The call's result from an answer, or the error it stands for (returned, for the
        client to raise or retry). `sent_ms`: the local time it was sent at (`_sign`'s)."""
        offset_ms = self._auth.clock.offset_ms  # what the request was stamped with
        self._auth.observe(response, sent_ms)
        status = response.status_code
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s %s -> %d in %d ms (orders=%d, cancels=%d, bytes=%d)",
                call.method, call.path, status, self._auth.clock.local_ms() - sent_ms,
                len(call.subject.create_orders), len(call.subject.cancel_order_ids),
                len(response.content),
            )  # fmt: skip
        try:
            data = orjson.loads(response.content)
        except ValueError:  # UnicodeDecodeError is a ValueError
            data = None
        envelope = data if isinstance(data, dict) and _RETURN_CODE in data else None
        if status == 200 and envelope is not None and envelope[_RETURN_CODE] == 0:
            try:
                return call.read(envelope)
            except (ValueError, KeyError, TypeError) as error:
                return self._undecodable(call, response, f"cannot be read: {error}")
        if status >= 400 or envelope is not None:
            return self._failure(call, response, envelope or {}, offset_ms)
        return self._undecodable(call, response, "is not a JSON envelope")

    def _undecodable(self, call: Call[Any], response: httpx.Response, what: str) -> DecodeError:
        status = response.status_code
        _warn_unknown(call, " -> %d: answer %s", status, what)
        return DecodeError(
            f"the exchange's answer (HTTP {status}) {what}, so whether the batch was processed "
            f"is unknown: {_RECONCILE}",
            batch=call.subject,
            status_code=status,
            body_excerpt=response.content[:_EXCERPT].decode("utf-8", "replace"),
        )

    def _failure(
        self, call: Call[Any], response: httpx.Response, data: dict[str, Any], offset_ms: int
    ) -> APIError:
        """The error a failure envelope (or an error status) stands for, from the table."""
        status = response.status_code
        try:
            error = ErrorResponse.from_dict(data).error
            code = str(getattr(error, "code", "") or "")
            msg = str(getattr(error, "msg", "") or "")
        except (KeyError, TypeError, ValueError, AttributeError):
            code, msg = "", ""
        if not code and not msg:
            msg = response.content[:_EXCERPT].decode("utf-8", "replace").strip()
        kind = (
            _BY_STATUS_FIRST.get(status) or _BY_CODE.get(code) or _BY_STATUS.get(status) or APIError
        )
        said_timestamp = any(word in msg.lower() for word in _TIMESTAMP_WORDS)
        if kind is AuthenticationError and code == "403" and said_timestamp:
            kind = TimestampError  # the docs' second meaning of code 403, unless 429 or 5xx
        heading, advice = _WORDING[kind]
        details: dict[str, Any] = {"status_code": status, "code": code, "msg": msg}
        if kind is TimestampError:
            advice += (
                f" (now {self._recv_window_ms}, at most {MAX_RECV_WINDOW_MS}); the clock offset "
                f"in use was {offset_ms} ms"
            )
        elif kind is RateLimitError:
            details["retry_after"] = _retry_after(response.headers.get("retry-after"))
        elif kind is ServerError:
            details["batch"] = call.subject
            _warn_unknown(call, " -> %d", status)
        said = f"{msg or 'no message'} (code {code or 'none'}, HTTP {status})"
        refusal = kind(f"{heading}: {said}; {advice}", **details)
        if isinstance(refusal, TimestampError):
            refusal.offset_ms = offset_ms
        return refusal

    def _transport_error(self, call: Call[Any], error: httpx.TransportError) -> AZError:
        """The SDK error for a transport failure: not sent (retryable) or outcome unknown."""
        kind = type(error).__name__
        if isinstance(error, _NOT_SENT):
            return RequestNotSentError(
                f"could not reach {self._base_url} ({kind}: {error}); the batch was not sent, "
                "so sending it again is safe"
            )
        _warn_unknown(call, ": %s after sending", kind)
        return OutcomeUnknownError(
            f"{kind} after the batch was sent to {self._base_url}: the exchange may or may not "
            f"have processed it. It is not resent automatically: {_RECONCILE}",
            batch=call.subject,
        )

    # --- retrying ---------------------------------------------------------------------------

    def _retry_delay(self, call: Call[Any], attempt: int, failure: AZError) -> float:
        """Seconds to wait before attempt `attempt + 1`; raises `failure` when it is final."""
        if attempt >= self._max_retries:
            raise failure
        wait = failure.retry_after if isinstance(failure, RateLimitError) else None
        if isinstance(failure, TimestampError) and failure.offset_ms != self._auth.clock.offset_ms:
            wait = 0.0  # not acted on; the next attempt is stamped with the learnt offset
        elif wait is None and isinstance(failure, RateLimitError | RequestNotSentError):
            backoff = self._retry_backoff_s * 2.0**attempt * random.uniform(0.75, 1.25)
            wait = min(backoff, self._max_retry_wait_s)
        if wait is None or wait > self._max_retry_wait_s:  # final, or a Retry-After over the cap
            raise failure
        logger.warning(
            "%s %s: %s; retry %d of %d in %.3f s", call.method, call.path,
            type(failure).__name__, attempt + 1, self._max_retries, wait,
        )  # fmt: skip
        return wait
