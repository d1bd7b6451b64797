"""Injected faults: the ways a real exchange and the network between fail a client.

A client that places orders must cope with answers that never come, come broken or come late, and
must reconcile before it retries. Each fault is drawn per request from one seeded random stream, so
a test that sets `seed` sees the same sequence of faults on every run.
"""

from __future__ import annotations

import enum
import math
import random
import threading
from dataclasses import dataclass, fields
from typing import Literal


class Fault(enum.Enum):
    """One injected failure of a batch request."""

    ERROR = "error"
    """Answer 5xx with a failure envelope, without processing."""
    DROP_BEFORE = "drop_before"
    """Close the connection without answering, without processing."""
    DROP_AFTER = "drop_after"
    """Process the batch, then close the connection without answering."""
    MALFORMED = "malformed"
    """Process, then answer 200 with a body that is not JSON."""
    TRUNCATED = "truncated"
    """Process, then answer 200 with the JSON cut in half."""
    MISSING_FIELDS = "missing_fields"
    """Process, then answer 200 with a success envelope that lacks `result`."""

    @property
    def processes(self) -> bool:
        """Whether the batch is processed before the fault strikes."""
        return self not in (Fault.ERROR, Fault.DROP_BEFORE)


_RATE_FIELDS: dict[Fault, str] = {fault: f"{fault.value}_rate" for fault in Fault}


@dataclass(frozen=True, slots=True)
class Faults:
    """Share of batch requests that meet each fault (0.0 to 1.0 each, at most 1.0 together)."""

    latency_ms: float = 0
    """Delay added before every answer of the batch endpoint."""
    error_rate: float = 0.0
    drop_before_rate: float = 0.0
    drop_after_rate: float = 0.0
    malformed_rate: float = 0.0
    truncated_rate: float = 0.0
    missing_fields_rate: float = 0.0
    rate_limit_retry_after: int | Literal["auto"] | None = "auto"
    """`Retry-After` on HTTP 429: "auto" (the default, as the spec describes it) sends the whole
    seconds until the key's oldest request leaves the window; an integer sends that number; None
    sends no header, like an exchange that omits it."""
    seed: int | None = None
    """Seed of the random stream that picks faults, for reproducible runs."""

    def __post_init__(self) -> None:
        if not math.isfinite(self.latency_ms) or self.latency_ms < 0:
            raise ValueError("latency_ms must be a finite number >= 0")
        total = 0.0
        for name in _RATE_FIELDS.values():
            rate = getattr(self, name)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
            total += rate
        if total > 1.0 + 1e-9:
            raise ValueError("the fault rates must add up to at most 1")
        retry_after = self.rate_limit_retry_after
        if retry_after not in (None, "auto") and (
            isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0
        ):
            raise ValueError('rate_limit_retry_after must be "auto", null or an integer >= 0')

    def rate(self, fault: Fault) -> float:
        """The share of requests that meet `fault`."""
        rate: float = getattr(self, _RATE_FIELDS[fault])
        return rate

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The names accepted by `Faults(...)`, for the `/sandbox/faults` endpoint."""
        return tuple(f.name for f in fields(cls))


class FaultPicker:
    """Draws the fault, if any, that one request meets; thread-safe and replaceable at runtime."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._random = random.Random(faults.seed)

    @property
    def faults(self) -> Faults:
        """The faults currently injected."""
        return self._faults

    def set(self, faults: Faults) -> None:
        """Inject `faults` from now on, restarting the random stream from its seed."""
        with self._lock:
            self._faults = faults
            self._random = random.Random(faults.seed)

    def draw(self) -> Fault | None:
        """One draw of the stream: the fault this request meets, or None."""
        with self._lock:
            faults = self._faults
            if all(faults.rate(fault) == 0.0 for fault in Fault):
                return None
            point = self._random.random()
            edge = 0.0
            for fault in Fault:
                edge += faults.rate(fault)
                if point < edge:
                    return fault
            return None
