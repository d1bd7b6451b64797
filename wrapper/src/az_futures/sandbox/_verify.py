"""The exchange's side of request signing, written from the documented rule alone.

It deliberately shares no code with the SDK's signer (`az_futures._signing`): if both sides used one
implementation, a bug in it would sign and verify consistently and never show in a test.

Message = `validate-appkey=<key>&validate-timestamp=<ts>` + `#` + path as sent (no query)
+ (`#` + query parameters sorted by name, `name=value` joined by `&`, values decoded, if any)
+ (`#` + body, if any: a JSON body as the exact text received; a form body as its parameters
sorted by name, `name=value` joined by `&`, values decoded).
Signature = lower-case hex HMAC-SHA256 of the message keyed with the secret key.

The docs and the exchange's Java reference client read the form rule two ways, and which one the
real gateway applies is not documented: `form_signature="docs"` signs a form body sorted and
decoded, `"raw"` signs it as the exact text received, like any other body. A client whose form
body is its own canonical text passes both; one that percent-encodes passes only "docs".
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qsl

HEADER_PREFIXES = ("validate-", "xt-validate-")
"""AZ spells the signing headers `validate-*`; XT.com, whose API AZ mirrors, `xt-validate-*`."""

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
DEFAULT_RECV_WINDOW_MS = 5000

FormSignature = Literal["docs", "raw"]
"""How a form body is signed: the docs' reading (sorted, decoded) or the raw text as received."""
FORM_SIGNATURES: tuple[FormSignature, ...] = ("docs", "raw")


class AuthError(Exception):
    """A request the gateway refuses before it reaches the exchange."""

    def __init__(self, status: int, code: str, msg: str) -> None:
        super().__init__(msg)
        self.status = status
        self.code = code
        self.msg = msg


class UnknownKeyError(AuthError):
    """Signing headers are missing or name no known key: nobody to attribute the request to."""

    def __init__(self, msg: str) -> None:
        super().__init__(401, "GATEWAY_0001", msg)


class KeyAuthError(AuthError):
    """A known key whose request is refused (bad signature, timestamp or receive window)."""

    def __init__(self, api_key: str, status: int, code: str, msg: str) -> None:
        super().__init__(status, code, msg)
        self.api_key = api_key


@dataclass(frozen=True, slots=True)
class VerifiedRequest:
    """A request whose signature and timestamp checked out."""

    api_key: str
    timestamp_ms: int
    recv_window_ms: int
    header_prefix: str


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header, lower-cased, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def sorted_params(encoded: str) -> str:
    """A query or form string as `name=value` pairs sorted by name (stably), values decoded."""
    pairs = parse_qsl(encoded, keep_blank_values=True)
    pairs.sort(key=lambda pair: pair[0])
    return "&".join(f"{name}={value}" for name, value in pairs)


def signing_message(
    *,
    api_key: str,
    timestamp: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    content_type: str | None = None,
    x_prefix: str = "validate-",
    form_signature: FormSignature = "docs",
) -> bytes:
    """The exact bytes that the client must have signed for this request.

    A JSON (or any non-form) body is taken byte for byte as received, so that a client that signs
    one text and sends another is caught; so is a form body when `form_signature` is "raw". Under
    "docs" a form body must be UTF-8 (`UnicodeDecodeError` if not).
    """
    message = f"{x_prefix}appkey={api_key}&{x_prefix}timestamp={timestamp}#{path}".encode()
    if query:
        message += b"#" + sorted_params(query).encode()
    if body:
        if form_signature == "docs" and media_type(content_type) == FORM_MEDIA_TYPE:
            message += b"#" + sorted_params(body.decode("utf-8", errors="strict")).encode()
        else:
            message += b"#" + body
    return message


def signature(secret_key: str, message: bytes) -> str:
    """Lower-case hex HMAC-SHA256 of `message` keyed with `secret_key` (UTF-8)."""
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], prefix: str, name: str) -> str | None:
    return headers.get(f"{prefix}{name}")


def authenticate(
    headers: Mapping[str, str],
    *,
    path: str,
    query: str,
    body: bytes,
    keys: Mapping[str, str],
    now_ms: int,
    max_recv_window_ms: int = 60000,
    future_tolerance_ms: int = 1000,
    form_signature: FormSignature = "docs",
) -> VerifiedRequest:
    """Check a request's signing headers the way the exchange's gateway does.

    `headers` must be looked up case-insensitively or hold lower-case names (Starlette's
    `Headers` does). Raises `UnknownKeyError` (401) for missing headers or an unknown key, and
    `KeyAuthError` with 400 for a malformed timestamp or receive window, 403 for a timestamp
    outside the window or a wrong signature. `form_signature` picks the reading of the form rule.
    """
    if form_signature not in FORM_SIGNATURES:
        raise ValueError(f"form_signature must be one of {FORM_SIGNATURES}")
    prefix = next((p for p in HEADER_PREFIXES if _header(headers, p, "appkey") is not None), None)
    if prefix is None:
        raise UnknownKeyError("missing validate-appkey header")
    api_key = _header(headers, prefix, "appkey") or ""
    timestamp = _header(headers, prefix, "timestamp")
    sent_signature = _header(headers, prefix, "signature")
    if timestamp is None or sent_signature is None:
        raise UnknownKeyError("missing validate-timestamp or validate-signature header")
    secret_key = keys.get(api_key)
    if secret_key is None:
        raise UnknownKeyError("invalid appkey")

    recv_window_text = _header(headers, prefix, "recvwindow")
    recv_window = DEFAULT_RECV_WINDOW_MS
    if recv_window_text is not None:
        parsed = _parse_int(recv_window_text)
        if parsed is None or not 1 <= parsed <= max_recv_window_ms:
            raise KeyAuthError(
                api_key,
                400,
                "invalid_param",
                f"validate-recvwindow: must be an integer from 1 to {max_recv_window_ms}",
            )
        recv_window = parsed
    timestamp_ms = _parse_int(timestamp)
    if timestamp_ms is None:
        raise KeyAuthError(
            api_key, 400, "invalid_param", "validate-timestamp: must be Unix time in milliseconds"
        )
    if now_ms - timestamp_ms > recv_window or timestamp_ms - now_ms > future_tolerance_ms:
        raise KeyAuthError(api_key, 403, "403", "timestamp outside recvwindow")

    # AZ signs `validate-appkey=...`; XT.com clients using the `xt-` headers may sign that prefix.
    x_prefixes = ("validate-",) if prefix == "validate-" else ("validate-", prefix)
    try:
        expected = [
            signature(
                secret_key,
                signing_message(
                    api_key=api_key,
                    timestamp=timestamp,
                    path=path,
                    query=query,
                    body=body,
                    content_type=headers.get("content-type"),
                    x_prefix=x_prefix,
                    form_signature=form_signature,
                ),
            )
            for x_prefix in x_prefixes
        ]
    except UnicodeDecodeError:
        raise KeyAuthError(api_key, 400, "invalid_param", "body: form is not UTF-8") from None
    sent = sent_signature.encode()
    # Evaluate every candidate so that the time taken does not depend on which one matched.
    matches = [hmac.compare_digest(candidate.encode(), sent) for candidate in expected]
    if not any(matches):
        raise KeyAuthError(api_key, 403, "403", "invalid signature")
    return VerifiedRequest(api_key, timestamp_ms, recv_window, prefix)


def _parse_int(text: str) -> int | None:
    """A plain decimal integer (ASCII digits only, no sign), else None."""
    stripped = text.strip()
    if not stripped.isascii() or not stripped.isdigit() or len(stripped) > 20:
        return None
    return int(stripped)
