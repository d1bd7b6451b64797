"""One contender in its own process, timing the calls it is told to make.

Each client runs alone in a process of its own (`python -m bench.worker <key> <base_url>`), so that
what is measured is that client's CPU alone: no other library's imports, heap or garbage
collections in the same process (ccxt alone adds tens of thousands of objects that every full
collection would walk). The coordinator (`WorkerProcess`) sends one JSON line per command and
reads one JSON line back:

    {"op": "run", "calls": N}  ->  {"cpu": [s, ...], "wall": [s, ...]}  (or {"error": "..."})
    {"op": "quit"}             ->  the worker closes its client and exits

The worker's first line is `{"ready": true}` or `{"unavailable": "<reason>"}`.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, TextIO

from bench.common import ROOT


def _timed_sync(call: Callable[[], object], calls: int) -> tuple[list[float], list[float]]:
    cpu: list[float] = []
    wall: list[float] = []
    process_time, perf_counter = time.process_time, time.perf_counter
    for _ in range(calls):
        c0, w0 = process_time(), perf_counter()
        call()
        w1, c1 = perf_counter(), process_time()
        cpu.append(c1 - c0)
        wall.append(w1 - w0)
    return cpu, wall


async def _timed_async(acall: Callable[[], Any], calls: int) -> tuple[list[float], list[float]]:
    cpu: list[float] = []
    wall: list[float] = []
    process_time, perf_counter = time.process_time, time.perf_counter
    for _ in range(calls):
        c0, w0 = process_time(), perf_counter()
        await acall()
        w1, c1 = perf_counter(), process_time()
        cpu.append(c1 - c0)
        wall.append(w1 - w0)
    return cpu, wall


def _reply(out: TextIO, message: dict[str, Any]) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def serve(key: str, base_url: str) -> None:
    """The worker's side: build the contender, then obey commands on stdin."""
    from bench.common import pin  # noqa: PLC0415
    from bench.contenders import CONTENDERS, Unavailable  # noqa: PLC0415

    pin("client")
    # Replies go to the real stdout; anything a library prints goes to stderr instead.
    out = sys.stdout
    sys.stdout = sys.stderr
    contender = next(c for c in CONTENDERS if c.key == key.partition("@")[0])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        runner = contender.build(base_url)
    except Unavailable as error:
        _reply(out, {"unavailable": str(error)})
        return
    _reply(out, {"ready": True})
    try:
        for line in sys.stdin:
            command = json.loads(line)
            if command["op"] == "quit":
                break
            try:
                runner.refresh()
                if runner.acall is not None:
                    cpu, wall = loop.run_until_complete(
                        _timed_async(runner.acall, command["calls"])
                    )
                else:
                    assert runner.call is not None
                    cpu, wall = _timed_sync(runner.call, command["calls"])
            except Exception as error:
                traceback.print_exc()
                _reply(out, {"error": f"{type(error).__name__}: {error}"[:300]})
            else:
                _reply(out, {"cpu": cpu, "wall": wall})
    finally:
        if runner.aclose is not None:
            loop.run_until_complete(runner.aclose())
        runner.close()
        loop.close()


class WorkerProcess:
    """The coordinator's handle on one worker."""

    def __init__(self, key: str, base_url: str, *, sdk_path: str | None = None) -> None:
        """Start the worker for contender `key`; `sdk_path` goes first on its PYTHONPATH (a
        directory holding another `az_futures` to race, see `bench.batch --variant`)."""
        self.key = key
        paths = [sdk_path] if sdk_path else []
        paths += [str(ROOT), os.environ.get("PYTHONPATH", "")]
        # One hash seed for every worker: dict and set layouts do not differ between contenders.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), "PYTHONHASHSEED": "0"}
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.worker", key, base_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            env=env,
            text=True,
        )
        first = self._read()
        self.unavailable: str | None = first.get("unavailable")

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            return {"unavailable": f"worker exited with {self._process.wait()}"}
        message: dict[str, Any] = json.loads(line)
        return message

    def run(self, calls: int) -> tuple[list[float], list[float]]:
        """Make `calls` calls; per-call CPU and wall seconds. RuntimeError if the client failed."""
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"op": "run", "calls": calls}) + "\n")
        self._process.stdin.flush()
        answer = self._read()
        if "cpu" not in answer:
            raise RuntimeError(answer.get("error") or answer.get("unavailable") or "no answer")
        return answer["cpu"], answer["wall"]

    def close(self) -> None:
        if self._process.poll() is None and self._process.stdin is not None:
            try:
                self._process.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self._process.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self._process.wait(30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


if __name__ == "__main__":
    serve(sys.argv[1], sys.argv[2])
