from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, FieldInfo, Unset

if TYPE_CHECKING:
    from ..models.order_create import OrderCreate


T = TypeVar("T", bound="BatchOrderForm")


@_attrs_define
class BatchOrderForm:
    """The same batch as a form body. Each list is one form field holding the list's compact JSON
    text (the request body's `encoding` says so), for example
    `cancelOrderIds=[100002]&createOrderFirst=true&createOrders=[{"clientOrderId":"abc123",...}]`,
    sent as that very text: fields sorted by name, nothing percent-encoded, so that the body is
    its own signing text (`x-az-signing.form-body`). At least one of `createOrders` and
    `cancelOrderIds` must be non-empty.

        Attributes:
            create_order_first (bool | Unset): Place orders first (`true`, the default), otherwise cancel orders first.
                Default: True. Example: True.
            create_orders (list[OrderCreate] | Unset): Orders to place, at most 100, no two alike; sent as one field of JSON
                text.
            cancel_order_ids (list[int] | Unset): Ids of orders to cancel, at most 100, no two alike; sent as one field of
                JSON text.
    """

    create_order_first: bool | Unset = True
    create_orders: list[OrderCreate] | Unset = UNSET
    cancel_order_ids: list[int] | Unset = UNSET
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = (
        FieldInfo("create_order_first", "createOrderFirst", False, "bool", None, False, None, None),
        FieldInfo("create_orders", "createOrders", False, "list", "OrderCreate", False, None, 100),
        FieldInfo("cancel_order_ids", "cancelOrderIds", False, "list", "int", False, None, 100),
    )
    """The model's properties, required first, in the order `to_dict` writes them."""
    REQUIRED_WHEN: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(property, other, value): the property is required when `other` has `value` (`x-required-when`)."""

    def to_dict(self) -> dict[str, Any]:
        create_order_first = self.create_order_first

        create_orders: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.create_orders, Unset):
            create_orders = []
            for create_orders_item_data in self.create_orders:
                create_orders_item = create_orders_item_data.to_dict()
                create_orders.append(create_orders_item)

        cancel_order_ids: list[int] | Unset = UNSET
        if not isinstance(self.cancel_order_ids, Unset):
            cancel_order_ids = self.cancel_order_ids

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if create_order_first is not UNSET:
            field_dict["createOrderFirst"] = create_order_first
        if create_orders is not UNSET:
            field_dict["createOrders"] = create_orders
        if cancel_order_ids is not UNSET:
            field_dict["cancelOrderIds"] = cancel_order_ids

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.order_create import OrderCreate  # noqa: PLC0415

        d = dict(src_dict)
        create_order_first = d.pop("createOrderFirst", UNSET)

        _create_orders = d.pop("createOrders", UNSET)
        create_orders: list[OrderCreate] | Unset = UNSET
        if _create_orders is not UNSET:
            create_orders = []
            for create_orders_item_data in _create_orders:
                create_orders_item = OrderCreate.from_dict(create_orders_item_data)

                create_orders.append(create_orders_item)

        cancel_order_ids = cast(list[int], d.pop("cancelOrderIds", UNSET))

        batch_order_form = cls(
            create_order_first=create_order_first,
            create_orders=create_orders,
            cancel_order_ids=cancel_order_ids,
        )

        return batch_order_form
