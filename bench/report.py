"""Results: `bench/results/latest.json` (one section per benchmark), the table and the chart.

Each benchmark writes its section with `write_section`; the other sections, and the machine they
ran on, are kept. `render_chart` draws `latest.png` from the JSON alone, one panel per section it
knows (`PANELS`). `python -m bench.report` prints the latest tables again, `--markdown` in the
form the project README shows, `--chart` redraws the PNG.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import RESULTS, machine

LATEST_JSON = RESULTS / "latest.json"
LATEST_PNG = RESULTS / "latest.png"


def load(path: Path = LATEST_JSON) -> dict[str, Any]:
    """The results in `path` (latest.json), or an empty document."""
    if not path.is_file():
        return {}
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def write_section(name: str, section: dict[str, Any], *, path: Path = LATEST_JSON) -> None:
    """Replace one benchmark's section of `path` (latest.json), written atomically."""
    document = load(path)
    section = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), **section}
    document[name] = {**section, "machine": machine()}
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    print(f"wrote {path}")


# --- the per-batch table -------------------------------------------------------------------------


def _ms(summary: dict[str, Any] | None, key: str) -> str:
    return "—" if not summary else f"{summary[key]:.3f}"


def _ratio(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    return "—" if value is None else f"{value:.2f}x"


def _accepted(row: dict[str, Any]) -> str:
    accepted = row.get("accepted_by_sandbox")
    return "?" if accepted is None else "yes" if accepted else "no"


def batch_rows(section: dict[str, Any]) -> list[list[str]]:
    """One row of strings per contender: the table's body."""
    rows: list[list[str]] = []
    for row in section["contenders"]:
        if row["status"] != "ok":
            rows.append([row["name"], "unavailable", "", "", "", "", "", _accepted(row)])
            continue
        cpu_ratio = _ratio(row, "cpu_ratio")
        if "cpu_ratio_async_floor" in row:
            cpu_ratio += f" ({_ratio(row, 'cpu_ratio_async_floor')} async floor)"
        rows.append(
            [
                row["name"],
                _ms(row["cpu"], "median_ms"),
                _ms(row["cpu"], "p90_ms"),
                cpu_ratio,
                _ms(row["wall"], "median_ms"),
                _ms(row["wall"], "p90_ms"),
                _ratio(row, "wall_ratio"),
                _accepted(row),
            ]
        )
    return rows


HEADER = [
    "client (100-order batch)",
    "CPU ms median",
    "CPU ms p90",
    "CPU x floor",
    "wall ms median",
    "wall ms p90",
    "wall x floor",
    "sandbox accepts",
]


def _footnotes(section: dict[str, Any]) -> list[str]:
    notes = [
        f"{row['name']}: {row['reason']}" for row in section["contenders"] if row["status"] != "ok"
    ]
    notes.extend(
        f"{row['name']}: refused by the sandbox ({section['acceptance'][row['key']]['detail']}); "
        f"its figures are against the {section['server']} server, which answers any path"
        for row in section["contenders"]
        if row.get("accepted_by_sandbox") is False and row["status"] == "ok"
    )
    return notes


# SDK rows that build their orders in the call, which the floor does not: the fresh row has its
# own target (against its hand-rolled twin, `fresh_pairs`), the dicts row none.
_NO_FLOOR_TARGET = {"sdk_json_dicts"}


def verdicts(section: dict[str, Any]) -> list[str]:
    """The floor target, checked for each SDK contender with pre-built orders (reported, never
    asserted)."""
    target = section["target_cpu_ratio"]
    skipped = _NO_FLOOR_TARGET | set(section.get("fresh_pairs", {}))
    lines: list[str] = []
    for row in section["contenders"]:
        key = row["key"].split("@")[0]  # a --variant's rows as their base's
        if not key.startswith("sdk") or key in skipped or row["status"] != "ok":
            continue
        floor = "async floor" if row["async"] else "floor"
        ratio = row.get("cpu_ratio_async_floor" if row["async"] else "cpu_ratio")
        if ratio is None:
            continue
        verdict = "met" if ratio <= target else "NOT met"
        lines.append(
            f"{row['name']}: CPU {ratio:.2f}x the {floor} (target <= {target}x): {verdict}"
        )
    return lines


def print_batch_table(section: dict[str, Any]) -> None:
    """The per-batch table on the terminal (rich when installed)."""
    title = (
        f"Client cost per signed 100-order batch ({section['server']} server, "
        f"{section['rounds']} interleaved rounds x {section['calls_per_round']} calls)"
    )
    try:
        from rich.console import Console  # noqa: PLC0415
        from rich.table import Table  # noqa: PLC0415
    except ImportError:
        print(title)
        print(" | ".join(HEADER))
        for cells in batch_rows(section):
            print(" | ".join(cells))
    else:
        table = Table(title=title)
        for index, name in enumerate(HEADER):
            table.add_column(name, justify="left" if index == 0 else "right")
        for cells in batch_rows(section):
            table.add_row(*cells)
        Console(width=160).print(table)
    for note in _footnotes(section):
        print(f"  * {note}")
    for line in verdicts(section):
        print(f"  target: {line}")
    print("SDK hot path, µs per batch without the network (best of 7, warm caches, GC off):")
    for step, micros in section["hot_path_us"].items():
        print(f"  {micros:9.1f}  {step}")


def batch_markdown(section: dict[str, Any]) -> str:
    """The per-batch table as Markdown, with the machine it ran on."""
    where = section["machine"]
    lines = [
        f"Measured {section['measured_at']} on {where['cpu']} ({where['cores']} cores), "
        f"{where['implementation']} {where['python']}, {where['system']}; "
        f"{section['server']} local server in its own process; client-process CPU per batch; "
        f"{section['rounds']} interleaved rounds x {section['calls_per_round']} calls.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(HEADER) - 1)) + "|",
    ]
    lines.extend("| " + " | ".join(cells) + " |" for cells in batch_rows(section))
    notes = _footnotes(section) + [f"target: {line}" for line in verdicts(section)]
    if notes:
        lines.append("")
        lines.extend(f"- {note}" for note in notes)
    return "\n".join(lines)


# --- the chart -----------------------------------------------------------------------------------


def _batch_panel(figure: Any, grid: Any, section: dict[str, Any]) -> None:
    rows = list(reversed(section["contenders"]))
    names = [row["name"] for row in rows]
    floor = next((r for r in rows if r["key"] == "floor" and r["status"] == "ok"), None)
    for column, kind in enumerate(("cpu", "wall")):
        axes = figure.add_subplot(grid[column])
        medians = [row[kind]["median_ms"] if row["status"] == "ok" else 0.0 for row in rows]
        p90s = [row[kind]["p90_ms"] if row["status"] == "ok" else 0.0 for row in rows]
        colours = [
            "#888888"
            if row["key"].startswith("floor")
            else "#1f77b4"
            if row["key"].startswith("sdk")
            else "#ff7f0e"
            for row in rows
        ]
        positions = range(len(rows))
        axes.barh(positions, medians, color=colours)
        axes.errorbar(p90s, positions, fmt="|", color="black", markersize=8, label="p90")
        for position, row in zip(positions, rows, strict=True):
            if row["status"] != "ok":
                axes.text(0.02, position, "unavailable", va="center", fontsize=8)
            elif f"{kind}_ratio" in row:
                label = f"{row[f'{kind}_ratio']:.2f}x"
                if f"{kind}_ratio_async_floor" in row:
                    label += f" ({row[f'{kind}_ratio_async_floor']:.2f}x async floor)"
                axes.text(row[kind]["p90_ms"], position, f"  {label}", va="center", fontsize=7)
        if floor is not None:
            base = floor[kind]["median_ms"]
            axes.axvline(base, color="#444444", linestyle=":", linewidth=1, label="floor")
            if kind == "cpu":
                axes.axvline(
                    base * section["target_cpu_ratio"],
                    color="#2ca02c",
                    linestyle="--",
                    linewidth=1,
                    label=f"{section['target_cpu_ratio']}x floor (target)",
                )
        axes.set_xlim(0, max(p90s, default=1.0) * 1.55)  # room for the ratio labels
        axes.set_yticks(list(positions))
        axes.set_yticklabels(names if column == 0 else [], fontsize=8)
        axes.set_xlabel(
            "client-process CPU, ms per batch (median; | p90)"
            if kind == "cpu"
            else "wall time, ms per batch (median; | p90)"
        )
        axes.legend(fontsize=7, loc="upper right")
    figure.text(
        0.5,
        0.99,
        f"Signed 100-order batch, {section['server']} local server, "
        f"{section['machine']['cores']} cores, Python {section['machine']['python']}",
        ha="center",
        va="top",
    )


# --- the bulk table and panel ---------------------------------------------------------------------

BULK_TARGET_SHARE = 0.95
"""Of the limit: the chart's line (the old target, before the bound was reported)."""
BULK_TARGET_BURST_PER_S = 190
"""200 requests (one window's worth) out at this rate or faster."""
BULK_TARGET_BOUND_SHARE = 0.97
"""Sustained, of the bound answer-based accounting sets: limit / (window + median in flight)."""
BULK_TARGET_PEAK_MB = 200


def bulk_rows(section: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(what, result, target) rows for the bulk runs."""
    limit = section["limit_per_s"]
    rows: list[tuple[str, str, str]] = []
    for key, label in (("rate", "burst"), ("sustained", "sustained")):
        run = section.get(key)
        if not run:
            continue
        sustained = key == "sustained"
        if sustained and run.get("bound_per_s"):
            target = f">= {BULK_TARGET_BOUND_SHARE:.0%} of the bound"
        elif sustained:
            target = f">= {BULK_TARGET_SHARE * limit:.0f} ({BULK_TARGET_SHARE:.0%})"
        else:
            target = f">= {BULK_TARGET_BURST_PER_S}"
        rows.append(
            (
                f"{run['orders']:,} orders ({run['requests']} requests, {label}): requests/s",
                f"{run['requests_per_s']} ({run['share_of_limit']:.0%} of {limit})",
                target,
            )
        )
        if run.get("in_flight_ms_median") is not None:
            rows.append(
                (
                    "  time in flight (admission to answer): median, p90",
                    f"{run['in_flight_ms_median']} ms, {run['in_flight_ms_p90']} ms",
                    "",
                )
            )
        if sustained and run.get("bound_per_s"):
            rows.append(
                (
                    f"  bound: {limit} / ({run['window_s']:g} s window + median in flight)",
                    f"{run['bound_per_s']}/s, reached {run['share_of_bound']:.1%}",
                    f">= {BULK_TARGET_BOUND_SHARE:.0%}",
                )
            )
        if run.get("steady_per_s"):
            rows.append(
                (
                    "  of which whole seconds but the first and last: requests/s",
                    f"{run['steady_per_s']} ({run['steady_per_s'] / limit:.0%})",
                    "",
                )
            )
        if run.get("admitted_first_second") is not None:
            rows.append(
                (
                    "  admitted in the first second after the first admission",
                    str(run["admitted_first_second"]),
                    "",
                )
            )
        rows.append(("  429s received", str(run["rate_limited_429"]), "0"))
    memory = section["memory"]
    rows.append(
        (
            f"peak memory streaming {memory['orders']:,} orders ({memory['file_mb']:.0f} MB file)",
            f"{memory['peak_rss_mb']} MB",
            f"< {BULK_TARGET_PEAK_MB} MB, flat",
        )
    )
    return rows


def print_bulk_table(section: dict[str, Any]) -> None:
    print(
        f"\nBulk: az-futures batch against the sandbox in its own process, limit "
        f"{section['limit_per_s']}/s per key, {section['latency_ms']} ms added to every answer"
    )
    rows = bulk_rows(section)
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


def bulk_markdown(section: dict[str, Any]) -> str:
    lines = ["| bulk | result | target |", "|---|---:|---:|"]
    lines += [
        f"| {what.strip()} | {result} | {target} |" for what, result, target in bulk_rows(section)
    ]
    return "\n".join(lines)


def _bulk_panel(figure: Any, grid: Any, section: dict[str, Any]) -> None:
    limit = section["limit_per_s"]
    axes = figure.add_subplot(grid[0])
    for key, colour in (("sustained", "#1f77b4"), ("rate", "#ff7f0e")):
        run = section.get(key)
        if not run or not run.get("per_second_counts"):
            continue
        counts = run["per_second_counts"]
        axes.plot(
            range(1, len(counts) + 1),
            counts,
            marker="o",
            color=colour,
            label=f"{run['requests']} requests: {run['requests_per_s']}/s overall, "
            f"{run['rate_limited_429']} x 429",
        )
    axes.axhline(limit, color="#d62728", linestyle="-", linewidth=1, label=f"limit {limit}/s")
    axes.axhline(
        limit * BULK_TARGET_SHARE,
        color="#2ca02c",
        linestyle="--",
        linewidth=1,
        label=f"{BULK_TARGET_SHARE:.0%} of the limit (target)",
    )
    axes.set_ylim(0, limit * 1.25)
    axes.set_title(
        f"az-futures batch against the sandbox: limit {limit}/s per key, "
        f"{section['latency_ms']} ms added to every answer",
        fontsize=9,
    )
    axes.set_xlabel("second of the run (first and last are partial)")
    axes.set_ylabel("requests the sandbox counted")
    axes.legend(fontsize=7, loc="lower center")
    memory = section["memory"]
    right = figure.add_subplot(grid[1])
    right.barh([0], [memory["peak_rss_mb"]], color="#1f77b4", height=0.5)
    right.text(memory["peak_rss_mb"], 0, f"  {memory['peak_rss_mb']} MB", va="center", fontsize=8)
    right.axvline(BULK_TARGET_PEAK_MB, color="#2ca02c", linestyle="--", label="target")
    right.set_yticks([])
    right.set_title(
        f"streaming {memory['orders']:,} orders ({memory['file_mb']:.0f} MB file)", fontsize=9
    )
    right.set_xlabel("peak resident memory, MB")
    right.set_xlim(0, BULK_TARGET_PEAK_MB * 1.2)
    right.legend(fontsize=7)


PANELS: dict[str, Callable[[Any, Any, dict[str, Any]], None]] = {
    "batch": _batch_panel,
    "bulk": _bulk_panel,
}
"""Section name -> function drawing it into a figure row of two columns."""


def render_chart() -> None:
    """Draw latest.png from latest.json (skipped, with a note, without matplotlib)."""
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        print("matplotlib is not installed: no chart (nox -s bench installs it)")
        return
    document = load()
    sections = [name for name in PANELS if name in document]
    if not sections:
        return
    figure = plt.figure(figsize=(13, 4.5 * len(sections)))
    rows = figure.add_gridspec(len(sections), 1)
    for index, name in enumerate(sections):
        grid = rows[index].subgridspec(1, 2, wspace=0.05)
        PANELS[name](figure, grid, document[name])
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    figure.savefig(LATEST_PNG, dpi=110)
    plt.close(figure)
    print(f"wrote {LATEST_PNG}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="Markdown tables for the README")
    parser.add_argument("--chart", action="store_true", help="redraw latest.png")
    parser.add_argument("--json", type=Path, default=LATEST_JSON, help="results to show")
    args = parser.parse_args(argv)
    document = load(args.json)
    if "batch" in document:
        if args.markdown:
            print(batch_markdown(document["batch"]))
        else:
            print_batch_table(document["batch"])
    if "bulk" in document:
        if args.markdown:
            print("\n" + bulk_markdown(document["bulk"]))
        else:
            print_bulk_table(document["bulk"])
    if args.chart:
        render_chart()


if __name__ == "__main__":
    main()
