"""Orders and cancel ids read from files, one at a time, so a file of any size streams.

Orders: CSV with a header row, or JSON Lines (one object per line). Column and key names are the
exchange's (`clientOrderId`, `origQty`...) or the SDK's (`client_order_id`, `orig_qty`...); an
empty CSV cell means the field is absent. Cancel ids: one integer per line; blank lines and lines
starting with `#` are skipped.

Files are hostile until checked: bytes that are not UTF-8, a cell over the CSV limit, a column
or key named twice, control characters and unbalanced quotes are each reported with the line
where they start, never as a traceback and never by letting one value silently win over another.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Literal

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
_BOM = b"\xef\xbb\xbf"
# C0 and C1 controls and DEL: no order field holds one, and a NUL or an escape sequence in a
# client order id would travel to the exchange and back into journals and terminals.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class OrderFileError(ValidationError):
    """Problems in the files given to `batch`, each with its line; nothing was sent.

    A `ValidationError` (callers catching that still do), headed by the files' names rather
    than "in the batch", which is the Python API's wording for a list of orders.
    """

    def __init__(self, problems: Sequence[str], files: Sequence[str]) -> None:
        super().__init__([Problem("file", problem) for problem in problems])
        count = sum(1 for problem in problems if not problem.startswith("("))
        names = " and ".join(dict.fromkeys(files)) or "the files"
        heading = f"{count} problem{'s' if count != 1 else ''} in {names}; nothing was sent"
        self.args = ("\n  ".join([heading + ":", *problems]),)


class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict, refusing a key given twice (the last would win)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKeyError(key)
            seen.add(key)
    return found


# Decimal, not float: a price in the file is taken exactly as written. One decoder for all lines:
# `json.loads(..., parse_float=...)` would build a new one per line.
_decode = json.JSONDecoder(parse_float=Decimal, object_pairs_hook=_unique_keys).decode


def detect_format(path: Path, given: FileFormat | None = None) -> FileFormat:
    """The file's format: as given, or from its suffix."""
    if given is not None:
        return given
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise OrderFileError(
            [
                f"cannot tell its format from the suffix {path.suffix or '(none)'!r}; name it "
                ".csv or .jsonl, or pass --format csv|jsonl"
            ],
            [path.name],
        )
    return found


def _control_problem(name: str, value: str) -> str | None:
    """What is wrong with a string holding a control character, or None."""
    found = _CONTROL.search(value)
    if found is None:
        return None
    char = found.group()
    what = "a line break" if char in "\r\n" else f"the control character U+{ord(char):04X}"
    return f"{name}: holds {what} at position {found.start() + 1}; remove it"


def _not_utf8(raw: bytes, error: UnicodeDecodeError) -> str:
    return (
        f"is not UTF-8 (byte 0x{raw[error.start]:02x} at column {error.start + 1}); "
        "save the file as UTF-8"
    )


def _decoded_lines(handle: IO[bytes]) -> Iterator[tuple[int, str, str | None]]:
    """(line number, text, None) for each line of a binary file, or (line, "", problem) for a
    line that is not UTF-8: one bad byte is reported on its line rather than as a traceback."""
    for line, raw in enumerate(handle, start=1):
        data = raw[len(_BOM) :] if line == 1 and raw.startswith(_BOM) else raw
        try:
            yield line, data.decode("utf-8"), None
        except UnicodeDecodeError as error:
            yield line, "", _not_utf8(data, error)


