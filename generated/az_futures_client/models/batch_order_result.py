from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, FieldInfo, Unset

if TYPE_CHECKING:
    from ..models.cancel_order_result import CancelOrderResult
    from ..models.create_order_result import CreateOrderResult


T = TypeVar("T", bound="BatchOrderResult")


@_attrs_define
class BatchOrderResult:
    """Per-order outcomes, in the order of the request's lists (null on failure).

    Attributes:
        create_orders_response (list[CreateOrderResult] | Unset):
        cancel_orders_response (list[CancelOrderResult] | Unset):
    """

    create_orders_response: list[CreateOrderResult] | Unset = UNSET
    cancel_orders_response: list[CancelOrderResult] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = (
        FieldInfo(
            "create_orders_response", "createOrdersResponse", False, "list", "CreateOrderResult", False, None, None
        ),
        FieldInfo(
            "cancel_orders_response", "cancelOrdersResponse", False, "list", "CancelOrderResult", False, None, None
        ),
    )
    """The model's properties, required first, in the order `to_dict` writes them."""
    REQUIRED_WHEN: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(property, other, value): the property is required when `other` has `value` (`x-required-when`)."""

    def to_dict(self) -> dict[str, Any]:
        create_orders_response: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.create_orders_response, Unset):
            create_orders_response = []
            for create_orders_response_item_data in self.create_orders_response:
                create_orders_response_item = create_orders_response_item_data.to_dict()
                create_orders_response.append(create_orders_response_item)

        cancel_orders_response: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.cancel_orders_response, Unset):
            cancel_orders_response = []
            for cancel_orders_response_item_data in self.cancel_orders_response:
                cancel_orders_response_item = cancel_orders_response_item_data.to_dict()
                cancel_orders_response.append(cancel_orders_response_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if create_orders_response is not UNSET:
            field_dict["createOrdersResponse"] = create_orders_response
        if cancel_orders_response is not UNSET:
            field_dict["cancelOrdersResponse"] = cancel_orders_response

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.cancel_order_result import CancelOrderResult  # noqa: PLC0415
        from ..models.create_order_result import CreateOrderResult  # noqa: PLC0415

        d = dict(src_dict)
        _create_orders_response = d.pop("createOrdersResponse", UNSET)
        create_orders_response: list[CreateOrderResult] | Unset = UNSET
        if _create_orders_response is not UNSET:
            create_orders_response = []
            for create_orders_response_item_data in _create_orders_response:
                create_orders_response_item = CreateOrderResult.from_dict(create_orders_response_item_data)

                create_orders_response.append(create_orders_response_item)

        _cancel_orders_response = d.pop("cancelOrdersResponse", UNSET)
        cancel_orders_response: list[CancelOrderResult] | Unset = UNSET
        if _cancel_orders_response is not UNSET:
            cancel_orders_response = []
            for cancel_orders_response_item_data in _cancel_orders_response:
                cancel_orders_response_item = CancelOrderResult.from_dict(cancel_orders_response_item_data)

                cancel_orders_response.append(cancel_orders_response_item)

        batch_order_result = cls(
            create_orders_response=create_orders_response,
            cancel_orders_response=cancel_orders_response,
        )

        batch_order_result.additional_properties = d
        return batch_order_result

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
