"""The `az-futures` command line: `demo`, `sandbox` and `batch`.

Keys come from the environment (`AZ_API_KEY`, `AZ_SECRET_KEY`), never from arguments, which any
user of the machine could read in the process list. Against the sandbox, the sandbox's documented
demo keys are used when the environment has none. `batch` needs an explicit target and never
defaults to production.

Exit codes: 0 everything done; 1 some orders failed or have an unknown outcome; 2 bad usage,
configuration or input (nothing was sent).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _console(stderr: bool = False) -> Console:
    try:
        from rich.console import Console  # noqa: PLC0415 (optional extra)
    except ImportError:  # pragma: no cover - depends on the install
        raise SystemExit("az-futures: this command needs `pip install 'az-futures[cli]'`") from None
    console = Console(stderr=stderr, highlight=False)
    if not console.is_terminal:
        console.width = 120  # a pipe or a log file: do not squeeze tables into 80 columns
    return console


def _sandbox_module() -> Any:
    try:
        from . import sandbox  # noqa: PLC0415 (optional extra)
    except ImportError:  # pragma: no cover - depends on the install
        raise SystemExit(
            "az-futures: the sandbox needs `pip install 'az-futures[sandbox]'`"
        ) from None
    return sandbox


def _keys(env_name: str | None) -> tuple[str | None, str | None]:
    """Keys from the environment; the sandbox's demo keys when pointed at it without any."""
    api_key, secret_key = os.environ.get("AZ_API_KEY"), os.environ.get("AZ_SECRET_KEY")
    if env_name == "sandbox" and not api_key and not secret_key:
        sandbox = _sandbox_module()
        return sandbox.DEMO_API_KEY, sandbox.DEMO_SECRET_KEY
    return api_key, secret_key


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
    from rich.table import Table  # noqa: PLC0415 (optional extra)

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
    config = sandbox.SandboxConfig.from_env()
    keys = "AZ_API_KEY/AZ_SECRET_KEY from the environment"
    if set(config.keys) == {sandbox.DEMO_API_KEY}:
        keys = f"demo key {sandbox.DEMO_API_KEY!r} with the demo secret from the README"
    print(f"az-futures sandbox on http://{args.host}:{args.port} ({keys}); Ctrl-C stops it")
    sandbox.serve(config, host=args.host, port=args.port)
    return EXIT_OK


# --- batch --------------------------------------------------------------------------------


def _batch(args: argparse.Namespace) -> int:
    from ._bulk import run_bulk  # noqa: PLC0415 (only this command needs it)
    from ._journal import Journal  # noqa: PLC0415

    if args.orders_file is None and args.cancel is None:
        raise _UsageError("give an orders file, --cancel IDS_FILE, or both")
    base_url = args.base_url or args.env
    api_key, secret_key = _keys(args.env)
    orders_path = Path(args.orders_file) if args.orders_file else None
    cancel_path = Path(args.cancel) if args.cancel else None
    for path in (orders_path, cancel_path):
        if path is not None and not path.is_file():
            raise _UsageError(f"{path} is not a readable file")
    from ._orderfile import detect_format  # noqa: PLC0415

    file_format = detect_format(orders_path, args.format) if orders_path else "jsonl"
    journal_path = (
        Path(args.journal) if args.journal else _default_journal(orders_path, cancel_path)
    )
    console = _console(stderr=True)

    with (
        Client(
            base_url=base_url,
            api_key=api_key,
            secret_key=secret_key,
            encoding=args.encoding,
            rate_limit=RateLimit(requests=args.rate, redis_url=args.redis_url),
        ) as client,
        _progress(console, orders_path, cancel_path) as advance,
    ):
        summary = run_bulk(
            client,
            orders_path=orders_path,
            file_format=file_format,
            cancel_path=cancel_path,
            journal=Journal(journal_path, durable=args.fsync),
            concurrency=args.concurrency,
            create_order_first=not args.cancel_first,
            progress=advance,
        )
    _print_summary(console, summary, journal_path)
    if args.summary_json:
        document = {**dataclasses.asdict(summary), "ok": summary.ok, "journal": str(journal_path)}
        Path(args.summary_json).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK if summary.ok else EXIT_FAILED


