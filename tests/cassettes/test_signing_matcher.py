"""Replay checks each request's signature, though no signature is stored in the cassettes.

Requests built by hand from a recorded one (its path and body), signed right and signed wrong in
the ways a signing bug would: another secret, a message without the path, the clock flipped to
the other side of the fixed time, a dropped algorithm header. Only the right one replays.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from az_futures.sandbox import DEMO_API_KEY, DEMO_SECRET_KEY
from vcr import VCR
from vcr.errors import CannotOverwriteExistingCassetteException, UnhandledHTTPRequestError

from .conftest import FIXED_MS, MAIN_URL, MATCH_ON, WRONG_SECRET, signing_matcher, summarise_signing

CASSETTES = Path(__file__).parent / "cassettes" / "test_cassettes"
PATH = "/az/future/trade/v1/order/batch"


def _first_request(cassette: Path) -> dict[str, Any]:
    document = yaml.safe_load(cassette.read_text(encoding="utf-8"))
    request: dict[str, Any] = document["interactions"][0]["request"]
    return request


def _signed(
    body: str,
    content_type: str,
    *,
    secret: str = DEMO_SECRET_KEY,
    timestamp: int = FIXED_MS,
    signed_path: str = PATH,
    algorithms: bool = True,
    recv_window: str = "60000",
) -> httpx.Request:
    """The request as the SDK sends it (canonical form or JSON body, signed over the body text),
    with the one thing a test changes."""
    stamp = str(timestamp)
    message = f"validate-appkey={DEMO_API_KEY}&validate-timestamp={stamp}#{signed_path}#{body}"
    headers = {
        "content-type": content_type,
        "validate-appkey": DEMO_API_KEY,
        "validate-timestamp": stamp,
        "validate-signature": hmac.new(
            secret.encode(), message.encode(), hashlib.sha256
        ).hexdigest(),
        "validate-recvwindow": recv_window,
    }
    if algorithms:
        headers["validate-algorithms"] = "HmacSHA256"
    return httpx.Request("POST", MAIN_URL + PATH, content=body.encode(), headers=headers)


def _replays(cassette: Path, request: httpx.Request) -> bool:
    """Whether the cassette answers `request` (played, not recorded: record_mode none)."""
    vcr = VCR(
        record_mode="none",
        before_record_request=summarise_signing,
        match_on=MATCH_ON,
        decode_compressed_response=True,
    )
    vcr.register_matcher("signing", signing_matcher)
    with vcr.use_cassette(str(cassette)), httpx.Client() as client:
        try:
            client.send(request)
        except (CannotOverwriteExistingCassetteException, UnhandledHTTPRequestError):
            return False
    return True


@pytest.mark.parametrize("encoding", ["form", "json"])
@pytest.mark.parametrize(
    ("change", "replays"),
    [
        ({}, True),
        ({"secret": WRONG_SECRET}, False),
        ({"secret": "bc6630d0231fda5cd98794f52c4998659beda290"}, False),
        ({"signed_path": "/future/trade/v1/order/batch"}, False),  # the /az prefix dropped
        ({"signed_path": ""}, False),
        ({"timestamp": FIXED_MS + 1}, False),
        ({"timestamp": FIXED_MS - 600_000}, False),
        ({"algorithms": False}, False),
    ],
    ids=[
        "right",
        "wrong-secret",
        "other-secret",
        "no-prefix",
        "no-path",
        "clock+1ms",
        "clock-back",
        "no-algorithms",
    ],
)
def test_only_the_rightly_signed_request_replays(
    encoding: str, change: dict[str, Any], replays: bool
) -> None:
    cassette = CASSETTES / f"test_mixed_batch_is_accepted[{encoding}].yaml"
    recorded = _first_request(cassette)
    content_type = recorded["headers"]["content-type"][0]
    assert _replays(cassette, _signed(recorded["body"], content_type, **change)) is replays


@pytest.mark.parametrize(
    ("cassette_name", "change"),
    [
        ("test_bad_signature_envelope.yaml", {"secret": WRONG_SECRET}),
        (
            "test_timestamp_outside_the_window_envelope.yaml",
            {"timestamp": FIXED_MS - 600_000, "recv_window": "5000"},
        ),
    ],
)
def test_the_refusal_cassettes_replay_only_the_refused_signing(
    cassette_name: str, change: dict[str, Any]
) -> None:
    """The 403 cassettes no longer answer whatever is sent: a broken HMAC key, a dropped path or
    a flipped clock is another request than the one refused at recording."""
    cassette = CASSETTES / cassette_name
    recorded = _first_request(cassette)
    content_type = recorded["headers"]["content-type"][0]
    body = recorded["body"]
    assert _replays(cassette, _signed(body, content_type, **change))
    broken = [
        {**change, "secret": "broken-" + change.get("secret", DEMO_SECRET_KEY)},
        {**change, "signed_path": ""},
        {**change, "timestamp": FIXED_MS + 600_000},  # the clock's offset flipped in sign
    ]
    for variant in broken:
        assert not _replays(cassette, _signed(body, content_type, **variant)), variant
