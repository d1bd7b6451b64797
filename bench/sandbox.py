"""The sandbox exchange in its own process, for benchmarks: `python -m bench.sandbox`.

`az_futures.sandbox.running_sandbox` (the Python API: the CLI has no `sandbox` command yet) with
the demo key pair, serving until stdin closes; prints `READY <port>` once it accepts connections,
like `bench.server`. The per-batch benchmark lifts the rate limit (`--rate-limit`, default one
million per second) because it measures CPU, not the limit; a bulk run passes `--rate-limit 200`
and `--latency-ms 50` to meet the exchange's real limit over a slow line.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> None:
    from az_futures.sandbox import (  # noqa: PLC0415 - needs the sandbox extra
        DEMO_API_KEY,
        DEMO_SECRET_KEY,
        Faults,
        SandboxConfig,
        running_sandbox,
    )

    from bench.common import API_KEY, SECRET_KEY, pin  # noqa: PLC0415

    if (API_KEY, SECRET_KEY) != (DEMO_API_KEY, DEMO_SECRET_KEY):
        raise SystemExit("bench.common's keys are not the sandbox's demo pair")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate-limit", type=int, default=1_000_000, help="requests/s per key")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every answer")
    args = parser.parse_args(argv)
    pin("server")
    config = SandboxConfig(
        rate_limit_per_second=args.rate_limit, faults=Faults(latency_ms=args.latency_ms)
    )
    with running_sandbox(config, port=args.port) as sandbox:
        print(f"READY {sandbox.port}", flush=True)
        sys.stdin.buffer.read()


if __name__ == "__main__":
    main()