class _CsvLines:
    """The text lines of a CSV file for `csv.reader`, stopping at the first line that is not
    UTF-8 (the structure of the records after it cannot be trusted)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._lines = _decoded_lines(handle)
        self.problem: tuple[int, str] | None = None

    def __iter__(self) -> Iterator[str]:
        for line, text, problem in self._lines:
            if problem is not None:
                self.problem = (line, problem)
                return
            yield text


def _header_problems(names: Sequence[str]) -> list[str]:
    problems: list[str] = []
    first: dict[str, int] = {}
    for column, name in enumerate(names, start=1):
        control = _control_problem(f"column {column}", name)
        if control:
            problems.append(control)
        if name in first:
            problems.append(
                f"column {name!r} is named twice (columns {first[name]} and {column}); "
                "keep one: which value would count is not clear"
            )
        else:
            first[name] = column
    return problems


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open("rb") as handle:
        lines = _CsvLines(handle)
        reader = csv.reader(lines, strict=True)
        start = 1
        try:
            header = next(reader, None)
            if header is not None:
                names = [name.strip() for name in header]
                header_problems = _header_problems(names)
                if header_problems:
                    for problem in header_problems:
                        yield start, problem
                    return
                start = reader.line_num + 1
                for row in reader:
                    line, start = start, reader.line_num + 1
                    yield line, _csv_record(names, row, line, reader.line_num)
        except csv.Error as error:
            # A line that is not UTF-8 ends the lines early, maybe inside a quoted cell.
            yield lines.problem or (start, _csv_error(str(error)))
            return
        if lines.problem is not None:
            yield lines.problem


def _csv_record(names: Sequence[str], row: list[str], line: int, end: int) -> dict[str, Any] | str:
    """One CSV record as a mapping, or what is wrong with it (reported on the line it starts)."""
    if not row or all(not cell.strip() for cell in row):
        return {}
    if end > line:
        return (
            f"a quoted cell opens here and closes on line {end}; a cell cannot hold a line "
            "break: check the quotes"
        )
    if len(row) != len(names):
        return f"has {len(row)} cells; the header names {len(names)} columns"
    record: dict[str, Any] = {}
    for name, cell in zip(names, row, strict=True):
        problem = _control_problem(name, cell)
        if problem:
            return problem
        if cell:
            record[name] = cell.strip()
    return record


def _csv_error(message: str) -> str:
    if "field larger than field limit" in message:
        limit = csv.field_size_limit()
        return (
            f"has a cell over {limit // 1024} KiB, longer than any order field; check the "
            "file's quotes and separators"
        )
    if "unexpected end of data" in message:
        return "a quoted cell opens here and is never closed; close its quote"
    return f"is not valid CSV ({message}); check the quotes on this line"


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | str]]:
    with path.open("rb") as handle:
        for line, text, problem in _decoded_lines(handle):
            if problem is not None:
                yield line, problem
                continue
            if not text.strip():
                continue
            yield line, _jsonl_record(text)


def _jsonl_record(text: str) -> dict[str, Any] | str:
    try:
        value = _decode(text)
    except _DuplicateKeyError as error:
        return (
            f"key {error.args[0]!r} is given twice; keep one: which value would count is not clear"
        )
    except json.JSONDecodeError as error:
        return f"is not valid JSON ({error.msg} at column {error.colno})"
    except ValueError as error:  # e.g. a number too long to convert
        return f"is not valid JSON ({error})"
    if not isinstance(value, dict):
        return f"holds a JSON {type(value).__name__}, not an object"
    for key, item in value.items():
        problem = _control_problem("key", key) or (
            _control_problem(key, item) if isinstance(item, str) else None
        )
        if problem:
            return problem
    return value


def read_orders(path: Path, file_format: FileFormat) -> Iterator[tuple[int, Order | list[str]]]:
    """(line number, order) for every order in the file, or (line, problems) for a bad line."""
    rows = _csv_rows(path) if file_format == "csv" else _jsonl_rows(path)
    for line, row in rows:
        if isinstance(row, str):
            yield line, [f"line {line}: {row}"]
            continue
        if not row:
            continue  # a blank CSV record
        try:
            yield line, Order.from_mapping(row)
        except ValidationError as error:
            yield line, [f"line {line}: {problem}" for problem in error.problems]


def read_cancel_ids(path: Path) -> Iterator[tuple[int, int | str]]:
    """(line number, id) for every cancel id in the file, or (line, problem) for a bad line."""
    with path.open("rb") as handle:
        for line, text, problem in _decoded_lines(handle):
            if problem is not None:
                yield line, f"line {line}: {problem}"
                continue
            value = text.strip()
            if not value or value.startswith("#"):
                continue
            if not value.isdigit() or not 1 <= int(value) <= MAX_ORDER_ID:
                shown = value if len(value) <= 40 else value[:40] + "..."
                yield line, f"line {line}: {shown!r} is not an order id (an integer 1..2**63-1)"
                continue
            yield line, int(value)


def no_records(what: str) -> str:
    """The problem of a file that holds nothing to send: said plainly, not run as 0 orders."""
    return f"holds no {what}; nothing to send: check that this is the right file"


def file_problems(found: Iterable[tuple[str, str]]) -> OrderFileError:
    """One error for (file name, problem) pairs, naming the file of each when there are two."""
    pairs = list(found)
    files = [name for name, problem in pairs if not problem.startswith("(")]
    several = len(set(files)) > 1
    return OrderFileError(
        [f"{name} {problem}" if several else problem for name, problem in pairs], files
    )
