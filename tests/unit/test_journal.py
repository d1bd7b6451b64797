"""The bulk journal's lines: written fast, read back as the JSON they always were."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from az_futures._journal import (
    _INTERRUPTED,
    Journal,
    JournalLockedError,
    JournalState,
    OrderEntry,
    _encode,
    _order_entry,
)
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


def _load(path: Path) -> JournalState:
    journal = Journal(path)
    state = journal.load()
    journal.close(finished=True)
    return state


def test_a_later_line_never_downgrades_placed_or_unknown(tmp_path: Path) -> None:
    """Two runs racing on one journal wrote `rejected` (duplicate id) after `placed`: a third
    run must not read those orders as not done and send them again."""
    path = tmp_path / "journal.jsonl"
    lines = [
        {"clientOrderId": "a", "status": "placed", "orderId": 1},
        {"clientOrderId": "a", "status": "rejected"},
        {"clientOrderId": "b", "status": "unknown"},
        {"clientOrderId": "b", "status": "not_sent"},
        {"clientOrderId": "c", "status": "rejected"},
        {"clientOrderId": "c", "status": "not_sent"},
        {"clientOrderId": "d", "status": "unknown"},
        {"clientOrderId": "d", "status": "placed"},
        {"cancelOrderId": 7, "status": "cancelled"},
        {"cancelOrderId": 7, "status": "rejected"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    state = _load(path)
    assert state.orders == {"a": "placed", "b": "unknown", "c": "not_sent", "d": "placed"}
    assert state.cancels == {7: "cancelled"}
    assert not state.order_done("c")


def test_a_torn_last_line_makes_its_order_unknown_and_is_not_glued_onto(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text('{"clientOrderId":"a","status":"placed"}\n{"clientOrderId":"b","status":"rej')
    journal = Journal(path)
    state = journal.load()
    assert state.orders == {"a": "placed", "b": "unknown"}
    assert state.recovered_unknown == 1
    journal.record_order("c", "placed", order_id=3)
    journal.close(finished=True)

    text = path.read_text()
    assert text.endswith('{"clientOrderId":"c","status":"placed","orderId":3}\n')
    assert '"rej\n' in text  # the fragment keeps its own line
    assert _load(path).orders == {"a": "placed", "b": "unknown", "c": "placed"}


def test_a_glued_line_from_an_older_run_makes_both_its_orders_unknown(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text(
        '{"clientOrderId":"a","sta{"clientOrderId":"b","status":"placed"}\n'
        '{"cancelOrderId":9,"stat\n'
    )
    state = _load(path)
    assert state.orders == {"a": "unknown", "b": "unknown"}
    assert state.cancels == {9: "unknown"}
    assert state.order_done("a") and state.cancel_done(9)


def test_a_torn_line_does_not_downgrade_an_order_already_placed(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    path.write_text('{"clientOrderId":"a","status":"placed"}\n{"clientOrderId":"a","status":"re')
    state = _load(path)
    assert state.orders == {"a": "placed"}
    assert state.recovered_unknown == 0


def test_a_second_holder_of_the_journal_is_refused_with_the_first_ones_pid(
    tmp_path: Path,
) -> None:
    first, second = Journal(tmp_path / "j.jsonl"), Journal(tmp_path / "j.jsonl")
    assert first.acquire()
    with pytest.raises(JournalLockedError) as refused:
        second.acquire()
    message = str(refused.value)
    assert f"pid {os.getpid()} on {socket.gethostname()}" in message
    assert "--wait" in message
    stop = threading.Event()
    stop.set()
    assert second.acquire(wait=True, stop=stop) is False  # waited, then told to stop
    first.release()
    assert not first.lock_path.exists()
    assert second.acquire()
    second.release()


def test_the_lock_holds_across_processes(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib; from az_futures._journal import Journal; "
            f"j = Journal(pathlib.Path({str(path)!r})); j.acquire(); print('held', flush=True); "
            "sys.stdin.readline(); j.release()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == b"held\n"
        with pytest.raises(JournalLockedError, match=f"pid {holder.pid} "):
            Journal(path).acquire()
    finally:
        holder.communicate(b"\n", timeout=20)
    journal = Journal(path)
    assert journal.acquire()
    journal.release()
