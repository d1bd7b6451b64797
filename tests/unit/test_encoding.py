"""Bodies: JSON byte for byte what the generated client sends; a form with the same parameters,
written as its own canonical signing text, which every form parser reads back exactly."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qsl, unquote_plus

import httpx
import pytest
from az_futures import Batch, ValidationError, _batch_orders, build_batch
from az_futures._encoding import AmbiguousFormError, encode, encode_form, encode_json
from az_futures._signing import canonical_params
from az_futures_client import AuthenticatedClient
from az_futures_client.api.trade import batch_orders
from az_futures_client.models import BatchOrderForm, BatchOrderRequest, OrderCreate
from az_futures_client.types import UNSET

from .helpers import order

BATCHES = [
    build_batch([order("a"), order("b", order_type="MARKET", price=None)], [1, 2**63 - 1]),
    build_batch([order("ü-ñ", symbol="eth_usdt", trigger_profit_price="41000.50")]),
    build_batch(cancel_order_ids=[100002], create_order_first=False),
    # JSON's own escapes in a form value: quotes, backslashes, non-ASCII as \\uXXXX.
    build_batch([order('q"\\1'), order("ü-€"), order("plain/~*!")], [7]),
]
AMBIGUOUS = [" ", "&", "=", "%", "+", ";"]


def _generated_bytes(batch: Batch, form: bool) -> tuple[bytes, str]:
    """What the generated endpoint sends for `batch` (empty lists left out, as the SDK does)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = AuthenticatedClient(base_url="http://h", token="unused")
    client.set_httpx_client(
        httpx.Client(base_url="http://h", transport=httpx.MockTransport(answer))
    )
    orders = [OrderCreate.from_dict(o.to_wire()) for o in batch.create_orders]
    ids = list(batch.cancel_order_ids)
    model = BatchOrderForm if form else BatchOrderRequest
    body = model(
        create_order_first=batch.create_order_first,
        create_orders=orders or UNSET,
        cancel_order_ids=ids or UNSET,
    )
    batch_orders.sync_detailed(client=client, body=body)
    assert seen[0].url.path == batch_orders.PATH
    return seen[0].content, seen[0].headers["content-type"]


@pytest.mark.parametrize("batch", BATCHES)
def test_json_matches_the_generated_client(batch: Batch) -> None:
    ours = encode_json(batch.to_wire())
    theirs, content_type = _generated_bytes(batch, form=False)
    assert ours == theirs
    assert encode(batch.to_wire(), "json") == (ours, content_type)


def _java_style_decode(body: str) -> list[tuple[str, str]]:
    """A gateway's form reading as Java's URLDecoder does it: split on `&` and the first `=`,
    `+` is a space, `%XX` a byte."""
    pairs = []
    for part in body.split("&"):
        name, _, value = part.partition("=")
        pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def _starlette_form(body: bytes) -> list[tuple[str, str]]:
    from starlette.requests import Request

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def read() -> list[tuple[str, str]]:
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/",
            "query_string": b"",
            "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        }
        async with Request(scope, receive).form() as form:
            return [(k, str(v)) for k, v in form.multi_items()]

    return asyncio.run(read())


@pytest.mark.parametrize("batch", BATCHES)
def test_form_is_its_own_signing_text_and_every_parser_reads_the_values_meant(
    batch: Batch,
) -> None:
    ours = encode_form(batch.to_wire())
    theirs, content_type = _generated_bytes(batch, form=True)
    assert encode(batch.to_wire(), "form") == (ours, content_type)
    meant = sorted(parse_qsl(theirs.decode(), strict_parsing=True))  # the generated client's
    text = ours.decode("ascii")
    assert parse_qsl(text, strict_parsing=True) == meant
    assert _starlette_form(ours) == meant
    assert _java_style_decode(text) == meant
    # The docs' reading (sorted, decoded) and the reference client's (the raw text) agree.
    assert canonical_params(text) == text
    decoded = {k: json.loads(v) for k, v in meant}
    assert decoded == json.loads(encode_json(batch.to_wire()))


@pytest.mark.parametrize("char", AMBIGUOUS)
def test_a_form_value_needing_an_escape_is_refused_naming_the_field(char: str) -> None:
    batch = build_batch([order("fine"), order(f"a{char}b")])
    with pytest.raises(AmbiguousFormError):
        encode_form(batch.to_wire())
    with pytest.raises(ValidationError) as error:
        _batch_orders.prepare("form", batch.create_orders, (), True)
    (problem,) = error.value.problems
    assert (problem.index, problem.field) == (1, "client_order_id")
    assert "encoding='json'" in problem.message
    assert _batch_orders.prepare("json", batch.create_orders, (), True).body  # JSON carries it


def test_exact_decimals_on_the_wire() -> None:
    batch = build_batch([order(price="39000.10", orig_qty="0.00000001")])
    sent = json.loads(encode_json(batch.to_wire()))["createOrders"][0]
    assert (sent["price"], sent["origQty"]) == ("39000.10", "0.00000001")
