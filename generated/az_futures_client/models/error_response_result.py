from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import FieldInfo

T = TypeVar("T", bound="ErrorResponseResult")


@_attrs_define
class ErrorResponseResult:
    """Always `null`: a refused batch has no per-order outcomes. OpenAPI 3.0 has no type whose only value is `null`, so
    this is a nullable object that a client never reads; generated code may type it as "object or null".

    """

    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = ()
    """The model's properties, required first, in the order `to_dict` writes them."""
    REQUIRED_WHEN: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(property, other, value): the property is required when `other` has `value` (`x-required-when`)."""

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        error_response_result = cls()

        error_response_result.additional_properties = d
        return error_response_result

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
