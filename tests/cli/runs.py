"""Running `az-futures batch` as a separate process, as users and cron jobs do."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, RunningSandbox


def start_batch(*args: str, capture: bool = True) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AZ_API_KEY": DEMO_API_KEY, "AZ_SECRET_KEY": DEMO_SECRET_KEY}
    return subprocess.Popen(
        [sys.executable, "-m", "az_futures", "batch", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE if capture else subprocess.DEVNULL,
    )


def requests(sandbox: RunningSandbox) -> int:
    """Batch requests the exchange received from the demo key, 429s included."""
    return sandbox.stats().key(DEMO_API_KEY).requests


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    """Poll until `condition` holds; a generous bound that only a hang can reach."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def lines_in(path: Path) -> int:
    return path.read_text(encoding="utf-8").count("\n") if path.exists() else 0
