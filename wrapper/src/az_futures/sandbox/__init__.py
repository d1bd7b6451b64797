"""A local sandbox of the AZ futures exchange: a real HTTP server that behaves like the exchange.

It verifies signatures and timestamps, enforces the rate limit and every documented field rule,
keeps orders per API key, and can inject the failures a client must survive (errors, dropped
connections, broken answers, latency). Tests and the demo run it in-process with
`running_sandbox()`; `az-futures sandbox` serves it with `serve()`. The unsigned `/sandbox/`
endpoints (stats, orders, reset, faults) are the sandbox's own and never part of the real API.
"""

from ._app import BATCH_PATH, create_app
from ._config import DEMO_API_KEY, DEMO_SECRET_KEY, SandboxConfig
from ._exchange import (
    BookOrder,
    Exchange,
    SandboxBatchResult,
    SandboxCancelResult,
    SandboxCreateResult,
)
from ._faults import Fault, Faults
from ._server import RunningSandbox, running_sandbox, serve
from ._traffic import KeyStats, SandboxStats, key_label
from ._validation import OrderRequest, ReceivedBatch

__all__ = [
    "BATCH_PATH",
    "DEMO_API_KEY",
    "DEMO_SECRET_KEY",
    "BookOrder",
    "Exchange",
    "Fault",
    "Faults",
    "KeyStats",
    "OrderRequest",
    "ReceivedBatch",
    "RunningSandbox",
    "SandboxBatchResult",
    "SandboxCancelResult",
    "SandboxConfig",
    "SandboxCreateResult",
    "SandboxStats",
    "create_app",
    "key_label",
    "running_sandbox",
    "serve",
]
