"""What `az-futures batch` tells its user: warnings with -v, HTTP requests, retries and 429s,
a rate above the limit, its options' messages; and a clock that is off loses no order."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from az_futures.cli import main
from az_futures.sandbox import (
    DEMO_API_KEY,
    Faults,
    RunningSandbox,
    SandboxConfig,
    running_sandbox,
)

from .orderfiles import journal_lines, order_row, write_jsonl
from .runs import requests

pytestmark = pytest.mark.usefixtures("demo_keys")


def test_verbose_shows_a_warning_for_each_batch_of_unknown_outcome(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(300)])
    sandbox.set_faults(Faults(error_rate=1.0))  # HTTP 5xx: unknown outcome
    args = ["batch", str(orders), "--base-url", sandbox.base_url, "--concurrency", "1"]
    assert main(["-v", *args]) == 1
    warnings = [
        line
        for line in capsys.readouterr().err.splitlines()
        if "WARNING" in line and "outcome unknown" in line and "ServerError" in line
    ]
    assert len(warnings) == 3
    assert "orders of lines 1-100" in warnings[0]


def test_without_verbose_no_log_lines_are_printed(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(100)])
    sandbox.set_faults(Faults(error_rate=1.0))
    assert main(["batch", str(orders), "--base-url", sandbox.base_url]) == 1
    assert "WARNING" not in capsys.readouterr().err


@pytest.fixture
def strict_sandbox() -> Iterator[RunningSandbox]:
    """An exchange that allows 5 requests per second, to draw 429s."""
    with running_sandbox(SandboxConfig(rate_limit_per_second=5)) as running:
        yield running


def test_429s_and_retries_are_counted_and_refused_batches_are_sent_again(
    strict_sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run far above the exchange's limit (as two processes on one key without --redis-url
    are) draws 429s: the summary counts them and says what to do. The batches refused after
    the client's retries are `rejected`, and the next run sends exactly those again."""
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(2000)])
    journal = tmp_path / "j.jsonl"
    summary_path = tmp_path / "summary.json"
    common = [str(orders), "--base-url", strict_sandbox.base_url, "--journal", str(journal)]
    first = main(["batch", *common, "--rate", "400", "--summary-json", str(summary_path)])
    err = capsys.readouterr().err
    stats = strict_sandbox.stats().key(DEMO_API_KEY)
    summary = json.loads(summary_path.read_text())
    assert first == 1
    assert "--rate 400 is above the exchange's limit of 200 requests per second" in err
    assert summary["rate_limited"] == stats.rate_limited > 0
    assert summary["http_requests"] == stats.requests
    assert summary["retries"] > 0
    assert summary["http_requests"] == summary["requests"] + summary["retries"]
    assert f"answered HTTP 429 (rate limited) {stats.rate_limited:,} times" in err
    assert "--redis-url" in err
    rejected = {
        str(line["clientOrderId"])
        for line in journal_lines(journal)
        if line["status"] == "rejected"
    }
    assert len(rejected) == summary["rejected"] > 0

    placed_before = {o.client_order_id for o in strict_sandbox.exchange.orders(DEMO_API_KEY)}
    assert placed_before.isdisjoint(rejected)
    # The first run's requests still fill the exchange's window: wait as it says, then resend.
    strict_sandbox.set_faults(Faults(rate_limit_retry_after=1))
    assert main(["batch", *common, "--rate", "4", "--concurrency", "1"]) == 0
    on_exchange = Counter(o.client_order_id for o in strict_sandbox.exchange.orders(DEMO_API_KEY))
    assert set(on_exchange) - placed_before == rejected  # exactly the refused ones, again
    assert len(on_exchange) == 2000
    assert set(on_exchange.values()) == {1}


@pytest.mark.parametrize("skew_ms", [30_000, -30_000])
def test_a_clock_30_s_off_loses_no_batch_of_the_first_wave(tmp_path: Path, skew_ms: int) -> None:
    with running_sandbox(SandboxConfig(server_clock_skew_ms=skew_ms)) as skewed:
        orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(500)])
        args = ["batch", str(orders), "--base-url", skewed.base_url, "--concurrency", "5"]
        assert main(args) == 0
        stats = skewed.stats().key(DEMO_API_KEY)
        assert (stats.requests, stats.auth_failures) == (5, 0)
        assert len(skewed.exchange.orders(DEMO_API_KEY)) == 500


def test_timeout_option_makes_a_slow_answer_an_unknown_outcome(
    sandbox: RunningSandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(i) for i in range(100)])
    journal = tmp_path / "j.jsonl"
    sandbox.set_faults(Faults(latency_ms=1500))
    args = ["batch", str(orders), "--base-url", sandbox.base_url, "--journal", str(journal)]
    assert main([*args, "--timeout", "0.3"]) == 1
    assert "failed with OutcomeUnknownError: ReadTimeout after the batch was sent" in (
        capsys.readouterr().err
    )
    assert {line["status"] for line in journal_lines(journal)} == {"unknown"}
    assert requests(sandbox) == 1


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--rate", "fast", "argument --rate: 'fast' is not a whole number"),
        ("--rate", "0", "argument --rate: must be at least 1, got 0"),
        ("--concurrency", "2.5", "argument --concurrency: '2.5' is not a whole number"),
        ("--timeout", "soon", "argument --timeout: 'soon' is not a number of seconds"),
        ("--timeout", "0", "argument --timeout: '0' is not a number of seconds"),
        ("--timeout", "nan", "argument --timeout: 'nan' is not a number of seconds"),
    ],
)
def test_bad_option_values_say_what_to_give(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    option: str,
    value: str,
    expected: str,
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(1)])
    with pytest.raises(SystemExit) as exit_:
        main(["batch", str(orders), "--env", "sandbox", option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "_positive" not in err and "_seconds" not in err
