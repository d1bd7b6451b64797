"""Raw ASGI pieces the framework does not offer: the skewed `Date` header and dropped connections.

Dropping a connection means closing it without a single byte of answer, as a crashed gateway or a
broken network does; the client must then see "server disconnected without sending a response".
Raising in the app would not do: uvicorn answers 500 for that. Starting a response and not
finishing it would not do either: the status line would already be on the wire. So the outermost
middleware keeps the server's own `receive` callable; with uvicorn it is a method of the request
cycle, which holds the connection's asyncio transport. Closing that transport before any
`http.response.start` sends a FIN and nothing else, and waiting for the server's `http.disconnect`
lets uvicorn see the connection as gone instead of logging an unanswered request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from email.utils import formatdate

import anyio
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DROP_SCOPE_KEY = "az_futures.sandbox.drop"
"""Scope key under which the middleware leaves the connection-dropping callable."""

_DISCONNECT_WAIT_S = 2.0


async def _drop_connection(receive: Receive) -> bool:
    """Close the client's connection without an answer; False if the server offers no transport."""
    cycle = getattr(receive, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if not isinstance(transport, asyncio.Transport):
        return False
    transport.close()
    with anyio.move_on_after(_DISCONNECT_WAIT_S):
        while (await receive())["type"] != "http.disconnect":
            pass
    return True


class ConnectionMiddleware:
    """Adds the server clock's `Date` header to every answer and offers connection drops."""

    def __init__(self, app: ASGIApp, clock_ms: Callable[[], int]) -> None:
        self._app = app
        self._clock_ms = clock_ms

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def drop() -> bool:
            return await _drop_connection(receive)

        scope[DROP_SCOPE_KEY] = drop

        async def send_with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "date" not in headers:
                    headers["date"] = formatdate(self._clock_ms() / 1000, usegmt=True)
            await send(message)

        await self._app(scope, receive, send_with_date)


class DropConnection(Response):
    """A "response" that closes the connection without answering."""

    def __init__(self) -> None:
        super().__init__(status_code=599)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        drop: Callable[[], Awaitable[bool]] | None = scope.get(DROP_SCOPE_KEY)
        if drop is None or not await drop():
            raise RuntimeError("this server offers no way to drop a connection")
