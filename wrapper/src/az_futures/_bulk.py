"""Placing a file of orders (and cancelling a file of ids) in batches of 100, concurrently, within
the rate limit, resumably, and never twice.

1. The journal is locked for the whole run: two runs on one journal would both send what neither
   has journaled yet.
2. Both files are checked from end to end first; one bad line stops the run before any request.
   The checked orders and ids are spooled to disk (orders as their wire JSON), and the send loop
   reads the spool, never the files again: what is sent is what was checked, even if a file
   changes during the run.
3. The journal of earlier runs is read: what is placed, cancelled or unknown is not sent again.
4. Batches stream from the spool into a bounded queue that worker threads drain through one
   `Client` (whose limiter keeps the pace), so memory stays flat in the file's size. Threads
   over the sync client, not tasks over `AsyncClient`: httpx's async connection pool costs
   about twice the CPU per request, which on two cores caps a bulk run well below the
   exchange's 200 requests/s.
5. Every batch goes into the journal's in-flight log right before it leaves and every outcome into
   the journal after, so a killed run resumes without placing any order twice.
6. A stop (a signal, refused credentials, an exchange that cannot be reached) lets nothing new
   leave: a batch still waiting for the rate limiter or for a retry is dropped at the door
   (`before_send`) and left for the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx

from ._batch import MAX_CANCELS, MAX_ORDERS
from ._client import Client
from ._errors import (
    APIError,
    AuthenticationError,
    AZError,
    OutcomeUnknownError,
    RateLimiterUnavailableError,
    RateLimitTimeoutError,
    RequestNotSentError,
)
from ._journal import Journal, JournalState, OrderEntry, Status
from ._orderfile import (
    MAX_FILE_PROBLEMS,
    FileFormat,
    file_problems,
    no_records,
    read_cancel_ids,
    read_orders,
)
from ._orders import CLIENT_ORDER_ID, Order
from ._results import BatchResult

logger = logging.getLogger("az_futures.bulk")

_T = TypeVar("_T")

MAX_UNREACHABLE = 3
"""Consecutive batches that fail to leave (after the client's own retries) before a run stops:
an exchange that refuses connections would otherwise cost every remaining batch its retries."""
_CHECK_STOP_EVERY = 1024  # lines between looks at the stop flag while checking a file


class Progress(Protocol):
    """What a run reports its progress to: the orders and ids to handle, then each handled."""

    def start(self, total: int) -> None: ...

    def advance(self, count: int) -> None: ...


class RunInterrupted(AZError):
    """The run was stopped (Ctrl-C, SIGTERM) while its files were being checked: nothing was
    sent."""


@dataclass
class BulkSummary:
    """What a bulk run did; `ok` when nothing failed, is left unknown or was left unsent."""

    placed: int = 0
    rejected: int = 0
    unknown: int = 0
    not_sent: int = 0
    """Orders certainly not placed: refused before sending, or never started (a stop)."""
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
    """Of those, the ones found in flight in the in-flight log of a run that was killed, or named
    by a torn journal line."""
    requests: int = 0
    """Batches that left (each counted once, whatever its retries)."""
    http_requests: int = 0
    """HTTP requests sent: every attempt, retries included."""
    retries: int = 0
    rate_limited: int = 0
    """Answers of HTTP 429: another process on the key, or a rate above the exchange's limit."""
    elapsed_s: float = 0.0
    aborted: str | None = None
    interrupted: bool = False
    errors: dict[str, int] = field(default_factory=dict)
    """Batches failed, by error type."""
    first_errors: dict[str, str] = field(default_factory=dict)
    """The first message of each error type, so that the cause shows without -v."""

    @property
    def ok(self) -> bool:
        failed = self.rejected + self.unknown + self.not_sent + self.still_unknown
        cancels_failed = (
            self.cancel_rejected
            + self.cancel_unknown
            + self.cancel_not_sent
            + self.still_unknown_cancels
        )
        return failed + cancels_failed == 0 and self.aborted is None and not self.interrupted


class HttpTally:
    """Counts the exchange's 429 answers, retried ones included, through an httpx event hook
    (the client retries them out of sight of the runner)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rate_limited = 0

    def on_response(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            with self._lock:
                self.rate_limited += 1

    def http_client(self) -> httpx.Client:
        """An httpx client whose answers this tally counts, for `Client(http_client=...)`."""
        return httpx.Client(event_hooks={"response": [self.on_response]})


@dataclass(frozen=True, slots=True)
class Chunk:
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


def _check_stop(stop: threading.Event | None, count: int) -> None:
    if stop is not None and count % _CHECK_STOP_EVERY == 0 and stop.is_set():
        raise RunInterrupted("interrupted while checking the files; nothing was sent")


class Spool:
    """The orders and cancel ids of the files, checked once, kept on disk for sending.

    Checking an order costs over ten times what reading it back does, and the send loop shares
    the GIL with the HTTP threads, so the files are checked once up front and the send loop reads
    this spool (`<journal>.spool` and `<journal>.spool-cancels`, removed at the end). That also
    makes the run send what was checked, whatever happens to the files meanwhile. Memory stays
    flat in the file's size: the duplicate check is a Bloom filter.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.cancels_path = path.with_name(path.name + "-cancels")
        self.orders = 0
        self.cancels = 0

    def write(
        self, orders_path: Path, file_format: FileFormat, stop: threading.Event | None = None
    ) -> list[str]:
        """Check every order of the file into the spool; return the problems found."""
        problems: list[str] = []
        seen = _SeenFilter(_estimate_orders(orders_path))
        maybe_repeated: set[str] = set()
        self.orders = 0
        with self.path.open("w", encoding="utf-8") as spool:
            for line, item in read_orders(orders_path, file_format):
                _check_stop(stop, line)
                if isinstance(item, list):
                    problems.extend(item)
                else:
                    self.orders += 1
                    if seen.add(item.client_order_id):
                        maybe_repeated.add(item.client_order_id)
                    if not problems:
                        spool.write(f"{line}\t{_spooled(item)}\n")
                if len(problems) >= MAX_FILE_PROBLEMS:
                    break
        if not problems and not self.orders:
            problems.append(no_records("orders (the file is empty, or holds a header alone)"))
        if maybe_repeated and len(problems) < MAX_FILE_PROBLEMS:
            ids: Iterator[tuple[int, str]]
            if problems:  # the spool stopped at the first problem: read the file again
                ids = (
                    (line, item.client_order_id)
                    for line, item in read_orders(orders_path, file_format)
                    if not isinstance(item, list)
                )
            else:  # the spool is whole, and cheaper to read than the file
                ids = ((line, str(wire[CLIENT_ORDER_ID])) for line, wire in self.records())
            problems.extend(self._repeats(ids, maybe_repeated))
        return problems[: MAX_FILE_PROBLEMS + 1]

    def write_cancels(self, cancel_path: Path, stop: threading.Event | None = None) -> list[str]:
        """Check every id of the cancel file into the spool; return the problems found."""
        problems: list[str] = []
        seen_ids: dict[int, int] = {}
        self.cancels = 0
        with self.cancels_path.open("w", encoding="ascii") as spool:
            for line, value in read_cancel_ids(cancel_path):
                _check_stop(stop, line)
                if isinstance(value, str):
                    problems.append(value)
                elif value in seen_ids:
                    problems.append(
                        f"line {line}: order id {value} is already on line {seen_ids[value]}"
                    )
                else:
                    seen_ids[value] = line
                    self.cancels += 1
                    spool.write(f"{value}\n")
                if len(problems) >= MAX_FILE_PROBLEMS:
                    break
        if not problems and not self.cancels:
            problems.append(no_records("order ids (blank lines and # comments only)"))
        return problems

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

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(line number, wire form) for every spooled order: the id is all a resumed run needs
        to skip one, so an `Order` is built only for the orders sent."""
        loads = json.loads
        with self.path.open(encoding="utf-8", newline="\n") as spool:
            for record in spool:
                line, _, text = record.rstrip("\n").partition("\t")
                yield int(line), loads(text)

    def read(self) -> Iterator[tuple[int, Order]]:
        """(line number, order) for every spooled order, rebuilt through the public API."""
        from_mapping = Order.from_mapping
        for line, wire in self.records():
            yield line, from_mapping(wire)

    def read_cancels(self) -> Iterator[int]:
        with self.cancels_path.open(encoding="ascii") as spool:
            for text in spool:
                yield int(text)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        self.cancels_path.unlink(missing_ok=True)


def check_files(
    orders_path: Path | None,
    file_format: FileFormat,
    cancel_path: Path | None,
    spool: Spool,
    stop: threading.Event | None = None,
) -> None:
    """Read both files end to end into the spool; raise `OrderFileError` listing their bad lines
    (and leave no spool behind)."""
    found: list[tuple[str, str]] = []
    try:
        if orders_path is not None:
            found += [(orders_path.name, p) for p in spool.write(orders_path, file_format, stop)]
        if cancel_path is not None and len(found) < MAX_FILE_PROBLEMS:
            found += [(cancel_path.name, p) for p in spool.write_cancels(cancel_path, stop)]
    except BaseException:
        spool.remove()
        raise
    if found:
        spool.remove()
        if len(found) >= MAX_FILE_PROBLEMS:
            found = found[:MAX_FILE_PROBLEMS]
            found.append((found[-1][0], f"(stopped after {MAX_FILE_PROBLEMS} problems)"))
        raise file_problems(found)


def pending_batches(
    spool: Spool | None,
    cancel_spool: Spool | None,
    state: JournalState,
    summary: BulkSummary,
) -> Iterator[Chunk]:
    """Batches of up to 100 orders and 100 cancel ids not done by an earlier run."""

    def orders() -> Iterator[tuple[int, Order]]:
        if spool is None:
            return
        from_mapping = Order.from_mapping
        for line, wire in spool.records():
            client_order_id = str(wire[CLIENT_ORDER_ID])
            status = state.orders.get(client_order_id)
            if status == "unknown":
                summary.still_unknown += 1
                continue
            if status is not None and state.order_done(client_order_id):
                summary.skipped += 1
                continue
            yield line, from_mapping(wire)

    def cancels() -> Iterator[int]:
        if cancel_spool is None:
            return
        for value in cancel_spool.read_cancels():
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
        yield Chunk(order_group, cancel_group)


class _Stopped(Exception):
    """Raised from `before_send` once the run stops: the attempt never leaves."""


_WHAT: dict[str, str] = {
    "unknown": "outcome unknown (never resent: reconcile on the exchange)",
    "not_sent": "not sent (the next run sends them)",
    "rejected": "refused by the exchange (the next run sends them again)",
}


class _Runner:
    """The worker threads' shared state; `lock` guards the journal and the summary."""

    def __init__(
        self,
        *,
        client: Client,
        journal: Journal,
        summary: BulkSummary,
        create_order_first: bool,
        progress: Progress | None,
        interrupt: threading.Event,
        max_unreachable: int,
    ) -> None:
        self.client = client
        self.journal = journal
        self.summary = summary
        self.create_order_first = create_order_first
        self.progress = progress
        self.interrupt = interrupt
        self.max_unreachable = max_unreachable
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.failure: BaseException | None = None
        self.unreachable = 0  # consecutive batches that failed to leave

    def halted(self) -> bool:
        return self.stop.is_set() or self.interrupt.is_set()

    def worker(self, work: queue.Queue[Chunk | None]) -> None:
        while (chunk := work.get()) is not None:
            if self.halted():
                continue  # never started: counted as not sent when the run ends
            try:
                self.send(chunk)
            except BaseException as error:  # a bug: stop the run, report it from the main thread
                self.failure = error
                self.stop.set()
                continue
            if self.progress is not None:
                self.progress.advance(len(chunk.orders) + len(chunk.cancel_ids))

    def send(self, chunk: Chunk) -> None:
        journal, summary = self.journal, self.summary
        tokens: list[str] = []
        ids = [order.client_order_id for _, order in chunk.orders]

        def before_send() -> None:
            # Called after the rate limiter let the attempt through, right before it leaves.
            if self.halted():
                raise _Stopped
            with self.lock:
                summary.http_requests += 1
                if tokens:
                    summary.retries += 1
                    return
                # Logged once, when the first attempt leaves: a batch still waiting for the
                # rate limiter when the process dies was never sent, so it is not "unknown".
                tokens.append(journal.begin(ids, chunk.cancel_ids))
                summary.requests += 1

        reached = True  # whether the exchange answered, or may have
        try:
            result = self.client.batch_orders(
                [order for _, order in chunk.orders],
                chunk.cancel_ids,
                create_order_first=self.create_order_first,
                before_send=before_send,
            )
        except _Stopped:
            reached = False
            self.record_all(chunk, "not_sent", None)
        except OutcomeUnknownError as error:
            self.record_all(chunk, "unknown", error)
        except RequestNotSentError as error:
            reached = False
            self.record_all(chunk, "not_sent", error)
            self.note_unreachable(error)
        except RateLimitTimeoutError as error:
            self.record_all(chunk, "not_sent", error)
        except RateLimiterUnavailableError as error:
            reached = False
            self.record_all(chunk, "not_sent", error)
            self.abort(str(error))
        except APIError as error:
            self.record_all(chunk, "rejected", error)
            if isinstance(error, AuthenticationError):
                self.abort(str(error))
        else:
            self.record_result(chunk, result)
        with self.lock:
            if reached:
                self.unreachable = 0
            journal.sync()
            if tokens:
                journal.end(tokens[0])

    def abort(self, reason: str) -> None:
        with self.lock:
            if self.summary.aborted is None:
                self.summary.aborted = reason
        self.stop.set()

    def note_unreachable(self, error: RequestNotSentError) -> None:
        """Stop the run once `max_unreachable` batches in a row could not reach the exchange."""
        with self.lock:
            self.unreachable += 1
            down = self.unreachable >= self.max_unreachable
        if down:
            self.abort(
                f"{self.unreachable} batches in a row could not reach the exchange at "
                f"{self.client.base_url} ({error}); stopped sending: check the URL and the "
                "network, then run again (what was not sent is sent then)"
            )

    def record_result(self, chunk: Chunk, result: BatchResult) -> None:
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
        placed_count = sum(1 for entry in entries if entry[1] == "placed")
        refused = len(entries) - placed_count
        with self.lock:
            journal.record_orders(entries)
            summary.placed += placed_count
            summary.rejected += refused
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
        if refused:
            states = sorted({str(entry[3]) for entry in entries if entry[1] == "rejected"})
            logger.warning(
                "%s: %d of %d orders refused by the exchange (%s)",
                _lines(chunk),
                refused,
                len(entries),
                ", ".join(states),
            )

    def record_all(self, chunk: Chunk, status: Status, error: Exception | None) -> None:
        reason = (
            f"{type(error).__name__}: {error}"
            if error is not None
            else "not sent: the run stopped before this batch left"
        )
        count, cancels = len(chunk.orders), len(chunk.cancel_ids)
        with self.lock:
            if error is not None:
                name = type(error).__name__
                self.summary.errors[name] = self.summary.errors.get(name, 0) + 1
                self.summary.first_errors.setdefault(name, str(error))
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
        if error is not None:
            logger.warning(
                "%s: %d orders, %d cancels %s: %s",
                _lines(chunk),
                count,
                cancels,
                _WHAT[status],
                reason,
            )


def _lines(chunk: Chunk) -> str:
    if not chunk.orders:
        return f"batch of {len(chunk.cancel_ids)} cancel ids"
    return f"orders of lines {chunk.orders[0][0]}-{chunk.orders[-1][0]}"


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
    stop: threading.Event | None = None,
    wait_for_journal: bool = False,
    tally: HttpTally | None = None,
    max_unreachable: int = MAX_UNREACHABLE,
    before_first_wave: Callable[[], None] | None = None,
) -> BulkSummary:
    """Place and cancel everything in the files not done by an earlier run with this journal.

    Setting `stop` (the command line does on SIGINT and SIGTERM) lets nothing new leave: the
    batches in flight finish and are journaled, the rest are left for the next run, and the
    summary says so (`interrupted`). Raises `JournalLockedError` when another run holds the
    journal (unless `wait_for_journal`), `OrderFileError` for bad files, and `RunInterrupted`
    for a stop while the files are checked; nothing is sent in those cases.
    """
    interrupt = stop if stop is not None else threading.Event()
    spool = Spool(journal.path.with_name(journal.path.name + ".spool"))
    journal.path.parent.mkdir(parents=True, exist_ok=True)
    if not journal.acquire(wait=wait_for_journal, stop=interrupt):
        raise RunInterrupted("interrupted while waiting for the journal; nothing was sent")
    try:
        check_files(orders_path, file_format, cancel_path, spool, interrupt)
        if before_first_wave is not None:
            before_first_wave()
        try:
            runner = _Runner(
                client=client,
                journal=journal,
                summary=BulkSummary(),
                create_order_first=create_order_first,
                progress=progress,
                interrupt=interrupt,
                max_unreachable=max_unreachable,
            )
            return _send(
                runner,
                spool,
                has_orders=orders_path is not None,
                has_cancels=cancel_path is not None,
                concurrency=concurrency,
                tally=tally,
            )
        finally:
            spool.remove()
    finally:
        journal.release()


