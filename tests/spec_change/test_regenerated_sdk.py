"""The promise to users: a change to the spec reaches `az_futures` by `nox -s generate` alone.

A copy of the spec gains an optional order field (`reduceOnly`), an enum value (`POST_ONLY`), a
per-order result field (`reason`) and a new path (`/v2/`). The copy is generated with the pinned
generator and the repo's templates, and the SDK's own, unedited `wrapper/src` runs on it in a
fresh interpreter: the new field and value are accepted, go on the wire in JSON and in form to the
new path, signed, and the result's new field reads from the typed result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OLD_PATH = "/az/future/trade/v1/order/batch"
NEW_PATH = "/az/future/trade/v2/order/batch"

# Runs in the fresh interpreter against the regenerated client; prints what it saw as JSON.
PROBE = r"""
import hashlib, hmac, json, sys
from urllib.parse import parse_qsl

import httpx
import az_futures
import az_futures_client

API_KEY, SECRET = "k-1", "s-1"
seen = []

def answer(request):
    seen.append(request)
    return httpx.Response(200, json={
        "returnCode": 0, "msgInfo": "success", "error": None,
        "result": {"createOrdersResponse": [
            {"clientOrderId": "n-1", "orderId": 7, "createState": "OK", "reason": "new field"}
        ]},
    })

def signature_ok(request):
    # The signing rule written out here, independently of the SDK.
    body = request.content.decode()
    if request.headers["content-type"] == "application/x-www-form-urlencoded":
        body = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(body, keep_blank_values=True)))
    stamp = request.headers["validate-timestamp"]
    message = f"validate-appkey={API_KEY}&validate-timestamp={stamp}#{request.url.path}#{body}"
    expected = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return request.headers["validate-signature"] == expected

order = az_futures.Order(client_order_id="n-1", symbol="btc_usdt", order_side="BUY",
    order_type="LIMIT", orig_qty="1", price="39000.1", position_side="LONG",
    reduce_only=True, time_in_force="POST_ONLY")
report = {"generated_from": az_futures_client.__file__, "order": repr(order), "sent": []}
for encoding in ("json", "form"):
    client = az_futures.Client(base_url="http://127.0.0.1:9", api_key=API_KEY, secret_key=SECRET,
        encoding=encoding, rate_limit=None, learn_clock_offset=False,
        http_client=httpx.Client(transport=httpx.MockTransport(answer)))
    result = client.batch_orders([order])
    request = seen[-1]
    if encoding == "json":
        sent = json.loads(request.content)["createOrders"][0]
    else:
        sent = json.loads(dict(parse_qsl(request.content.decode()))["createOrders"])[0]
    report["sent"].append({
        "encoding": encoding, "path": request.url.path, "order": sent,
        "signed": signature_ok(request), "reason": result.created[0].reason,
        "ok": result.ok,
    })
print(json.dumps(report))
"""


def _changed_spec(source: Path, target: Path) -> None:
    spec = yaml.safe_load(source.read_text(encoding="utf-8"))
    schemas = spec["components"]["schemas"]
    schemas["OrderCreate"]["properties"]["reduceOnly"] = {
        "type": "boolean",
        "description": "Only reduce a position.",
    }
    schemas["TimeInForce"]["enum"].append("POST_ONLY")
    schemas["CreateOrderResult"]["properties"]["reason"] = {"type": "string"}
    spec["paths"][NEW_PATH] = spec["paths"].pop(OLD_PATH)
    target.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.mark.slow
def test_a_changed_spec_reaches_users_by_regeneration_alone(tmp_path: Path) -> None:
    if shutil.which("openapi-python-client") is None:
        pytest.fail("the pinned generator is not installed: run the tests through `nox -s tests`")
    spec = tmp_path / "az-futures.yaml"
    _changed_spec(ROOT / "openapi" / "az-futures.yaml", spec)
    generated = tmp_path / "generated"
    subprocess.run(
        [sys.executable, str(ROOT / "codegen" / "generate.py"), str(spec), str(generated)],
        check=True,
        capture_output=True,
    )
    env = {
        **os.environ,
        # The regenerated client first; the SDK is the repo's own wrapper/src, unedited.
        "PYTHONPATH": os.pathsep.join([str(generated), str(ROOT / "wrapper" / "src")]),
    }
    run = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["generated_from"].startswith(str(generated))
    assert "reduce_only=True" in report["order"]
    assert [sent["encoding"] for sent in report["sent"]] == ["json", "form"]
    for sent in report["sent"]:
        assert sent["path"] == NEW_PATH
        assert sent["order"]["reduceOnly"] is True
        assert sent["order"]["timeInForce"] == "POST_ONLY"
        assert sent["signed"]
        assert sent["reason"] == "new field"
        assert sent["ok"]


def test_the_sdk_refuses_what_the_unchanged_spec_does_not_have() -> None:
    """The other side of the promise: without the change, the field and value are refused."""
    from az_futures import Order, ValidationError

    with pytest.raises(ValidationError) as error:
        Order(
            client_order_id="n-1", symbol="btc_usdt", order_side="BUY", order_type="MARKET",
            orig_qty="1", position_side="LONG", reduce_only=True, time_in_force="POST_ONLY",
        )  # fmt: skip
    assert {p.field for p in error.value.problems} == {"reduce_only", "time_in_force"}
