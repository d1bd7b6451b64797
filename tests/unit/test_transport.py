"""The SDK's own transport: requests go straight to an httpx transport (no httpx.Client), so what
httpx.Client would do for them has to hold here too: the environment's proxy, the timeout,
connections kept alive and given back."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from az_futures import Client, OutcomeUnknownError
from az_futures._environments import proxy_for
from az_futures_client.api.trade import batch_orders

from .helpers import API_KEY, SECRET_KEY, order

_ANSWER = json.dumps(
    {
        "returnCode": 0,
        "msgInfo": "success",
        "error": None,
        "result": {
            "createOrdersResponse": [
                {"clientOrderId": "o-1", "orderId": 100001, "createState": "OK"}
            ],
            "cancelOrdersResponse": [],
        },
    }
).encode()


class _Server:
    """A one-thread HTTP/1.1 server on 127.0.0.1: answers every request with `_ANSWER` (or never,
    when `silent`), keeping connections alive; records request lines and connections."""

    def __init__(self, *, silent: bool = False) -> None:
        self.silent = silent
        self.request_lines: list[str] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so that `close` is noticed at once
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.settimeout(None)
            self.connections += 1
            threading.Thread(target=self._answer, args=(connection,), daemon=True).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection, connection.makefile("rb") as reader:
            while not self._stop.is_set():
                line = reader.readline()
                if not line:
                    return
                self.request_lines.append(line.decode().strip())
                length = 0
                while (header := reader.readline()) not in (b"\r\n", b""):
                    name, _, value = header.decode().partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                reader.read(length)
                if self.silent:
                    self._stop.wait(10)
                    return
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(_ANSWER)}\r\n\r\n".encode()
                    + _ANSWER
                )

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(5)


@contextmanager
def _server(*, silent: bool = False) -> Iterator[_Server]:
    server = _Server(silent=silent)
    try:
        yield server
    finally:
        server.close()


def _client(base_url: str, **options: object) -> Client:
    return Client(
        base_url=base_url, api_key=API_KEY, secret_key=SECRET_KEY, rate_limit=None, **options
    )  # type: ignore[arg-type]


def test_requests_go_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with _server() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        with _client("http://exchange.invalid:8080") as client:
            result = client.batch_orders([order()])
    assert result.ok
    # A forward proxy is asked for the absolute URL: exchange.invalid was never resolved here.
    assert proxy.request_lines == [f"POST http://exchange.invalid:8080{batch_orders.PATH} HTTP/1.1"]


@pytest.mark.parametrize(
    ("environment", "url", "expected"),
    [
        ({}, "https://f-api.azverse.xyz", None),
        ({"HTTPS_PROXY": "http://p:3128"}, "https://f-api.azverse.xyz", "http://p:3128"),
        ({"HTTPS_PROXY": "http://p:3128"}, "http://127.0.0.1:8080", None),
        ({"HTTP_PROXY": "p:3128"}, "http://h:8080", "http://p:3128"),
        ({"ALL_PROXY": "http://p:1"}, "https://f-api.azverse.xyz", "http://p:1"),
        (
            {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": ".azverse.xyz"},
            "https://f-api.azverse.xyz",
            None,
        ),
    ],
)
def test_proxy_for_reads_the_environment_as_httpx_does(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], url: str, expected: str | None
) -> None:
    for scheme in ("HTTP", "HTTPS", "ALL", "NO"):
        monkeypatch.delenv(f"{scheme}_PROXY", raising=False)
        monkeypatch.delenv(f"{scheme.lower()}_proxy", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert proxy_for(url) == expected


def test_connections_are_kept_alive_and_given_back() -> None:
    """Each answer is read whole and its connection returned to the pool, so a run of batches
    uses one connection."""
    with _server() as server, _client(f"http://127.0.0.1:{server.port}") as client:
        for _ in range(5):
            assert client.batch_orders([order()]).ok
    assert server.connections == 1
    assert len(server.request_lines) == 5


def test_the_timeout_applies_to_the_sdks_own_transport() -> None:
    """Without httpx.Client, the timeout travels as the request's extension: a server that never
    answers gives a read timeout (outcome unknown), not a hang."""
    with (
        _server(silent=True) as server,
        _client(f"http://127.0.0.1:{server.port}", timeout=0.3) as client,
        pytest.raises(OutcomeUnknownError, match="ReadTimeout"),
    ):
        client.batch_orders([order()])
