"""The clients raced by `bench.batch`, each sending the benchmark's signed 100-order batch.

Every contender is built against a base URL, sends one batch per `call()` (or `await acall()`),
and learns whether the exchange accepted the batch as a whole (HTTP 200 and `returnCode` 0),
raising if not: that is the least any client must do. A contender whose library is missing or
cannot reach a batch path is reported as unavailable, with the reason, never given a number.

Peers are imported lazily, so that a missing one costs only its own row.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench.common import (
    API_KEY,
    BATCH_PATH,
    RECV_WINDOW,
    SECRET_KEY,
    order_fields,
    quote_prices,
    quote_slots,
)

_COMPACT = (",", ":")


class Unavailable(Exception):
    """This contender cannot run here; the message says why."""


def _check_envelope(content: bytes | str, status: int = 200) -> dict[str, Any]:
    envelope: dict[str, Any] = json.loads(content)
    if status != 200 or envelope.get("returnCode") != 0:
        raise RuntimeError(f"batch refused: HTTP {status} {str(content)[:200]}")
    return envelope


def _batch_body() -> bytes:
    return json.dumps(
        {"createOrderFirst": True, "createOrders": order_fields()}, separators=_COMPACT
    ).encode()


def _signed_headers(body: bytes, *, prefix: str = "validate-") -> dict[str, str]:
    """The AZ signing headers for `body` posted to the batch path, stamped now."""
    timestamp = str(time.time_ns() // 1_000_000)
    message = f"validate-appkey={API_KEY}&validate-timestamp={timestamp}#{BATCH_PATH}#".encode()
    signature = hmac.new(SECRET_KEY.encode(), message + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        f"{prefix}appkey": API_KEY,
        f"{prefix}timestamp": timestamp,
        f"{prefix}signature": signature,
        f"{prefix}recvwindow": RECV_WINDOW,
    }


@dataclass
class Runner:
    """One contender, connected: `call` (sync) or `acall` (async) sends one batch."""

    call: Callable[[], object] | None = None
    acall: Callable[[], Awaitable[object]] | None = None
    close: Callable[[], object] = lambda: None
    aclose: Callable[[], Awaitable[object]] | None = None
    refresh: Callable[[], object] = lambda: None
    """Run outside the timed calls between blocks (the floor re-signs its fixed request)."""


@dataclass(frozen=True)
class Contender:
    key: str
    name: str
    note: str
    build: Callable[[str], Runner]
    is_async: bool = False
    sdk_path: str | None = None
    """The directory of the `az_futures` to run (`bench.batch --variant`); None: the installed."""


# --- the floor: raw httpx posting a pre-built, pre-signed body -----------------------------------


def _floor(base_url: str) -> Runner:
    import httpx  # noqa: PLC0415

    http = httpx.Client()
    url = base_url + BATCH_PATH
    body = _batch_body()
    headers = _signed_headers(body)

    def refresh() -> None:
        headers.update(_signed_headers(body))  # a fresh timestamp, outside the timed calls

    def call() -> None:
        response = http.post(url, content=body, headers=headers)
        _check_envelope(response.content, response.status_code)

    return Runner(call=call, close=http.close, refresh=refresh)


def _floor_async(base_url: str) -> Runner:
    import httpx  # noqa: PLC0415

    http = httpx.AsyncClient()
    url = base_url + BATCH_PATH
    body = _batch_body()
    headers = _signed_headers(body)

    def refresh() -> None:
        headers.update(_signed_headers(body))

    async def acall() -> None:
        response = await http.post(url, content=body, headers=headers)
        _check_envelope(response.content, response.status_code)

    return Runner(acall=acall, aclose=http.aclose, refresh=refresh)


# --- the SDK -------------------------------------------------------------------------------------


def _sdk_orders() -> list[Any]:
    from az_futures import Order  # noqa: PLC0415

    return [Order.from_mapping(fields) for fields in order_fields()]


def fresh_sdk_orders(slots: list[Any], prices: list[str]) -> list[Any]:
    """100 new `Order(...)` at new prices, as a desk builds them for each quote refresh."""
    from az_futures import Order  # noqa: PLC0415

    return [
        Order(
            client_order_id=cid,
            symbol="btc_usdt",
            order_side=side,
            order_type="LIMIT",
            orig_qty=qty,
            position_side=position,
            price=price,
            time_in_force=tif,
        )
        for (cid, side, position, qty, tif), price in zip(slots, prices, strict=True)
    ]


def _sdk(
    encoding: str, *, from_dicts: bool = False, read_results: bool = False
) -> Callable[[str], Runner]:
    def build(base_url: str) -> Runner:
        from az_futures import Client  # noqa: PLC0415

        client = Client(
            base_url=base_url,
            api_key=API_KEY,
            secret_key=SECRET_KEY,
            encoding=encoding,  # type: ignore[arg-type]
            rate_limit=None,
        )
        orders: list[Any] = order_fields() if from_dicts else _sdk_orders()

        def call() -> object:
            result = client.batch_orders(orders)
            # A rejected order is no failure here: the sandbox check resends orders it holds.
            return result.ok if read_results else result

        return Runner(call=call, close=client.close)

    return build


def _sdk_fresh(base_url: str) -> Runner:
    """100 new `Order(...)` per call, at new prices (`quote_prices`), then `batch_orders`."""
    from az_futures import Client  # noqa: PLC0415

    client = Client(
        base_url=base_url, api_key=API_KEY, secret_key=SECRET_KEY, encoding="json", rate_limit=None
    )
    slots = quote_slots()
    ticks = itertools.count()

    def call() -> object:
        return client.batch_orders(fresh_sdk_orders(slots, quote_prices(next(ticks))))

    return Runner(call=call, close=client.close)


def _sdk_async(base_url: str) -> Runner:
    from az_futures import AsyncClient  # noqa: PLC0415

    client = AsyncClient(
        base_url=base_url, api_key=API_KEY, secret_key=SECRET_KEY, encoding="json", rate_limit=None
    )
    orders = _sdk_orders()

    async def acall() -> None:
        await client.batch_orders(orders)

    return Runner(acall=acall, aclose=client.aclose)


# --- hand-rolled clients: build, encode and sign every batch -------------------------------------


def _hand_httpx(base_url: str) -> Runner:
    import httpx  # noqa: PLC0415

    http = httpx.Client()
    url = base_url + BATCH_PATH
    fields = order_fields()

    def call() -> None:
        body = json.dumps(
            {"createOrderFirst": True, "createOrders": fields}, separators=_COMPACT
        ).encode()
        response = http.post(url, content=body, headers=_signed_headers(body))
        _check_envelope(response.content, response.status_code)

    return Runner(call=call, close=http.close)


def fresh_dicts(tick: int) -> list[dict[str, str]]:
    """The hand-rolled fresh contender's 100 order dicts at quote refresh `tick`: no checks."""
    orders = []
    for (cid, side, position, qty, tif), price in zip(_SLOTS, quote_prices(tick), strict=True):
        order = {
            "clientOrderId": cid,
            "symbol": "btc_usdt",
            "orderSide": side,
            "orderType": "LIMIT",
            "origQty": qty,
            "positionSide": position,
            "price": price,
        }
        if tif is not None:
            order["timeInForce"] = tif
        orders.append(order)
    return orders


