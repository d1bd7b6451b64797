"""The bulk journal: one JSON line per order's (or cancel id's) outcome, so a run can be resumed.

`<journal>` holds outcomes, the last line for an id winning. Beside it, `<journal>.inflight`
is a write-ahead log: each batch is written there before it is sent, and marked done once its
outcomes are in the journal. Every write reaches the operating system before the next step, which
survives the process being killed; `durable=True` also fsyncs, which survives the machine losing
power, at the cost of disk waits on every batch. After a crash (even SIGKILL), a batch that was in
flight without being marked done has an unknown outcome: its orders are recorded as `unknown` on
the next run and are never resent automatically.

Statuses: `placed` and `cancelled` (done); `unknown` (may or may not have happened: reconcile on
the exchange by client order id, then remove its lines to send it again); `rejected` and
`not_sent` (certainly not done: sent again by the next run). A later line never downgrades an
order recorded as placed or unknown to rejected or not sent: only certainty may be lost, never
the record of a possible placement. A line torn by a crash (no newline, or cut mid-record) makes
the orders it names unknown, never "not sent".

One run at a time: `acquire` takes an exclusive lock (`<journal>.lock`, flock) for the whole run;
two runs on one journal would both send what neither has journaled yet.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Any, Literal

from ._errors import AZError

Status = Literal["placed", "cancelled", "rejected", "unknown", "not_sent"]
FINAL: frozenset[str] = frozenset({"placed", "cancelled", "unknown"})
"""Statuses that a later run does not send again."""
_RANK: dict[str, int] = {"placed": 2, "cancelled": 2, "unknown": 1}
"""A status replaces an earlier one of at least its rank: placed and possibly placed stay."""
_LOCK_POLL_S = 0.2


class JournalLockedError(AZError):
    """Another run holds the journal; nothing was sent."""


def _merge(states: dict[Any, str], key: Any, status: str) -> bool:
    """Record `status` for `key` unless it would downgrade it; True when recorded."""
    current = states.get(key)
    if current is not None and _RANK.get(status, 0) < _RANK.get(current, 0):
        return False
    states[key] = status
    return True


@dataclass
class JournalState:
    """What earlier runs recorded: the last status of each order and cancel id."""

    orders: dict[str, str] = field(default_factory=dict)
    cancels: dict[int, str] = field(default_factory=dict)
    recovered_unknown: int = 0

    def order_done(self, client_order_id: str) -> bool:
        return self.orders.get(client_order_id) in FINAL

    def cancel_done(self, order_id: int) -> bool:
        return self.cancels.get(order_id) in FINAL


class Journal:
    """Appends outcomes durably and keeps the in-flight log; see the module docstring."""

    def __init__(self, path: Path, *, durable: bool = False) -> None:
        self.path = path
        self.durable = durable
        self.inflight_path = path.with_name(path.name + ".inflight")
        self._out: IO[str] | None = None
        self._wal: IO[str] | None = None
        self._lock: IO[str] | None = None

    def load(self) -> JournalState:
        """Read earlier runs' outcomes; record interrupted batches and torn lines as `unknown`."""
        state = JournalState()
        torn_orders: set[str] = set()
        torn_cancels: set[int] = set()
        if self.path.exists():
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                for text in handle:
                    entry = _parse(text)
                    if entry is None or "status" not in entry:
                        # Torn by a crash mid-write, maybe glued to the next run's first line:
                        # what it names may have been placed.
                        if text.strip():
                            orders, cancels = _named(text)
                            torn_orders.update(
                                o for o in orders if _merge(state.orders, o, "unknown")
                            )
                            torn_cancels.update(
                                c for c in cancels if _merge(state.cancels, c, "unknown")
                            )
                        continue
                    status = str(entry["status"])
                    if "clientOrderId" in entry:
                        _merge(state.orders, str(entry["clientOrderId"]), status)
                    elif "cancelOrderId" in entry:
                        _merge(state.cancels, int(entry["cancelOrderId"]), status)
        for client_order_id in sorted(torn_orders):
            if state.orders.get(client_order_id) == "unknown":
                self.record_order(client_order_id, "unknown", reason=_TORN)
                state.recovered_unknown += 1
        for order_id in sorted(torn_cancels):
            if state.cancels.get(order_id) == "unknown":
                self.record_cancel(order_id, "unknown", reason=_TORN)
        for batch in self._interrupted():
            for client_order_id in batch.get("clientOrderIds", []):
                if state.orders.get(client_order_id) in (None, "rejected", "not_sent"):
                    self.record_order(client_order_id, "unknown", reason=_INTERRUPTED)
                    state.orders[client_order_id] = "unknown"
                    state.recovered_unknown += 1
            for order_id in batch.get("cancelOrderIds", []):
                if state.cancels.get(order_id) not in FINAL:
                    self.record_cancel(order_id, "unknown", reason=_INTERRUPTED)
                    state.cancels[order_id] = "unknown"
        self.sync()
        self._reset_inflight()
        return state

    def _interrupted(self) -> list[dict[str, Any]]:
        """Batches written to the in-flight log and never marked done."""
        if not self.inflight_path.exists():
            return []
        started: dict[str, dict[str, Any]] = {}
        with self.inflight_path.open(encoding="utf-8") as handle:
            for text in handle:
                entry = _parse(text)
                if entry is None:
                    continue
                if "done" in entry:
                    started.pop(str(entry["done"]), None)
                elif "batch" in entry:
                    started[str(entry["batch"])] = entry
        return list(started.values())

    def _reset_inflight(self) -> None:
        if self._wal is not None:
            self._wal.close()
        self._wal = self.inflight_path.open("w", encoding="utf-8")
        self._flush(self._wal)

    def open(self) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            torn = _lacks_final_newline(self.path)
            self._out = self.path.open("a", encoding="utf-8")
            if torn:  # never glue a new record onto a line torn by a crash
                self._out.write("\n")

    # --- the run's lock -------------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def acquire(self, *, wait: bool = False, stop: threading.Event | None = None) -> bool:
        """Lock the journal for this run: at once, or raise `JournalLockedError` naming the
        holder; with `wait`, poll until it is free (False when `stop` is set meanwhile)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            handle = self.lock_path.open("a+", encoding="utf-8")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = _holder(handle.read())
                handle.close()
                if not wait:
                    raise JournalLockedError(
                        f"the journal {self.path} is in use by another run ({holder}); two runs "
                        "on one journal would place the same orders twice. Wait for that run to "
                        "end (or pass --wait to wait for it), or give this run its own --journal"
                    ) from None
                if stop is not None and stop.wait(_LOCK_POLL_S):
                    return False
                if stop is None:
                    time.sleep(_LOCK_POLL_S)
                continue
            if _same_file(handle, self.lock_path):
                break
            handle.close()  # the holder removed it as we opened it: lock the new one
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": datetime.now(UTC).isoformat(timespec="seconds"),
                }
            )
        )
        handle.flush()
        self._lock = handle
        return True

    def release(self) -> None:
        """Unlock the journal; the lock file goes first, so no one locks a file being removed
        (`acquire` checks that the file it locked is still the one at the path)."""
        if self._lock is not None:
            self.lock_path.unlink(missing_ok=True)
            self._lock.close()
            self._lock = None

    def begin(self, client_order_ids: Iterable[str], cancel_order_ids: Iterable[int]) -> str:
        """Log a batch as in flight, durably, before it is sent; returns its token."""
        token = uuid.uuid4().hex
        self._write_wal(
            {
                "batch": token,
                "clientOrderIds": list(client_order_ids),
                "cancelOrderIds": list(cancel_order_ids),
            }
        )
        return token

    def end(self, token: str) -> None:
        """Mark a batch done, once its outcomes are in the journal (call `sync` first)."""
        self._write_wal({"done": token})

    def record_order(
        self,
        client_order_id: str,
        status: Status,
        *,
        order_id: int | None = None,
        state: int | str | None = None,
        reason: str | None = None,
        line: int | None = None,
    ) -> None:
        self._write_text(_order_entry((client_order_id, status, order_id, state, reason, line)))

    def record_orders(self, entries: Iterable[OrderEntry]) -> None:
        """`record_order` for many orders, in one write: a batch's outcomes."""
        self._write_text("".join(map(_order_entry, entries)))

    def record_cancel(
        self,
        order_id: int,
        status: Status,
        *,
        state: int | str | None = None,
        reason: str | None = None,
    ) -> None:
        entry: dict[str, Any] = {"cancelOrderId": order_id, "status": status}
        if state is not None:
            entry["state"] = state
        if reason:
            entry["reason"] = reason
        self._write(entry)

    def _write(self, entry: dict[str, Any]) -> None:
        self._write_text(_encode(entry) + "\n")

    def _write_text(self, lines: str) -> None:
        self.open()
        assert self._out is not None
        self._out.write(lines)

    def _write_wal(self, entry: dict[str, Any]) -> None:
        if self._wal is None:
            self._reset_inflight()
        assert self._wal is not None
        self._wal.write(_encode(entry) + "\n")
        self._flush(self._wal)

    def sync(self) -> None:
        """Make every outcome written so far durable."""
        if self._out is not None:
            self._flush(self._out)

    def _flush(self, handle: IO[str]) -> None:
        handle.flush()
        if self.durable:
            os.fsync(handle.fileno())

    def close(self, *, finished: bool) -> None:
        """Close the files; a finished run leaves no in-flight log behind."""
        self.sync()
        if self._out is not None:
            self._out.close()
            self._out = None
        if self._wal is not None:
            self._wal.close()
            self._wal = None
        if finished:
            self.inflight_path.unlink(missing_ok=True)


