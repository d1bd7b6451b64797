"""The `az-futures` command line: `demo`, `sandbox` and `batch`.

Keys come from the environment (`AZ_API_KEY`, `AZ_SECRET_KEY`), never from arguments, which any
user of the machine could read in the process list. Against the sandbox, the sandbox's documented
demo keys are used when the environment has none. `batch` needs an explicit target and never
defaults to production.

Exit codes: 0 everything done; 1 some orders failed, have an unknown outcome or were not sent;
2 bad usage, configuration or input, a missing extra, or a journal in use (nothing was sent);
130 stopped by Ctrl-C or SIGTERM (the summary says what was sent).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import httpx

from ._client import Client
from ._encoding import ENCODINGS
from ._environments import ENVIRONMENTS
from ._errors import AZError
from ._orders import Order
from ._ratelimit import RateLimit

if TYPE_CHECKING:
    from rich.console import Console

    from ._bulk import BulkSummary
    from ._results import BatchResult

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXCHANGE_RATE_LIMIT = 200
"""Requests per second per key that the exchange allows (documented)."""

# The optional modules each command needs, and the extra that brings them.
_EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "demo": (("rich", "starlette", "uvicorn"), "cli,sandbox"),
    "sandbox": (("starlette", "uvicorn"), "sandbox"),
    "batch": (("rich",), "cli"),
}


class _MissingExtraError(Exception):
    """A command's optional dependencies are not installed: said in one line, exit 2."""


def _require_extras(command: str) -> None:
    modules, extra = _EXTRAS[command]
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise _MissingExtraError(
                f"`az-futures {command}` needs {module!r}, which is not installed: "
                f"pip install 'az-futures[{extra}]'"
            ) from None


def _console(stderr: bool = False) -> Console:
    from rich.console import Console  # noqa: PLC0415 (optional extra, checked first)

    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = 120  # a pipe or a log file: do not squeeze tables into 80 columns
    return console


def _sandbox_module() -> Any:
    try:
        from . import sandbox  # noqa: PLC0415 (optional extra)
    except ImportError as error:
        raise _MissingExtraError(
            f"the sandbox needs {error.name!r}, which is not installed: "
            "pip install 'az-futures[sandbox]'"
        ) from None
    return sandbox


def _keys(env_name: str | None) -> tuple[str, str]:
    """Keys from the environment; the sandbox's demo keys when pointed at it without any."""
    api_key, secret_key = os.environ.get("AZ_API_KEY"), os.environ.get("AZ_SECRET_KEY")
    if env_name == "sandbox" and not api_key and not secret_key:
        sandbox = _sandbox_module()
        return sandbox.DEMO_API_KEY, sandbox.DEMO_SECRET_KEY
    missing = [name for name, value in (("AZ_API_KEY", api_key), ("AZ_SECRET_KEY", secret_key))]
    missing = [name for name in missing if not os.environ.get(name, "").strip()]
    if missing:
        raise _UsageError(
            f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: export "
            "AZ_API_KEY and AZ_SECRET_KEY with this environment's keys (never given as "
            "arguments, which other users can read in the process list)"
        )
    return str(api_key), str(secret_key)


# --- demo ---------------------------------------------------------------------------------


def _demo_orders(prefix: str) -> list[Order]:
    common: dict[str, Any] = {"symbol": "btc_usdt", "orig_qty": "1"}
    return [
        Order(
            client_order_id=f"{prefix}-bid",
            order_side="BUY",
            order_type="LIMIT",
            price="39000.1",
            position_side="LONG",
            **common,
        ),
        Order(
            client_order_id=f"{prefix}-ask",
            order_side="SELL",
            order_type="LIMIT",
            price="39010.25",
            position_side="SHORT",
            time_in_force="GTX",
            **common,
        ),
        Order(
            client_order_id=f"{prefix}-mkt",
            order_side="BUY",
            order_type="MARKET",
            position_side="LONG",
            time_in_force="IOC",
            **common,
        ),
    ]


