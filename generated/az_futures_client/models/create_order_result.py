from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.create_state_name import CreateStateName
from ..types import UNSET, FieldInfo, Unset

T = TypeVar("T", bound="CreateOrderResult")


@_attrs_define
class CreateOrderResult:
    """The outcome of one order of `createOrders`.

    Attributes:
        client_order_id (str):  Example: abc123.
        create_state (CreateStateName | int | str): The outcome of one order placement. The documentation's example
            shows an integer (`1`);
            the exchange's enum page lists strings: `OK`, `PLATFORM_REJECT`, `INSUFFICIENT_BALANCE`,
            `INSUFFICIENT_POSITION`, `ORDER_NUMBER_LIMIT`, `OPEN_ORDER_MIN_NOMINAL_VALUE_LIMIT`,
            `MARKET_DEVIATION_RISK_CONTROL`, `MARKPRICE_INVALID`. Clients must accept both forms and
            keep a value they do not know as it came, not fail on it.
        order_id (int | None | Unset): The exchange's id for the order; absent or null when it was not placed. Example:
            100001.
    """

    client_order_id: str
    create_state: CreateStateName | int | str
    order_id: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = (
        FieldInfo("client_order_id", "clientOrderId", True, "str", None, False, None, None),
        FieldInfo("create_state", "createState", True, "CreateStateName|int|str", None, False, None, None),
        FieldInfo("order_id", "orderId", False, "int|None", None, True, None, None),
    )
    """The model's properties, required first, in the order `to_dict` writes them."""
    REQUIRED_WHEN: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(property, other, value): the property is required when `other` has `value` (`x-required-when`)."""

    def to_dict(self) -> dict[str, Any]:
        client_order_id = self.client_order_id

        create_state: int | str
        if isinstance(self.create_state, CreateStateName):
            create_state = self.create_state.value
        else:
            create_state = self.create_state

        order_id: int | None | Unset
        if isinstance(self.order_id, Unset):
            order_id = UNSET
        else:
            order_id = self.order_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "clientOrderId": client_order_id,
                "createState": create_state,
            }
        )
        if order_id is not UNSET:
            field_dict["orderId"] = order_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        client_order_id = d.pop("clientOrderId")

        def _parse_create_state(data: object) -> CreateStateName | int | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_create_state_type_1 = CreateStateName(data)

                return componentsschemas_create_state_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateStateName | int | str, data)

        create_state = _parse_create_state(d.pop("createState"))

        def _parse_order_id(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        order_id = _parse_order_id(d.pop("orderId", UNSET))

        create_order_result = cls(
            client_order_id=client_order_id,
            create_state=create_state,
            order_id=order_id,
        )

        create_order_result.additional_properties = d
        return create_order_result

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
