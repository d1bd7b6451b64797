"""Placing a file of orders (and cancelling a file of ids) in batches of 100, concurrently, within
the rate limit, resumably.

1. Both files are checked from end to end first; one bad line stops the run before any request.
   The checked orders are spooled to disk as their JSON text, which the send loop puts into
   request bodies as it is: it reads nothing of an order but its client order id.
2. The journal of earlier runs is read: what is placed, cancelled or unknown is not sent again.
3. Batches stream from the files into a bounded queue that worker threads drain through one
   `Client` (whose limiter keeps the pace), so memory stays flat in the file's size. Threads
   over the sync client, not tasks over `AsyncClient`: httpx's async connection pool costs
   about twice the CPU per request (it re-checks every idle connection through anyio on each
   request), which on two cores caps a bulk run well below the exchange's 200 requests/s.
4. Every batch goes into the journal's in-flight log before it is sent and every outcome into the
   journal after, so a killed run resumes without placing any order twice.
"""

from __future__ import annotations

import hashlib
import json
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import TypeVar

from ._client import Client
from ._errors import (
    APIError,
    AuthenticationError,
    OutcomeUnknownError,
    Problem,
    RateLimitTimeout,
    RequestNotSentError,
    ValidationError,
)
from ._journal import Journal, JournalState, OrderEntry, Status
from ._orderfile import MAX_FILE_PROBLEMS, FileFormat, read_cancel_ids, read_orders
from ._orders import MAX_CANCELS, MAX_ORDERS, Order
from ._results import BatchResult

_T = TypeVar("_T")

Progress = Callable[[int, int], None]
"""Called with (orders handled, cancel ids handled) after each batch."""


@dataclass
class BulkSummary:
    """What a bulk run did; `ok` when nothing failed or is left unknown."""

    placed: int = 0
    rejected: int = 0
    unknown: int = 0
    not_sent: int = 0
    cancelled: int = 0
    cancel_rejected: int = 0
    cancel_unknown: int = 0
    cancel_not_sent: int = 0
    skipped: int = 0
    skipped_cancels: int = 0
    still_unknown: int = 0
    """Orders left unknown by an earlier run (not resent; reconcile them on the exchange)."""
    still_unknown_cancels: int = 0
    recovered_unknown: int = 0
    """Of those, the ones found in flight in the in-flight log of a run that was killed."""
    requests: int = 0
    elapsed_s: float = 0.0
    aborted: str | None = None
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        failed = self.rejected + self.unknown + self.not_sent + self.still_unknown
        cancels_failed = (
            self.cancel_rejected
            + self.cancel_unknown
            + self.cancel_not_sent
            + self.still_unknown_cancels
        )
        return failed + cancels_failed == 0 and self.aborted is None


@dataclass(frozen=True, slots=True)
class _Chunk:
    orders: tuple[tuple[int, Order], ...]
    cancel_ids: tuple[int, ...]