_SLOTS = quote_slots()


def _hand_httpx_fresh(base_url: str) -> Runner:
    """The SDK fresh contender's twin by hand: 100 new dicts per call at the same new prices,
    `json.dumps`, HMAC, httpx; nothing validated."""
    import httpx  # noqa: PLC0415

    http = httpx.Client()
    url = base_url + BATCH_PATH
    ticks = itertools.count()

    def call() -> None:
        orders = fresh_dicts(next(ticks))
        body = json.dumps(
            {"createOrderFirst": True, "createOrders": orders}, separators=_COMPACT
        ).encode()
        response = http.post(url, content=body, headers=_signed_headers(body))
        _check_envelope(response.content, response.status_code)

    return Runner(call=call, close=http.close)


def _hand_requests(base_url: str) -> Runner:
    try:
        import requests  # noqa: PLC0415
    except ImportError as error:
        raise Unavailable(f"requests is not installed ({error})") from None

    session = requests.Session()
    url = base_url + BATCH_PATH
    fields = order_fields()

    def call() -> None:
        body = json.dumps(
            {"createOrderFirst": True, "createOrders": fields}, separators=_COMPACT
        ).encode()
        response = session.post(url, data=body, headers=_signed_headers(body))
        _check_envelope(response.content, response.status_code)

    return Runner(call=call, close=session.close)


# --- peers ---------------------------------------------------------------------------------------