def _demo(args: argparse.Namespace) -> int:
    """Start the sandbox in-process, place and cancel a sample batch in each encoding."""
    from rich.table import Table  # noqa: PLC0415 (optional extra, checked first)

    sandbox = _sandbox_module()
    console = _console()
    config = sandbox.SandboxConfig(keys={sandbox.DEMO_API_KEY: sandbox.DEMO_SECRET_KEY})
    table = Table(
        title="az-futures demo: two batches per encoding on an in-process sandbox exchange",
        caption="batch 1 places 3 orders and cancels an unknown id; batch 2 cancels the 3 orders",
    )
    for column in ("encoding", "batch", "action", "client order id", "order id", "price", "state"):
        table.add_column(column)
    table.add_column("ok", justify="center")
    with sandbox.running_sandbox(config) as running:
        console.print(f"sandbox exchange listening on {running.base_url}")
        for encoding in ENCODINGS:
            with Client(
                base_url=running.base_url,
                api_key=sandbox.DEMO_API_KEY,
                secret_key=sandbox.DEMO_SECRET_KEY,
                encoding=encoding,
            ) as client:
                orders = _demo_orders(encoding)
                placed = client.batch_orders(orders, cancel_order_ids=[999_999])
                _add_rows(table, encoding, "1", placed, orders)
                ids = [r.order_id for r in placed.created if r.order_id is not None]
                cancelled = client.batch_orders(cancel_order_ids=ids, create_order_first=False)
                _add_rows(table, encoding, "2", cancelled, orders)
            table.add_section()
        console.print(table)
        stats = running.stats().key(sandbox.DEMO_API_KEY)
        console.print(
            f"{stats.requests} signed requests, each verified by the sandbox's own signature "
            "check; prices held as exact decimals."
        )
    return EXIT_OK


def _add_rows(
    table: Any, encoding: str, batch: str, result: BatchResult, orders: Sequence[Order]
) -> None:
    prices = {o.client_order_id: f"{o.order_side.value} {o.price or 'market'}" for o in orders}

    def mark(ok: bool) -> str:
        return "[green]yes[/green]" if ok else "[red]no[/red]"

    for placed in result.created:
        table.add_row(
            encoding,
            batch,
            "place",
            placed.client_order_id,
            str(placed.order_id),
            prices[placed.client_order_id],
            str(placed.raw_state),
            mark(placed.ok),
        )
    for cancel in result.cancelled:
        table.add_row(
            encoding,
            batch,
            "cancel",
            "",
            str(cancel.order_id),
            "",
            str(cancel.raw_state),
            mark(cancel.ok),
        )


