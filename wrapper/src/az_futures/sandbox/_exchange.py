"""The exchange's state: orders per API key, and the traffic and faults around them.

The order book is deliberately simple (orders rest until cancelled; nothing fills) because what a
batch client must get right is the bookkeeping the real exchange exposes: increasing order ids,
per-order states, `clientOrderId` uniqueness among open orders, and the order in which placements
and cancellations of one batch run.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from ._config import SandboxConfig
from ._faults import Fault, FaultPicker, Faults
from ._traffic import Admission, KeyStats, SandboxStats, SlidingWindowLimiter
from ._validation import OrderRequest, ReceivedBatch

FIRST_ORDER_ID = 100001

OK = "OK"
PLATFORM_REJECT = "PLATFORM_REJECT"
ORDER_CANCELED = "ORDER_CANCELED"

OrderStatus = Literal["OPEN", "CANCELED"]


@dataclass(frozen=True, slots=True)
class BookOrder:
    """An order the exchange accepted, with its exact decimal quantity and prices."""

    order_id: int
    client_order_id: str
    symbol: str
    order_side: str
    order_type: str
    orig_qty: Decimal
    position_side: str
    time_in_force: str
    price: Decimal | None
    trigger_profit_price: Decimal | None
    trigger_stop_price: Decimal | None
    state: OrderStatus = "OPEN"

    @classmethod
    def placed(cls, order_id: int, request: OrderRequest) -> BookOrder:
        """The open order created from `request`."""
        return cls(
            order_id=order_id,
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            order_side=request.order_side,
            order_type=request.order_type,
            orig_qty=request.orig_qty,
            position_side=request.position_side,
            time_in_force=request.time_in_force,
            price=request.price,
            trigger_profit_price=request.trigger_profit_price,
            trigger_stop_price=request.trigger_stop_price,
        )


@dataclass(frozen=True, slots=True)
class SandboxCreateResult:
    """The outcome of one placement: `OK` with an order id, or a rejection without one."""

    client_order_id: str
    order_id: int | None
    state: str


@dataclass(frozen=True, slots=True)
class SandboxCancelResult:
    """The outcome of one cancellation: `OK`, `ORDER_CANCELED` or `PLATFORM_REJECT`."""

    order_id: int
    state: str


@dataclass(frozen=True, slots=True)
class SandboxBatchResult:
    """Per-order outcomes in the order of the request's lists."""

    creates: tuple[SandboxCreateResult, ...]
    cancels: tuple[SandboxCancelResult, ...]


class _Book:
    """One API key's orders: by id, and the open ones by `clientOrderId`."""

    __slots__ = ("open_by_client_id", "orders")

    def __init__(self) -> None:
        self.orders: dict[int, BookOrder] = {}
        self.open_by_client_id: dict[str, int] = {}


