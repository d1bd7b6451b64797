"""Request signing: the exchange's rule in one function, and an `httpx.Auth` that applies it to
the exact bytes each attempt sends.

The rule (the spec's `x-az-signing`): the lower-case hex HMAC-SHA256, keyed with the secret key, of

    validate-appkey=<key>&validate-timestamp=<ms>  #<path>  [#<sorted query>]  [#<body>]

where a JSON body is signed as sent and a form body as its parameters sorted by name, values
decoded. Signing the request httpx is about to send, rather than the data it was built from, means
no encoder can drift from what is signed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Generator
from operator import itemgetter
from urllib.parse import parse_qsl

import httpx

from ._clock import RequestClock

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
DEFAULT_HEADER_PREFIX = "validate-"
XT_HEADER_PREFIX = "xt-validate-"
ALGORITHM = "HmacSHA256"
"""The only signature algorithm the exchange documents; sent on every request, as its reference
client does."""


def canonical_params(encoded: str) -> str:
    """`name=value` pairs of a query or form string, sorted by name, values decoded, `&`-joined.

    The pairs are `urllib.parse.parse_qsl`'s, blank values kept: empty fields are skipped, a field
    without `=` has an empty value, `+` is a space and `%XX` a UTF-8 byte. The sort is stable, so
    repeated names keep their order. (The SDK's own form bodies hold no `%` or `+`, so decoding
    leaves them as they are.)
    """
    pairs = sorted(parse_qsl(encoded, keep_blank_values=True), key=itemgetter(0))
    return "&".join([f"{name}={value}" for name, value in pairs])


def signing_message(
    *,
    api_key: str,
    timestamp: int | str,
    path: str,
    query: str = "",
    body: bytes = b"",
    content_type: str | None = None,
) -> str:
    """The text that is signed for one request: the exchange's signing rule, the only place the
    SDK writes it.

    `path` is the request path as sent (without the query), `query` the raw query string, `body`
    the raw body bytes (UTF-8) and `content_type` the body's media type (parameters such as
    charset are ignored).
    """
    parts = [f"validate-appkey={api_key}&validate-timestamp={timestamp}#{path}"]
    if query:
        parts.append(canonical_params(query))
    if body:
        text = body.decode("utf-8")
        media_type = (content_type or "").split(";", 1)[0].strip().lower()
        parts.append(canonical_params(text) if media_type == FORM_CONTENT_TYPE else text)
    return "#".join(parts)


def sign(secret_key: str, message: str) -> str:
    """Lower-case hex HMAC-SHA256 of `message` keyed with `secret_key`."""
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


class AzAuth(httpx.Auth):
    """Signs every request, and every retry of it, afresh with the current timestamp.

    Sends `<prefix>appkey`, `<prefix>timestamp`, `<prefix>signature`, `<prefix>algorithms`, and
    `<prefix>recvwindow` when a receive window is set. The prefix is `validate-` for AZ and
    `xt-validate-` for XT.com. Learns the clock offset from answers' `Date` headers (see
    `RequestClock`). The keys are kept out of `repr`.
    """

    requires_request_body = True

    def __init__(
        self,
        api_key: str,
        secret_key: str,
        *,
        clock: RequestClock | None = None,
        recv_window_ms: int | None = None,
        header_prefix: str = DEFAULT_HEADER_PREFIX,
    ) -> None:
        self._api_key = api_key
        self._hmac = hmac.new(secret_key.encode(), digestmod=hashlib.sha256)
        self.clock = clock if clock is not None else RequestClock()
        """The clock that stamps requests (its offset can be set or learned)."""
        self._prefix = header_prefix
        self._fixed = {f"{header_prefix}appkey": api_key, f"{header_prefix}algorithms": ALGORITHM}
        if recv_window_ms is not None:
            self._fixed[f"{header_prefix}recvwindow"] = str(recv_window_ms)
        self._timestamp = f"{header_prefix}timestamp"
        self._signature = f"{header_prefix}signature"

    @property
    def fixed_headers(self) -> dict[str, str]:
        """The signing headers that are the same on every request: appkey, algorithms and
        recvwindow."""
        return dict(self._fixed)

    def sign_request(self, request: httpx.Request) -> None:
        """Stamp and sign `request` in place (its body must already be read)."""
        timestamp = self.clock.now_ms()
        raw_path, _, raw_query = request.url.raw_path.partition(b"?")
        message = signing_message(
            api_key=self._api_key,
            timestamp=timestamp,
            path=raw_path.decode("ascii"),
            query=raw_query.decode("ascii"),
            body=request.content,
            content_type=request.headers.get("content-type"),
        )
        mac = self._hmac.copy()
        mac.update(message.encode())
        for name, value in self._fixed.items():
            if name not in request.headers:
                request.headers[name] = value
        request.headers[self._timestamp] = str(timestamp)
        request.headers[self._signature] = mac.hexdigest()

    def observe(self, response: httpx.Response, sent_ms: int) -> None:
        """Learn the clock offset from an answer to a request sent at local time `sent_ms`."""
        self.clock.observe_date(response.headers.get("date"), sent_ms, self.clock.local_ms())

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign_request(request)
        sent_ms = self.clock.local_ms()
        response = yield request
        self.observe(response, sent_ms)

    def __repr__(self) -> str:
        return (
            f"AzAuth(api_key=<redacted>, secret_key=<redacted>, "
            f"header_prefix={self._prefix!r}, clock={self.clock!r})"
        )
