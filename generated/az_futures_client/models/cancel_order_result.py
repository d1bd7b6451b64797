from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.cancel_state_name import CancelStateName
from ..types import FieldInfo

T = TypeVar("T", bound="CancelOrderResult")


@_attrs_define
class CancelOrderResult:
    """The outcome of one id of `cancelOrderIds`.

    Attributes:
        cancel_order_id (int):  Example: 100002.
        cancel_state (CancelStateName | int | str): The outcome of one cancellation. The documentation's example shows
            an integer (`1`); the
            exchange's enum page lists strings: `OK`, `ORDER_CANCELED` (already cancelled),
            `PLATFORM_REJECT`. Clients must accept both forms and keep a value they do not know as it
            came, not fail on it.
    """

    cancel_order_id: int
    cancel_state: CancelStateName | int | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = (
        FieldInfo("cancel_order_id", "cancelOrderId", True, "int", None, False, None, None),
        FieldInfo("cancel_state", "cancelState", True, "CancelStateName|int|str", None, False, None, None),
    )
    """The model's properties, required first, in the order `to_dict` writes them."""
    REQUIRED_WHEN: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(property, other, value): the property is required when `other` has `value` (`x-required-when`)."""

    def to_dict(self) -> dict[str, Any]:
        cancel_order_id = self.cancel_order_id

        cancel_state: int | str
        if isinstance(self.cancel_state, CancelStateName):
            cancel_state = self.cancel_state.value
        else:
            cancel_state = self.cancel_state

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cancelOrderId": cancel_order_id,
                "cancelState": cancel_state,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cancel_order_id = d.pop("cancelOrderId")

        def _parse_cancel_state(data: object) -> CancelStateName | int | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_cancel_state_type_1 = CancelStateName(data)

                return componentsschemas_cancel_state_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CancelStateName | int | str, data)

        cancel_state = _parse_cancel_state(d.pop("cancelState"))

        cancel_order_result = cls(
            cancel_order_id=cancel_order_id,
            cancel_state=cancel_state,
        )

        cancel_order_result.additional_properties = d
        return cancel_order_result

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
