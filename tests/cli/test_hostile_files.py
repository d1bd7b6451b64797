"""Hostile order and cancel files: each is refused with exit 2 and a message naming the line
where the trouble starts, with no traceback, no request and no spool, journal or lock left."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from az_futures.cli import main
from az_futures.sandbox import DEMO_API_KEY, RunningSandbox

from .orderfiles import leftovers, order_row

pytestmark = pytest.mark.usefixtures("demo_keys")

HEADER = "clientOrderId,symbol,orderSide,orderType,origQty,price,positionSide\n"
ROW = "c-{n},btc_usdt,BUY,LIMIT,1,39000.1,LONG\n"


def _jsonl(*rows: str) -> bytes:
    return "".join(row + "\n" for row in rows).encode()


GOOD = json.dumps(order_row(0))

CASES: list[tuple[str, str, bytes, str]] = [
    (
        "non-utf8-jsonl",
        "orders.jsonl",
        _jsonl(GOOD) + b'{"clientOrderId": "\xff"}\n',
        "line 2: is not UTF-8 (byte 0xff at column 20); save the file as UTF-8",
    ),
    (
        "non-utf8-csv",
        "orders.csv",
        (HEADER + ROW.format(n=1)).encode() + b"c-2,btc_usdt,BUY,LIMIT,1,39000.\xe9,LONG\n",
        "line 3: is not UTF-8 (byte 0xe9",
    ),
    (
        "oversized-csv-cell",
        "orders.csv",
        (
            HEADER + ROW.format(n=1) + 'c-2,btc_usdt,BUY,LIMIT,1,"' + "9" * 140_000 + '",LONG\n'
        ).encode(),
        "line 3: has a cell over 128 KiB",
    ),
    (
        "duplicate-csv-column",
        "orders.csv",
        (HEADER.replace("\n", ",price\n") + "c-1,btc_usdt,BUY,LIMIT,1,1e5x,LONG,39000\n").encode(),
        "line 1: column 'price' is named twice (columns 6 and 8)",
    ),
    (
        "duplicate-json-key",
        "orders.jsonl",
        _jsonl(GOOD, json.dumps(order_row(1, price="1e5x"))[:-1] + ', "price": "39000"}'),
        "line 2: key 'price' is given twice",
    ),
    (
        "nul-in-json-string",
        "orders.jsonl",
        _jsonl(GOOD, json.dumps(order_row(1, clientOrderId="c-\u0000-1"))),
        "line 2: clientOrderId: holds the control character U+0000 at position 3",
    ),
    (
        "escape-in-csv-cell",
        "orders.csv",
        (HEADER + ROW.format(n=1) + "c-2,btc\x1b[2J,BUY,LIMIT,1,39000.1,LONG\n").encode(),
        "line 3: symbol: holds the control character U+001B at position 4",
    ),
    (
        "unterminated-quote",
        "orders.csv",
        (
            HEADER + ROW.format(n=1) + '"c-2,btc_usdt,BUY,LIMIT,1,39000.1,LONG\n' + ROW.format(n=3)
        ).encode(),
        "line 3: a quoted cell opens here and is never closed",
    ),
    (
        "quote-closed-lines-later",
        "orders.csv",
        (
            HEADER
            + ROW.format(n=1)
            + 'c-2,"btc_usdt,BUY,LIMIT,1,39000.1,LONG\n'
            + ROW.format(n=3)
            + 'c-4,btc_usdt",BUY,LIMIT,1,39000.1,LONG\n'
        ).encode(),
        "line 3: a quoted cell opens here and closes on line 5",
    ),
    ("empty-jsonl", "orders.jsonl", b"", "holds no orders"),
    ("blank-jsonl", "orders.jsonl", b"\n  \n\n", "holds no orders"),
    ("empty-csv", "orders.csv", b"", "holds no orders"),
    ("header-only-csv", "orders.csv", HEADER.encode(), "holds no orders"),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_a_hostile_orders_file_is_refused_before_anything_is_sent(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str, bytes, str],
) -> None:
    _, name, content, expected = case
    orders = tmp_path / name
    orders.write_bytes(content)
    code = main(["batch", str(orders), "--base-url", sandbox.base_url])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err
    assert f"in {name}; nothing was sent" in err
    assert "Traceback" not in err
    assert sandbox.stats().key(DEMO_API_KEY).requests == 0
    assert sandbox.exchange.orders(DEMO_API_KEY) == []
    assert leftovers(tmp_path, orders) == set()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"12\n\xff13\n", "ids.txt line 2: is not UTF-8 (byte 0xff at column 1)"),
        (b"# nothing here\n\n", "ids.txt holds no order ids"),
        (b"", "ids.txt holds no order ids"),
    ],
)
def test_a_hostile_cancel_file_is_refused_before_anything_is_sent(
    sandbox: RunningSandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes,
    expected: str,
) -> None:
    orders = tmp_path / "orders.jsonl"
    orders.write_text(GOOD + "\n\xff\n", encoding="latin-1")  # bad too: both files are named
    cancels = tmp_path / "ids.txt"
    cancels.write_bytes(content)
    code = main(["batch", str(orders), "--cancel", str(cancels), "--base-url", sandbox.base_url])
    err = capsys.readouterr().err
    assert code == 2
    assert "2 problems in orders.jsonl and ids.txt; nothing was sent" in err
    assert "orders.jsonl line 2: is not UTF-8" in err
    assert expected in err
    assert "Traceback" not in err
    assert sandbox.stats().key(DEMO_API_KEY).requests == 0
    assert leftovers(tmp_path, orders, cancels) == set()


def test_the_duplicate_key_refused_is_the_one_that_would_have_hidden_a_bad_price(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    """Without the check, the last `price` wins and the order is placed at 39000."""
    orders = tmp_path / "orders.jsonl"
    line = json.dumps(order_row(1, price="1e5x"))[:-1] + ', "price": "39000"}'
    orders.write_text(line + "\n")
    assert main(["batch", str(orders), "--base-url", sandbox.base_url]) == 2
    assert sandbox.exchange.orders(DEMO_API_KEY) == []
