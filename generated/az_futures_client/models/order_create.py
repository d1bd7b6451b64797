from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from attrs import define as _attrs_define

from ..models.order_side import OrderSide
from ..models.order_type import OrderType
from ..models.position_side import PositionSide
from ..models.time_in_force import TimeInForce
from ..types import UNSET, FieldInfo, Unset

T = TypeVar("T", bound="OrderCreate")


@_attrs_define
class OrderCreate:
    """One order to place (the exchange's `OrderCreateDTO`).

    Attributes:
        client_order_id (str): The client's own id for the order, unique among the client's open orders; it is what
            reconciles a batch whose outcome is unknown.
             Example: abc123.
        symbol (str): Trading pair. Example: btc_usdt.
        order_side (OrderSide): Order side. Example: BUY.
        order_type (OrderType): Order type. A `LIMIT` order needs a `price`. Example: LIMIT.
        orig_qty (str): A non-negative decimal number written as a string in plain notation (no exponent, no sign),
            so that no client loses precision by reading it as a binary float. Quantities and prices must
            be greater than zero.
             Example: 39000.1.
        position_side (PositionSide): Position side. Example: LONG.
        price (str | Unset): A non-negative decimal number written as a string in plain notation (no exponent, no sign),
            so that no client loses precision by reading it as a binary float. Quantities and prices must
            be greater than zero.
             Example: 39000.1.
        time_in_force (TimeInForce | Unset): How long the order stays valid: `GTC` good till cancelled, `IOC` immediate
            or cancel,
            `FOK` fill or kill, `GTX` post only (cancelled rather than take liquidity).
             Example: GTC.
        trigger_profit_price (str | Unset): A non-negative decimal number written as a string in plain notation (no
            exponent, no sign),
            so that no client loses precision by reading it as a binary float. Quantities and prices must
            be greater than zero.
             Example: 39000.1.
        trigger_stop_price (str | Unset): A non-negative decimal number written as a string in plain notation (no
            exponent, no sign),
            so that no client loses precision by reading it as a binary float. Quantities and prices must
            be greater than zero.
             Example: 39000.1.
    """

    client_order_id: str
    symbol: str
    order_side: OrderSide
    order_type: OrderType
    orig_qty: str
    position_side: PositionSide
    price: str | Unset = UNSET
    time_in_force: TimeInForce | Unset = UNSET
    trigger_profit_price: str | Unset = UNSET
    trigger_stop_price: str | Unset = UNSET
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = (
        FieldInfo("client_order_id", "clientOrderId", True, "str", None, False, 1, None),
        FieldInfo("symbol", "symbol", True, "str", None, False, 1, None),
        FieldInfo("order_side", "orderSide", True, "enum", OrderSide, False, None, None),
        FieldInfo("order_type", "orderType", True, "enum", OrderType, False, None, None),
        FieldInfo("orig_qty", "origQty", True, "decimal", None, False, None, None),
        FieldInfo("position_side", "positionSide", True, "enum", PositionSide, False, None, None),
        FieldInfo("price", "price", False, "decimal", None, False, None, None),
        FieldInfo("time_in_force", "timeInForce", False, "enum", TimeInForce, False, None, None),
        FieldInfo("trigger_profit_price", "triggerProfitPrice", False, "decimal", None, False, None, None),
        FieldInfo("trigger_stop_price", "triggerStopPrice", False, "decimal", None, False, None, None),
    )
    """The model's properties, required first, in the order `to_dict` writes them."""
    REQUIRED_WHEN: ClassVar[tuple[tuple[str, str, str], ...]] = (("price", "order_type", "LIMIT"),)
    """(property, other, value): the property is required when `other` has `value` (`x-required-when`)."""

    def to_dict(self) -> dict[str, Any]:
        client_order_id = self.client_order_id

        symbol = self.symbol

        order_side = self.order_side.value

        order_type = self.order_type.value

        orig_qty = self.orig_qty

        position_side = self.position_side.value

        price = self.price

        time_in_force: str | Unset = UNSET
        if not isinstance(self.time_in_force, Unset):
            time_in_force = self.time_in_force.value

        trigger_profit_price = self.trigger_profit_price

        trigger_stop_price = self.trigger_stop_price

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "clientOrderId": client_order_id,
                "symbol": symbol,
                "orderSide": order_side,
                "orderType": order_type,
                "origQty": orig_qty,
                "positionSide": position_side,
            }
        )
        if price is not UNSET:
            field_dict["price"] = price
        if time_in_force is not UNSET:
            field_dict["timeInForce"] = time_in_force
        if trigger_profit_price is not UNSET:
            field_dict["triggerProfitPrice"] = trigger_profit_price
        if trigger_stop_price is not UNSET:
            field_dict["triggerStopPrice"] = trigger_stop_price

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        client_order_id = d.pop("clientOrderId")

        symbol = d.pop("symbol")

        order_side = OrderSide(d.pop("orderSide"))

        order_type = OrderType(d.pop("orderType"))

        orig_qty = d.pop("origQty")

        position_side = PositionSide(d.pop("positionSide"))

        price = d.pop("price", UNSET)

        _time_in_force = d.pop("timeInForce", UNSET)
        time_in_force: TimeInForce | Unset
        if isinstance(_time_in_force, Unset):
            time_in_force = UNSET
        else:
            time_in_force = TimeInForce(_time_in_force)

        trigger_profit_price = d.pop("triggerProfitPrice", UNSET)

        trigger_stop_price = d.pop("triggerStopPrice", UNSET)

        order_create = cls(
            client_order_id=client_order_id,
            symbol=symbol,
            order_side=order_side,
            order_type=order_type,
            orig_qty=orig_qty,
            position_side=position_side,
            price=price,
            time_in_force=time_in_force,
            trigger_profit_price=trigger_profit_price,
            trigger_stop_price=trigger_stop_price,
        )

        return order_create