# --- sandbox ------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    sandbox = _sandbox_module()
    try:
        config = sandbox.SandboxConfig.from_env()
    except ValueError as error:  # a bad AZ_SANDBOX_* variable: the message names it
        print(f"az-futures sandbox: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.faults:
        config = dataclasses.replace(config, faults=_faults(sandbox, args.faults))
    keys = "AZ_API_KEY/AZ_SECRET_KEY from the environment"
    if set(config.keys) == {sandbox.DEMO_API_KEY}:
        keys = f"demo key {sandbox.DEMO_API_KEY!r} with the demo secret from the README"
    print(f"az-futures sandbox on http://{args.host}:{args.port} ({keys}); Ctrl-C stops it")
    if args.faults:
        print(f"injecting faults: {args.faults}")
    sandbox.serve(config, host=args.host, port=args.port)
    return EXIT_OK


def _faults(sandbox: Any, text: str) -> Any:
    """`Faults` from the `--faults` JSON object, or a usage error saying what is wrong."""
    try:
        document = json.loads(text)
        if not isinstance(document, dict):
            raise TypeError("a JSON object is required")
        unknown = set(document) - set(sandbox.Faults.field_names())
        if unknown:
            raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
        return sandbox.Faults(**document)
    except (ValueError, TypeError) as error:
        raise _UsageError(
            f"--faults: {error}; give a JSON object such as '{{\"error_rate\": 0.1}}' with "
            f"the fields {', '.join(sandbox.Faults.field_names())}"
        ) from None


_SANDBOX_EPILOG = """\
faults: the sandbox can fail like a real exchange and network. Set them at start with
--faults, or change them while it runs:
  curl -X PUT http://127.0.0.1:8080/sandbox/faults -d '{"drop_after_rate": 0.05}'
  curl http://127.0.0.1:8080/sandbox/faults          # the faults in force
Fields (rates are shares of batch requests, 0 to 1, at most 1 together):
  latency_ms             delay added before every answer
  error_rate             answer 5xx without processing
  drop_before_rate       close the connection without processing
  drop_after_rate        process, then close the connection without answering
  malformed_rate         process, then answer 200 with a body that is not JSON
  truncated_rate         process, then answer 200 with the JSON cut in half
  missing_fields_rate    process, then answer 200 without `result`
  rate_limit_retry_after seconds sent in Retry-After with HTTP 429 (none by default)
  seed                   seed of the random stream, for reproducible runs
Other endpoints: GET /sandbox/stats, GET /sandbox/orders, POST /sandbox/reset.
"""


# --- batch --------------------------------------------------------------------------------


def _batch(args: argparse.Namespace) -> int:
    from ._bulk import HttpTally, RunInterrupted, run_bulk  # noqa: PLC0415 (this command only)
    from ._journal import Journal  # noqa: PLC0415
    from ._orderfile import detect_format  # noqa: PLC0415

    if args.orders_file is None and args.cancel is None:
        raise _UsageError("give an orders file, --cancel IDS_FILE, or both")
    base_url = args.base_url or args.env
    api_key, secret_key = _keys(args.env)
    orders_path = Path(args.orders_file) if args.orders_file else None
    cancel_path = Path(args.cancel) if args.cancel else None
    for path in (orders_path, cancel_path):
        if path is not None and not path.is_file():
            raise _UsageError(f"{path} is not a readable file; check the path")
    file_format = detect_format(orders_path, args.format) if orders_path else "jsonl"
    journal_path = (
        Path(args.journal) if args.journal else _default_journal(orders_path, cancel_path)
    )
    console = _console(stderr=True)
    if args.rate > EXCHANGE_RATE_LIMIT:
        console.print(
            f"warning: --rate {args.rate} is above the exchange's limit of "
            f"{EXCHANGE_RATE_LIMIT} requests per second per key: expect HTTP 429 answers, "
            "retries and refused batches",
            style="yellow",
        )
    tally = HttpTally()
    client_options: dict[str, Any] = {}
    if args.timeout is not None:
        client_options["timeout"] = args.timeout
    stop = threading.Event()
    with (
        tally.http_client() as http,
        Client(
            base_url=base_url,
            api_key=api_key,
            secret_key=secret_key,
            encoding=args.encoding,
            rate_limit=RateLimit(requests=args.rate, redis_url=args.redis_url),
            http_client=http,
            **client_options,
        ) as client,
        _stop_on_signals(stop, console),
        _ProgressBar(console) as progress,
    ):
        try:
            summary = run_bulk(
                client,
                orders_path=orders_path,
                file_format=file_format,
                cancel_path=cancel_path,
                journal=Journal(journal_path, durable=args.fsync),
                concurrency=args.concurrency,
                create_order_first=not args.cancel_first,
                progress=progress,
                stop=stop,
                wait_for_journal=args.wait,
                tally=tally,
                before_first_wave=lambda: _learn_clock_offset(client, http),
            )
        except RunInterrupted as error:
            print(f"az-futures: {error}", file=sys.stderr)
            return EXIT_INTERRUPTED
    _print_summary(console, summary, journal_path)
    if args.summary_json:
        document = {**dataclasses.asdict(summary), "ok": summary.ok, "journal": str(journal_path)}
        Path(args.summary_json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.ok else EXIT_FAILED


def _default_journal(orders_path: Path | None, cancel_path: Path | None) -> Path:
    source = orders_path or cancel_path
    assert source is not None
    return source.with_name(source.name + ".journal.jsonl")


@contextmanager
def _stop_on_signals(stop: threading.Event, console: Console) -> Iterator[None]:
    """Turn SIGINT and SIGTERM into `stop`: nothing new leaves, the batches in flight are
    answered and journaled, and the summary is printed. Outside the main thread (where signals
    cannot be caught) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            return
        stop.set()
        console.print(
            f"az-futures: {signal.Signals(signum).name}: sending nothing more; waiting for "
            "the requests in flight so that the journal records them"
        )

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _learn_clock_offset(client: Client, http: httpx.Client) -> None:
    """Learn the exchange's clock from the `Date` header of one unsigned GET, before the first
    wave: a clock that is off would otherwise get every batch of the first wave refused.

    The header has whole seconds, so the exchange's time when it answered lies in
    [date, date + 1 s). The offset changes only when that proves the current one wrong, and
    then to the bound that stamps requests slightly in the exchange's past (never its future).
    """
    sent_ms = time.time_ns() // 1_000_000
    try:
        response = http.get(client.base_url, timeout=5.0)
    except httpx.HTTPError as error:
        logging.getLogger("az_futures.bulk").debug("clock probe failed: %s", error)
        return
    received_ms = time.time_ns() // 1_000_000
    date = response.headers.get("date")
    try:
        server_ms = int(parsedate_to_datetime(date).timestamp() * 1000) if date else None
    except (TypeError, ValueError, IndexError, OverflowError):
        server_ms = None
    if server_ms is None:
        return
    low, high = server_ms - received_ms, server_ms + 1000 - sent_ms
    if not low <= client.clock_offset_ms <= high:
        client.clock_offset_ms = low


class _ProgressBar:
    """A rich progress bar of orders and ids handled (sent or skipped), with orders/s; quiet
    when stderr is not a terminal."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (  # noqa: PLC0415 (optional extra)
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn("[bold]placing[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rate]} orders/s"),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._task = self._bar.add_task("orders", total=None, rate="0")
        self._lock = threading.Lock()

    def __enter__(self) -> _ProgressBar:
        self._bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()

    def start(self, total: int) -> None:
        self._bar.update(self._task, total=total, completed=0)

    def advance(self, count: int) -> None:
        with self._lock:
            task = self._bar.tasks[0]
            done = task.completed + count
            rate = done / task.elapsed if task.elapsed else 0.0
            self._bar.update(self._task, completed=done, rate=f"{rate:,.0f}")


def _print_summary(console: Console, summary: BulkSummary, journal: Path) -> None:
    from rich.markup import escape  # noqa: PLC0415 (optional extra)
    from rich.table import Table  # noqa: PLC0415

    table = Table(title="az-futures batch", show_header=False)
    rows = [
        ("placed", summary.placed),
        ("rejected by the exchange", summary.rejected),
        ("outcome unknown (reconcile!)", summary.unknown),
        ("left unknown by an earlier run", summary.still_unknown),
        ("not sent", summary.not_sent),
        ("cancelled", summary.cancelled),
        ("cancels refused", summary.cancel_rejected),
        ("cancels unknown", summary.cancel_unknown + summary.still_unknown_cancels),
        ("cancels not sent", summary.cancel_not_sent),
        ("skipped (done by an earlier run)", summary.skipped + summary.skipped_cancels),
        ("requests", summary.requests),
        ("HTTP requests (with retries)", summary.http_requests),
        ("retries", summary.retries),
        ("rate limited (HTTP 429)", summary.rate_limited),
    ]
    for label, value in rows:
        if value or label in ("placed", "requests"):
            table.add_row(label, f"{value:,}")
    if summary.elapsed_s > 0 and summary.requests:
        table.add_row("requests/s", f"{summary.requests / summary.elapsed_s:,.1f}")
        table.add_row("orders/s", f"{summary.placed / summary.elapsed_s:,.1f}")
    table.add_row("journal", escape(str(journal)))
    console.print(table)
    if summary.recovered_unknown:
        console.print(
            f"[yellow]{summary.recovered_unknown} orders were in flight when an earlier run "
            "stopped, or their journal line was torn: their outcome is unknown.[/yellow]"
        )
    if summary.unknown or summary.still_unknown:
        console.print(
            "[yellow]Orders with an unknown outcome are never resent: check them on the "
            "exchange by client order id (the journal lists them with status 'unknown'), then "
            "remove their lines from the journal to send them again.[/yellow]"
        )
    if summary.rate_limited:
        console.print(
            f"[yellow]The exchange answered HTTP 429 (rate limited) {summary.rate_limited} "
            "times: another process may be using this key, or --rate is too high. Share one "
            "limit among processes with --redis-url.[/yellow]"
        )
    if summary.interrupted:
        console.print(
            f"[yellow]Interrupted: {summary.requests:,} requests had left and are journaled; "
            f"{summary.not_sent + summary.cancel_not_sent:,} orders and ids were not sent. "
            "Run the same command again to send them.[/yellow]"
        )
    if summary.aborted:
        console.print(f"[red]stopped early: {escape(summary.aborted)}[/red]")
        console.print(
            f"[red]{summary.not_sent + summary.cancel_not_sent:,} orders and ids were not "
            "sent.[/red]"
        )
    for name, count in summary.errors.items():
        console.print(
            f"[red]{count} batch(es) failed with {name}: {escape(summary.first_errors[name])}[/red]"
        )


# --- entry point --------------------------------------------------------------------------


class _UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="az-futures", description="The AZ futures batch endpoint from the command line."
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="show warnings: retries, refused batches and unknown outcomes (-v), and every "
        "request (-vv)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "demo", help="place and cancel a sample batch in each encoding on an in-process sandbox"
    )

    serve = commands.add_parser(
        "sandbox",
        help="serve the sandbox exchange",
        description="Serve the sandbox exchange (demo keys, or AZ_API_KEY/AZ_SECRET_KEY).",
        epilog=_SANDBOX_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--faults",
        metavar="JSON",
        help='faults injected from the start, e.g. \'{"error_rate": 0.1, "latency_ms": 50}\'',
    )

    batch = commands.add_parser(
        "batch",
        help="place orders from a CSV or JSON Lines file, resumably",
        description="Place orders from a file in batches of 100, concurrently within the rate "
        "limit, with a journal that makes re-runs skip what is done. Keys come from AZ_API_KEY "
        "and AZ_SECRET_KEY.",
    )
    batch.add_argument("orders_file", nargs="?", help="orders: .csv with a header, or .jsonl")
    batch.add_argument("--cancel", metavar="IDS_FILE", help="order ids to cancel, one per line")
    target = batch.add_mutually_exclusive_group(required=True)
    target.add_argument("--env", choices=sorted(ENVIRONMENTS), help="a named environment")
    target.add_argument("--base-url", help="the exchange's base URL")
    batch.add_argument("--journal", help="journal path (default: ORDERS_FILE.journal.jsonl)")
    batch.add_argument(
        "--wait",
        action="store_true",
        help="wait for another run holding the journal to end, instead of refusing at once",
    )
    batch.add_argument("--format", choices=["csv", "jsonl"], help="file format (default: suffix)")
    batch.add_argument("--encoding", choices=ENCODINGS, default="json")
    batch.add_argument("--concurrency", type=_positive, default=24, help="requests in flight")
    batch.add_argument(
        "--rate",
        type=_positive,
        default=EXCHANGE_RATE_LIMIT,
        help=f"requests per second (the exchange allows {EXCHANGE_RATE_LIMIT} per key)",
    )
    batch.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help="how long to wait for the exchange (default: 2 s to connect, 5 s for the answer); "
        "a batch unanswered in time has an unknown outcome and is not resent",
    )
    batch.add_argument("--redis-url", help="share the rate limit through Redis")
    batch.add_argument("--cancel-first", action="store_true", help="cancel before placing")
    batch.add_argument("--fsync", action="store_true", help="fsync the journal every batch")
    batch.add_argument("--summary-json", metavar="PATH", help="also write the summary as JSON")
    return parser


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a whole number; give an integer of at least 1"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of seconds; give a number above 0, such as 10 or 2.5"
        )
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `az-futures` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    handler: logging.Handler | None = None
    sdk_logger = logging.getLogger("az_futures")
    if args.verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        sdk_logger.addHandler(handler)
        sdk_logger.setLevel(logging.DEBUG if args.verbose > 1 else logging.WARNING)
    handlers = {"demo": _demo, "sandbox": _serve, "batch": _batch}
    try:
        _require_extras(args.command)
        return handlers[args.command](args)
    except _UsageError as error:
        print(f"az-futures {args.command}: error: {error}", file=sys.stderr)
    except _MissingExtraError as error:
        print(f"az-futures: {error}", file=sys.stderr)
    except AZError as error:
        print(f"az-futures: {error}", file=sys.stderr)
    except KeyboardInterrupt:
        print("az-futures: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if handler is not None:
            sdk_logger.removeHandler(handler)
            sdk_logger.setLevel(logging.NOTSET)
    return EXIT_USAGE
