"""Contract: every answer the sandbox gives on the batch operation is one the spec allows.

Driven by `openapi/az-futures.yaml` through schemathesis: its documented status codes, content
types, response schemas and response headers are checked against real sandbox answers, to requests
that schemathesis generates from the spec (valid ones and deliberately invalid ones, in both
content types) and to a matrix of requests that reach every status the sandbox produces.

Requests are signed here over the exact bytes sent, with code of this file (not the SDK's signer):
the contract under test is the sandbox's, whatever the request.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import schemathesis
from az_futures.sandbox import Faults, RunningSandbox, SandboxConfig, running_sandbox
from hypothesis import HealthCheck, given, settings
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core import NOT_SET

from tests.reliability.conftest import fresh
from tests.reliability.helpers import API_KEY, SECRET_KEY
from tests.spec_loader import SPEC_PATH

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"

SCHEMA = schemathesis.openapi.from_path(SPEC_PATH)
OPERATION = SCHEMA["/az/future/trade/v1/order/batch"]["POST"]
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

Signing = Literal["valid", "bad-signature", "unsigned", "unknown-key", "stale"]


class Signer(httpx.Auth):
    """Signs the request as sent (or breaks it, as `mode` says), from the documented rule."""

    def __init__(self, mode: Signing = "valid") -> None:
        self.mode = mode

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.mode == "unsigned":
            yield request
            return
        key = "nobody-knows-this-key" if self.mode == "unknown-key" else API_KEY
        stamp = time.time_ns() // 1_000_000 - (60_000 if self.mode == "stale" else 0)
        message = f"validate-appkey={key}&validate-timestamp={stamp}#{request.url.path}".encode()
        body = request.content
        if body:
            if request.headers.get("content-type", "").startswith(FORM):
                text = body.decode("utf-8", "replace")
                pairs = sorted(parse_qsl(text, keep_blank_values=True), key=lambda p: p[0])
                message += b"#" + "&".join(f"{k}={v}" for k, v in pairs).encode()
            else:
                message += b"#" + body
        secret = "wrong-secret" if self.mode == "bad-signature" else SECRET_KEY
        request.headers["validate-appkey"] = key
        request.headers["validate-timestamp"] = str(stamp)
        request.headers["validate-signature"] = hmac.new(
            secret.encode(), message, hashlib.sha256
        ).hexdigest()
        yield request


def encode(body: Any, media_type: str) -> bytes:
    """A body as the spec says it travels: compact JSON, or a form whose lists are JSON text."""
    if body is NOT_SET or body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if media_type == FORM and isinstance(body, dict):
        fields = [
            (
                str(name),
                "true"
                if value is True
                else "false"
                if value is False
                else json.dumps(value, separators=(",", ":"))
                if isinstance(value, list | dict)
                else str(value),
            )
            for name, value in body.items()
        ]
        return urlencode(fields).encode()
    return json.dumps(body, separators=(",", ":")).encode()


def send(
    http: httpx.Client,
    sandbox: RunningSandbox,
    body: Any,
    media_type: str,
    *,
    headers: dict[str, Any] | None = None,
    signing: Signing = "valid",
) -> httpx.Response:
    sent_headers = {name: str(value) for name, value in (headers or {}).items()}
    sent_headers["content-type"] = media_type
    return http.post(
        sandbox.base_url + OPERATION.path,
        content=encode(body, media_type),
        headers=sent_headers,
        auth=Signer(signing),
    )


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as client:
        yield client


# --- requests generated from the spec -----------------------------------------------------------


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_answers_to_generated_requests_conform(
    shared_sandbox: RunningSandbox, http: httpx.Client, mode: GenerationMode
) -> None:
    seen: Counter[tuple[str | None, int]] = Counter()

    @settings(
        max_examples=80,
        deadline=None,
        database=None,
        derandomize=True,  # the same requests on every run, so the coverage below is stable
        suppress_health_check=list(HealthCheck),
    )
    @given(case=OPERATION.as_strategy(mode))
    def check(case: Case[Any]) -> None:
        sandbox = fresh(shared_sandbox)
        media_type = case.media_type or JSON
        response = send(http, sandbox, case.body, media_type, headers=dict(case.headers or {}))
        seen[case.media_type, response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    check()
    # The generated traffic reached the exchange's decisions in both content types.
    statuses = {status for _, status in seen}
    assert {JSON, FORM} <= {media_type for media_type, _ in seen}
    assert 400 in statuses
    if mode is GenerationMode.POSITIVE:
        assert (JSON, 200) in seen and (FORM, 200) in seen


# --- every status the sandbox produces ----------------------------------------------------------


def wire_order(client_order_id: str, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "clientOrderId": client_order_id,
        "symbol": "btc_usdt",
        "orderSide": "BUY",
        "orderType": "LIMIT",
        "origQty": "1",
        "price": "39000.1",
        "positionSide": "LONG",
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


@dataclass(frozen=True)
class Ask:
    """One request and the status it must get."""

    status: int
    body: Any
    media_type: str = JSON
    signing: Signing = "valid"
    headers: dict[str, str] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    target: Literal["shared", "limited", "int-states"] = "shared"
    before: int = 0
    """How many times the same request is sent first (to fill a rate limit, or the book)."""


PLACE_AND_CANCEL = {"createOrders": [wire_order("a")], "cancelOrderIds": [100001]}

ASKS: dict[str, Ask] = {
    "200-json": Ask(200, PLACE_AND_CANCEL),
    "200-form": Ask(200, {"createOrderFirst": False, **PLACE_AND_CANCEL}, FORM),
    "200-rejected-orders": Ask(200, PLACE_AND_CANCEL, before=1),
    "200-integer-states": Ask(200, PLACE_AND_CANCEL, target="int-states"),
    "200-all-optional-fields": Ask(
        200,
        {
            "createOrders": [
                wire_order(
                    "o", timeInForce="GTX", triggerProfitPrice="41000", triggerStopPrice="37000"
                ),
                wire_order("m", orderType="MARKET", price=None),
            ]
        },
    ),
    "400-limit-without-price": Ask(400, {"createOrders": [wire_order("a", price=None)]}),
    "400-empty-batch": Ask(400, {"createOrders": [], "cancelOrderIds": []}),
    "400-not-json": Ask(400, b"{not json"),
    "400-form-list-not-json": Ask(400, b"cancelOrderIds=1,2", FORM),
    "400-bad-recvwindow": Ask(400, {"cancelOrderIds": [1]}, headers={"validate-recvwindow": "0"}),
    "401-unsigned": Ask(401, {"cancelOrderIds": [1]}, signing="unsigned"),
    "401-unknown-key": Ask(401, {"cancelOrderIds": [1]}, signing="unknown-key"),
    "403-bad-signature": Ask(403, {"cancelOrderIds": [1]}, FORM, signing="bad-signature"),
    "403-stale-timestamp": Ask(403, {"cancelOrderIds": [1]}, signing="stale"),
    "429": Ask(429, {"cancelOrderIds": [1]}, target="limited", before=1),
    "429-retry-after": Ask(
        429,
        {"cancelOrderIds": [1]},
        target="limited",
        before=1,
        faults=Faults(rate_limit_retry_after=1),
    ),
    "503": Ask(503, PLACE_AND_CANCEL, faults=Faults(error_rate=1.0)),
}


@pytest.fixture(scope="module")
def int_states_sandbox() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(keys={API_KEY: SECRET_KEY}, int_states=True)) as sandbox:
        yield sandbox


@pytest.mark.parametrize("ask", ASKS.values(), ids=ASKS.keys())
def test_every_status_the_sandbox_gives_conforms(
    request: pytest.FixtureRequest, http: httpx.Client, ask: Ask
) -> None:
    fixture = {
        "shared": "shared_sandbox",
        "limited": "limited_sandbox",
        "int-states": "int_states_sandbox",
    }[ask.target]
    sandbox: RunningSandbox = fresh(request.getfixturevalue(fixture))
    for _ in range(ask.before):
        send(http, sandbox, ask.body, ask.media_type, headers=ask.headers, signing=ask.signing)
    sandbox.set_faults(ask.faults)
    response = send(
        http, sandbox, ask.body, ask.media_type, headers=ask.headers, signing=ask.signing
    )
    assert response.status_code == ask.status, response.text
    case = OPERATION.Case(
        body=ask.body, media_type=ask.media_type, headers=dict(ask.headers) or None
    )
    case.validate_response(response, checks=CHECKS)
    if ask.status == 200:
        assert response.json()["returnCode"] == 0
    else:
        assert response.json()["returnCode"] == 1
