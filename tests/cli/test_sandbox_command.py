"""`az-futures sandbox` serves an exchange that the SDK can trade on, with the demo keys."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from az_futures import Client, Order
from az_futures.cli import main
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY, Faults


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_sandbox_command_serves_the_batch_endpoint() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("AZ_API_KEY", "AZ_SECRET_KEY")}
    faults = '{"latency_ms": 5, "seed": 7}'
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "az_futures",
            "sandbox",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--faults",
            faults,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base_url}/sandbox/stats", timeout=0.5)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        order = Order(
            client_order_id="cli-1",
            symbol="btc_usdt",
            order_side="SELL",
            order_type="LIMIT",
            orig_qty="0.5",
            price="41000",
            position_side="SHORT",
        )
        in_force = httpx.get(f"{base_url}/sandbox/faults", timeout=5).json()
        assert (in_force["latency_ms"], in_force["seed"], in_force["error_rate"]) == (5, 7, 0.0)
        with Client(base_url=base_url, api_key=DEMO_API_KEY, secret_key=DEMO_SECRET_KEY) as client:
            result = client.batch_orders([order])
        assert result.ok
        assert result.created[0].order_id == 100001
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=20)
    text = output.decode()
    assert f"az-futures sandbox on http://127.0.0.1:{port}" in text
    assert "demo key 'az-sandbox-demo-key'" in text
    assert DEMO_SECRET_KEY not in text
    assert f"injecting faults: {faults}" in text


def test_sandbox_help_says_how_to_set_every_fault(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["sandbox", "--help"])
    text = capsys.readouterr().out
    assert "--faults JSON" in text
    assert "curl -X PUT http://127.0.0.1:8080/sandbox/faults" in text
    for name in Faults.field_names():
        assert f"  {name} " in text, name


@pytest.mark.parametrize(
    ("faults", "expected"),
    [
        ('{"eror_rate": 0.1}', "unknown fields: eror_rate"),
        ('{"error_rate": 2}', "error_rate must be between 0 and 1"),
        ("[1]", "a JSON object is required"),
        ("{oops", "--faults: Expecting property name"),
    ],
)
def test_bad_faults_are_refused_with_the_fields_to_use(
    capsys: pytest.CaptureFixture[str], faults: str, expected: str
) -> None:
    assert main(["sandbox", "--port", "1", "--faults", faults]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "drop_after_rate" in err


def test_a_bad_sandbox_variable_is_a_usage_error_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZ_SANDBOX_FORM_SIGNATURE", "both")
    assert main(["sandbox", "--port", "1"]) == 2
    assert "AZ_SANDBOX_FORM_SIGNATURE" in capsys.readouterr().err
