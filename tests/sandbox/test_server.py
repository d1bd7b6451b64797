"""Starting and stopping sandboxes, speed over keep-alive, configuration and logging."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time

import anyio
import httpx
import pytest
from az_futures.sandbox import (
    DEMO_API_KEY,
    DEMO_SECRET_KEY,
    Exchange,
    RunningSandbox,
    SandboxConfig,
    create_app,
    running_sandbox,
)
from az_futures.sandbox._server import _bound_socket

from tests.sandbox.helpers import PATH, compact, json_headers, order, place, post_json


def test_many_sandboxes_in_one_process() -> None:
    urls = []
    for _ in range(3):
        with running_sandbox() as sandbox, httpx.Client(base_url=sandbox.base_url) as client:
            assert sandbox.base_url.startswith("http://127.0.0.1:")
            assert sandbox.port > 0
            assert place(client, "same") == [100001]  # every instance starts fresh
            urls.append(sandbox.base_url)
        with pytest.raises(httpx.ConnectError):
            httpx.get(urls[-1] + "/sandbox/stats")


def test_two_sandboxes_at_once_are_independent() -> None:
    with running_sandbox() as one, running_sandbox() as two:
        assert one.port != two.port
        with httpx.Client(base_url=one.base_url) as client:
            place(client, "only-on-one")
        assert len(one.exchange.orders(DEMO_API_KEY)) == 1
        assert two.exchange.orders(DEMO_API_KEY) == []


def test_answers_are_not_held_back_by_nagle() -> None:
    """Accepted connections get TCP_NODELAY, so keep-alive answers (status line and body are
    separate writes) do not wait ~40 ms for the client's delayed ACK. asyncio sets it only on
    sockets whose protocol number says TCP, which `_bound_socket` makes sure of."""
    listener = _bound_socket("127.0.0.1", 0)
    listener.listen()
    port = listener.getsockname()[1]
    seen: list[int] = []

    async def main() -> None:
        accepted_one = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            accepted = writer.get_extra_info("socket")
            seen.append(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()
            accepted_one.set()

        server = await asyncio.start_server(handle, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            await asyncio.wait_for(accepted_one.wait(), timeout=10)
            writer.close()

    asyncio.run(main())
    assert seen == [1]


@pytest.mark.anyio
async def test_concurrent_batches_get_distinct_ids(sandbox: RunningSandbox) -> None:
    ids: list[int] = []

    async def send(client: httpx.AsyncClient, index: int) -> None:
        body = compact({"createOrders": [order(f"a{index}")]})
        response = await client.post(PATH, content=body, headers=json_headers(body))
        assert response.status_code == 200, response.text
        ids.append(response.json()["result"]["createOrdersResponse"][0]["orderId"])

    async with (
        httpx.AsyncClient(base_url=sandbox.base_url) as client,
        anyio.create_task_group() as tg,
    ):
        for index in range(30):
            tg.start_soon(send, client, index)
    assert sorted(ids) == list(range(100001, 100031))
    assert sandbox.stats().key(DEMO_API_KEY).batches == 30


def test_create_app_exposes_the_exchange() -> None:
    app = create_app(SandboxConfig())
    assert isinstance(app.state.exchange, Exchange)
    assert app.state.exchange.config.rate_limit_per_second == 200


def test_config_from_env() -> None:
    assert dict(SandboxConfig.from_env({}).keys) == {DEMO_API_KEY: DEMO_SECRET_KEY}
    config = SandboxConfig.from_env({"AZ_API_KEY": "k", "AZ_SECRET_KEY": "s"})
    assert dict(config.keys) == {"k": "s"}
    assert dict(SandboxConfig.from_env({"AZ_API_KEY": "k"}).keys) == {DEMO_API_KEY: DEMO_SECRET_KEY}
    assert SandboxConfig.from_env({}).strict
    assert not SandboxConfig.from_env({"AZ_SANDBOX_LENIENT": "1"}).strict
    assert not SandboxConfig.from_env({"AZ_SANDBOX_LENIENT": "1", **config.keys}).strict


def test_config_form_signature_from_env() -> None:
    """`az-futures sandbox` serves either gateway: `AZ_SANDBOX_FORM_SIGNATURE=raw`."""
    assert SandboxConfig().form_signature == "docs"
    assert SandboxConfig.from_env({}).form_signature == "docs"
    assert SandboxConfig.from_env({"AZ_SANDBOX_FORM_SIGNATURE": "raw"}).form_signature == "raw"
    keyed = {"AZ_API_KEY": "k", "AZ_SECRET_KEY": "s", "AZ_SANDBOX_FORM_SIGNATURE": "RAW"}
    assert SandboxConfig.from_env(keyed).form_signature == "raw"
    with pytest.raises(ValueError, match="AZ_SANDBOX_FORM_SIGNATURE must be one of docs, raw"):
        SandboxConfig.from_env({"AZ_SANDBOX_FORM_SIGNATURE": "sorted"})
    with pytest.raises(ValueError, match="form_signature"):
        SandboxConfig(form_signature="sorted")  # type: ignore[arg-type]


def test_config_repr_shows_no_key() -> None:
    shown = repr(SandboxConfig(keys={"desk-key": "desk-secret"}))
    assert "desk-key" not in shown
    assert "desk-secret" not in shown
    assert "strict=True" in shown


def test_config_keys_cannot_change_behind_its_back() -> None:
    keys = {"k": "s"}
    config = SandboxConfig(keys=keys)
    keys["k"] = "changed"
    assert config.keys["k"] == "s"
    with pytest.raises(TypeError):
        config.keys["k"] = "x"  # type: ignore[index]


@pytest.mark.parametrize(
    "arguments",
    [{"keys": {}}, {"rate_limit_per_second": 0}, {"max_recv_window_ms": 0}],
)
def test_invalid_config_is_refused(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"must|required"):
        SandboxConfig(**arguments)  # type: ignore[arg-type]


def test_logs_never_hold_keys_or_signatures(
    client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    body = compact({"createOrders": [order()]})
    headers = json_headers(body)
    with caplog.at_level(logging.DEBUG, logger="az_futures.sandbox"):
        client.post(PATH, content=body, headers=headers)
        post_json(client, {"createOrders": [order()]}, secret="wrong")
        post_json(client, {"cancelOrderIds": [0]})
    assert caplog.records
    text = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (DEMO_API_KEY, DEMO_SECRET_KEY, headers["validate-signature"]):
        assert secret not in text


def test_a_client_that_hangs_up_mid_body_leaves_one_line_and_no_traceback(
    sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn raises ClientDisconnect into the app while it reads the body; the sandbox logs it
    as what it is, not as an error of the exchange."""
    wanted = "the client disconnected before sending its whole body"
    with caplog.at_level(logging.DEBUG):
        with socket.create_connection((sandbox.host, sandbox.port), timeout=5) as sock:
            sock.sendall(
                f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                'Content-Length: 1000\r\n\r\n{"createOrders":['.encode()
            )
        deadline = time.monotonic() + 10  # only a bound on waiting, not a timed assertion
        while not any(wanted in record.getMessage() for record in caplog.records):
            assert time.monotonic() < deadline, [r.getMessage() for r in caplog.records]
            time.sleep(0.01)
        # A request after it is served normally, and nothing about it was logged as an error.
        assert httpx.get(sandbox.base_url + "/sandbox/stats").status_code == 200
    assert [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR] == []
    assert "ClientDisconnect" not in caplog.text
    assert sandbox.exchange.orders(DEMO_API_KEY) == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_serve_blocks_and_serves_the_env_key() -> None:
    port = _free_port()
    env = os.environ | {"AZ_API_KEY": "env-key", "AZ_SECRET_KEY": "env-secret"}
    code = f"from az_futures.sandbox import serve; serve(port={port})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        with httpx.Client(base_url=base_url) as client:
            while True:
                try:
                    client.get("/sandbox/stats")
                    break
                except httpx.ConnectError:
                    assert process.poll() is None, process.communicate()
                    assert time.monotonic() < deadline, "serve() did not start"
                    time.sleep(0.05)
            response = post_json(
                client, {"createOrders": [order()]}, key="env-key", secret="env-secret"
            )
            assert response.status_code == 200, response.text
            assert post_json(client, {"createOrders": [order()]}).status_code == 401
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=15)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM)
    assert f"Uvicorn running on {base_url}" in stderr.decode()
    assert "Finished server process" in stderr.decode()
