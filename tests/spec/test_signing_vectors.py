"""The signing conformance vectors (openapi/signing-vectors.json) hold, and the SDK meets them.

The vectors are a product for other-language teams: each gives a request's inputs as sent on the
wire and the expected message and signature. Three checks per vector, from the most independent
to the most end-to-end:

(a) a plain HMAC over the literal `message` gives `signature` (no SDK code involved);
(b) the SDK's `signing_message` builds exactly `message` from the inputs;
(c) a real `httpx.Request` with those bytes, signed by the SDK's `AzAuth` at a fixed clock, carries
    the expected headers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest
from az_futures._clock import RequestClock
from az_futures._encoding import encode_form
from az_futures._signing import AzAuth, signing_message
from az_futures.sandbox._verify import signing_message as sandbox_signing_message
from az_futures_client import Client
from az_futures_client.api.trade import batch_orders
from az_futures_client.models import BatchOrderForm, BatchOrderRequest
from jsonschema import Draft202012Validator

from tests.spec_loader import example, load_spec

VECTORS_PATH = Path(__file__).resolve().parents[2] / "openapi" / "signing-vectors.json"
DOCUMENT: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
VECTORS: list[dict[str, Any]] = DOCUMENT["vectors"]
IDS = [vector["name"] for vector in VECTORS]

REFERENCE_SIGNATURE = "3f08fbdeb3eee1e850fb185612b5ea64eae9e6fd5d2806ff94a1ce31a9b925d3"
BATCH_PATH = "/az/future/trade/v1/order/batch"


def _by_name(name: str) -> dict[str, Any]:
    return next(vector for vector in VECTORS if vector["name"] == name)


def test_file_matches_its_own_schema() -> None:
    validator = Draft202012Validator(DOCUMENT["schema"])
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(DOCUMENT)]
    assert errors == []
    assert len(set(IDS)) == len(IDS), "vector names must be unique"


def test_file_covers_the_cases_other_teams_need() -> None:
    """The reference vector, an unsorted query, JSON and form batches, a percent-encoded form."""
    reference = _by_name("reference-get")
    assert reference["signature"] == REFERENCE_SIGNATURE
    assert "&" in _by_name("get-unsorted-query")["query"]
    assert _by_name("json-batch")["content_type"] == "application/json"
    for name in ("form-batch", "form-batch-percent-encoded"):
        vector = _by_name(name)
        assert vector["path"] == BATCH_PATH
        assert vector["content_type"] == "application/x-www-form-urlencoded"
        assert "%5B%7B%22" in vector["body"]  # `[{"` percent-encoded on the wire ...
        assert '=[{"' in vector["message"]  # ... and decoded in the message
    special = _by_name("form-batch-percent-encoded")
    assert "+" in special["body"]  # a space, form-encoded
    assert "desk 1&2=ok+50%" in special["message"]


CANONICAL_FORMS = ("form-batch-canonical", "form-batch-canonical-non-ascii")


@pytest.mark.parametrize("name", CANONICAL_FORMS)
def test_canonical_form_vectors_send_the_signed_text_as_the_body(name: str) -> None:
    """The body is the signed part of the message, so both readings of the form rule (the docs':
    sorted and decoded; the reference client's: the text as sent) sign it the same; the sandbox's
    verifier agrees under each."""
    vector = _by_name(name)
    head = f"validate-appkey={vector['appkey']}&validate-timestamp={vector['timestamp']}"
    assert vector["content_type"] == "application/x-www-form-urlencoded"
    assert vector["message"] == f"{head}#{vector['path']}#{vector['body']}"
    assert "%" not in vector["body"]
    assert vector["body"].isascii()
    for reading in ("docs", "raw"):
        message = sandbox_signing_message(
            api_key=vector["appkey"],
            timestamp=vector["timestamp"],
            path=vector["path"],
            body=vector["body"].encode("utf-8"),
            content_type=vector["content_type"],
            form_signature=reading,
        )
        assert message == vector["message"].encode("utf-8"), reading


def test_the_percent_encoded_form_vectors_hold_under_the_docs_reading_only() -> None:
    """So the file says which form bodies to send: the raw reading signs another text."""
    for name in ("form-batch", "form-batch-percent-encoded"):
        vector = _by_name(name)
        raw = sandbox_signing_message(
            api_key=vector["appkey"],
            timestamp=vector["timestamp"],
            path=vector["path"],
            body=vector["body"].encode("utf-8"),
            content_type=vector["content_type"],
            form_signature="raw",
        )
        assert raw != vector["message"].encode("utf-8")
        assert "form-batch-canonical" in vector["comment"] or "JSON" in vector["comment"]


def test_canonical_form_vector_is_the_spec_example_as_the_sdk_sends_it() -> None:
    """The SDK's form body for the spec's form example is the vector's body, byte for byte."""
    body = encode_form(example("BatchOrderRequestForm"))
    assert body.decode("ascii") == _by_name("form-batch-canonical")["body"]
    assert _by_name("form-batch-canonical")["signature"] != _by_name("form-batch")["signature"]


def _utf16_units(text: str) -> bytes:
    return text.encode("utf-16-be")


def _canonical_query_sorted_by(vector: dict[str, Any], key: Any) -> str:
    """The vector's query canonicalised with another sort: what a wrong signer would sign."""
    pairs = [field.partition("=") for field in vector["query"].split("&") if field]
    decoded = [(unquote_plus(name), unquote_plus(value)) for name, _, value in pairs]
    decoded.sort(key=key)
    return "&".join(f"{name}={value}" for name, value in decoded)


def test_edge_cases_of_canonical_are_pinned() -> None:
    """The vectors for canonical()'s edge cases exist and each one tells a wrong signer apart."""
    bare = _by_name("query-pair-without-equals")
    assert "&flag&" in bare["query"]
    assert "&flag=&" in bare["message"]

    empty = _by_name("query-empty-segments")
    assert "&&" in empty["query"]
    assert empty["query"].startswith("&")
    assert empty["query"].endswith("&")
    assert "&&" not in empty["message"]
    assert not empty["message"].endswith("&")

    repeated = _by_name("query-repeated-name")
    assert repeated["message"].endswith("#coin=btc&side=SELL&side=BUY")
    by_name_then_value = _canonical_query_sorted_by(repeated, key=lambda pair: pair)
    assert not repeated["message"].endswith("#" + by_name_then_value)

    code_points = _by_name("query-code-point-order")
    assert code_points["message"].endswith("#coin=btc&\uff61=1&\U0001f600=2")
    utf16 = _canonical_query_sorted_by(code_points, key=lambda pair: _utf16_units(pair[0]))
    assert not code_points["message"].endswith("#" + utf16)  # JavaScript's default sort

    big = _by_name("json-batch-64-bit-id")
    assert "9007199254740993" in big["body"]
    assert "9007199254740993" in big["message"]
    assert 9007199254740993 > 2**53
    assert float(9007199254740993) == 9007199254740992  # what a double makes of it


def test_reference_vector_is_the_one_in_the_spec() -> None:
    """The file and the spec's `x-az-signing.vector` state the same worked example."""
    signing = load_spec()["components"]["securitySchemes"]["AzSignature"]["x-az-signing"]
    in_spec = signing["vector"]
    reference = _by_name("reference-get")
    for key in ("appkey", "secret", "timestamp", "method", "path", "query", "message", "signature"):
        assert reference[key] == in_spec[key], key


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_signature_is_hmac_of_the_literal_message(vector: dict[str, Any]) -> None:
    """(a) Independent of the SDK: plain HMAC-SHA256 over the message text."""
    digest = hmac.new(
        vector["secret"].encode("utf-8"), vector["message"].encode("utf-8"), hashlib.sha256
    ).hexdigest()
    assert digest == vector["signature"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_sdk_builds_the_message(vector: dict[str, Any]) -> None:
    """(b) The SDK's message builder, from the vector's wire inputs."""
    message = signing_message(
        api_key=vector["appkey"],
        timestamp=vector["timestamp"],
        path=vector["path"],
        query=vector["query"],
        body=vector["body"].encode("utf-8"),
        content_type=vector["content_type"],
    )
    assert message == vector["message"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_sandbox_verifier_builds_the_message(vector: dict[str, Any]) -> None:
    """(b') The sandbox's verifier, written apart from the SDK, agrees with every vector."""
    message = sandbox_signing_message(
        api_key=vector["appkey"],
        timestamp=vector["timestamp"],
        path=vector["path"],
        query=vector["query"],
        body=vector["body"].encode("utf-8"),
        content_type=vector["content_type"],
    )
    assert message == vector["message"].encode("utf-8")


def _wire_request(vector: dict[str, Any]) -> httpx.Request:
    url = "https://f-api.azverse.xyz" + vector["path"]
    if vector["query"]:
        url += "?" + vector["query"]
    headers = {"content-type": vector["content_type"]} if vector["content_type"] else {}
    body = vector["body"].encode("utf-8")
    return httpx.Request(vector["method"], url, headers=headers, content=body or None)


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_sdk_auth_signs_the_wire_request(vector: dict[str, Any]) -> None:
    """(c) A real request with exactly these bytes, signed by `AzAuth` at a fixed clock."""
    request = _wire_request(vector)
    # The request is what the vector says goes on the wire, byte for byte.
    raw_path, _, raw_query = request.url.raw_path.decode("ascii").partition("?")
    assert (raw_path, raw_query) == (vector["path"], vector["query"])
    assert request.content == vector["body"].encode("utf-8")

    timestamp = int(vector["timestamp"])
    clock = RequestClock(lambda: timestamp, learn_from_server=False)
    auth = AzAuth(vector["appkey"], vector["secret"], clock=clock)
    signed = next(auth.sync_auth_flow(request))

    assert signed.headers["validate-appkey"] == vector["appkey"]
    assert signed.headers["validate-timestamp"] == vector["timestamp"]
    assert signed.headers["validate-signature"] == vector["signature"]


def test_a_changed_byte_changes_the_signature() -> None:
    """The checks above can fail: one more space in a JSON body is another signature."""
    vector = _by_name("json-batch")
    tampered = {**vector, "body": vector["body"].replace(",", ", ", 1)}
    request = _wire_request(tampered)
    clock = RequestClock(lambda: int(vector["timestamp"]), learn_from_server=False)
    signed = next(AzAuth(vector["appkey"], vector["secret"], clock=clock).sync_auth_flow(request))
    assert signed.headers["validate-signature"] != vector["signature"]


def _sent_by_generated_client(body: BatchOrderForm | BatchOrderRequest) -> httpx.Request:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"returnCode": 0, "msgInfo": "success", "result": None})

    client = Client(
        base_url="https://f-api.azverse.xyz",
        httpx_args={"transport": httpx.MockTransport(handler)},
    )
    batch_orders.sync_detailed(client=client, body=body)
    (request,) = sent
    return request


@pytest.mark.parametrize(
    ("vector_name", "example_name", "model"),
    [
        ("form-batch", "BatchOrderRequestForm", BatchOrderForm),
        ("json-batch", "BatchOrderRequestJson", BatchOrderRequest),
    ],
)
def test_batch_vectors_are_the_spec_examples_as_the_generated_client_sends_them(
    vector_name: str, example_name: str, model: type[BatchOrderForm] | type[BatchOrderRequest]
) -> None:
    """The batch vectors' bodies are the spec's examples, byte for byte as the client sends them.

    So the vectors show other teams the exact encoding the spec decided (lists as one field of
    compact JSON text in a form), not just some encoding that happens to sign.
    """
    vector = _by_name(vector_name)
    request = _sent_by_generated_client(model.from_dict(example(example_name)))
    assert request.url.raw_path.decode("ascii") == vector["path"]
    assert request.headers["content-type"] == vector["content_type"]
    assert request.content.decode("utf-8") == vector["body"]
