"""Serving the sandbox with uvicorn: in a background thread for tests, or blocking for the CLI."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from ._app import create_app
from ._config import SandboxConfig
from ._exchange import Exchange
from ._faults import Faults
from ._traffic import SandboxStats

_STARTUP_TIMEOUT_S = 10.0
_SHUTDOWN_TIMEOUT_S = 10.0


def _uvicorn_config(app: Starlette, host: str, port: int, *, quiet: bool) -> uvicorn.Config:
    """uvicorn options shared by both ways of serving.

    h11 and the asyncio loop are chosen explicitly so that the connection-dropping fault (which
    reaches into the server's transport) works the same whatever extras are installed. asyncio sets
    TCP_NODELAY on accepted TCP sockets (see `_bound_socket`), so that answers are not held back
    by Nagle's algorithm. The
    `Date` header comes from the app, which knows the server's (possibly skewed) clock.
    """
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",
        loop="asyncio",
        ws="none",
        lifespan="off",
        access_log=False,  # an access log would show `/sandbox/orders?apiKey=...`
        log_level="warning" if quiet else "info",
        # Leave the process's logging configuration alone when embedded in tests.
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        date_header=False,
        server_header=False,
        timeout_graceful_shutdown=2,
    )


@dataclass(frozen=True, slots=True)
class RunningSandbox:
    """A sandbox exchange serving in the background, and handles to inspect and steer it."""

    base_url: str
    """E.g. `http://127.0.0.1:54321`."""
    host: str
    port: int
    exchange: Exchange
    """The exchange's state, for assertions."""

    def set_faults(self, faults: Faults) -> None:
        """Inject `faults` from the next request on."""
        self.exchange.set_faults(faults)

    def stats(self) -> SandboxStats:
        """A snapshot of the traffic so far."""
        return self.exchange.stats()

    def reset(self) -> None:
        """Forget every order and counter."""
        self.exchange.reset()


def _bound_socket(host: str, port: int) -> socket.socket:
    """A listening socket for uvicorn to serve on.

    It must be created with `IPPROTO_TCP` explicitly: asyncio sets TCP_NODELAY only on accepted
    sockets whose protocol number says TCP, and without it every keep-alive answer (status line and
    body are separate writes) waits ~40 ms for the client's delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


@contextlib.contextmanager
def running_sandbox(
    config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningSandbox]:
    """Serve a sandbox exchange on `host:port` (0: a free port) until the block ends.

    The socket is bound here, before the server starts, so the port is known without a race and
    the block starts only once the server accepts connections.
    """
    app = create_app(config or SandboxConfig())
    sock = _bound_socket(host, port)
    actual_port: int = sock.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(app, host, actual_port, quiet=True))
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the caller by the startup wait
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"az-sandbox-{actual_port}", daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + _STARTUP_TIMEOUT_S
        while not server.started:
            if failure or not thread.is_alive():
                raise RuntimeError("the sandbox exchange failed to start") from (
                    failure[0] if failure else None
                )
            if time.monotonic() > deadline:
                raise TimeoutError("the sandbox exchange did not start in time")
            time.sleep(0.005)
        url_host = f"[{host}]" if ":" in host else host
        yield RunningSandbox(
            base_url=f"http://{url_host}:{actual_port}",
            host=host,
            port=actual_port,
            exchange=app.state.exchange,
        )
    finally:
        server.should_exit = True
        if thread.is_alive():
            thread.join(_SHUTDOWN_TIMEOUT_S)
        sock.close()
    if failure:
        raise RuntimeError("the sandbox exchange stopped with an error") from failure[0]


def serve(config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 8080) -> None:
    """Serve a sandbox exchange until interrupted (the `az-futures sandbox` command)."""
    app = create_app(config or SandboxConfig.from_env())
    server = uvicorn.Server(_uvicorn_config(app, host, port, quiet=False))
    server.run()
