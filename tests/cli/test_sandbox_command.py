"""`az-futures sandbox` serves an exchange that the SDK can trade on, with the demo keys."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
from az_futures import Client, Order
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_sandbox_command_serves_the_batch_endpoint() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("AZ_API_KEY", "AZ_SECRET_KEY")}
    server = subprocess.Popen(
        [sys.executable, "-m", "az_futures", "sandbox", "--host", "127.0.0.1", "--port", str(port)],
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