class _SeenFilter:
    """A Bloom filter over client order ids: about 1.2 MB per million ids, where an exact set
    would take about 100 MB. It answers "maybe seen" for every repeat and for about 1 % of new
    ids; `Spool.write` settles the maybes exactly in a second pass over those ids alone.
    """

    _HASHES = 7

    def __init__(self, expected: int) -> None:
        self._bits = max(1 << 16, expected * 10)
        self._array = bytearray(self._bits // 8 + 1)

    def add(self, text: str) -> bool:
        """Record `text`; True when it may have been recorded before."""
        digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
        first = int.from_bytes(digest[:8], "little")
        step = int.from_bytes(digest[8:], "little") | 1
        array, bits, maybe = self._array, self._bits, True
        for i in range(self._HASHES):
            position = (first + i * step) % bits
            byte, mask = position >> 3, 1 << (position & 7)
            if not array[byte] & mask:
                maybe = False
                array[byte] |= mask
        return maybe


def _spooled(order: Order) -> str:
    """An order's spool text: its wire form as compact ASCII JSON, which holds no raw tab or
    line break (JSON escapes them) and encodes any str, a lone surrogate included."""
    return json.dumps(order.to_wire(), separators=(",", ":"))


def _estimate_orders(path: Path) -> int:
    """Roughly how many orders a file holds, to size the filter (lines of ~150 bytes)."""
    return max(1, path.stat().st_size // 100)


class Spool:
    """The orders of a file, checked once, kept on disk as their JSON text for sending.

    Checking an order costs over ten times what reading it back as text does, and
    the send loop shares the GIL with the HTTP threads, so the file is checked once up front and
    the send loop reads this spool (`<journal>.spool`, removed at the end) instead of the file.
    Memory stays flat in the file's size: the duplicate check is a Bloom filter.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, orders_path: Path, file_format: FileFormat) -> list[str]:
        """Check every order of the file into the spool; return the problems found."""
        problems: list[str] = []
        seen = _SeenFilter(_estimate_orders(orders_path))
        maybe_repeated: set[str] = set()
        with self.path.open("w", encoding="utf-8") as spool:
            for line, item in read_orders(orders_path, file_format):
                if isinstance(item, list):
                    problems.extend(item)
                else:
                    if seen.add(item.client_order_id):
                        maybe_repeated.add(item.client_order_id)
                    if not problems:
                        spool.write(f"{line}\t{_spooled(item)}\n")
                if len(problems) >= MAX_FILE_PROBLEMS:
                    break
        if maybe_repeated and len(problems) < MAX_FILE_PROBLEMS:
            ids: Iterator[tuple[int, str]]
            if problems:  # the spool stopped at the first problem: read the file again
                ids = (
                    (line, item.client_order_id)
                    for line, item in read_orders(orders_path, file_format)
                    if not isinstance(item, list)
                )
            else:  # the spool is whole, and cheaper to read than the file
                ids = ((line, order.client_order_id) for line, order in self.read())
            problems.extend(self._repeats(ids, maybe_repeated))
        return problems[: MAX_FILE_PROBLEMS + 1]

    @staticmethod
    def _repeats(ids: Iterator[tuple[int, str]], candidates: set[str]) -> list[str]:
        """The exact repeats among `candidates`, with the line each first appeared on."""
        first_line: dict[str, int] = {}
        repeats: list[str] = []
        for line, client_order_id in ids:
            if client_order_id not in candidates:
                continue
            if client_order_id in first_line:
                repeats.append(
                    f"line {line}: client_order_id {client_order_id!r} is already used on "
                    f"line {first_line[client_order_id]}"
                )
            else:
                first_line[client_order_id] = line
        return repeats

    def read(self) -> Iterator[tuple[int, Order]]:
        """(line number, order) for every spooled order, rebuilt through the public API."""
        from_mapping, loads = Order.from_mapping, json.loads
        with self.path.open(encoding="utf-8", newline="\n") as spool:
            for record in spool:
                line, _, text = record.rstrip("\n").partition("\t")
                yield int(line), from_mapping(loads(text))

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def check_files(
    orders_path: Path | None, file_format: FileFormat, cancel_path: Path | None, spool: Spool
) -> None:
    """Read both files end to end (spooling the orders); raise `ValidationError` listing their
    bad lines."""
    problems: list[str] = []
    if orders_path is not None:
        problems = spool.write(orders_path, file_format)
    seen_ids: dict[int, int] = {}
    if cancel_path is not None and len(problems) < MAX_FILE_PROBLEMS:
        for line, value in read_cancel_ids(cancel_path):
            if isinstance(value, str):
                problems.append(value)
            elif value in seen_ids:
                problems.append(
                    f"line {line}: order id {value} is already on line {seen_ids[value]}"
                )
            else:
                seen_ids[value] = line
            if len(problems) >= MAX_FILE_PROBLEMS:
                break
    if problems:
        spool.remove()
        if len(problems) >= MAX_FILE_PROBLEMS:
            problems.append(f"(stopped after {MAX_FILE_PROBLEMS} problems)")
        raise ValidationError([Problem("file", p) for p in problems])


def _chunks(
    spool: Spool | None,
    cancel_path: Path | None,
    state: JournalState,
    summary: BulkSummary,
) -> Iterator[_Chunk]:
    """Batches of up to 100 orders and 100 cancel ids not done by an earlier run."""

    def orders() -> Iterator[tuple[int, Order]]:
        if spool is None:
            return
        for line, item in spool.read():
            status = state.orders.get(item.client_order_id)
            if status == "unknown":
                summary.still_unknown += 1
                continue
            if status is not None and state.order_done(item.client_order_id):
                summary.skipped += 1
                continue
            yield line, item

    def cancels() -> Iterator[int]:
        if cancel_path is None:
            return
        for _, value in read_cancel_ids(cancel_path):
            if isinstance(value, str):  # checked before; the file changed under us
                raise ValidationError([Problem("file", value)])
            if state.cancels.get(value) == "unknown":
                summary.still_unknown_cancels += 1
                continue
            if state.cancel_done(value):
                summary.skipped_cancels += 1
                continue
            yield value

    def grouped(items: Iterator[_T], size: int) -> Iterator[tuple[_T, ...]]:
        batch: list[_T] = []
        for item in items:
            batch.append(item)
            if len(batch) == size:
                yield tuple(batch)
                batch = []
        if batch:
            yield tuple(batch)

    for order_group, cancel_group in zip_longest(
        grouped(orders(), MAX_ORDERS), grouped(cancels(), MAX_CANCELS), fillvalue=()
    ):
        yield _Chunk(order_group, cancel_group)


class _Runner:
    """The worker threads' shared state; `lock` guards the journal and the summary."""

    def __init__(
        self,
        client: Client,
        journal: Journal,
        summary: BulkSummary,
        create_order_first: bool,
        progress: Progress | None,
    ) -> None:
        self.client = client
        self.journal = journal
        self.summary = summary
        self.create_order_first = create_order_first
        self.progress = progress
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.failure: BaseException | None = None

    def worker(self, work: queue.Queue[_Chunk | None]) -> None:
        while (chunk := work.get()) is not None:
            if self.stop.is_set():
                continue
            try:
                self.send(chunk)
            except BaseException as error:  # a bug: stop the run, report it from the main thread
                self.failure = error
                self.stop.set()
                continue
            if self.progress is not None:
                self.progress(len(chunk.orders), len(chunk.cancel_ids))

    def send(self, chunk: _Chunk) -> None:
        journal, summary = self.journal, self.summary
        tokens: list[str] = []
        ids = [order.client_order_id for _, order in chunk.orders]

        def in_flight() -> None:
            # Logged once, when the first attempt leaves: a batch still waiting for the rate
            # limiter when the process dies was never sent, so it is not "unknown".
            if not tokens:
                with self.lock:
                    tokens.append(journal.begin(ids, chunk.cancel_ids))
                    summary.requests += 1

        try:
            result = self.client.batch_orders(
                [order for _, order in chunk.orders],
                chunk.cancel_ids,
                create_order_first=self.create_order_first,
                before_send=in_flight,
            )
        except OutcomeUnknownError as error:
            self.record_all(chunk, "unknown", error)
        except (RequestNotSentError, RateLimitTimeout) as error:
            self.record_all(chunk, "not_sent", error)
        except APIError as error:
            self.record_all(chunk, "rejected", error)
            if isinstance(error, AuthenticationError):
                self.summary.aborted = str(error)
                self.stop.set()
        else:
            self.record_result(chunk, result)
        with self.lock:
            journal.sync()
            if tokens:
                journal.end(tokens[0])

    def record_result(self, chunk: _Chunk, result: BatchResult) -> None:
        journal, summary = self.journal, self.summary
        entries: list[OrderEntry] = [
            (
                placed.client_order_id,
                "placed" if placed.ok else "rejected",
                placed.order_id,
                placed.raw_state,
                None,
                line,
            )
            for (line, _), placed in zip(chunk.orders, result.created, strict=True)
        ]
        placed = sum(1 for entry in entries if entry[1] == "placed")
        with self.lock:
            journal.record_orders(entries)
            summary.placed += placed
            summary.rejected += len(entries) - placed
            for cancel in result.cancelled:
                journal.record_cancel(
                    cancel.order_id,
                    "cancelled" if cancel.ok else "rejected",
                    state=cancel.raw_state,
                )
                if cancel.ok:
                    summary.cancelled += 1
                else:
                    summary.cancel_rejected += 1

    def record_all(self, chunk: _Chunk, status: Status, error: Exception) -> None:
        reason = f"{type(error).__name__}: {error}"
        name = type(error).__name__
        count, cancels = len(chunk.orders), len(chunk.cancel_ids)
        with self.lock:
            self.summary.errors[name] = self.summary.errors.get(name, 0) + 1
            for line, order in chunk.orders:
                self.journal.record_order(order.client_order_id, status, reason=reason, line=line)
            for order_id in chunk.cancel_ids:
                self.journal.record_cancel(order_id, status, reason=reason)
            if status == "unknown":
                self.summary.unknown += count
                self.summary.cancel_unknown += cancels
            elif status == "not_sent":
                self.summary.not_sent += count
                self.summary.cancel_not_sent += cancels
            else:
                self.summary.rejected += count
                self.summary.cancel_rejected += cancels


def run_bulk(
    client: Client,
    *,
    orders_path: Path | None,
    file_format: FileFormat,
    cancel_path: Path | None,
    journal: Journal,
    concurrency: int = 24,
    create_order_first: bool = True,
    progress: Progress | None = None,
) -> BulkSummary:
    """Place and cancel everything in the files not done by an earlier run with this journal.

    On an interruption (Ctrl-C), the batches already sent finish and are journaled; the rest
    are left for the next run.
    """
    spool = Spool(journal.path.with_name(journal.path.name + ".spool"))
    spool.path.parent.mkdir(parents=True, exist_ok=True)
    check_files(orders_path, file_format, cancel_path, spool)
    summary = BulkSummary()
    state = journal.load()
    summary.recovered_unknown = state.recovered_unknown
    runner = _Runner(client, journal, summary, create_order_first, progress)
    work: queue.Queue[_Chunk | None] = queue.Queue(maxsize=concurrency * 2)
    workers = [
        threading.Thread(target=runner.worker, args=(work,), name=f"az-futures-bulk-{n}")
        for n in range(concurrency)
    ]
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    try:
        source = spool if orders_path is not None else None
        for chunk in _chunks(source, cancel_path, state, summary):
            if runner.stop.is_set():
                break
            work.put(chunk)
    finally:
        if sys.exc_info()[0] is not None:
            runner.stop.set()  # interrupted: finish what is in flight, send nothing more
        for _ in workers:
            work.put(None)
        for thread in workers:
            thread.join()
        summary.elapsed_s = time.perf_counter() - started
        journal.close(finished=runner.failure is None)
        spool.remove()
    if runner.failure is not None:
        raise runner.failure
    return summary
