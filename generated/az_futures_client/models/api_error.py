from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, FieldInfo, Unset

T = TypeVar("T", bound="ApiError")


@_attrs_define
class ApiError:
    """Why a request failed. `code` is a string: `403` (invalid signature, or a timestamp outside
    the receive window), `insufficient_balance`, `invalid_symbol`, `symbol_is_not_trading`,
    `openapi_not_supported`, gateway codes such as `GATEWAY_0001`. On success the exchange sends
    either `null` or this object with empty strings.

        Attributes:
            code (str | Unset):  Example: 403.
            msg (str | Unset):  Example: invalid signature.
    """

    code: str | Unset = UNSET
    msg: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = (
        FieldInfo("code", "code", False, "str", None, False, None, None),
        FieldInfo("msg", "msg", False, "str", None, False, None, None),
    )
    """The model's properties, required first, in the order `to_dict` writes them."""
    REQUIRED_WHEN: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(property, other, value): the property is required when `other` has `value` (`x-required-when`)."""

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        msg = self.msg

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if code is not UNSET:
            field_dict["code"] = code
        if msg is not UNSET:
            field_dict["msg"] = msg

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code", UNSET)

        msg = d.pop("msg", UNSET)

        api_error = cls(
            code=code,
            msg=msg,
        )

        api_error.additional_properties = d
        return api_error

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
