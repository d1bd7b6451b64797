"""`az-futures batch` misused as people do: two runs on one journal, Ctrl-C and SIGTERM, an
exchange that is down, a file changed mid-run. Each is checked against the exchange's side."""

from __future__ import annotations

import json
import signal
import threading
from collections import Counter
from pathlib import Path

import pytest
from az_futures import Client
from az_futures._bulk import RunInterrupted, run_bulk
from az_futures._journal import Journal
from az_futures.cli import main
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, Faults, RunningSandbox

from .orderfiles import journal_lines, leftovers, order_row, write_csv, write_jsonl
from .runs import lines_in, requests, start_batch, wait_for

pytestmark = pytest.mark.usefixtures("demo_keys")


def _on_exchange(sandbox: RunningSandbox) -> Counter[str]:
    return Counter(o.client_order_id for o in sandbox.exchange.orders(DEMO_API_KEY))


def test_a_second_run_on_a_busy_journal_refuses_then_a_third_sends_nothing_twice(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(1000)])
    journal = tmp_path / "j.jsonl"
    common = [str(orders), "--base-url", sandbox.base_url, "--journal", str(journal)]
    sandbox.set_faults(Faults(latency_ms=100))
    first = start_batch(*common, "--rate", "5", "--concurrency", "2")
    try:
        wait_for(lambda: requests(sandbox) >= 1, "the first run to send")
        assert main(["batch", *common]) == 2  # at once: no waiting, nothing sent
        err = capsys.readouterr().err
        assert f"is in use by another run (pid {first.pid} on " in err
        assert first.poll() is None, "the second run must be refused while the first runs"
    finally:
        _, first_err = first.communicate(timeout=60)
    assert first.returncode == 0, first_err.decode()
    sandbox.set_faults(Faults())
    assert main(["batch", *common, "--wait"]) == 0  # the third run: everything is done
    assert requests(sandbox) == 10
    on_exchange = _on_exchange(sandbox)
    assert len(on_exchange) == 1000
    assert set(on_exchange.values()) == {1}
    assert {line["status"] for line in journal_lines(journal)} == {"placed"}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_sends_nothing_new_prints_the_summary_and_exits_130(
    sandbox: RunningSandbox, tmp_path: Path, signum: signal.Signals
) -> None:
    """Before the fix, the workers already waiting on the rate limiter (12 here) all sent their
    batch after the signal. Now only what had left may still arrive: at 2 requests per second,
    at most 2 were in flight."""
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(3000)])
    journal = tmp_path / "j.jsonl"
    summary_path = tmp_path / "summary.json"
    common = [str(orders), "--base-url", sandbox.base_url, "--journal", str(journal)]
    sandbox.set_faults(Faults(latency_ms=50))
    run = start_batch(
        *common, "--rate", "2", "--concurrency", "12", "--summary-json", str(summary_path)
    )
    wait_for(lambda: requests(sandbox) >= 3, "the run to send")
    run.send_signal(signum)
    at_signal = requests(sandbox)
    _, err = run.communicate(timeout=60)
    text = err.decode()
    assert run.returncode == 130, text
    after = requests(sandbox)
    assert after - at_signal <= 2, f"{after - at_signal} requests reached the exchange after"
    assert "Traceback" not in text
    assert "az-futures batch" in text and "placed" in text  # the summary table
    assert "Interrupted:" in text
    summary = json.loads(summary_path.read_text())
    assert summary["interrupted"] is True
    assert summary["http_requests"] == after  # what the exchange received, and no more
    assert summary["placed"] + summary["not_sent"] == 3000
    assert summary["not_sent"] > 2000

    sandbox.set_faults(Faults())
    assert main(["batch", *common]) == 0  # the rest goes out, each order once
    on_exchange = _on_exchange(sandbox)
    assert len(on_exchange) == 3000
    assert set(on_exchange.values()) == {1}


def test_an_exchange_that_refuses_connections_stops_the_run_after_three_batches(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], unused_url: str
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(1000)])
    journal = tmp_path / "j.jsonl"
    summary_path = tmp_path / "summary.json"
    code = main(
        [
            "batch",
            str(orders),
            "--base-url",
            unused_url,
            "--journal",
            str(journal),
            "--concurrency",
            "1",
            "--summary-json",
            str(summary_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"could not reach the exchange at {unused_url}" in err  # without -v
    assert "ConnectError" in err
    assert "1,000 orders and ids were not sent" in err
    summary = json.loads(summary_path.read_text())
    assert summary["not_sent"] == 1000
    assert summary["http_requests"] == 3 * 3  # three batches, each tried three times
    assert lines_in(journal) == 300
    assert {line["status"] for line in journal_lines(journal)} == {"not_sent"}


def test_the_run_sends_the_cancel_ids_it_checked_even_if_the_file_changes(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The file is rewritten with garbage after the first batch; the run goes on with what it
    checked (before, it stopped with "nothing was sent" after requests had gone out)."""
    cancels = tmp_path / "ids.txt"
    ids = list(range(500_000, 503_000))
    cancels.write_text("".join(f"{i}\n" for i in ids))

    class Rewrite:
        def start(self, total: int) -> None:
            assert total == 3000

        def advance(self, count: int) -> None:
            cancels.write_text("not an id\n" * 5000)

    journal = Journal(tmp_path / "j.jsonl")
    with Client(
        base_url=sandbox.base_url, api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY
    ) as client:
        summary = run_bulk(
            client,
            orders_path=None,
            file_format="jsonl",
            cancel_path=cancels,
            journal=journal,
            concurrency=1,
            progress=Rewrite(),
        )
    assert summary.cancel_rejected == 3000  # unknown ids: refused, but every one was sent
    assert summary.requests == requests(sandbox) == 30
    assert sorted(int(str(line["cancelOrderId"])) for line in journal_lines(journal.path)) == ids


def test_progress_counts_orders_not_the_header_and_a_resumed_run_reaches_the_total(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    orders = write_csv(tmp_path / "orders.csv", [order_row(i) for i in range(250)])

    class Count:
        total = -1
        done = 0

        def start(self, total: int) -> None:
            self.total = total

        def advance(self, count: int) -> None:
            self.done += count

    journal = Journal(tmp_path / "j.jsonl")
    with Client(
        base_url=sandbox.base_url, api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY
    ) as client:
        for run in range(2):
            progress = Count()
            summary = run_bulk(
                client,
                orders_path=orders,
                file_format="csv",
                cancel_path=None,
                journal=journal,
                progress=progress,
            )
            assert (progress.total, progress.done) == (250, 250)
            assert (summary.placed, summary.skipped) == ((250, 0) if run == 0 else (0, 250))


def test_a_stop_while_the_files_are_checked_sends_nothing_and_leaves_nothing(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(3000)])
    stop = threading.Event()
    stop.set()  # as the signal handler does
    with (
        Client(
            base_url=sandbox.base_url, api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY
        ) as client,
        pytest.raises(RunInterrupted, match="nothing was sent"),
    ):
        run_bulk(
            client,
            orders_path=orders,
            file_format="jsonl",
            cancel_path=None,
            journal=Journal(tmp_path / "j.jsonl"),
            stop=stop,
        )
    assert requests(sandbox) == 0
    assert leftovers(tmp_path, orders) == set()
