"""The bulk journal: one JSON line per order's (or cancel id's) outcome, so a run can be resumed.

`<journal>` holds outcomes, the last line for an id winning. Beside it, `<journal>.inflight`
is a write-ahead log: each batch is written there before it is sent, and marked done once its
outcomes are in the journal. Every write reaches the operating system before the next step, which
survives the process being killed; `durable=True` also fsyncs, which survives the machine losing
power, at the cost of disk waits on every batch. After a crash (even SIGKILL), a batch that was in
flight without being marked done has an unknown outcome: its orders are recorded as `unknown` on
the next run and are never resent automatically.

Statuses: `placed` and `cancelled` (done); `unknown` (may or may not have happened: reconcile on
the exchange by client order id, then remove the line to send it again); `rejected` and
`not_sent` (certainly not done: sent again by the next run).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import IO, Any, Literal

Status = Literal["placed", "cancelled", "rejected", "unknown", "not_sent"]
FINAL: frozenset[str] = frozenset({"placed", "cancelled", "unknown"})
"""Statuses that a later run does not send again."""


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

    def load(self) -> JournalState:
        """Read earlier runs' outcomes; record interrupted batches as `unknown`."""
        state = JournalState()
        if self.path.exists():
            with self.path.open(encoding="utf-8") as handle:
                for text in handle:
                    entry = _parse(text)
                    if entry is None:
                        continue  # a line torn by a crash mid-write
                    if "clientOrderId" in entry:
                        state.orders[str(entry["clientOrderId"])] = str(entry["status"])
                    elif "cancelOrderId" in entry:
                        state.cancels[int(entry["cancelOrderId"])] = str(entry["status"])
        interrupted = self._interrupted()
        if interrupted:
            self.open()
            for batch in interrupted:
                for client_order_id in batch.get("clientOrderIds", []):
                    if client_order_id not in state.orders or state.orders[client_order_id] in (
                        "rejected",
                        "not_sent",
                    ):
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
            self._out = self.path.open("a", encoding="utf-8")

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


def _parse(text: str) -> dict[str, Any] | None:
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None
