"""Contains all the data models used in inputs/outputs"""

from .api_error import ApiError
from .batch_order_form import BatchOrderForm
from .batch_order_request import BatchOrderRequest
from .batch_order_response import BatchOrderResponse
from .batch_order_result import BatchOrderResult
from .cancel_order_result import CancelOrderResult
from .cancel_state_name import CancelStateName
from .create_order_result import CreateOrderResult
from .create_state_name import CreateStateName
from .error_response import ErrorResponse
from .error_response_result import ErrorResponseResult
from .order_create import OrderCreate
from .order_side import OrderSide
from .order_type import OrderType
from .position_side import PositionSide
from .signature_algorithm import SignatureAlgorithm
from .time_in_force import TimeInForce

__all__ = (
    "ApiError",
    "BatchOrderForm",
    "BatchOrderRequest",
    "BatchOrderResponse",
    "BatchOrderResult",
    "CancelOrderResult",
    "CancelStateName",
    "CreateOrderResult",
    "CreateStateName",
    "ErrorResponse",
    "ErrorResponseResult",
    "OrderCreate",
    "OrderSide",
    "OrderType",
    "PositionSide",
    "SignatureAlgorithm",
    "TimeInForce",
)
