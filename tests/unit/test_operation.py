"""The batch operation takes its content types from the generated endpoint: an SDK whose spec no
longer offers one of them refuses to start, rather than send bodies the exchange would refuse."""

from __future__ import annotations

import subprocess
import sys

_PROGRAM = """
import az_futures_client.api.trade.batch_orders as endpoint
endpoint.BODY_CONTENT_TYPES = {"BatchOrderRequest": "application/json"}
try:
    import az_futures
except Exception as error:
    print(type(error).__name__, error)
else:
    print("started")
"""


def test_the_sdk_refuses_to_start_when_the_spec_drops_a_content_type_it_sends() -> None:
    said = subprocess.run(
        [sys.executable, "-c", _PROGRAM], capture_output=True, text=True, check=True
    ).stdout
    assert said.startswith("ConfigurationError"), said
    assert "no longer takes form bodies" in said
    assert "regenerate the client" in said
