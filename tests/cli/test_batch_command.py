"""`az-futures batch` against the sandbox: batching, the journal, resuming, bad files."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from az_futures.cli import main
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, Faults, RunningSandbox

from .orderfiles import order_row, write_csv, write_jsonl

pytestmark = pytest.mark.usefixtures("demo_keys")


def _journal(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _requests(sandbox: RunningSandbox) -> int:
    stats = sandbox.stats()
    return stats.key(DEMO_API_KEY).requests if DEMO_API_KEY in stats.keys else 0


def test_thousand_orders_in_ten_requests_then_none(sandbox: RunningSandbox, tmp_path: Path) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(1000)])
    journal = tmp_path / "journal.jsonl"
    args = [str(orders), "--base-url", sandbox.base_url, "--journal", str(journal)]
    assert main(["batch", *args]) == 0
    assert _requests(sandbox) == 10
    lines = _journal(journal)
    assert len(lines) == 1000
    assert {line["status"] for line in lines} == {"placed"}
    assert len({line["clientOrderId"] for line in lines}) == 1000
    placed = sandbox.exchange.orders(DEMO_API_KEY)
    assert len(placed) == 1000
    assert {o.price for o in placed} == {Decimal(f"39000.{d}") for d in range(10)}

    summary = tmp_path / "summary.json"
    assert main(["batch", *args, "--summary-json", str(summary)]) == 0
    assert _requests(sandbox) == 10  # nothing sent again
    written = json.loads(summary.read_text())
    assert (written["placed"], written["skipped"], written["requests"], written["ok"]) == (
        0,
        1000,
        0,
        True,
    )
    assert len(sandbox.exchange.orders(DEMO_API_KEY)) == 1000
    assert not (tmp_path / "journal.jsonl.inflight").exists()


def test_csv_with_cancels_and_the_default_journal(sandbox: RunningSandbox, tmp_path: Path) -> None:
    orders = write_csv(
        tmp_path / "orders.csv",
        [order_row(i) for i in range(150)] + [order_row(150, orderType="MARKET", price="")],
    )
    assert main(["batch", str(orders), "--base-url", sandbox.base_url, "--encoding", "form"]) == 0
    journal = tmp_path / "orders.csv.journal.jsonl"
    ids = [int(str(line["orderId"])) for line in _journal(journal)]
    assert len(ids) == 151
    cancels = tmp_path / "cancel.txt"
    cancels.write_text("# ids to cancel\n" + "\n".join(map(str, ids[:120])) + "\n\n999999\n")
    cancel_journal = tmp_path / "cancel-journal.jsonl"
    journal_args = ["--journal", str(cancel_journal)]
    code = main(["batch", "--cancel", str(cancels), "--base-url", sandbox.base_url, *journal_args])
    assert code == 1  # 999999 is unknown to the exchange: a failed cancel
    outcomes = {
        int(str(line["cancelOrderId"])): line["status"] for line in _journal(cancel_journal)
    }
    assert outcomes.pop(999999) == "rejected"
    assert set(outcomes.values()) == {"cancelled"} and len(outcomes) == 120
    assert _requests(sandbox) == 2 + 2  # 151 orders in 2 requests, 121 cancels in 2


def test_orders_whose_outcome_is_unknown_are_never_resent(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(250)])
    journal = tmp_path / "j.jsonl"
    args = ["batch", str(orders), "--base-url", sandbox.base_url, "--journal", str(journal)]
    sandbox.set_faults(Faults(drop_after_rate=1.0))
    assert main([*args, "--concurrency", "1"]) == 1
    assert {line["status"] for line in _journal(journal)} == {"unknown"}
    processed = len(sandbox.exchange.orders(DEMO_API_KEY))
    assert processed == 250  # the exchange did place them: resending would double them
    sandbox.set_faults(Faults())
    assert main(args) == 1  # still unknown: reported, not resent
    assert _requests(sandbox) == 3
    assert len(sandbox.exchange.orders(DEMO_API_KEY)) == 250


def test_a_connection_dropped_before_processing_is_unknown_to_the_client_and_not_resent(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """The client cannot tell a drop before processing from one after: unknown, never resent."""
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(120)])
    journal = tmp_path / "j.jsonl"
    args = ["batch", str(orders), "--base-url", sandbox.base_url, "--journal", str(journal)]
    sandbox.set_faults(Faults(drop_before_rate=1.0))  # never processed
    assert main(args) == 1
    assert {line["status"] for line in _journal(journal)} == {"unknown"}
    sandbox.set_faults(Faults())
    assert main(args) == 1
    assert _requests(sandbox) == 2
    assert sandbox.exchange.orders(DEMO_API_KEY) == []


def test_orders_not_sent_are_sent_by_the_next_run(
    sandbox: RunningSandbox, tmp_path: Path, unused_url: str
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(250)])
    journal = tmp_path / "j.jsonl"
    journal_args = [str(orders), "--journal", str(journal), "--concurrency", "1"]
    assert main(["batch", *journal_args, "--base-url", unused_url]) == 1
    statuses = [line["status"] for line in _journal(journal)]
    assert statuses == ["not_sent"] * 250  # three batches tried, none could leave

    assert main(["batch", *journal_args, "--base-url", sandbox.base_url]) == 0
    assert _requests(sandbox) == 3
    on_exchange = Counter(o.client_order_id for o in sandbox.exchange.orders(DEMO_API_KEY))
    assert len(on_exchange) == 250
    assert set(on_exchange.values()) == {1}


def test_orders_refused_by_the_exchange_are_sent_again_by_the_next_run(
    sandbox: RunningSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(250)])
    journal = tmp_path / "j.jsonl"
    args = ["batch", str(orders), "--base-url", sandbox.base_url, "--journal", str(journal)]
    monkeypatch.setenv("AZ_SECRET_KEY", "not-the-secret")
    assert main([*args, "--concurrency", "1"]) == 1  # refused: the run stops at the first batch
    err = capsys.readouterr().err
    assert "stopped early: the exchange refused the credentials" in err
    assert "not-the-secret" not in err and "not-the-secret" not in journal.read_text()
    assert [line["status"] for line in _journal(journal)] == ["rejected"] * 100
    assert sandbox.exchange.orders(DEMO_API_KEY) == []

    monkeypatch.setenv("AZ_SECRET_KEY", DEMO_SECRET_KEY)
    assert main(args) == 0
    on_exchange = Counter(o.client_order_id for o in sandbox.exchange.orders(DEMO_API_KEY))
    assert len(on_exchange) == 250
    assert set(on_exchange.values()) == {1}
    statuses = {str(line["clientOrderId"]): line["status"] for line in _journal(journal)}
    assert set(statuses.values()) == {"placed"}


def test_a_batch_in_flight_at_a_crash_is_recorded_as_unknown(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(5)])
    journal = tmp_path / "j.jsonl"
    journal.write_text(json.dumps({"clientOrderId": "c-0000000", "status": "placed"}) + "\n")
    inflight = tmp_path / "j.jsonl.inflight"
    inflight.write_text(
        json.dumps({"batch": "a", "clientOrderIds": ["c-0000001", "c-0000002"]})
        + "\n"
        + json.dumps({"batch": "b", "clientOrderIds": ["c-0000003"]})
        + "\n"
        + json.dumps({"done": "b"})
        + "\n"
        + '{"batch": "c", "clientOr'  # a line torn by the crash
    )
    code = main(["batch", str(orders), "--base-url", sandbox.base_url, "--journal", str(journal)])
    assert code == 1  # two orders have unknown outcomes
    status = {line["clientOrderId"]: line["status"] for line in _journal(journal)}
    assert status == {
        "c-0000000": "placed",
        "c-0000001": "unknown",
        "c-0000002": "unknown",
        "c-0000003": "placed",
        "c-0000004": "placed",
    }
    sent = {o.client_order_id for o in sandbox.exchange.orders(DEMO_API_KEY)}
    assert sent == {"c-0000003", "c-0000004"}


GOOD = json.dumps(order_row(0))


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ('{"clientOrderId": "a"', "line 2: is not valid JSON"),
        ("[1, 2]", "line 2: holds a JSON list, not an object"),
        (json.dumps(order_row(1, price="abc")), "line 2: price: 'abc' is not a decimal number"),
        (json.dumps(order_row(1, orderSide="HOLD")), "line 2: order_side: 'HOLD' is not one of"),
        (json.dumps(order_row(1, origQty=0)), "line 2: orig_qty: must be greater than zero"),
        (json.dumps(order_row(1, extra=1)), "line 2: extra: is not a field of an order"),
        (json.dumps(order_row(1, price=None)), "line 2: price: a LIMIT order needs a price"),
        (json.dumps(order_row(1, price=1e400)), "line 2: price: must be a finite number"),
        (GOOD, "line 2: client_order_id 'c-0000000' is already used on line 1"),
    ],
)
def test_bad_jsonl_lines_stop_the_run_before_any_request(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    bad_line: str,
    expected: str,
) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_text(f"{GOOD}\n{bad_line}\n")
    code = main(["batch", str(orders), "--base-url", sandbox.base_url])
    assert code == 2
    assert expected in capsys.readouterr().err
    assert _requests(sandbox) == 0
    assert not (tmp_path / "orders.jsonl.journal.jsonl").exists()


def test_bad_csv_and_cancel_files(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "clientOrderId,symbol,orderSide,orderType,origQty,price,positionSide\n"
        "a,btc_usdt,BUY,LIMIT,1,39000.1,LONG\n"
        "b,btc_usdt,BUY,LIMIT,1,39000.1\n"
        "c,btc_usdt,BUY,LIMIT,-1,39000.1,LONG\n"
    )
    cancels = tmp_path / "ids.txt"
    cancels.write_text("12\nabc\n0\n99999999999999999999\n12\n")
    code = main(["batch", str(orders), "--cancel", str(cancels), "--base-url", sandbox.base_url])
    err = capsys.readouterr().err
    assert code == 2
    assert "line 3: has 6 cells; the header names 7 columns" in err
    assert "line 4: orig_qty: must be greater than zero" in err
    assert "line 2: 'abc' is not an order id" in err
    assert "line 3: '0' is not an order id" in err
    assert "line 4: '99999999999999999999' is not an order id" in err
    assert "line 5: order id 12 is already on line 1" in err
    assert _requests(sandbox) == 0


def test_a_target_is_required_and_production_is_never_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(1)])
    with pytest.raises(SystemExit) as error:
        main(["batch", str(orders)])
    assert error.value.code == 2
    assert "one of the arguments --env --base-url is required" in capsys.readouterr().err


def test_keys_are_not_accepted_as_arguments(tmp_path: Path) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(1)])
    with pytest.raises(SystemExit):
        main(["batch", str(orders), "--env", "sandbox", "--api-key", "x"])


def test_missing_keys_for_a_real_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZ_API_KEY")
    monkeypatch.delenv("AZ_SECRET_KEY")
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(1)])
    monkeypatch.setenv("AZ_SECRET_KEY", "a-secret")
    assert main(["batch", str(orders), "--env", "test"]) == 2
    err = capsys.readouterr().err
    assert "AZ_API_KEY is not set: export AZ_API_KEY and AZ_SECRET_KEY" in err
    assert "api_key=" not in err  # the Python API's wording, not the command line's
    assert "a-secret" not in err


def test_unknown_suffix_needs_a_format(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = tmp_path / "orders.txt"
    orders.write_text(json.dumps(order_row(1)) + "\n")
    assert main(["batch", str(orders), "--base-url", sandbox.base_url]) == 2
    assert "--format csv|jsonl" in capsys.readouterr().err
    assert main(["batch", str(orders), "--base-url", sandbox.base_url, "--format", "jsonl"]) == 0


def test_demo_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "json-bid" in out and "form-ask" in out
    assert out.count("PLATFORM_REJECT") == 2  # the unknown id, once per encoding
    assert "39010.25" in out


def test_repeated_ids_are_found_exactly_in_a_large_file(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The duplicate check is a Bloom filter settled exactly: one repeat, one problem."""
    rows = [order_row(i) for i in range(30_000)]
    rows.append(order_row(17))
    orders = write_jsonl(tmp_path / "orders.jsonl", rows)
    assert main(["batch", str(orders), "--base-url", sandbox.base_url]) == 2
    err = capsys.readouterr().err
    assert "1 problem in orders.jsonl; nothing was sent" in err
    assert "in the batch" not in err
    assert "line 30001: client_order_id 'c-0000017' is already used on line 18" in err
    assert _requests(sandbox) == 0
    assert not (tmp_path / "orders.jsonl.journal.jsonl.spool").exists()
