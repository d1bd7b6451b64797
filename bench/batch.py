"""Per-batch client cost: the SDK against raw httpx (the floor), hand-rolled clients and peers.

Every contender sends the same signed 100-order batch (`bench.common.order_fields`) to one local
server in its own process: by default `bench.server`, a minimal keep-alive server answering a fixed
success envelope, so that what is measured is the client alone; `--server sandbox` uses the
sandbox exchange instead (`bench.sandbox`, rate limit lifted).

Each contender runs in a process of its own (`bench.worker`), so that one library's imports, heap
and garbage collections never land on another's figures. Per call: CPU time of that client
process (`time.process_time`; the server's CPU is not in it) and wall time. Rounds are
interleaved (A B C ... A B C ..., the order rotated every round) after a warm-up. Reported:
medians and 90th percentiles of all calls, and ratios to the floor paired by round (the median
over rounds of the contender's median over the floor's median in the same round), which holds
still when the machine's speed drifts during the run. Nothing here fails on timing: the target is
reported, not asserted.

Before measuring, correctness: the SDK's signatures are checked against the reference message
builder, and every contender sends one batch to a sandbox exchange, which verifies its signature
(a client that signs wrongly shows as refused, instead of looking cheap). The SDK's hot path is
also timed step by step without the network, and profiled (`bench/results/profile-*.txt`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import email.utils
import importlib.metadata
import io
import json
import pstats
import statistics
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from bench import report
from bench.common import (
    API_KEY,
    BATCH_PATH,
    RESULTS,
    SECRET_KEY,
    Summary,
    client_order_ids,
    cpus_for,
    order_fields,
    quote_prices,
    quote_slots,
    server_process,
)
from bench.contenders import CONTENDERS, Contender
from bench.worker import WorkerProcess

TARGET_RATIO = 1.10
"""Issue 11's target for pre-built orders: CPU per batch <= 1.10x the floor (sync and async)."""
FLOOR = "floor"
ASYNC_FLOOR = "floor_async"
FRESH_PAIRS = {"sdk_json_fresh": "hand_httpx_fresh"}
"""SDK contenders measured against a hand-rolled twin doing the same work without checks."""
FRESH_TARGET = 1.00
"""Issue 11's target for fresh orders: the SDK <= 1.00x its hand-rolled twin."""
PEER_PACKAGES = ("httpx", "requests", "ccxt", "pyxt", "az-futures")


# --- measuring -----------------------------------------------------------------------------------


