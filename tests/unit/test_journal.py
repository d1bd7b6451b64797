"""The bulk journal's lines: written fast, read back as the JSON they always were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from az_futures._journal import _INTERRUPTED, Journal, OrderEntry, _encode, _order_entry
from hypothesis import given
from hypothesis import strategies as st

statuses = st.sampled_from(["placed", "cancelled", "rejected", "unknown", "not_sent"])
order_entries = st.tuples(
    st.text(min_size=1),
    statuses,
    st.none() | st.integers(min_value=0, max_value=2**63 - 1),
    st.none() | st.integers(min_value=-(2**31), max_value=2**31) | st.text(),
    st.none() | st.text(),
    st.none() | st.integers(min_value=1, max_value=10**9),
)


def as_dict(entry: OrderEntry) -> dict[str, Any]:
    """The entry as the dict the journal's generic encoder would be given."""
    client_order_id, status, order_id, state, reason, line = entry
    fields: dict[str, Any] = {"clientOrderId": client_order_id, "status": status}
    if order_id is not None:
        fields["orderId"] = order_id
    if state is not None:
        fields["state"] = state
    if reason:
        fields["reason"] = reason
    if line is not None:
        fields["line"] = line
    return fields


@given(order_entries)
def test_an_order_line_is_the_generic_encoding_of_its_entry(entry: OrderEntry) -> None:
    line = _order_entry(entry)
    assert line == _encode(as_dict(entry)) + "\n"
    assert json.loads(line) == as_dict(entry)


def test_a_batch_of_outcomes_is_read_back_by_the_next_run(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.load()
    token = journal.begin(["a", "b\tc", "d"], [7])
    journal.record_orders(
        [
            ("a", "placed", 101, "OK", None, 1),
            ("b\tc", "rejected", None, "PLATFORM_REJECT", None, 2),
        ]
    )
    journal.record_order("d", "unknown", reason="ReadTimeout", line=3)
    journal.record_cancel(7, "cancelled", state=1)
    journal.sync()
    journal.end(token)
    journal.close(finished=True)

    again = Journal(tmp_path / "journal.jsonl")
    state = again.load()
    again.close(finished=True)
    assert state.orders == {"a": "placed", "b\tc": "rejected", "d": "unknown"}
    assert state.cancels == {7: "cancelled"}
    assert state.recovered_unknown == 0


def test_a_batch_in_flight_when_the_run_died_is_unknown_next_time(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.load()
    journal.begin(["a", "b"], [])
    journal.record_orders([("a", "placed", 101, "OK", None, 1)])
    journal.sync()
    journal.close(finished=False)  # killed here: "b" was sent, its outcome never journaled

    again = Journal(tmp_path / "journal.jsonl")
    state = again.load()
    again.close(finished=True)
    assert state.orders == {"a": "placed", "b": "unknown"}
    assert state.recovered_unknown == 1
    last = json.loads((tmp_path / "journal.jsonl").read_text().splitlines()[-1])
    assert last == {"clientOrderId": "b", "status": "unknown", "reason": _INTERRUPTED}


def test_an_id_utf8_cannot_encode_is_journaled_with_its_batch(tmp_path: Path) -> None:
    """The exchange echoes client order ids; a lone surrogate (from a `\\ud800` escape) in one
    must not cost the lines of the others."""
    journal = Journal(tmp_path / "journal.jsonl")
    journal.load()
    journal.record_orders(
        [("a", "placed", 1, "OK", None, 1), ("\ud800", "rejected", None, "X", None, 2)]
    )
    journal.close(finished=True)
    again = Journal(tmp_path / "journal.jsonl")
    state = again.load()
    again.close(finished=True)
    assert state.orders == {"a": "placed", "\ud800": "rejected"}