# One encoder for every line: `json.dumps` with options builds a new one per call.
# ASCII lines: a client order id echoed by the exchange may hold what UTF-8 cannot encode (a lone
# surrogate from a `\ud800` escape), and one such line must not lose its batch's others.
_encode = json.JSONEncoder(separators=(",", ":")).encode
_quote = encode_basestring_ascii  # a str as a JSON string, in C, as `_encode` writes it

OrderEntry = tuple[str, Status, int | None, int | str | None, str | None, int | None]
"""An order's journal entry: client order id, status, order id, state, reason, line."""


def _order_entry(entry: OrderEntry) -> str:
    """An order's journal line: the same text as `_encode` of the entry's dict, built directly
    (a batch's hundred outcomes are written while the HTTP threads wait for the GIL)."""
    client_order_id, status, order_id, state, reason, line = entry
    text = f'{{"clientOrderId":{_quote(client_order_id)},"status":"{status}"'
    if order_id is not None:
        text += f',"orderId":{int(order_id)}'
    if state is not None:
        text += f',"state":{_quote(state) if isinstance(state, str) else int(state)}'
    if reason:
        text += f',"reason":{_quote(reason)}'
    if line is not None:
        text += f',"line":{int(line)}'
    return text + "}\n"


_INTERRUPTED = "the run stopped while this batch was in flight; reconcile on the exchange"
_TORN = "its journal line was torn by a crash mid-write; reconcile on the exchange"
_NAMED_ORDER = re.compile(r'"clientOrderId":("(?:[^"\\]|\\.)*")')
_NAMED_CANCEL = re.compile(r'"cancelOrderId":(\d+)')


def _named(text: str) -> tuple[list[str], list[int]]:
    """The client order ids and cancel ids a torn line names in full."""
    orders: list[str] = []
    for literal in _NAMED_ORDER.findall(text):
        try:
            orders.append(str(json.loads(literal)))
        except ValueError:
            continue
    return orders, [int(value) for value in _NAMED_CANCEL.findall(text)]


def _lacks_final_newline(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except FileNotFoundError:
        return False


def _same_file(handle: IO[str], path: Path) -> bool:
    try:
        return os.fstat(handle.fileno()).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False


def _holder(text: str) -> str:
    """Who holds a lock, from its file's text, for the refusal message."""
    try:
        info = json.loads(text)
        return f"pid {int(info['pid'])} on {info['host']}, since {info['since']}"
    except (ValueError, KeyError, TypeError):
        return "its process did not say who it is"


def _parse(text: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None
