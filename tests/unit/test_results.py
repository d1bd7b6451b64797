"""The fast reader of success answers agrees with the plain one on every input, good or bad."""

from __future__ import annotations

from typing import Any

import pytest
from az_futures._results import BatchResult, read_results, results_from_wire
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


@settings(max_examples=1500, suppress_health_check=list(HealthCheck), deadline=None)
@given(answers)
def test_fast_reader_matches_the_plain_one(result: Any) -> None:
    plain_error: Exception | None = None
    try:
        created, cancelled = results_from_wire(result)
    except (KeyError, TypeError, ValueError) as error:
        plain_error = error
    if plain_error is not None:
        with pytest.raises(type(plain_error)) as fast_error:
            read_results(result)
        assert str(fast_error.value) == str(plain_error)
        return
    answer, placed, cancels = read_results(result)
    assert (placed, cancels) == (len(created), len(cancelled))
    eager = BatchResult.of(created, cancelled)
    assert answer.ok == eager.ok
    assert answer == eager
    assert answer.created == tuple(created)
    assert answer.cancelled == tuple(cancelled)
    assert answer.rejected == eager.rejected


@settings(max_examples=500, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(good_create, max_size=5))
def test_placements_agree_with_the_typed_results(creates: list[dict[str, Any]]) -> None:
    """The bulk runner journals `_placements()` instead of building `created`: the same facts."""
    answer, _, _ = read_results({"createOrdersResponse": creates})
    expected = [(r.client_order_id, r.order_id, r.raw_state, r.ok) for r in answer.created]
    assert list(read_results({"createOrdersResponse": creates})[0]._placements()) == expected
    eager = BatchResult.of(answer.created, ())
    assert list(eager._placements()) == expected
