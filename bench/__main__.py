"""`python -m bench` (what `nox -s bench` runs): every benchmark, then the table and chart.

Each benchmark module has a `main(argv)` and writes its own section of
`bench/results/latest.json` through `bench.report`. `python -m bench --quick` makes every
benchmark a short trial run; for other options run one module (`python -m bench.batch --help`).
The bulk benchmark (`bench/bulk.py`, section `bulk`) runs after the per-batch one.
"""

from __future__ import annotations

import argparse

from bench import batch, bulk

BENCHMARKS = (batch, bulk)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short trial runs")
    args = parser.parse_args(argv)
    for benchmark in BENCHMARKS:
        benchmark.main(["--quick"] if args.quick else [])


if __name__ == "__main__":
    main()