def _send(
    runner: _Runner,
    spool: Spool,
    *,
    has_orders: bool,
    has_cancels: bool,
    concurrency: int,
    tally: HttpTally | None,
) -> BulkSummary:
    """Send what the spool holds and earlier runs did not do; see `run_bulk`."""
    summary, journal = runner.summary, runner.journal
    state = journal.load()
    summary.recovered_unknown = state.recovered_unknown
    total = spool.orders + spool.cancels
    progress = runner.progress
    if progress is not None:
        progress.start(total)
    work: queue.Queue[Chunk | None] = queue.Queue(maxsize=concurrency * 2)
    workers = [
        threading.Thread(target=runner.worker, args=(work,), name=f"az-futures-bulk-{n}")
        for n in range(concurrency)
    ]
    started = time.perf_counter()
    rate_limited_before = tally.rate_limited if tally is not None else 0
    reported = 0  # orders and ids skipped so far that the progress bar has been told about
    for thread in workers:
        thread.start()
    try:
        for chunk in pending_batches(
            spool if has_orders else None, spool if has_cancels else None, state, summary
        ):
            if progress is not None:
                skipped = _skipped(summary)
                if skipped > reported:
                    progress.advance(skipped - reported)
                    reported = skipped
            if runner.halted():
                break
            work.put(chunk)
    except BaseException:
        runner.stop.set()  # interrupted without a stop event: send nothing more
        raise
    finally:
        for _ in workers:
            work.put(None)
        for thread in workers:
            thread.join()
        summary.elapsed_s = time.perf_counter() - started
        journal.close(finished=runner.failure is None)
    if runner.failure is not None:
        raise runner.failure
    if tally is not None:
        summary.rate_limited = tally.rate_limited - rate_limited_before
    if runner.halted():
        summary.interrupted = runner.interrupt.is_set()
        # Whatever was neither handled nor skipped never left: the next run sends it.
        summary.not_sent += spool.orders - _orders_handled(summary)
        summary.cancel_not_sent += spool.cancels - _cancels_handled(summary)
    if progress is not None:
        skipped = _skipped(summary)
        if skipped > reported:
            progress.advance(skipped - reported)
    return summary


def _skipped(summary: BulkSummary) -> int:
    return (
        summary.skipped
        + summary.still_unknown
        + summary.skipped_cancels
        + summary.still_unknown_cancels
    )


def _orders_handled(summary: BulkSummary) -> int:
    return (
        summary.placed
        + summary.rejected
        + summary.unknown
        + summary.not_sent
        + summary.skipped
        + summary.still_unknown
    )


def _cancels_handled(summary: BulkSummary) -> int:
    return (
        summary.cancelled
        + summary.cancel_rejected
        + summary.cancel_unknown
        + summary.cancel_not_sent
        + summary.skipped_cancels
        + summary.still_unknown_cancels
    )
