"""What every benchmark shares: the batch, the keys, the servers and the statistics.

Each benchmark module (`bench.batch`, later `bench.bulk`) measures one thing and writes its own
section of `bench/results/latest.json` through `bench.report`; nothing here measures.
"""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from az_futures_client.api.trade import batch_orders as _batch_endpoint

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BATCH_PATH: str = _batch_endpoint.PATH
"""The batch operation's path, from the generated endpoint: where the SDK posts, so a path moved
in the spec moves every contender with it."""
BATCH_SIZE = 100

# The sandbox's published demo pair (`az_futures.sandbox.DEMO_API_KEY`), spelled out so that the
# minimal server's benchmark needs no sandbox extra; `bench.batch` checks they agree.
API_KEY = "az-sandbox-demo-key"
SECRET_KEY = "az-sandbox-demo-secret"  # noqa: S105 - a published demo secret
RECV_WINDOW = "5000"

_SERVER_START_TIMEOUT_S = 30.0


def client_order_ids(count: int = BATCH_SIZE) -> list[str]:
    """The benchmark batch's client order ids."""
    return [f"bench-{i}" for i in range(count)]


def order_fields(count: int = BATCH_SIZE) -> list[dict[str, str]]:
    """The benchmark batch as the exchange's order objects (wire names, decimal strings).

    Alternating bids and asks around 39000 with prices of varying length, every third one GTX:
    what a market maker's quote refresh looks like.
    """
    orders: list[dict[str, str]] = []
    for i, cid in enumerate(client_order_ids(count)):
        buy = i % 2 == 0
        fields = {
            "clientOrderId": cid,
            "symbol": "btc_usdt",
            "orderSide": "BUY" if buy else "SELL",
            "orderType": "LIMIT",
            "origQty": f"{1 + i % 7}.{i % 10}",
            "positionSide": "LONG" if buy else "SHORT",
            "price": f"{39000 - i if buy else 39001 + i}.{(i * 37) % 100:02d}",
        }
        if i % 3 == 0:
            fields["timeInForce"] = "GTX"
        orders.append(fields)
    return orders


def _price_offsets_cents(count: int) -> list[int]:
    """Each order's distance from the mid in cents: bids below, asks above, as `order_fields`."""
    return [
        -(i * 100 + (i * 37) % 100) if i % 2 == 0 else 100 + i * 100 + (i * 37) % 100
        for i in range(count)
    ]


_OFFSETS = _price_offsets_cents(BATCH_SIZE)
_MID_CENTS = 3_900_000


def quote_prices(tick: int) -> list[str]:
    """The batch's 100 prices at quote refresh number `tick`, as decimal strings.

    The mid moves by a cent every refresh (wrapping after 10,000), so each call sends prices it
    did not send the call before: what the `fresh` contenders build their orders from. Both the
    SDK's and the hand-rolled fresh contender call this, so its cost is on both sides.
    """
    mid = _MID_CENTS + tick % 10_000
    return [f"{(cents := mid + offset) // 100}.{cents % 100:02d}" for offset in _OFFSETS]


def quote_slots() -> list[tuple[str, str, str, str, str | None]]:
    """What stays the same between quote refreshes, per order of the batch: client order id,
    side, position side, quantity and time in force (None: the exchange's default)."""
    return [
        (
            fields["clientOrderId"],
            fields["orderSide"],
            fields["positionSide"],
            fields["origQty"],
            fields.get("timeInForce"),
        )
        for fields in order_fields()
    ]


@dataclass(frozen=True, slots=True)
class Summary:
    """Median and 90th percentile of one series, in milliseconds."""

    median_ms: float
    p90_ms: float
    samples: int

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Summary:
        ordered = sorted(seconds)
        p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
        return cls(statistics.median(ordered) * 1000, p90 * 1000, len(ordered))


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "system": f"{platform.system()} {platform.release()}",
    }


def cpus_for(role: str) -> set[int] | None:
    """The CPU the server (`"server"`) or the clients (`"client"`) are pinned to, or None.

    With two CPUs or more the server gets the first and every client the last, so that where the
    scheduler happens to put a process does not differ between contenders (on a 2-vCPU machine a
    client sharing its CPU with the server, or not, moves its figures by a tenth).
    """
    if not hasattr(os, "sched_getaffinity"):
        return None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None
    return {available[0]} if role == "server" else {available[-1]}


def pin(role: str) -> None:
    """Pin the calling process to its role's CPU (`cpus_for`), where the platform allows."""
    cpus = cpus_for(role)
    if cpus is not None:
        os.sched_setaffinity(0, cpus)


@contextlib.contextmanager
def server_process(module: str, *args: str) -> Iterator[str]:
    """Run `python -m <module> <args>` until the block ends; yield its base URL.

    The server prints `READY <port>` once it accepts connections and exits when its stdin closes,
    so it never outlives the benchmark.
    """
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.startswith("READY "):
            raise RuntimeError(f"{module} did not start (said {line!r})")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(_SERVER_START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