@dataclass
class RaceResult:
    """Per-call seconds by contender, one list per round, and why some contenders did not run."""

    cpu: dict[str, list[list[float]]] = field(default_factory=dict)
    wall: dict[str, list[list[float]]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def race(
    contenders: tuple[Contender, ...], base_url: str, *, rounds: int, calls: int, warmup: int
) -> RaceResult:
    """Interleaved rounds of `calls` calls per contender, each contender in its own process.

    The order of the contenders is rotated every round, so that none always follows another.
    """
    workers: dict[str, WorkerProcess] = {}
    result = RaceResult()

    def block(key: str, count: int, *, record: bool) -> None:
        try:
            block_cpu, block_wall = workers[key].run(count)
        except RuntimeError as error:  # a client that breaks is reported, not fatal
            result.unavailable[key] = f"failed: {error}"
            workers.pop(key).close()
            return
        if record:
            result.cpu.setdefault(key, []).append(block_cpu)
            result.wall.setdefault(key, []).append(block_wall)

    try:
        for contender in contenders:
            worker = WorkerProcess(contender.key, base_url, sdk_path=contender.sdk_path)
            if worker.unavailable is not None:
                result.unavailable[contender.key] = worker.unavailable
                worker.close()
            else:
                workers[contender.key] = worker
        for key in list(workers):
            if warmup:
                block(key, warmup, record=False)
        keys = list(workers)
        for round_index in range(rounds):
            shift = round_index % max(1, len(keys))
            for key in keys[shift:] + keys[:shift]:
                if key in workers:
                    block(key, calls, record=True)
    finally:
        for worker in workers.values():
            worker.close()
    return result


# --- correctness before speed --------------------------------------------------------------------


def acceptance(contenders: tuple[Contender, ...]) -> dict[str, dict[str, object]]:
    """One batch per contender to a sandbox exchange, which verifies signatures and bodies."""
    verdicts: dict[str, dict[str, object]] = {}
    try:
        context = server_process("bench.sandbox")
        base_url = context.__enter__()
    except Exception as error:  # no sandbox extra: say so instead of failing the benchmark
        return {
            c.key: {"accepted": None, "detail": f"sandbox unavailable: {error}"} for c in contenders
        }
    try:
        raced = race(contenders, base_url, rounds=1, calls=1, warmup=0)
        for contender in contenders:
            if contender.key in raced.unavailable:
                verdicts[contender.key] = {
                    "accepted": False,
                    "detail": raced.unavailable[contender.key],
                }
            else:
                verdicts[contender.key] = {
                    "accepted": bool(raced.cpu.get(contender.key)),
                    "detail": "HTTP 200, returnCode 0 from the sandbox's signature check",
                }
    finally:
        context.__exit__(None, None, None)
    return verdicts


def check_sdk_signatures() -> dict[str, bool]:
    """The SDK's signatures equal the reference message builder's, per encoding, and it posts to
    the generated endpoint's path."""
    import httpx  # noqa: PLC0415
    from az_futures import Client, Encoding  # noqa: PLC0415
    from az_futures._signing import sign, signing_message  # noqa: PLC0415
    from az_futures_client.api.trade import batch_orders as endpoint  # noqa: PLC0415

    from bench.contenders import _sdk_orders  # noqa: PLC0415

    checks: dict[str, bool] = {}
    encodings: tuple[Encoding, ...] = ("json", "form")
    for encoding in encodings:
        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)  # noqa: B023 - used within the iteration
            return httpx.Response(200, content=_envelope())

        with Client(
            base_url="http://bench.invalid",
            api_key=API_KEY,
            secret_key=SECRET_KEY,
            encoding=encoding,
            rate_limit=None,
            http_client=httpx.Client(transport=httpx.MockTransport(answer)),
        ) as client:
            client.batch_orders(_sdk_orders())
        (request,) = seen
        path = request.url.path
        message = signing_message(
            api_key=API_KEY,
            timestamp=request.headers["validate-timestamp"],
            path=path,
            body=request.content,
            content_type=request.headers["content-type"],
        )
        checks[encoding] = (
            path == endpoint.PATH == BATCH_PATH
            and request.method == endpoint.METHOD
            and sign(SECRET_KEY, message) == request.headers["validate-signature"]
        )
    if not all(checks.values()):
        raise AssertionError(f"the SDK's signatures or path differ from the reference: {checks}")
    return checks


def _envelope() -> bytes:
    from bench.server import success_body  # noqa: PLC0415

    return success_body(client_order_ids())


# --- the SDK's hot path, piece by piece ----------------------------------------------------------


