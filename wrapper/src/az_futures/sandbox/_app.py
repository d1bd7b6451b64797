"""The sandbox exchange as a Starlette app: the batch endpoint and the `/sandbox/` introspection.

The batch endpoint runs the real exchange's gates in its order: signature and timestamp (401/403),
rate limit (429), then the body (400), then the orders. Injected faults strike after the rate
limit, so every faulted request still counts as traffic, like a request the gateway accepted.
"""

from __future__ import annotations

import json
import logging
import math
from decimal import Decimal
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from ._asgi import ConnectionMiddleware, DropConnection
from ._config import SandboxConfig
from ._exchange import OK, BookOrder, Exchange, SandboxBatchResult
from ._faults import Fault, Faults
from ._traffic import Admission
from ._validation import BatchError, parse_batch
from ._verify import AuthError, KeyAuthError, authenticate

BATCH_PATH = "/az/future/trade/v1/order/batch"

logger = logging.getLogger("az_futures.sandbox")

_JSON = "application/json"


def _json_bytes(document: Any) -> bytes:
    """Compact JSON, with Decimals written exactly as their decimal text."""
    return _encode_json(document).encode()


def _decimal_text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


# One encoder for every answer: `json.dumps` with options builds a new one per call.
_encode_json = json.JSONEncoder(separators=(",", ":"), default=_decimal_text).encode


def _json_response(
    document: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(_json_bytes(document), status_code=status, headers=headers, media_type=_JSON)


def failure(status: int, code: str, msg: str, headers: dict[str, str] | None = None) -> Response:
    """The failure envelope with an error status."""
    envelope = {
        "returnCode": 1,
        "msgInfo": "failure",
        "error": {"code": code, "msg": msg},
        "result": None,
    }
    return _json_response(envelope, status, headers)


def _success_envelope(result: SandboxBatchResult, *, int_states: bool) -> dict[str, Any]:
    def state(value: str) -> str | int:
        return 1 if int_states and value == OK else value

    return {
        "returnCode": 0,
        "msgInfo": "success",
        "error": None,
        "result": {
            "createOrdersResponse": [
                {
                    "clientOrderId": create.client_order_id,
                    "orderId": create.order_id,
                    "createState": state(create.state),
                }
                for create in result.creates
            ],
            "cancelOrdersResponse": [
                {"cancelOrderId": cancel.order_id, "cancelState": state(cancel.state)}
                for cancel in result.cancels
            ],
        },
    }


def _rate_headers(admission: Admission) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(admission.limit),
        "X-RateLimit-Remaining": str(admission.remaining),
    }


