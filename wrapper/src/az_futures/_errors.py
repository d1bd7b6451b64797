"""Every error the SDK raises, under one base class, `AZError`.

The tree separates what a desk must treat differently:

    AZError
    ├── ConfigurationError        the client was built wrong (keys, base URL, encoding...)
    ├── ValidationError           the batch is wrong; every problem listed; nothing was sent
    ├── RateLimitTimeoutError     the client-side limiter gave no slot in time; nothing was sent
    ├── RateLimiterUnavailableError  the shared limiter's Redis is unreachable; nothing was sent
    ├── RequestNotSentError       the request never left: safe to send again
    ├── OutcomeUnknownError       it may have reached the exchange: reconcile by client order id
    │   ├── DecodeError           an answer came but could not be read
    │   └── ServerError           5xx (also an APIError)
    └── APIError                  the exchange refused the batch as a whole (failure envelope)
        ├── AuthenticationError   unknown key or invalid signature
        ├── TimestampError        timestamp outside the receive window
        ├── RateLimitError        HTTP 429
        └── ServerError

Messages say what was wrong and what to do, and never contain a key or a signature.

An error that carries details declares them as dataclass fields: each is a required keyword
argument after the message (an `InitVar`, passed on to `Exception`, so `str()` and `args` are as
ever); `eq`, `repr` and `match_args` off keep an exception's own equality, hashing, repr and
class patterns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from typing import Any, Protocol


class SentBatch(Protocol):
    """What an error tells of the batch it concerns (an `az_futures.Batch`)."""

    @property
    def create_orders(self) -> Sequence[Any]: ...

    @property
    def cancel_order_ids(self) -> tuple[int, ...]: ...


class AZError(Exception):
    """Base class of every error raised by az-futures."""


class ConfigurationError(AZError, ValueError):
    """The client was configured wrongly (missing keys, bad base URL, unknown encoding...)."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a batch: where (`index` into create_orders, or None) and what."""

    field: str
    message: str
    index: int | None = None

    def __str__(self) -> str:
        where = self.field if self.index is None else f"create_orders[{self.index}].{self.field}"
        return f"{where}: {self.message}"


class ValidationError(AZError, ValueError):
    """The batch breaks the exchange's rules. Lists every problem at once; nothing was sent."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        heading = f"{count} problem{'s' if count != 1 else ''} in the batch; nothing was sent"
        super().__init__("\n  ".join([heading + ":", *map(str, self.problems)]))


class RateLimitTimeoutError(AZError):
    """The client-side rate limiter had no free slot within its maximum wait; nothing was sent."""


RateLimitTimeout = RateLimitTimeoutError
"""The name of `RateLimitTimeoutError` before 0.2 (without the `Error` suffix)."""


class RateLimiterUnavailableError(AZError):
    """The shared rate limiter's Redis could not be reached; nothing was sent."""


class TransportError(AZError):
    """The HTTP exchange with the server failed."""


class RequestNotSentError(TransportError):
    """The request never reached the exchange (connection refused, connect timeout): safe to
    send again."""


@dataclass(eq=False, repr=False, kw_only=True, match_args=False)
class OutcomeUnknownError(TransportError):
    """The batch may or may not have been processed by the exchange.

    Raised after a read timeout, a connection lost after sending, a 5xx, or an answer that cannot
    be read. The SDK never resends such a batch by itself. `batch` holds what was sent: reconcile
    its orders by client order id (query open orders or the order history) before sending again.
    """

    message: InitVar[str] = field(kw_only=False)
    batch: SentBatch

    def __post_init__(self, message: str) -> None:
        super().__init__(message)

    @property
    def client_order_ids(self) -> tuple[str, ...]:
        """Client order ids of the orders in the batch whose outcome is unknown."""
        return tuple(order.client_order_id for order in self.batch.create_orders)

    @property
    def cancel_order_ids(self) -> tuple[int, ...]:
        """Order ids whose cancellation outcome is unknown."""
        return self.batch.cancel_order_ids


@dataclass(eq=False, repr=False, kw_only=True, match_args=False)
class DecodeError(OutcomeUnknownError):
    """An answer arrived but is not a readable envelope (malformed, truncated, fields missing)."""

    status_code: int
    body_excerpt: str


@dataclass(eq=False, repr=False, kw_only=True, match_args=False)
class APIError(AZError):
    """The exchange answered with a failure envelope: the batch was refused as a whole."""

    message: InitVar[str] = field(kw_only=False)
    status_code: int
    code: str
    msg: str

    def __post_init__(self, message: str) -> None:
        # Not super(): in ServerError the next class in line is OutcomeUnknownError.
        AZError.__init__(self, message)


class AuthenticationError(APIError):
    """The API key is unknown or the signature is invalid."""


class TimestampError(APIError):
    """The request's timestamp was outside the exchange's receive window."""

    offset_ms: int = 0
    """The clock offset the request was stamped with; the SDK resends it only once the offset
    learnt from the exchange's answers differs."""


@dataclass(eq=False, repr=False, kw_only=True, match_args=False)
class RateLimitError(APIError):
    """The exchange answered HTTP 429: over 200 requests per second on this key."""

    retry_after: float | None


@dataclass(eq=False, repr=False, kw_only=True, match_args=False)
class ServerError(APIError, OutcomeUnknownError):
    """The exchange answered 5xx. Whether the batch was processed is unknown: it carries both
    parents' attributes (`status_code`, `code`, `msg` and `batch`)."""