def hot_path() -> dict[str, float]:
    """Microseconds per batch of each step of `Client.batch_orders`, without the network, and
    of the hand-rolled fresh contender's steps beside them."""
    import httpx  # noqa: PLC0415
    import orjson  # noqa: PLC0415 - the SDK's dependency
    from az_futures import Client, Encoding, Order, build_batch  # noqa: PLC0415
    from az_futures._batch_orders import prepare  # noqa: PLC0415
    from az_futures._encoding import encode  # noqa: PLC0415

    from bench.contenders import (  # noqa: PLC0415
        _COMPACT,
        _signed_headers,
        fresh_dicts,
        fresh_sdk_orders,
    )

    fields = order_fields()
    orders = [Order.from_mapping(f) for f in fields]
    batch = build_batch(orders)
    wire = batch.to_wire()
    slots = quote_slots()
    content = _envelope()
    date = email.utils.formatdate(usegmt=True)

    def fresh_orders() -> list[Any]:
        return fresh_sdk_orders(slots, quote_prices(7))

    dicts = fresh_dicts(7)
    hand_body = json.dumps({"createOrderFirst": True, "createOrders": dicts}, separators=_COMPACT)
    steps: dict[str, Callable[[], object]] = {
        "quote_prices (100 new price strings, both fresh rows)": partial(quote_prices, 7),
        "fresh: 100 Order(...) incl. quote_prices": fresh_orders,
        "orders_from_dicts (100 Order.from_mapping, not per batch)": lambda: [
            Order.from_mapping(f) for f in fields
        ],
        "build_batch (validate 100 built Orders)": lambda: build_batch(orders),
        "batch.to_wire (100 order dict copies)": batch.to_wire,
    }
    encodings: tuple[Encoding, ...] = ("json", "form")
    for encoding in encodings:
        client = Client(
            base_url="http://bench.invalid",
            api_key=API_KEY,
            secret_key=SECRET_KEY,
            encoding=encoding,
            rate_limit=None,
        )
        call = prepare(encoding, orders, (), True)
        request = client._build(call)
        steps[f"encode {encoding} (of a ready wire dict)"] = partial(encode, wire, encoding)
        steps[f"prepare {encoding} (build_batch + to_wire + encode + Call)"] = partial(
            prepare, encoding, orders, (), True
        )
        steps[f"core.build {encoding} (httpx.Request)"] = partial(client._build, call)
        steps[f"core.sign {encoding} (stamp, signing_message, HMAC, headers)"] = partial(
            client._sign, request
        )
        if encoding == "json":
            response = httpx.Response(
                200, content=content, headers={"date": date, "content-type": "application/json"}
            )
            read = partial(client._read, call, response, 0)
            steps["core.read (json.loads, checks, BatchResult)"] = read
            steps["core.read + result.created (100 typed results)"] = partial(_read_created, read)
        client.close()
    steps["hand-rolled: 100 dicts incl. quote_prices"] = partial(fresh_dicts, 7)
    steps["hand-rolled: json.dumps + encode"] = lambda: json.dumps(
        {"createOrderFirst": True, "createOrders": dicts}, separators=_COMPACT
    ).encode()
    steps["hand-rolled: hmac sign + headers"] = partial(_signed_headers, hand_body.encode())
    steps["hand-rolled: json.loads of the answer"] = partial(json.loads, content)
    # What a hand-rolled client would save with the SDK's JSON library (for the README's account).
    steps["for reference: orjson.dumps of the hand-rolled body"] = partial(
        orjson.dumps, {"createOrderFirst": True, "createOrders": dicts}
    )
    steps["for reference: orjson.loads of the answer"] = partial(orjson.loads, content)
    figures: dict[str, float] = {}
    for name, step in steps.items():
        number = 200
        best = min(timeit.repeat(step, number=number, repeat=7)) / number
        figures[name] = round(best * 1e6, 1)
    return figures


def _read_created(read: Callable[[], Any]) -> int:
    return len(read().created)


def profile(base_url: str, calls: int) -> dict[str, str]:
    """cProfile of the SDK's sync and async JSON calls, and of the sync call with 100 fresh
    `Order(...)` each; the reports go to bench/results/."""
    from bench.contenders import _sdk, _sdk_async, _sdk_fresh  # noqa: PLC0415

    paths: dict[str, str] = {}
    for name, build in (("sync", _sdk("json")), ("async", _sdk_async), ("fresh", _sdk_fresh)):
        runner = build(base_url)
        loop = asyncio.new_event_loop()
        try:
            profiler = cProfile.Profile()
            if runner.acall is not None:
                acall = runner.acall

                async def many() -> None:
                    for _ in range(calls):
                        await acall()  # noqa: B023 - awaited within the iteration

                loop.run_until_complete(many())  # warm-up
                profiler.enable()
                loop.run_until_complete(many())
                profiler.disable()
                assert runner.aclose is not None
                loop.run_until_complete(runner.aclose())
            else:
                assert runner.call is not None
                for _ in range(calls):
                    runner.call()
                profiler.enable()
                for _ in range(calls):
                    runner.call()
                profiler.disable()
                runner.close()
        finally:
            loop.close()
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
        path = RESULTS / f"profile-sdk-json-{name}.txt"
        path.write_text(f"cProfile of {calls} calls of the SDK ({name}, json)\n" + text.getvalue())
        paths[name] = str(path.relative_to(RESULTS.parent.parent))
    return paths