def _corrupt(fault: Fault, response: Response) -> Response:
    """The answer that a fault striking after processing puts in place of `response`."""
    if fault is Fault.DROP_AFTER:
        return DropConnection()
    if fault is Fault.MALFORMED:
        return Response(b"<html>\x00 upstream sent garbage {", media_type=_JSON)
    if fault is Fault.TRUNCATED:
        body = bytes(response.body)
        return Response(body[: len(body) // 2], status_code=response.status_code, media_type=_JSON)
    # Fault.MISSING_FIELDS: a success envelope without its result.
    return _json_response({"returnCode": 0, "msgInfo": "success", "error": None})


class _BatchEndpoint:
    """`POST /az/future/trade/v1/order/batch`."""

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    async def handle(self, request: Request) -> Response:
        response = await self._answer(request)
        latency_ms = self._exchange.faults.latency_ms
        if latency_ms > 0:
            await anyio.sleep(latency_ms / 1000)
        return response

    async def _answer(self, request: Request) -> Response:
        exchange = self._exchange
        config = exchange.config
        body = await request.body()
        raw_path: bytes = request.scope.get("raw_path") or request.scope["path"].encode()
        try:
            verified = authenticate(
                request.headers,
                path=raw_path.decode("latin-1"),
                query=request.scope["query_string"].decode("latin-1"),
                body=body,
                keys=config.keys,
                now_ms=exchange.now_ms(),
                max_recv_window_ms=config.max_recv_window_ms,
                future_tolerance_ms=config.future_tolerance_ms,
                form_signature=config.form_signature,
            )
        except AuthError as exc:
            if isinstance(exc, KeyAuthError):
                exchange.record_auth_failure(exc.api_key)
            else:
                exchange.record_unauthenticated()
            logger.info("batch refused (%d): %s", exc.status, exc.msg)
            return failure(exc.status, exc.code, exc.msg)

        api_key = verified.api_key
        admission = exchange.admit(api_key)
        headers = _rate_headers(admission)
        if not admission.admitted:
            retry_after = exchange.faults.rate_limit_retry_after
            if retry_after == "auto":
                retry_after = max(1, math.ceil(admission.retry_after_s))
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
            logger.info("batch refused (429): rate limit")
            return failure(
                429,
                "too_many_requests",
                f"rate limit exceeded: {admission.limit} requests per second per apikey",
                headers,
            )

        fault = exchange.draw_fault()
        if fault is Fault.ERROR:
            logger.info("injected fault: error")
            return failure(503, "GATEWAY_0005", "service unavailable (injected fault)")
        if fault is Fault.DROP_BEFORE:
            logger.info("injected fault: drop before processing")
            return DropConnection()

        try:
            batch = parse_batch(body, request.headers.get("content-type"), strict=config.strict)
        except BatchError as exc:
            logger.info("batch refused (%d): %s", exc.status, exc.msg)
            response = failure(exc.status, "invalid_param", exc.msg, headers)
        else:
            result = exchange.process(api_key, batch)
            logger.debug(
                "batch processed: %d placements, %d cancellations",
                len(result.creates),
                len(result.cancels),
            )
            envelope = _success_envelope(result, int_states=config.int_states)
            response = _json_response(envelope, 200, headers)
        if fault is not None:
            logger.info("injected fault: %s after processing", fault.value)
            return _corrupt(fault, response)
        return response


def _order_json(order: BookOrder) -> dict[str, Any]:
    return {
        "orderId": order.order_id,
        "clientOrderId": order.client_order_id,
        "state": order.state,
        "symbol": order.symbol,
        "orderSide": order.order_side,
        "orderType": order.order_type,
        "origQty": order.orig_qty,
        "price": order.price,
        "timeInForce": order.time_in_force,
        "positionSide": order.position_side,
        "triggerProfitPrice": order.trigger_profit_price,
        "triggerStopPrice": order.trigger_stop_price,
    }


class _Introspection:
    """The unsigned `/sandbox/` endpoints: never part of the real API, for tests and benchmarks."""

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange

    async def stats(self, request: Request) -> Response:
        return _json_response(self._exchange.stats().to_json())

    async def orders(self, request: Request) -> Response:
        api_key = request.query_params.get("apiKey")
        if not api_key:
            return failure(400, "invalid_param", "apiKey: required")
        orders = [_order_json(order) for order in self._exchange.orders(api_key)]
        return _json_response({"orders": orders})

    async def reset(self, request: Request) -> Response:
        self._exchange.reset()
        return _json_response({"reset": True})

    async def faults(self, request: Request) -> Response:
        if request.method == "GET":
            return _json_response(_faults_json(self._exchange.faults))
        try:
            document = json.loads(await request.body() or b"{}")
            if not isinstance(document, dict):
                raise TypeError("a JSON object is required")
            unknown = set(document) - set(Faults.field_names())
            if unknown:
                raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
            faults = Faults(**document)
        except (ValueError, TypeError) as exc:
            return failure(400, "invalid_param", f"faults: {exc}")
        self._exchange.set_faults(faults)
        return _json_response(_faults_json(faults))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods answered with the exchange's failure envelope."""
    if not isinstance(exc, HTTPException):  # pragma: no cover - registered for HTTPException only
        raise exc
    return failure(exc.status_code, str(exc.status_code), exc.detail, dict(exc.headers or {}))


async def _client_gone(request: Request, exc: Exception) -> Response:
    """A client that hung up before its body arrived: nobody to answer, and nothing went wrong
    on the exchange's side, so one line in the log instead of an ASGI traceback."""
    logger.info(
        "%s %s: the client disconnected before sending its whole body",
        request.method,
        request.url.path,
    )
    return Response(status_code=499)  # never delivered: the connection is gone


def _faults_json(faults: Faults) -> dict[str, Any]:
    return {name: getattr(faults, name) for name in Faults.field_names()}


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """The sandbox exchange as an ASGI app; its state is `app.state.exchange`."""
    exchange = Exchange(config or SandboxConfig())
    introspection = _Introspection(exchange)
    app = Starlette(
        routes=[
            Route(BATCH_PATH, _BatchEndpoint(exchange).handle, methods=["POST"]),
            Route("/sandbox/stats", introspection.stats, methods=["GET"]),
            Route("/sandbox/orders", introspection.orders, methods=["GET"]),
            Route("/sandbox/reset", introspection.reset, methods=["POST"]),
            Route("/sandbox/faults", introspection.faults, methods=["GET", "PUT"]),
        ],
        middleware=[Middleware(ConnectionMiddleware, clock_ms=exchange.now_ms)],
        exception_handlers={HTTPException: _http_error, ClientDisconnect: _client_gone},
    )
    app.state.exchange = exchange
    return app