class Exchange:
    """The sandbox's whole state, shared by the app (event loop) and tests (other threads).

    Every read and write happens under one lock, so snapshots taken from a test thread are
    consistent with what the event loop has answered.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._lock = threading.Lock()
        self._picker = FaultPicker(config.faults)
        self._limiter = SlidingWindowLimiter(config.rate_limit_per_second)
        self._books: dict[str, _Book] = {}
        self._ids = itertools.count(FIRST_ORDER_ID)
        self._stats = SandboxStats()

    @property
    def config(self) -> SandboxConfig:
        """The configuration the sandbox was started with (faults may since have changed)."""
        return self._config

    def now_ms(self) -> int:
        """The server's clock: local Unix time in ms plus the configured skew."""
        return time.time_ns() // 1_000_000 + self._config.server_clock_skew_ms

    # Faults

    @property
    def faults(self) -> Faults:
        """The faults injected now."""
        return self._picker.faults

    def set_faults(self, faults: Faults) -> None:
        """Inject `faults` from the next request on (the seeded stream restarts)."""
        self._picker.set(faults)

    def draw_fault(self) -> Fault | None:
        """The fault the current request meets, counted in the stats."""
        fault = self._picker.draw()
        if fault is not None:
            with self._lock:
                counts = self._stats.faults
                counts[fault.value] = counts.get(fault.value, 0) + 1
        return fault

    # Traffic

    def record_unauthenticated(self) -> None:
        """Count a request without signing headers or with an unknown key."""
        with self._lock:
            self._stats.unauthenticated += 1

    def record_auth_failure(self, api_key: str) -> None:
        """Count a request of a known key refused for its signature or timestamp."""
        with self._lock:
            self._key_stats(api_key).auth_failures += 1

    def admit(self, api_key: str) -> Admission:
        """Count an authenticated request and apply the rate limit to it."""
        with self._lock:
            admission = self._limiter.admit(api_key, time.monotonic())
            stats = self._key_stats(api_key)
            stats.requests += 1
            second = self.now_ms() // 1000
            count = stats.per_second.get(second, 0) + 1
            stats.per_second[second] = count
            stats.max_per_second = max(stats.max_per_second, count)
            if not admission.admitted:
                stats.rate_limited += 1
            return admission

    def _key_stats(self, api_key: str) -> KeyStats:
        return self._stats.keys.setdefault(api_key, KeyStats())

    def stats(self) -> SandboxStats:
        """A snapshot of the traffic so far."""
        with self._lock:
            return self._stats.copy()

    # Orders

    def process(self, api_key: str, batch: ReceivedBatch) -> SandboxBatchResult:
        """Apply a checked batch for `api_key`: placements and cancellations in the asked order."""
        with self._lock:
            book = self._books.setdefault(api_key, _Book())
            if batch.create_order_first:
                creates = self._place(book, batch)
                cancels = self._cancel(book, batch)
            else:
                cancels = self._cancel(book, batch)
                creates = self._place(book, batch)
            self._key_stats(api_key).batches += 1
            return SandboxBatchResult(creates, cancels)

    def _place(self, book: _Book, batch: ReceivedBatch) -> tuple[SandboxCreateResult, ...]:
        results: list[SandboxCreateResult] = []
        for request in batch.create_orders:
            if request.client_order_id in book.open_by_client_id:
                results.append(SandboxCreateResult(request.client_order_id, None, PLATFORM_REJECT))
                continue
            order_id = next(self._ids)
            book.orders[order_id] = BookOrder.placed(order_id, request)
            book.open_by_client_id[request.client_order_id] = order_id
            results.append(SandboxCreateResult(request.client_order_id, order_id, OK))
        return tuple(results)

    def _cancel(self, book: _Book, batch: ReceivedBatch) -> tuple[SandboxCancelResult, ...]:
        results: list[SandboxCancelResult] = []
        for order_id in batch.cancel_order_ids:
            order = book.orders.get(order_id)
            if order is None:
                state = PLATFORM_REJECT
            elif order.state == "CANCELED":
                state = ORDER_CANCELED
            else:
                book.orders[order_id] = replace(order, state="CANCELED")
                del book.open_by_client_id[order.client_order_id]
                state = OK
            results.append(SandboxCancelResult(order_id, state))
        return tuple(results)

    def orders(self, api_key: str) -> list[BookOrder]:
        """Every order of `api_key`, oldest first, cancelled ones included."""
        with self._lock:
            book = self._books.get(api_key)
            return [] if book is None else list(book.orders.values())

    def order(self, api_key: str, order_id: int) -> BookOrder | None:
        """The order `order_id` of `api_key`, if it exists."""
        with self._lock:
            book = self._books.get(api_key)
            return None if book is None else book.orders.get(order_id)

    def open_order(self, api_key: str, client_order_id: str) -> BookOrder | None:
        """The open order of `api_key` with this `clientOrderId`, if any."""
        with self._lock:
            book = self._books.get(api_key)
            if book is None or client_order_id not in book.open_by_client_id:
                return None
            return book.orders[book.open_by_client_id[client_order_id]]

    def reset(self) -> None:
        """Forget every order and every counter; ids start again at `FIRST_ORDER_ID`."""
        with self._lock:
            self._books.clear()
            self._ids = itertools.count(FIRST_ORDER_ID)
            self._stats = SandboxStats()
            self._limiter.clear()
