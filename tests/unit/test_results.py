"""Success answers are read as the spec's types say: typed results agree with the generated
models on every good answer, and every answer the spec does not allow is refused."""

from __future__ import annotations

from typing import Any

import pytest
from az_futures import CancelState, CreateResult, CreateState
from az_futures._results import BatchResult, _json_types
from az_futures_client.models import BatchOrderResult
from az_futures_client.types import FieldInfo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

json_scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(["OK", "PLATFORM_REJECT", 1]),
)
any_item = st.dictionaries(
    st.sampled_from(
        ["clientOrderId", "orderId", "createState", "cancelOrderId", "cancelState", "x"]
    ),
    json_scalar,
    max_size=5,
)
good_create = st.fixed_dictionaries(
    {
        "clientOrderId": st.text(max_size=5),
        "createState": st.one_of(st.integers(), st.sampled_from(["OK", "PLATFORM_REJECT", "NEW"])),
    },
    optional={"orderId": st.one_of(st.none(), st.integers())},
)
good_cancel = st.fixed_dictionaries(
    {
        "cancelOrderId": st.integers(),
        "cancelState": st.one_of(st.integers(), st.sampled_from(["OK", "ORDER_CANCELED"])),
    }
)


def _lists(items: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(items, max_size=4),
        st.none(),
        json_scalar,
        st.lists(st.one_of(items, json_scalar), max_size=3),
    )


answers = st.one_of(
    json_scalar,
    st.fixed_dictionaries(
        {},
        optional={
            "createOrdersResponse": _lists(st.one_of(good_create, any_item)),
            "cancelOrdersResponse": _lists(st.one_of(good_cancel, any_item)),
        },
    ),
)


def _allowed(answer: Any) -> bool:
    """The spec's `BatchOrderResult`, checked by hand: lists of objects with the required fields
    of the required types (an int is never a bool here)."""
    if not isinstance(answer, dict):
        return False
    kinds = {
        "createOrdersResponse": {
            "clientOrderId": ((str,), True),
            "createState": ((int, str), True),
            "orderId": ((int, type(None)), False),
        },
        "cancelOrdersResponse": {
            "cancelOrderId": ((int,), True),
            "cancelState": ((int, str), True),
        },
    }
    for key, fields in kinds.items():
        items = answer.get(key)
        if items is None:
            continue
        if type(items) is not list or not all(type(item) is dict for item in items):
            return False
        for item in items:
            for name, (types, required) in fields.items():
                if name not in item:
                    if required:
                        return False
                elif type(item[name]) not in types:
                    return False
    return True


@settings(max_examples=1500, suppress_health_check=list(HealthCheck), deadline=None)
@given(answers)
def test_answers_are_read_as_the_spec_types_them(result: Any) -> None:
    if not _allowed(result):
        with pytest.raises(ValueError, match=r"not|lacks"):
            BatchResult.from_wire(result)
        return
    answer = BatchResult.from_wire(result)
    # The SDK reads a null list as empty; the generated model wants it left out.
    reference = BatchOrderResult.from_dict({k: v for k, v in result.items() if v is not None})
    creates = reference.create_orders_response or []
    cancels = reference.cancel_orders_response or []
    assert answer.counts() == (len(creates), len(cancels))
    for got, want in zip(answer.created, creates, strict=True):
        assert got.to_wire() == want.to_dict()
        assert (got.client_order_id, got.raw_state) == (want.client_order_id, want.create_state)
        assert got.ok == (want.create_state in ("OK", 1))
        assert got.state == (
            CreateState.OK
            if want.create_state == 1
            else CreateState.__members__.get(str(want.create_state))
        )
    for got_cancel, want_cancel in zip(answer.cancelled, cancels, strict=True):
        assert got_cancel.order_id == want_cancel.cancel_order_id
        assert got_cancel.ok == (want_cancel.cancel_state in ("OK", 1))
        assert got_cancel.state is None or isinstance(got_cancel.state, CancelState)
    assert answer.ok == all(r.ok for r in (*answer.created, *answer.cancelled))
    assert answer.rejected == tuple(r for r in (*answer.created, *answer.cancelled) if not r.ok)
    assert answer == BatchResult(answer.created, answer.cancelled)


def test_fields_the_spec_does_not_name_are_kept() -> None:
    answer = BatchResult.from_wire(
        {"createOrdersResponse": [{"clientOrderId": "a", "createState": "OK", "fee": "0.1"}]}
    )
    (placed,) = answer.created
    assert placed.to_wire()["fee"] == "0.1"
    assert placed.order_id is None
    assert "fee" not in repr(placed)


def test_equal_results_hash_equal_whatever_the_order_of_their_fields() -> None:
    first = CreateResult({"clientOrderId": "a", "orderId": 1, "createState": "OK"})
    second = CreateResult({"createState": "OK", "orderId": 1, "clientOrderId": "a"})
    assert first == second and hash(first) == hash(second)
    assert len({first, second}) == 1


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [("bool", True, 1), ("decimal", "1.5", 1.5), ("float", 1.5, "1.5"), ("int", 1, True)],
)
def test_a_result_field_of_any_scalar_kind_is_type_checked(kind: str, good: Any, bad: Any) -> None:
    """A field the spec may add to a result later is checked by its kind like today's."""
    field = FieldInfo("extra", "extra", True, kind, None, False, None, None)
    allowed = _json_types(field)
    assert allowed is not None
    assert type(good) in allowed and type(bad) not in allowed
