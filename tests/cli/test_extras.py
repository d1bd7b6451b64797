"""Each command run without its optional extra says which one it needs, in one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .orderfiles import order_row, write_jsonl

# Run in a fresh interpreter where the extra's modules cannot be imported.
_PROGRAM = """
import sys
for name in sys.argv[1].split(","):
    sys.modules[name] = None  # `import name` now raises ImportError
from az_futures.cli import main
sys.exit(main(sys.argv[2:]))
"""


@pytest.mark.parametrize(
    ("blocked", "command", "extra"),
    [
        ("rich", ["demo"], "cli,sandbox"),
        ("starlette", ["demo"], "cli,sandbox"),
        ("uvicorn", ["sandbox", "--port", "1"], "sandbox"),
        ("starlette", ["sandbox", "--port", "1"], "sandbox"),
        ("rich", ["batch", "{orders}", "--base-url", "http://127.0.0.1:1"], "cli"),
        ("starlette", ["batch", "{orders}", "--env", "sandbox"], "sandbox"),
    ],
)
def test_a_command_without_its_extra_names_it_in_one_line(
    tmp_path: Path, blocked: str, command: list[str], extra: str
) -> None:
    orders = write_jsonl(tmp_path / "orders.jsonl", [order_row(1)])
    argv = [part.format(orders=orders) for part in command]
    env = {"PATH": "/usr/bin:/bin", "AZ_API_KEY": "", "AZ_SECRET_KEY": ""}
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, blocked, *argv],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.count("\n") == 1, err
    assert f"pip install 'az-futures[{extra}]'" in err
    assert blocked in err
    assert "Traceback" not in err
    assert not (tmp_path / "orders.jsonl.journal.jsonl").exists()
