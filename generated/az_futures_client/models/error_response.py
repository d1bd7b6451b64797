from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, FieldInfo, Unset

if TYPE_CHECKING:
    from ..models.api_error import ApiError
    from ..models.error_response_result import ErrorResponseResult


T = TypeVar("T", bound="ErrorResponse")


@_attrs_define
class ErrorResponse:
    """The failure envelope, sent with an error status.

    Attributes:
        return_code (int):  Example: 1.
        msg_info (str | Unset):  Example: failure.
        error (ApiError | None | Unset): Why a request failed. `code` is a string: `403` (invalid signature, or a
            timestamp outside
            the receive window), `insufficient_balance`, `invalid_symbol`, `symbol_is_not_trading`,
            `openapi_not_supported`, gateway codes such as `GATEWAY_0001`. On success the exchange sends
            either `null` or this object with empty strings.
        result (ErrorResponseResult | None | Unset): Always `null`: a refused batch has no per-order outcomes. OpenAPI
            3.0 has no type whose only value is `null`, so this is a nullable object that a client never reads; generated
            code may type it as "object or null".
    """

    return_code: int
    msg_info: str | Unset = UNSET
    error: ApiError | None | Unset = UNSET
    result: ErrorResponseResult | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)
    FIELDS: ClassVar[tuple[FieldInfo, ...]] = (
        FieldInfo("return_code", "returnCode", True, "int", None, False, None, None),
        FieldInfo("msg_info", "msgInfo", False, "str", None, False, None, None),
        FieldInfo("error", "error", False, "ApiError|None", None, False, None, None),
        FieldInfo("result", "result", False, "ErrorResponseResult|None", None, True, None, None),
    )
    """The model's properties, required first, in the order `to_dict` writes them."""
    REQUIRED_WHEN: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    """(property, other, value): the property is required when `other` has `value` (`x-required-when`)."""

    def to_dict(self) -> dict[str, Any]:
        from ..models.api_error import ApiError  # noqa: PLC0415
        from ..models.error_response_result import ErrorResponseResult  # noqa: PLC0415

        return_code = self.return_code

        msg_info = self.msg_info

        error: dict[str, Any] | None | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        elif isinstance(self.error, ApiError):
            error = self.error.to_dict()
        else:
            error = self.error

        result: dict[str, Any] | None | Unset
        if isinstance(self.result, Unset):
            result = UNSET
        elif isinstance(self.result, ErrorResponseResult):
            result = self.result.to_dict()
        else:
            result = self.result

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "returnCode": return_code,
            }
        )
        if msg_info is not UNSET:
            field_dict["msgInfo"] = msg_info
        if error is not UNSET:
            field_dict["error"] = error
        if result is not UNSET:
            field_dict["result"] = result

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.api_error import ApiError  # noqa: PLC0415
        from ..models.error_response_result import ErrorResponseResult  # noqa: PLC0415

        d = dict(src_dict)
        return_code = d.pop("returnCode")

        msg_info = d.pop("msgInfo", UNSET)

        def _parse_error(data: object) -> ApiError | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_api_error_type_0 = ApiError.from_dict(data)

                return componentsschemas_api_error_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ApiError | None | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_result(data: object) -> ErrorResponseResult | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                result_type_0 = ErrorResponseResult.from_dict(data)

                return result_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ErrorResponseResult | None | Unset, data)

        result = _parse_result(d.pop("result", UNSET))

        error_response = cls(
            return_code=return_code,
            msg_info=msg_info,
            error=error,
            result=result,
        )

        error_response.additional_properties = d
        return error_response

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
