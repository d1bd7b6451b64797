"""How a sandbox exchange is set up: its keys, limits, clock and injected faults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ._faults import Faults
from ._verify import FORM_SIGNATURES, FormSignature

DEMO_API_KEY = "az-sandbox-demo-key"
"""The API key the sandbox knows when no other is configured (`az-futures sandbox`, the demo)."""

DEMO_SECRET_KEY = "az-sandbox-demo-secret"  # noqa: S105 - a published demo secret, not a credential
"""The secret key paired with `DEMO_API_KEY`."""


def _demo_keys() -> Mapping[str, str]:
    return MappingProxyType({DEMO_API_KEY: DEMO_SECRET_KEY})


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    """Everything a sandbox exchange is started with.

    The defaults mirror the real exchange (200 requests per second per key, a receive window of at
    most 60 s, 1 s of tolerance for timestamps ahead of the server clock), so that a client that
    passes against the sandbox meets the same rules in production.
    """

    keys: Mapping[str, str] = field(default_factory=_demo_keys, repr=False)
    """API key -> secret key: the accounts the exchange knows (never shown in the repr)."""
    rate_limit_per_second: int = 200
    """Requests each key may make in any sliding one-second window before it gets HTTP 429."""
    max_recv_window_ms: int = 60000
    """The largest `validate-recvwindow` accepted (larger ones are refused with HTTP 400)."""
    future_tolerance_ms: int = 1000
    """How far ahead of the server clock a request's timestamp may be."""
    int_states: bool = False
    """Answer the `OK` state as the integer 1, like the documentation's example."""
    faults: Faults = field(default_factory=Faults)
    """Faults injected from the start; they can be changed while running."""
    server_clock_skew_ms: int = 0
    """Added to the local clock to give the server's clock, to test clients' clock correction."""
    strict: bool = True
    """Refuse every body the spec forbids: JSON numbers for decimal strings, `null` fields,
    duplicate JSON keys, empty form list fields. False accepts those (as numbers read exactly,
    absent fields, the last key), for tests that need a forgiving exchange; `AZ_SANDBOX_LENIENT=1`
    sets it for `az-futures sandbox`."""
    form_signature: FormSignature = "docs"
    """Which reading of the form signing rule the gateway applies, as neither is known to be the
    exchange's: "docs" signs a form body as its fields sorted by name with values decoded, "raw"
    as the exact body text received (the exchange's Java reference client). `AZ_SANDBOX_FORM_
    SIGNATURE=raw` sets it for `az-futures sandbox`."""

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("keys: at least one api key is required")
        if self.rate_limit_per_second < 1:
            raise ValueError("rate_limit_per_second must be at least 1")
        if self.max_recv_window_ms < 1:
            raise ValueError("max_recv_window_ms must be at least 1")
        if self.future_tolerance_ms < 0:
            raise ValueError("future_tolerance_ms must not be negative")
        if self.form_signature not in FORM_SIGNATURES:
            raise ValueError(f"form_signature must be one of {', '.join(FORM_SIGNATURES)}")
        # A read-only copy, so that the frozen config cannot be changed through the caller's dict.
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SandboxConfig:
        """The config whose only key pair is `AZ_API_KEY`/`AZ_SECRET_KEY`, else the demo pair;
        lenient when `AZ_SANDBOX_LENIENT=1`; the form signing reading of
        `AZ_SANDBOX_FORM_SIGNATURE` (`docs`, the default, or `raw`; `ValueError` for another).

        Reading the same variables as the SDK lets `az-futures sandbox` and a client started from
        one shell agree on a key without any flag.
        """
        env = os.environ if environ is None else environ
        api_key = env.get("AZ_API_KEY")
        secret_key = env.get("AZ_SECRET_KEY")
        strict = env.get("AZ_SANDBOX_LENIENT", "") != "1"
        form_signature = _form_signature(env.get("AZ_SANDBOX_FORM_SIGNATURE") or "docs")
        if api_key and secret_key:
            return cls(keys={api_key: secret_key}, strict=strict, form_signature=form_signature)
        return cls(strict=strict, form_signature=form_signature)


def _form_signature(text: str) -> FormSignature:
    """The reading named in the environment, refused by name when it is neither."""
    for reading in FORM_SIGNATURES:
        if text.strip().lower() == reading:
            return reading
    raise ValueError(
        f"AZ_SANDBOX_FORM_SIGNATURE must be one of {', '.join(FORM_SIGNATURES)}, not {text!r}"
    )
