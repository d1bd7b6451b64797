"""Writing order files for the command-line tests."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any


def order_row(i: int, **changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "clientOrderId": f"c-{i:07d}",
        "symbol": "btc_usdt",
        "orderSide": "BUY" if i % 2 else "SELL",
        "orderType": "LIMIT",
        "origQty": "1",
        "price": f"39000.{i % 10}",
        "positionSide": "LONG",
    }
    row.update(changes)
    return row


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    names = list(dict.fromkeys(name for row in rows for name in row))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    return path


def journal_lines(path: Path) -> list[dict[str, Any]]:
    """The journal's lines, each parsed."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def leftovers(directory: Path, *inputs: Path) -> set[str]:
    """Files in `directory` other than the inputs: spools, journals, locks a run left."""
    return {p.name for p in directory.iterdir()} - {p.name for p in inputs}
