"""SIGKILL in the middle of a bulk run, then a second run with the same journal: every order is
placed exactly once, and orders that were in flight at the kill are reported as unknown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, Faults, RunningSandbox

from .orderfiles import order_row, write_jsonl

ORDERS = 3000


def _run(
    orders: Path, journal: Path, base_url: str, *, capture: bool, extra: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AZ_API_KEY": DEMO_API_KEY, "AZ_SECRET_KEY": DEMO_SECRET_KEY}
    command = [sys.executable, "-m", "az_futures", "batch", str(orders), "--base-url", base_url]
    command += ["--journal", str(journal), "--rate", "15", "--concurrency", "4", *extra]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
    )


def _statuses(journal: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the kill may tear the last line
        found[entry["clientOrderId"]] = entry["status"]
    return found


def _in_flight(inflight: Path) -> set[str]:
    """The client order ids of the batches the in-flight log shows sent and not yet done."""
    if not inflight.exists():
        return set()
    begun: dict[str, list[str]] = {}
    for line in inflight.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # torn by the kill: that batch had not left yet
        if "done" in entry:
            begun.pop(entry["done"], None)
        else:
            begun[entry["batch"]] = entry["clientOrderIds"]
    return {cid for ids in begun.values() for cid in ids}


def test_sigkill_mid_run_then_resume_places_every_order_once(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    # Each answer takes 300 ms and 15 requests leave per second: about four batches are in
    # flight at any moment, and the 30 batches take at least two seconds.
    sandbox.set_faults(Faults(latency_ms=300))
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(ORDERS)])
    journal = tmp_path / "journal.jsonl"

    first = _run(orders, journal, sandbox.base_url, capture=False)
    deadline = time.monotonic() + 30
    inflight = Path(str(journal) + ".inflight")
    while time.monotonic() < deadline:
        if journal.exists() and len(_statuses(journal)) >= 800 and _in_flight(inflight):
            break
        time.sleep(0.005)
    assert first.poll() is None, "the first run ended before the kill"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    # The files as the kill left them: the run was mid-way, with batches in flight.
    at_kill = _statuses(journal)
    assert 0 < len(at_kill) < ORDERS, "the kill must land in the middle of the run"
    placed_at_kill = {cid for cid, status in at_kill.items() if status == "placed"}
    in_flight = _in_flight(inflight) - placed_at_kill
    assert in_flight, "the kill must land while a batch is in flight"

    summary_path = tmp_path / "summary.json"
    second = _run(
        orders, journal, sandbox.base_url, capture=True, extra=("--summary-json", str(summary_path))
    )
    _, err = second.communicate(timeout=120)
    final = _statuses(journal)
    unknown = {cid for cid, status in final.items() if status == "unknown"}
    summary = json.loads(summary_path.read_text())
    # Exactly the batches in flight at the kill are unknown; the second run placed the rest.
    assert unknown == in_flight
    assert summary["recovered_unknown"] == summary["still_unknown"] == len(in_flight)
    assert summary["placed"] == ORDERS - len(placed_at_kill) - len(in_flight)
    assert summary["skipped"] == len(placed_at_kill)

    # Every order has an outcome, and none was refused as a duplicate of one already placed.
    assert len(final) == ORDERS
    assert set(final.values()) <= {"placed", "unknown"}
    # The batches in flight at the kill are reported as unknown, not silently resent.
    assert unknown, "the kill was timed while a batch was in flight"
    assert second.returncode == 1
    assert b"left unknown by an earlier run" in err
    assert unknown.isdisjoint(cid for cid, status in at_kill.items() if status == "placed")

    # Against the exchange's own state: each order exists at most once; every order the journal
    # says was placed exists; unknown ones exist or not (that is what unknown means), never twice.
    on_exchange = Counter(o.client_order_id for o in sandbox.exchange.orders(DEMO_API_KEY))
    assert max(on_exchange.values()) == 1
    placed = {cid for cid, status in final.items() if status == "placed"}
    assert placed <= set(on_exchange)
    assert set(on_exchange) <= placed | unknown
    assert not inflight.exists() or inflight.read_text() == ""
