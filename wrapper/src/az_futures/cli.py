"""The `az-futures` command line."""

from __future__ import annotations

import argparse
import json
from urllib.parse import parse_qsl

import httpx
from az_futures_client import AuthenticatedClient
from az_futures_client.api.trade import batch_orders
from az_futures_client.models import (
    BatchOrderForm,
    BatchOrderRequest,
    OrderCreate,
    OrderSide,
    OrderType,
    PositionSide,
)

_OFFLINE_URL = "http://sandbox.invalid"


def _demo() -> int:
    """Show the JSON and form requests that the generated client sends for one sample batch.

    Interim: until the sandbox exchange lands, the requests go to an in-process mock transport.
    """
    order = OrderCreate(
        client_order_id="demo-1",
        symbol="btc_usdt",
        order_side=OrderSide.BUY,
        order_type=OrderType.LIMIT,
        orig_qty="1",
        position_side=PositionSide.LONG,
        price="39000.1",
    )
    captured: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        captured.append(request)
        return httpx.Response(200, json={"returnCode": 0, "msgInfo": "success", "result": {}})

    # The token is never sent: the httpx client set below replaces the one that would carry it.
    client = AuthenticatedClient(base_url=_OFFLINE_URL, token="unused")  # noqa: S106
    client.set_httpx_client(
        httpx.Client(base_url=_OFFLINE_URL, transport=httpx.MockTransport(handler))
    )
    for body in (
        BatchOrderRequest(create_orders=[order], cancel_order_ids=[100002]),
        BatchOrderForm(create_orders=[order], cancel_order_ids=[100002]),
    ):
        batch_orders.sync_detailed(client=client, body=body)
    for request in captured:
        print(f"{request.method} {request.url.path}  ({request.headers['content-type']})")
        if request.headers["content-type"] == "application/json":
            print("  " + request.content.decode())
        else:
            for name, value in parse_qsl(request.content.decode()):
                print(f"  {name} = {value}")
                if value.startswith("["):
                    json.loads(value)  # each form list is JSON text
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `az-futures` console script."""
    parser = argparse.ArgumentParser(prog="az-futures", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="show a sample batch as JSON and as a form")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return _demo()
    parser.error(f"unknown command {args.command!r}")
    return 2
