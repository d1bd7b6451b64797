"""Every kind of answer the sandbox gives on the batch operation is one the spec describes.

For each status the sandbox produces, the answer's status must be documented, its body must
validate against that response's schema, and every header the spec documents for it must be
there and valid (`Retry-After` on a 429 included, although the spec does not mark it required:
the sandbox promises to send it). Written from the spec file with plain schema validation, so it
checks what schemathesis' header check does not (headers that are documented but optional).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from az_futures.sandbox import Faults, RunningSandbox, SandboxConfig, running_sandbox
from openapi_schema_validator import OAS30Validator

from tests.sandbox.helpers import PATH, compact, json_headers, order, post_form, post_json
from tests.spec_loader import load_spec, resolve

OPERATION = load_spec()["paths"][PATH]["post"]


def documented_response(status: int) -> dict[str, Any]:
    """The resolved response object the spec gives for `status` (exact code, else `4XX`/`5XX`)."""
    responses = OPERATION["responses"]
    found = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    assert found is not None, f"HTTP {status} is not documented for the batch operation"
    response: dict[str, Any] = resolve(found)
    return response


def assert_conforms(response: httpx.Response) -> dict[str, Any]:
    """The answer's body and documented headers against the spec; returns the body."""
    documented = documented_response(response.status_code)
    media = documented["content"]["application/json"]
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    errors = [e.message for e in OAS30Validator(media["schema"]).iter_errors(body)]
    assert errors == [], (response.status_code, body)
    for name, header in documented.get("headers", {}).items():
        assert name.lower() in response.headers, f"{response.status_code} without {name}"
        text = response.headers[name]
        assert text.isdigit(), (name, text)  # every documented header is an integer
        header_errors = list(OAS30Validator(header["schema"]).iter_errors(int(text)))
        assert header_errors == [], (name, text)
    return body


@pytest.fixture(scope="module")
def limited() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(rate_limit_per_second=1)) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def int_states() -> Iterator[RunningSandbox]:
    with running_sandbox(SandboxConfig(int_states=True)) as sandbox:
        yield sandbox


Ask = Callable[[httpx.Client, RunningSandbox], httpx.Response]
PLACE_AND_CANCEL = {"createOrders": [order("a")], "cancelOrderIds": [100001, 7]}


def _rate_limited(http: httpx.Client, sandbox: RunningSandbox) -> httpx.Response:
    post_json(http, {"cancelOrderIds": [1]})  # takes the only slot of this second
    return post_json(http, {"cancelOrderIds": [2]})


def _stale(http: httpx.Client, sandbox: RunningSandbox) -> httpx.Response:
    body = compact({"cancelOrderIds": [1]})
    headers = json_headers(body, timestamp=1)
    return http.post(PATH, content=body, headers=headers)


def _server_error(http: httpx.Client, sandbox: RunningSandbox) -> httpx.Response:
    sandbox.set_faults(Faults(error_rate=1.0))
    return post_json(http, PLACE_AND_CANCEL)


ASKS: dict[str, tuple[str, int, Ask]] = {
    "200-json": ("shared", 200, lambda http, _: post_json(http, PLACE_AND_CANCEL)),
    "200-form": (
        "shared",
        200,
        lambda http, _: post_form(
            http, {"createOrders": compact([order("f")]).decode(), "cancelOrderIds": "[9]"}
        ),
    ),
    "200-integer-states": ("int-states", 200, lambda http, _: post_json(http, PLACE_AND_CANCEL)),
    "400-number-for-decimal": (
        "shared",
        400,
        lambda http, _: post_json(http, compact(PLACE_AND_CANCEL).replace(b'"1"', b"1", 1)),
    ),
    "401-unknown-key": (
        "shared",
        401,
        lambda http, _: post_json(http, PLACE_AND_CANCEL, key="nobody", secret="x"),
    ),
    "403-bad-signature": (
        "shared",
        403,
        lambda http, _: post_json(http, PLACE_AND_CANCEL, secret="wrong"),
    ),
    "403-stale": ("shared", 403, _stale),
    "429-default-faults": ("limited", 429, _rate_limited),
    "503": ("shared", 503, _server_error),
}


@pytest.mark.parametrize("name", list(ASKS))
def test_each_answer_conforms_to_the_spec(
    name: str,
    sandbox: RunningSandbox,
    limited: RunningSandbox,
    int_states: RunningSandbox,
) -> None:
    target, status, ask = ASKS[name]
    chosen = {"shared": sandbox, "limited": limited, "int-states": int_states}[target]
    chosen.set_faults(Faults())
    chosen.reset()
    try:
        with httpx.Client(base_url=chosen.base_url, timeout=5) as http:
            response = ask(http, chosen)
    finally:
        chosen.set_faults(Faults())
    assert response.status_code == status, response.text
    body = assert_conforms(response)
    assert body["returnCode"] == (0 if status == 200 else 1)
    if status != 200:
        assert body["result"] is None  # ErrorResponse.result: always null


def test_a_429_says_how_long_to_wait(limited: RunningSandbox) -> None:
    """The spec documents Retry-After on 429 as whole seconds; the sandbox sends it by default."""
    limited.set_faults(Faults())
    limited.reset()
    with httpx.Client(base_url=limited.base_url, timeout=5) as http:
        response = _rate_limited(http, limited)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert "Retry-After" in documented_response(429)["headers"]


def test_the_check_catches_a_missing_documented_header(limited: RunningSandbox) -> None:
    """The conformance check can fail: an exchange that omits Retry-After is caught."""
    limited.set_faults(Faults(rate_limit_retry_after=None))
    limited.reset()
    try:
        with httpx.Client(base_url=limited.base_url, timeout=5) as http:
            response = _rate_limited(http, limited)
    finally:
        limited.set_faults(Faults())
    with pytest.raises(AssertionError, match="429 without Retry-After"):
        assert_conforms(response)