# --- the whole benchmark -------------------------------------------------------------------------


def _versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in PEER_PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Measure everything and return the `batch` section of the results."""
    selected = tuple(c for c in CONTENDERS if not args.only or c.key in args.only)
    selected += tuple(_variants(selected, args.variant))
    print("checking the SDK's signatures against the reference message builder ...", flush=True)
    signatures = check_sdk_signatures()
    print("sending one batch per contender to a sandbox exchange ...", flush=True)
    accepted = acceptance(selected)
    print("timing the SDK's hot path ...", flush=True)
    steps = hot_path()
    module = "bench.server" if args.server == "minimal" else "bench.sandbox"
    with server_process(module) as base_url:
        print(
            f"racing {len(selected)} contenders on {args.server} server {base_url}: "
            f"{args.rounds} rounds x {args.calls} calls after {args.warmup} warm-up calls ...",
            flush=True,
        )
        started = time.perf_counter()
        raced = race(selected, base_url, rounds=args.rounds, calls=args.calls, warmup=args.warmup)
        elapsed = time.perf_counter() - started
        profiles = profile(base_url, args.profile_calls) if args.profile_calls else {}

    rows: list[dict[str, Any]] = []
    for contender in selected:
        row: dict[str, Any] = {
            "key": contender.key,
            "name": contender.name,
            "note": contender.note,
            "async": contender.is_async,
            "accepted_by_sandbox": accepted.get(contender.key, {}).get("accepted"),
        }
        if contender.key in raced.unavailable or not raced.cpu.get(contender.key):
            row["status"] = "unavailable"
            row["reason"] = raced.unavailable.get(contender.key, "no measurement")
        else:
            row["status"] = "ok"
            row["cpu"] = _summary(raced.cpu[contender.key])
            row["wall"] = _summary(raced.wall[contender.key])
        rows.append(row)
    _add_ratios(rows, raced)
    return {
        "server": args.server,
        "orders_per_batch": len(order_fields()),
        "rounds": args.rounds,
        "calls_per_round": args.calls,
        "warmup_calls": args.warmup,
        "race_seconds": round(elapsed, 1),
        "cpu_pinning": {
            role: sorted(cpus) if (cpus := cpus_for(role)) is not None else None
            for role in ("server", "client")
        },
        "target_cpu_ratio": TARGET_RATIO,
        "fresh_pairs": FRESH_PAIRS,
        "target_fresh_ratio": FRESH_TARGET,
        "sdk_signatures_match_reference": signatures,
        "acceptance": accepted,
        "hot_path_us": steps,
        "profiles": profiles,
        "versions": _versions(),
        "contenders": rows,
    }


def _summary(rounds: list[list[float]]) -> dict[str, float | int]:
    summary = Summary.of([seconds for block in rounds for seconds in block])
    return {
        "median_ms": round(summary.median_ms, 4),
        "p90_ms": round(summary.p90_ms, 4),
        "calls": summary.samples,
    }


def _paired_ratio(rounds: list[list[float]], floor_rounds: list[list[float]]) -> float:
    """The median over rounds of (this round's median / the floor's median in the same round).

    Each round's blocks ran back to back, so the ratio is taken between neighbours in time and a
    machine that slows down or speeds up during the run (other load, clock changes) moves both.
    """
    ratios = [
        statistics.median(block) / statistics.median(floor_block)
        for block, floor_block in zip(rounds, floor_rounds, strict=False)
    ]
    return statistics.median(ratios)


def _variants(selected: tuple[Contender, ...], variants: list[str]) -> list[Contender]:
    """A copy of every selected SDK contender per `--variant LABEL=PATH`, run on that SDK."""
    extra: list[Contender] = []
    for variant in variants:
        label, _, path = variant.partition("=")
        if not label or not path or not (Path(path) / "az_futures").is_dir():
            raise SystemExit(f"--variant {variant!r}: expected LABEL=DIR, DIR/az_futures a package")
        extra.extend(
            replace(
                contender,
                key=f"{contender.key}@{label}",
                name=f"{contender.name} [{label}]",
                sdk_path=str(Path(path).resolve()),
            )
            for contender in selected
            if contender.key.startswith("sdk")
        )
    return extra


def _add_ratios(rows: list[dict[str, Any]], raced: RaceResult) -> None:
    """Ratios to the floor (`cpu_ratio`, `wall_ratio`); async contenders also to the async floor;
    a fresh-order SDK contender also to its hand-rolled twin (`cpu_ratio_hand`, `wall_ratio_hand`).

    Paired by round (`_paired_ratio`); the ratio of the overall medians is kept as `*_overall`.
    """
    measured = {row["key"] for row in rows if row["status"] == "ok"}
    for row in rows:
        if row["status"] != "ok":
            continue
        twin = FRESH_PAIRS.get(row["key"].partition("@")[0])
        if twin in measured:
            twin_row = next(r for r in rows if r["key"] == twin)
            for kind in ("cpu", "wall"):
                series = raced.cpu if kind == "cpu" else raced.wall
                row[f"{kind}_ratio_hand"] = round(
                    _paired_ratio(series[row["key"]], series[twin]), 3
                )
                row[f"{kind}_ratio_hand_overall"] = round(
                    row[kind]["median_ms"] / twin_row[kind]["median_ms"], 3
                )
        for suffix, floor_key in (("", FLOOR), ("_async_floor", ASYNC_FLOOR)):
            if floor_key not in measured or (suffix and not row["async"]):
                continue
            floor_row = next(r for r in rows if r["key"] == floor_key)
            for kind in ("cpu", "wall"):
                series = raced.cpu if kind == "cpu" else raced.wall
                paired = _paired_ratio(series[row["key"]], series[floor_key])
                overall = row[kind]["median_ms"] / floor_row[kind]["median_ms"]
                row[f"{kind}_ratio{suffix}"] = round(paired, 3)
                row[f"{kind}_ratio{suffix}_overall"] = round(overall, 3)


def fresh_lines(section: dict[str, Any]) -> list[str]:
    """Each fresh-order SDK row against its hand-rolled twin, with issue 11's target."""
    target = section.get("target_fresh_ratio", FRESH_TARGET)
    names = {row["key"]: row["name"] for row in section["contenders"]}
    lines: list[str] = []
    for row in section["contenders"]:
        if "cpu_ratio_hand" not in row:
            continue
        twin = names[FRESH_PAIRS[row["key"].partition("@")[0]]]
        verdict = "met" if row["cpu_ratio_hand"] <= target else "NOT met"
        lines.append(
            f"{row['name']}: CPU {row['cpu_ratio_hand']:.2f}x {twin} "
            f"(wall {row['wall_ratio_hand']:.2f}x; target <= {target:.2f}x CPU): {verdict}"
        )
    return lines


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__)
    parse.add_argument("--server", choices=("minimal", "sandbox"), default="minimal")
    parse.add_argument("--rounds", type=int, default=40)
    parse.add_argument("--calls", type=int, default=50, help="calls per contender per round")
    parse.add_argument("--warmup", type=int, default=100)
    parse.add_argument("--profile-calls", type=int, default=500, help="0: no profile")
    parse.add_argument("--only", nargs="*", help="contender keys to run (default: all)")
    parse.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="also race the SDK contenders on the az_futures package in DIR (a patched copy), "
        "in the same rounds: the way to measure a change to the SDK against the floor and HEAD",
    )
    parse.add_argument("--quick", action="store_true", help="a short run to try things out")
    parse.add_argument(
        "--json",
        type=Path,
        default=report.LATEST_JSON,
        help="where to write the results (latest.png is drawn only for latest.json)",
    )
    return parse


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.quick:
        args.rounds, args.calls, args.warmup, args.profile_calls = 4, 10, 10, 50
    section = run(args)
    report.write_section("batch", section, path=args.json)
    report.print_batch_table(section)
    for line in fresh_lines(section):
        print(f"  fresh target: {line}")
    if args.json == report.LATEST_JSON:
        report.render_chart()


if __name__ == "__main__":
    main()