def _default_journal(orders_path: Path | None, cancel_path: Path | None) -> Path:
    source = orders_path or cancel_path
    assert source is not None
    return source.with_name(source.name + ".journal.jsonl")


class _progress:
    """A rich progress bar of orders handled, with orders/s (quiet when not a terminal)."""

    def __init__(self, console: Console, orders: Path | None, cancels: Path | None) -> None:
        from rich.progress import (  # noqa: PLC0415 (optional extra)
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        total = _count_lines(orders) + _count_lines(cancels)
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
        self._task = self._bar.add_task("orders", total=total or None, rate="0")
        self._done = 0

    def __enter__(self) -> Any:
        self._bar.start()

        def advance(orders: int, cancels: int) -> None:
            self._done += orders + cancels
            task = self._bar.tasks[0]
            rate = self._done / task.elapsed if task.elapsed else 0.0
            self._bar.update(self._task, advance=orders + cancels, rate=f"{rate:,.0f}")

        return advance

    def __exit__(self, *exc: object) -> None:
        self._bar.stop()


def _count_lines(path: Path | None) -> int:
    """Roughly the number of records (lines), for the progress bar's total."""
    if path is None:
        return 0
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _print_summary(console: Console, summary: BulkSummary, journal: Path) -> None:
    from rich.table import Table  # noqa: PLC0415 (optional extra)

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
    ]
    for label, value in rows:
        if value or label in ("placed", "requests"):
            table.add_row(label, f"{value:,}")
    if summary.elapsed_s > 0 and summary.requests:
        table.add_row("requests/s", f"{summary.requests / summary.elapsed_s:,.1f}")
        table.add_row("orders/s", f"{summary.placed / summary.elapsed_s:,.1f}")
    table.add_row("journal", str(journal))
    console.print(table)
    if summary.recovered_unknown:
        console.print(
            f"[yellow]{summary.recovered_unknown} orders were in flight when an earlier run "
            "stopped: their outcome is unknown.[/yellow]"
        )
    if summary.unknown or summary.still_unknown:
        console.print(
            "[yellow]Orders with an unknown outcome are never resent: check them on the "
            "exchange by client order id (the journal lists them with status 'unknown'), then "
            "remove their lines from the journal to send them again.[/yellow]"
        )
    if summary.aborted:
        console.print(f"[red]stopped early: {summary.aborted}[/red]")
    for name, count in summary.errors.items():
        console.print(f"[red]{count} batch(es) failed with {name}[/red]")


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
        help="show retries and unknown outcomes (-v), and every request (-vv)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser(
        "demo", help="place and cancel a sample batch in each encoding on an in-process sandbox"
    )

    serve = commands.add_parser("sandbox", help="serve the sandbox exchange")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)

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
    batch.add_argument("--format", choices=["csv", "jsonl"], help="file format (default: suffix)")
    batch.add_argument("--encoding", choices=ENCODINGS, default="json")
    batch.add_argument("--concurrency", type=_positive, default=24, help="requests in flight")
    batch.add_argument("--rate", type=_positive, default=200, help="requests per second")
    batch.add_argument("--redis-url", help="share the rate limit through Redis")
    batch.add_argument("--cancel-first", action="store_true", help="cancel before placing")
    batch.add_argument("--fsync", action="store_true", help="fsync the journal every batch")
    batch.add_argument("--summary-json", metavar="PATH", help="also write the summary as JSON")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `az-futures` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.verbose:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        sdk_logger = logging.getLogger("az_futures")
        sdk_logger.addHandler(handler)
        sdk_logger.setLevel(logging.DEBUG if args.verbose > 1 else logging.WARNING)
    handlers = {"demo": _demo, "sandbox": _serve, "batch": _batch}
    try:
        return handlers[args.command](args)
    except _UsageError as error:
        parser.error(str(error))
    except AZError as error:
        print(f"az-futures: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("az-futures: interrupted", file=sys.stderr)
        return 130
    return EXIT_USAGE
