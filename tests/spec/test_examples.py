"""Every example in the spec validates against the schema it illustrates.

An example that drifts from its schema misleads every team that generates a client from the file,
so each one is checked: media-type examples against the media type's schema, and `example`
keywords inside schemas and parameters against the schema they sit in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.spec_loader import load_spec, resolve


def _media_examples() -> Iterator[tuple[str, Any, Any]]:
    """(id, schema, value) for every example under a request body's or response's content."""
    spec = load_spec()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            contents = [("request", resolve(operation["requestBody"])["content"])]
            for status, response in operation["responses"].items():
                contents.append((status, resolve(response).get("content", {})))
            for label, content in contents:
                for media_type, media in content.items():
                    for name, ex in media.get("examples", {}).items():
                        case_id = f"{where} {label} {media_type} {name}"
                        yield case_id, media["schema"], ex["value"]


def _keyword_examples(node: Any, trail: str) -> Iterator[tuple[str, Any, Any]]:
    """(id, schema, value) for every `example` keyword inside schemas and parameters."""
    if isinstance(node, dict):
        if "example" in node:
            schema = node.get("schema", node)  # a parameter holds its schema under `schema`
            yield trail, schema, node["example"]
        for key, value in node.items():
            yield from _keyword_examples(value, f"{trail}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _keyword_examples(item, f"{trail}/{index}")


MEDIA_EXAMPLES = list(_media_examples())
KEYWORD_EXAMPLES = [
    (case_id, resolve(schema), value)
    for case_id, schema, value in _keyword_examples(load_spec()["components"], "#/components")
]


def _errors(schema: Any, value: Any) -> list[str]:
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    return [error.message for error in validator.iter_errors(value)]


def test_every_operation_and_response_has_examples() -> None:
    ids = [case_id for case_id, _, _ in MEDIA_EXAMPLES]
    # Both request content types, the seed's success example and a failure example at least.
    assert any("request application/json" in i for i in ids)
    assert any("request application/x-www-form-urlencoded" in i for i in ids)
    assert any(" 200 application/json success" in i for i in ids)
    assert any(" 200 application/json failure" in i for i in ids)
    for status in ("400", "401", "403", "429", "5XX"):
        assert any(f" {status} application/json" in i for i in ids), status


@pytest.mark.parametrize(
    ("case_id", "schema", "value"), MEDIA_EXAMPLES, ids=[c for c, _, _ in MEDIA_EXAMPLES]
)
def test_media_example_matches_schema(case_id: str, schema: Any, value: Any) -> None:
    assert _errors(resolve(schema), value) == [], case_id


@pytest.mark.parametrize(
    ("case_id", "schema", "value"), KEYWORD_EXAMPLES, ids=[c for c, _, _ in KEYWORD_EXAMPLES]
)
def test_keyword_example_matches_schema(case_id: str, schema: Any, value: Any) -> None:
    assert _errors(schema, value) == [], case_id


def test_validator_catches_a_bad_example() -> None:
    """The checks above can fail: a price as a JSON number is refused by the order schema."""
    order = resolve(load_spec()["components"]["schemas"]["OrderCreate"])
    bad = {
        "clientOrderId": "a",
        "symbol": "btc_usdt",
        "orderSide": "BUY",
        "orderType": "LIMIT",
        "origQty": "1",
        "price": 39000.1,
        "positionSide": "LONG",
    }
    assert _errors(order, bad)
    assert _errors(order, {**bad, "price": "39000.1"}) == []
    assert _errors(order, {**bad, "price": "3.9e4"})
    assert _errors(order, {**bad, "orderSide": "HOLD", "price": "1"})


def test_seed_example_is_the_documented_one() -> None:
    """The success example is the seed page's response, verbatim."""
    seed = load_spec()["components"]["examples"]["BatchOrderSuccess"]["value"]
    assert seed == {
        "error": {"code": "", "msg": ""},
        "msgInfo": "success",
        "result": {
            "createOrdersResponse": [
                {"clientOrderId": "abc123", "orderId": 100001, "createState": 1}
            ],
            "cancelOrdersResponse": [{"cancelOrderId": 100002, "cancelState": 1}],
        },
        "returnCode": 0,
    }


def test_spec_limits_match_the_seed() -> None:
    schemas = load_spec()["components"]["schemas"]
    for name in ("BatchOrderRequest", "BatchOrderForm"):
        props = schemas[name]["properties"]
        assert props["createOrders"]["maxItems"] == 100
        assert props["cancelOrderIds"]["maxItems"] == 100
        assert props["createOrders"]["uniqueItems"] is True
        assert props["cancelOrderIds"]["uniqueItems"] is True
        assert props["createOrderFirst"]["default"] is True
    order = schemas["OrderCreate"]
    assert set(order["required"]) == {
        "clientOrderId",
        "symbol",
        "orderSide",
        "orderType",
        "origQty",
        "positionSide",
    }
    assert set(order["properties"]) == set(order["required"]) | {
        "price",
        "timeInForce",
        "triggerProfitPrice",
        "triggerStopPrice",
    }
    operation = load_spec()["paths"]["/az/future/trade/v1/order/batch"]["post"]
    assert operation["x-rate-limit"]["limit"] == 200
    assert operation["requestBody"]["required"] is True
