"""az-futures: the SDK for the AZ futures exchange's market-maker batch endpoint.

from az_futures import Client, Order

with Client(base_url="sandbox") as client:        # keys from AZ_API_KEY / AZ_SECRET_KEY
    result = client.batch_orders(
        create_orders=[Order(client_order_id="q-1", symbol="btc_usdt", order_side="BUY",
                             order_type="LIMIT", orig_qty="1", price="39000.1",
                             position_side="LONG")],
        cancel_order_ids=[100002],
    )
"""

import logging

from az_futures_client.models import OrderSide, OrderType, PositionSide, TimeInForce

from ._batch import Batch, build_batch
from ._client import AsyncClient, Client
from ._encoding import Encoding
from ._environments import ENVIRONMENTS
from ._errors import (
    APIError,
    AuthenticationError,
    AZError,
    ConfigurationError,
    DecodeError,
    OutcomeUnknownError,
    Problem,
    RateLimitError,
    RateLimiterUnavailableError,
    RateLimitTimeout,
    RateLimitTimeoutError,
    RequestNotSentError,
    ServerError,
    TimestampError,
    TransportError,
    ValidationError,
)
from ._orders import Order
from ._ratelimit import RateLimit
from ._results import BatchResult, CancelResult, CancelState, CreateResult, CreateState
from ._signing import AzAuth
from ._version import __version__

# A library logs, the application decides where: without a handler of its own the records would
# reach Python's last-resort stderr handler.
logging.getLogger("az_futures").addHandler(logging.NullHandler())

__all__ = [
    "ENVIRONMENTS",
    "APIError",
    "AZError",
    "AsyncClient",
    "AuthenticationError",
    "AzAuth",
    "Batch",
    "BatchResult",
    "CancelResult",
    "CancelState",
    "Client",
    "ConfigurationError",
    "CreateResult",
    "CreateState",
    "DecodeError",
    "Encoding",
    "Order",
    "OrderSide",
    "OrderType",
    "OutcomeUnknownError",
    "PositionSide",
    "Problem",
    "RateLimit",
    "RateLimitError",
    "RateLimitTimeout",
    "RateLimitTimeoutError",
    "RateLimiterUnavailableError",
    "RequestNotSentError",
    "ServerError",
    "TimeInForce",
    "TimestampError",
    "TransportError",
    "ValidationError",
    "__version__",
    "build_batch",
]
