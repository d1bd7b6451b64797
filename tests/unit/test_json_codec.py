"""orjson writes the SDK's JSON bodies and reads the answers: it must write exactly what httpx's
`json=` writes (and so the generated client), and read exactly what the stdlib reads, for every
value the SDK sends or accepts; values it would write otherwise are refused before sending."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from az_futures import DecodeError, ValidationError
from az_futures._encoding import AmbiguousFormError, encode_form, encode_json
from az_futures._orders import converter_for
from az_futures_client.types import FieldInfo
from hypothesis import given
from hypothesis import strategies as st

from .helpers import Recorder, order
from .test_client import make_client

# Text as the SDK may send it: any code point but lone surrogates (which UTF-8 cannot carry and
# orders refuse).
_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
_SCALARS = _TEXT | st.integers(min_value=-(2**63), max_value=2**64 - 1) | st.booleans() | st.none()
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=20,
)


def _httpx_json(value: Any) -> bytes:
    """What httpx sends for `json=value` (and so the generated client)."""
    return httpx.Request("POST", "http://h", json=value).content


@given(st.dictionaries(_TEXT, _VALUES, max_size=6))
def test_json_bodies_are_byte_for_byte_httpx_json(body: dict[str, Any]) -> None:
    assert encode_json(body) == _httpx_json(body)


@given(_TEXT, st.dictionaries(_TEXT, _VALUES, max_size=4), st.booleans())
def test_answers_read_as_the_standard_library_reads_them(
    client_order_id: str, extra: dict[str, Any], ascii_only: bool
) -> None:
    """Whatever a server writes (escaped to ASCII or not), the typed result holds what the
    standard library reads from it, fields the spec does not name included."""
    entry = {"clientOrderId": client_order_id, "orderId": 7, "createState": "OK", "x": extra}
    envelope = {
        "returnCode": 0,
        "msgInfo": "success",
        "error": None,
        "result": {"createOrdersResponse": [entry], "cancelOrdersResponse": []},
    }
    content = json.dumps(envelope, ensure_ascii=ascii_only).encode()
    with make_client(Recorder(lambda _: httpx.Response(200, content=content))) as client:
        (created,) = client.batch_orders([order()]).created
    assert created.client_order_id == client_order_id
    assert created.to_wire() == json.loads(content)["result"]["createOrdersResponse"][0]


# Text a form body carries without escapes once written as ASCII JSON (non-ASCII characters and
# the controls below U+0020 become \uXXXX escapes there; DEL stays itself, and is refused as every
# control character is); see _encoding.py.
_FORM_TEXT = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters=" &=%+;\x7f"), max_size=10
)


@given(
    st.lists(
        st.dictionaries(_FORM_TEXT, _FORM_TEXT | st.integers(0, 2**63) | st.booleans(), max_size=3),
        max_size=3,
    )
)
def test_form_list_fields_are_the_generated_clients_ascii_json(orders: list[Any]) -> None:
    """A form field holding a list is `json.dumps(value, separators=(",", ":"))`: ASCII."""
    body = encode_form({"createOrders": orders}).decode("ascii")
    assert body == "createOrders=" + json.dumps(orders, separators=(",", ":"))


def test_a_del_character_in_a_form_list_is_refused() -> None:
    with pytest.raises(AmbiguousFormError):
        encode_form({"createOrders": [{"clientOrderId": "a\x7fb"}]})


def _field(kind: str) -> FieldInfo:
    return FieldInfo("extra", "extra", False, kind, None, False, None, None)


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1, 10**30])
def test_integers_beyond_64_bits_are_refused(value: int) -> None:
    with pytest.raises(Exception, match="64 bits"):
        converter_for(_field("int"))(value)
    assert converter_for(_field("int"))(2**63 - 1) == 2**63 - 1


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_floats_json_cannot_carry_are_refused(value: float) -> None:
    """orjson would write NaN as null: the order's check refuses it first."""
    with pytest.raises(Exception, match="JSON"):
        converter_for(_field("float"))(value)
    with pytest.raises(Exception, match="JSON"):
        converter_for(_field("any"))([1, value])
    assert converter_for(_field("float"))(1.5) == 1.5


def test_fields_of_unknown_kinds_are_refused_when_json_cannot_carry_them() -> None:
    with pytest.raises(Exception, match="64-bit"):
        converter_for(_field("list"))([1, 2**70])
    with pytest.raises(Exception, match="JSON"):
        converter_for(_field("model"))({"a": object()})
    with pytest.raises(Exception, match="JSON"):  # orjson writes only text keys
        converter_for(_field("model"))({1: "a"})
    assert converter_for(_field("list"))([1, "a", None]) == [1, "a", None]


def test_an_answer_whose_ids_exceed_64_bits_is_not_read_as_a_float() -> None:
    """orjson reads such an integer as a float; the result's type check refuses it."""

    def answer(request: httpx.Request) -> httpx.Response:
        content = (
            b'{"returnCode":0,"msgInfo":"success","error":null,"result":{"createOrdersResponse":'
            b'[{"clientOrderId":"o-1","orderId":123456789012345678901234,"createState":"OK"}],'
            b'"cancelOrdersResponse":[]}}'
        )
        return httpx.Response(200, content=content)

    with make_client(Recorder(answer)) as client, pytest.raises(DecodeError, match="orderId"):
        client.batch_orders([order()])


def test_an_answer_that_is_not_json_is_outcome_unknown() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"returnCode": NaN}')

    with make_client(Recorder(answer)) as client, pytest.raises(DecodeError):
        client.batch_orders([order()])


def test_order_fields_refuse_what_json_would_mangle() -> None:
    with pytest.raises(ValidationError, match="lone surrogate"):
        order("a\ud800b")
