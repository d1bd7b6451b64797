"""A minimal HTTP/1.1 keep-alive server answering every request with one fixed success envelope.

It exists to measure pure client cost: no routing, no parsing beyond the request head's
`Content-Length`, no verification. Each answer is one `write` of status line, headers and body,
on a socket with TCP_NODELAY, so that neither Nagle's algorithm nor the client's delayed ACK adds
~40 ms to a round trip. It runs in its own process (`python -m bench.server`), prints
`READY <port>` on stdout once it accepts connections, and stops when its stdin closes.

The envelope answers the benchmark's batch (`bench.common.batch_fields`): 100 placements, state
`OK`, with a `Date` header refreshed every second like a real server's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import sys
import time
from email.utils import formatdate

_HEAD_END = b"\r\n\r\n"
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:[ \t]*close", re.IGNORECASE)


def success_body(client_order_ids: list[str]) -> bytes:
    """The exchange's success envelope placing every order of a batch (compact JSON)."""
    envelope = {
        "returnCode": 0,
        "msgInfo": "success",
        "error": None,
        "result": {
            "createOrdersResponse": [
                {"clientOrderId": cid, "orderId": 100001 + i, "createState": "OK"}
                for i, cid in enumerate(client_order_ids)
            ],
            "cancelOrdersResponse": [],
        },
    }
    return json.dumps(envelope, separators=(",", ":")).encode()


class _Answers:
    """The full response bytes, rebuilt when the second in the `Date` header changes."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._second = -1
        self._keep_alive = b""
        self._close = b""

    def get(self, *, close: bool) -> bytes:
        second = int(time.time())
        if second != self._second:
            self._second = second
            head = (
                "HTTP/1.1 200 OK\r\n"
                f"date: {formatdate(second, usegmt=True)}\r\n"
                "content-type: application/json\r\n"
                f"content-length: {len(self._body)}\r\n"
            ).encode()
            self._keep_alive = head + b"connection: keep-alive\r\n\r\n" + self._body
            self._close = head + b"connection: close\r\n\r\n" + self._body
        return self._close if close else self._keep_alive


class _Connection(asyncio.Protocol):
    def __init__(self, answers: _Answers) -> None:
        self._answers = answers
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        transport = self._transport
        assert transport is not None
        self._buffer += data
        while True:
            end = self._buffer.find(_HEAD_END)
            if end < 0:
                return
            head = bytes(self._buffer[:end])
            if _CHUNKED.search(head):  # none of the benchmark's clients sends one
                transport.write(b"HTTP/1.1 411 Length Required\r\ncontent-length: 0\r\n\r\n")
                transport.close()
                return
            match = _CONTENT_LENGTH.search(head)
            total = end + len(_HEAD_END) + (int(match[1]) if match else 0)
            if len(self._buffer) < total:
                return
            del self._buffer[:total]
            close = _CLOSE.search(head) is not None
            transport.write(self._answers.get(close=close))  # one write per response
            if close:
                transport.close()
                return


async def _serve(host: str, port: int, body: bytes) -> None:
    loop = asyncio.get_running_loop()
    answers = _Answers(body)
    server = await loop.create_server(lambda: _Connection(answers), host, port, backlog=1024)
    bound = server.sockets[0].getsockname()[1]
    print(f"READY {bound}", flush=True)
    # Serve until the parent closes our stdin (or dies).
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    server.close()


def main(argv: list[str] | None = None) -> None:
    """Serve until stdin closes; `--orders N` sizes the envelope (ids `bench-0`...)."""
    from bench.common import client_order_ids, pin  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    pin("server")
    asyncio.run(_serve(args.host, args.port, success_body(client_order_ids())))


if __name__ == "__main__":
    main()
