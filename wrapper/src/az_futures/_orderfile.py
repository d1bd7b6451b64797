"""Orders and cancel ids read from files, one at a time, so a file of any size streams.

Orders: CSV with a header row, or JSON Lines (one object per line). Column and key names are the
exchange's (`clientOrderId`, `origQty`...) or the SDK's (`client_order_id`, `orig_qty`...); an
empty CSV cell means the field is absent. Cancel ids: one integer per line; blank lines and lines
starting with `#` are skipped.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ._batch import MAX_ORDER_ID
from ._errors import Problem, ValidationError
from ._orders import Order

FileFormat = Literal["csv", "jsonl"]
_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
MAX_FILE_PROBLEMS = 50  # a file with more is not worth listing further
# Decimal, not float: a price in the file is taken exactly as written. One decoder for all lines:
# `json.loads(..., parse_float=...)` would build a new one per line.
_decode = json.JSONDecoder(parse_float=Decimal).decode


def detect_format(path: Path, given: FileFormat | None = None) -> FileFormat:
    """The file's format: as given, or from its suffix."""
    if given is not None:
        return given
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise ValidationError(
            [
                Problem(
                    "orders_file",
                    f"cannot tell the format of {path.name!r} from its suffix; name it .csv or "
                    ".jsonl, or pass --format csv|jsonl",
                )
            ]
        )
    return found


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        names = [name.strip() for name in header]
        for row in reader:
            line = reader.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield line, f"has {len(row)} cells; the header names {len(names)} columns"
                continue
            yield line, {name: cell.strip() for name, cell in zip(names, row, strict=True) if cell}


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open(encoding="utf-8-sig") as handle:
        for line, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = _decode(text)
            except json.JSONDecodeError as error:
                yield line, f"is not valid JSON ({error.msg} at column {error.colno})"
                continue
            except ValueError as error:  # e.g. a number too long to convert
                yield line, f"is not valid JSON ({error})"
                continue
            if not isinstance(value, dict):
                yield line, f"holds a JSON {type(value).__name__}, not an object"
                continue
            yield line, value


def read_orders(path: Path, file_format: FileFormat) -> Iterator[tuple[int, Order | list[str]]]:
    """(line number, order) for every order in the file, or (line, problems) for a bad line."""
    rows = _csv_rows(path) if file_format == "csv" else _jsonl_rows(path)
    for line, row in rows:
        if isinstance(row, str):
            yield line, [f"line {line}: {row}"]
            continue
        try:
            yield line, Order.from_mapping(row)
        except ValidationError as error:
            yield line, [f"line {line}: {problem}" for problem in error.problems]


def read_cancel_ids(path: Path) -> Iterator[tuple[int, int | str]]:
    """(line number, id) for every cancel id in the file, or (line, problem) for a bad line."""
    with path.open(encoding="utf-8-sig") as handle:
        for line, text in enumerate(handle, start=1):
            value = text.strip()
            if not value or value.startswith("#"):
                continue
            if not value.isdigit() or not 1 <= int(value) <= MAX_ORDER_ID:
                yield line, f"line {line}: {value!r} is not an order id (an integer 1..2**63-1)"
                continue
            yield line, int(value)