def _ccxt_xt(base_url: str) -> Runner:
    try:
        import ccxt  # noqa: PLC0415
    except ImportError as error:
        raise Unavailable(f"ccxt is not installed ({error})") from None

    exchange = ccxt.xt({"apiKey": API_KEY, "secret": SECRET_KEY, "enableRateLimit": False})
    # Every XT endpoint family to our server; the batch goes through the generic signed request
    # of the futures ("linear") API, which signs `xt-validate-appkey=..&xt-validate-timestamp=..
    # #<path>#<compact JSON body>` and sends it with `xt-validate-*` headers (no recvwindow).
    exchange.urls["api"] = dict.fromkeys(("spot", "linear", "inverse", "user"), base_url)
    path = BATCH_PATH.lstrip("/")
    fields = order_fields()

    def call() -> None:
        params = {"createOrderFirst": True, "createOrders": fields}
        envelope = exchange.request(path, ["private", "linear"], "POST", params)
        if envelope.get("returnCode") != 0:
            raise RuntimeError(f"batch refused: {envelope}")

    return Runner(call=call, close=exchange.session.close)


PYXT_PATH = "/future/trade/v2/order/create-batch"


def _pyxt(base_url: str) -> Runner:
    try:
        from pyxt.perp import Perp  # noqa: PLC0415
    except ImportError as error:
        raise Unavailable(f"pyxt is not installed ({error})") from None

    client = Perp(host=base_url, access_key=API_KEY, secret_key=SECRET_KEY)
    fields = order_fields()
    # pyxt prints method, URL, headers and body of every request to stdout: that is part of its
    # cost and stays in the measurement, but goes to /dev/null rather than the report.
    sink = open(os.devnull, "w")  # noqa: SIM115 - closed with the runner

    def call() -> None:
        with contextlib.redirect_stdout(sink):
            code, result, error = client.send_batch_order(fields)
        if code != 200 or not isinstance(result, dict) or result.get("returnCode") != 0:
            raise RuntimeError(f"batch refused: HTTP {code} {error!s:.200}")

    return Runner(call=call, close=sink.close)


CONTENDERS: tuple[Contender, ...] = (
    Contender(
        "floor",
        "floor: raw httpx, pre-built and pre-signed body",
        "httpx.Client.post of fixed bytes and headers, then json.loads of the answer",
        _floor,
    ),
    Contender(
        "floor_async",
        "floor (async): raw httpx.AsyncClient, pre-built body",
        "the async twin of the floor",
        _floor_async,
        is_async=True,
    ),
    Contender(
        "sdk_json",
        "az_futures.Client, json",
        "Order objects built once; per batch: validation, encoding, signing, the answer read "
        "into a BatchResult",
        _sdk("json"),
    ),
    Contender(
        "sdk_json_ok",
        "az_futures.Client, json, reading result.ok",
        "as above, then result.ok (were all orders placed?), the check a desk makes per batch",
        _sdk("json", read_results=True),
    ),
    Contender(
        "sdk_form",
        "az_futures.Client, form",
        "as above, form-encoded (lists as JSON text, percent-encoded)",
        _sdk("form"),
    ),
    Contender(
        "sdk_json_fresh",
        "az_futures.Client, json, 100 fresh Order(...) per call",
        "a quote refresh: 100 new Order(...) at new prices every call (bench.common.quote_prices), "
        "then batch_orders; target <= 1.00x hand-rolled httpx, fresh dicts per call",
        _sdk_fresh,
    ),
    Contender(
        "sdk_async",
        "az_futures.AsyncClient, json",
        "as az_futures.Client, json, on httpx.AsyncClient",
        _sdk_async,
        is_async=True,
    ),
    Contender(
        "sdk_json_dicts",
        "az_futures.Client, json, orders as dicts",
        "plain dicts each batch: includes building and validating 100 Orders",
        _sdk("json", from_dicts=True),
    ),
    Contender(
        "hand_httpx",
        "hand-rolled httpx",
        "json.dumps, HMAC and headers per batch on httpx.Client",
        _hand_httpx,
    ),
    Contender(
        "hand_httpx_fresh",
        "hand-rolled httpx, fresh dicts per call",
        "100 new dicts per call at the same new prices as the SDK's fresh row, json.dumps, HMAC, "
        "httpx.Client.post; validates nothing",
        _hand_httpx_fresh,
    ),
    Contender(
        "hand_requests",
        "hand-rolled requests",
        "the same on a requests.Session",
        _hand_requests,
    ),
    Contender(
        "ccxt_xt",
        "ccxt.xt, generic signed request",
        "exchange.request(path, ['private', 'linear'], 'POST', batch) to our path; signs "
        "xt-validate-appkey/timestamp + path + its own compact JSON, xt-validate-* headers",
        _ccxt_xt,
    ),
    Contender(
        "pyxt",
        "pyxt Perp.send_batch_order",
        f"nearest batch path it reaches: POST {PYXT_PATH} (a JSON list of orders, signed with "
        "json.dumps defaults); its public API has no AZ/v1 batch path; a new connection per "
        "request (module-level requests.post) and headers and body printed on every call",
        _pyxt,
    ),
)
