"""Bulk placement through `az-futures batch`: the rate reached against the exchange's limit, and
memory while streaming a huge order file. `python -m bench.bulk [--quick]`.

1. Rate: orders through `az-futures batch` against the sandbox in its own process, with the
   exchange's real limit (200 requests/s per key) and 50 ms added to every answer. Two runs:
   20,000 orders (200 requests: they fit in one window of the sliding limit, so this measures
   how fast the client gets them out) and 200,000 orders (2,000 requests over ten windows:
   the rate the limiter sustains). The figures come from both sides: the command's own summary
   (`--summary-json`: requests over the time spent sending) and the sandbox's `/sandbox/stats`
   (requests per whole second, 429s). The command runs with its rate limiter's admissions and
   releases timed (`--timed-batch`): a request's time in flight (from admission to answer) sets
   the bound of answer-based accounting, `limit / (window + time in flight)` requests per second
   sustained, against which the sustained run is judged.
2. Memory: the peak resident size of a process that reads, checks, spools and batches a
   1,000,000-order file the way `batch` does (`--stream-only`), without sending: what grows with
   the file's size. Sending holds a bounded number of batches whatever the file's size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.common import API_KEY, ROOT, SECRET_KEY, cpus_for, server_process

LIMIT = 200
LATENCY_MS = 50


def write_orders(path: Path, count: int) -> None:
    """`count` distinct limit orders as JSON Lines."""
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            side = "BUY" if i % 2 else "SELL"
            handle.write(
                f'{{"clientOrderId":"bulk-{i:08d}","symbol":"btc_usdt","orderSide":"{side}",'
                f'"orderType":"LIMIT","origQty":"1","price":"39000.{i % 10}",'
                f'"positionSide":"LONG"}}\n'
            )


def timed_batch(timings_file: Path, cli_args: list[str]) -> int:
    """Run `az-futures <cli_args>` in this process, recording when the rate limiter admitted each
    request and when its slot was released (its answer in): what the sustained rate's bound
    depends on. Writes [[admitted, released], ...] in monotonic seconds to `timings_file`."""
    from az_futures import cli  # noqa: PLC0415
    from az_futures._ratelimit import RateLimiter, Slot  # noqa: PLC0415

    acquire, release = RateLimiter.acquire, RateLimiter.release
    admitted: dict[Slot | None, float] = {}
    spans: list[tuple[float, float]] = []

    def timed_acquire(self: RateLimiter) -> Slot | None:
        slot = acquire(self)
        admitted[slot] = time.monotonic()
        return slot

    def timed_release(self: RateLimiter, slot: Slot | None, *, answered: bool = True) -> None:
        released = time.monotonic()  # the moment the slot starts counting for the window
        release(self, slot, answered=answered)
        spans.append((admitted.pop(slot), released))

    RateLimiter.acquire = timed_acquire  # type: ignore[method-assign]
    RateLimiter.release = timed_release  # type: ignore[method-assign]
    try:
        return cli.main(cli_args)
    finally:
        timings_file.write_text(json.dumps(sorted(spans)))


def in_flight_figures(spans: list[list[float]], window_s: float) -> dict[str, Any]:
    """The median time in flight, the sustained bound it implies, and how the run started."""
    if not spans:
        return {}
    in_flight = [released - admitted for admitted, released in spans]
    median = statistics.median(in_flight)
    first = spans[0][0]
    return {
        "in_flight_ms_median": round(median * 1000, 1),
        "in_flight_ms_p90": round(statistics.quantiles(in_flight, n=10)[-1] * 1000, 1)
        if len(in_flight) > 1
        else round(median * 1000, 1),
        "window_s": window_s,
        "bound_per_s": round(LIMIT / (window_s + median), 1),
        "admitted_first_second": sum(1 for admitted, _ in spans if admitted - first < 1.0),
    }


def rate_run(orders: int, work: Path) -> dict[str, Any]:
    """Place `orders` through `az-futures batch` against a rate-limited, slow sandbox."""
    work.mkdir(parents=True, exist_ok=True)
    order_file = work / "orders.jsonl"
    write_orders(order_file, orders)
    summary_file = work / "summary.json"
    timings_file = work / "timings.json"
    env = {**os.environ, "AZ_API_KEY": API_KEY, "AZ_SECRET_KEY": SECRET_KEY}
    args = ("--rate-limit", str(LIMIT), "--latency-ms", str(LATENCY_MS))
    with server_process("bench.sandbox", *args) as url:
        command = [sys.executable, "-m", "bench.bulk", "--timed-batch", str(timings_file)]
        command += ["--", "batch", str(order_file)]
        command += ["--base-url", url, "--journal", str(work / "journal.jsonl")]
        command += ["--summary-json", str(summary_file)]
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
        )
        # On the CPU the sandbox is not pinned to, at once (it spends its first second checking
        # the file): the sandbox stands in for an exchange on another machine, and a client
        # sharing its CPU would measure the sandbox's cost as much as its own.
        client_cpus = cpus_for("client")
        if client_cpus is not None:
            # Gone already (it failed at once: its stderr says why) or not ours to pin: run as is.
            with contextlib.suppress(OSError):
                os.sched_setaffinity(process.pid, client_cpus)
        stdout, stderr = process.communicate()
        completed = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
        wall = time.perf_counter() - started
        from az_futures.sandbox import key_label  # noqa: PLC0415

        keys = httpx.get(f"{url}/sandbox/stats", timeout=5).json()["keys"]
        stats = keys.get(key_label(API_KEY), {})
    if completed.returncode != 0:
        raise SystemExit(f"az-futures batch failed:\n{completed.stderr.decode()}")
    summary = json.loads(summary_file.read_text())
    from az_futures import RateLimit  # noqa: PLC0415

    window_s = RateLimit(requests=LIMIT).window_ms / 1000
    flight = in_flight_figures(json.loads(timings_file.read_text()), window_s)
    per_second = sorted(stats.get("perSecond", {}).items())
    full_seconds = [count for _, count in per_second[1:-1]]  # first and last are partial
    # The steady rate: after the first window's burst, the limiter admits a request once one
    # answered a window ago; the whole seconds between the first and the last (when the file
    # runs out) show that rate alone.
    steady = full_seconds[1:-1]
    return {
        "orders": orders,
        "placed": summary["placed"],
        "requests": summary["requests"],
        "send_seconds": round(summary["elapsed_s"], 3),
        "requests_per_s": round(summary["requests"] / summary["elapsed_s"], 1),
        "share_of_limit": round(summary["requests"] / summary["elapsed_s"] / LIMIT, 3),
        "per_second_counts": [count for _, count in per_second],
        "full_second_counts": full_seconds,
        "steady_per_s": round(sum(steady) / len(steady), 1) if steady else None,
        "max_per_second": stats.get("maxPerSecond", 0),
        "rate_limited_429": stats.get("rateLimited", 0),
        "command_wall_s": round(wall, 2),
        **flight,
        "share_of_bound": round(
            summary["requests"] / summary["elapsed_s"] / flight["bound_per_s"], 3
        )
        if flight
        else None,
    }


def stream_only(order_file: Path, work: Path) -> None:
    """Read, check, spool and batch `order_file` as `batch` does; print the peak RSS in KB."""
    from az_futures._bulk import BulkSummary, Spool, check_files, pending_batches  # noqa: PLC0415
    from az_futures._journal import JournalState  # noqa: PLC0415

    spool = Spool(work / "stream.spool")
    check_files(order_file, "jsonl", None, spool)
    batches = sum(1 for _ in pending_batches(spool, None, JournalState(), BulkSummary()))
    spool.remove()
    print(json.dumps({"batches": batches, "peak_kb": _peak_kb()}))


def _peak_kb() -> int:
    """This process's peak resident size since it started its program.

    `VmHWM` where Linux has it: `ru_maxrss` carries over the parent's size from before `exec`,
    which here is the benchmark's own, not what streaming the file takes.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_run(orders: int, work: Path) -> dict[str, Any]:
    order_file = work / "huge.jsonl"
    write_orders(order_file, orders)
    started = time.perf_counter()
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.bulk", "--stream-only", str(order_file), str(work)],
        capture_output=True,
        check=True,
        cwd=ROOT,
    )
    result = json.loads(completed.stdout.decode().strip().splitlines()[-1])
    return {
        "orders": orders,
        "file_mb": round(order_file.stat().st_size / 2**20, 1),
        "batches": result["batches"],
        "peak_rss_mb": round(result["peak_kb"] / 1024, 1),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bulk", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="5,000 and 100,000 orders")
    parser.add_argument(
        "--stream-only", nargs=2, metavar=("FILE", "WORKDIR"), help=argparse.SUPPRESS
    )
    parser.add_argument("--timed-batch", metavar="TIMINGS", help=argparse.SUPPRESS)
    args, cli_args = parser.parse_known_args(argv)
    if args.timed_batch:
        cli_args = cli_args[1:] if cli_args[:1] == ["--"] else cli_args
        raise SystemExit(timed_batch(Path(args.timed_batch), cli_args))
    if cli_args:
        parser.error(f"unrecognized arguments: {' '.join(cli_args)}")
    if args.stream_only:
        stream_only(Path(args.stream_only[0]), Path(args.stream_only[1]))
        return
    rate_orders, sustained_orders, memory_orders = (
        (5_000, 50_000, 100_000) if args.quick else (20_000, 200_000, 1_000_000)
    )
    with tempfile.TemporaryDirectory(prefix="az-bulk-") as tmp:
        work = Path(tmp)
        rate = rate_run(rate_orders, work / "rate")
        sustained = rate_run(sustained_orders, work / "sustained")
        for run in (rate, sustained):
            steady = f", steady {run['steady_per_s']}/s" if run["steady_per_s"] else ""
            print(
                f"bulk: {run['requests']} requests in {run['send_seconds']} s = "
                f"{run['requests_per_s']}/s ({run['share_of_limit']:.0%} of {LIMIT}/s){steady}, "
                f"429s {run['rate_limited_429']}, busiest second {run['max_per_second']}, "
                f"in flight {run.get('in_flight_ms_median')} ms median: bound "
                f"{run.get('bound_per_s')}/s"
            )
        memory = memory_run(memory_orders, work)
        print(
            f"bulk: streaming {memory['orders']:,} orders ({memory['file_mb']} MB): peak RSS "
            f"{memory['peak_rss_mb']} MB"
        )
    section = {
        "limit_per_s": LIMIT,
        "latency_ms": LATENCY_MS,
        "rate": rate,
        "sustained": sustained,
        "memory": memory,
    }
    report.write_section("bulk", section)
    report.print_bulk_table(section)
    report.render_chart()


if __name__ == "__main__":
    main()
