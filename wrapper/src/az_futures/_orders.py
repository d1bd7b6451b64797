"""Orders, validated before anything is sent, with the fields the spec gives them.

`Order` takes its fields from the generated `OrderCreate` model's `FIELDS` table: Python and wire
names, which are required, and each field's kind (text, decimal string, enum, bool, int). A field
added to the spec reaches `Order` by regeneration alone, checked by its kind.

Numbers: `Decimal`, `int` and decimal strings are taken as they are. A `float` is taken through
its shortest repr (`39000.1` -> "39000.1"), never expanded to its binary digits; a float whose
shortest repr needs more than 15 significant digits (`0.1 + 0.2` -> 0.30000000000000004) is
float arithmetic noise, not a price anyone meant, and is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import partial
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

import orjson
from az_futures_client.models import OrderCreate
from az_futures_client.types import FieldInfo

from ._errors import Problem, ValidationError

MAX_DECIMAL_DIGITS = 100
"""The most digits a quantity or price may have written out in plain notation."""
_FLOAT_DIGITS = 15  # a double holds any 15-significant-digit decimal exactly through repr
_INT_LIMIT = 10**MAX_DECIMAL_DIGITS
_INT64 = range(-(2**63), 2**64)  # what JSON bodies carry as integers (orjson's range)
_positive_decimal = re.compile(r"[1-9][0-9]*(?:\.[0-9]+)?|0\.[0-9]*[1-9][0-9]*").fullmatch
"""A decimal string greater than zero in the spec's plain notation: no sign, exponent, spaces
or extra leading zeros."""
_control = re.compile(r"[\x00-\x1f\x7f-\x9f]").search
_surrogate = re.compile(r"[\ud800-\udfff]").search  # what UTF-8 cannot carry


class _Refused(Exception):
    """A field's value is not acceptable; the message says why."""


def to_decimal(value: object) -> str:
    """The plain wire text of an exact, finite, positive decimal, or `_Refused`."""
    # The quick checks of `Order.__init__` first: an order that reaches `_check` for a Decimal
    # price should not pay the general parse for its plain quantity.
    if type(value) is str and len(value) <= MAX_DECIMAL_DIGITS and _positive_decimal(value):
        return value
    if type(value) is int and 0 < value < _INT_LIMIT:
        return str(value)
    if isinstance(value, bool) or not isinstance(value, Decimal | str | int | float):
        raise _Refused(f"expected a Decimal, str or int, got {type(value).__name__}")
    try:  # a float through its shortest repr; surrounding white space is allowed in a str
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise _Refused(f"{value!r} is not a decimal number") from None
    if not number.is_finite():
        raise _Refused(f"must be a finite number, got {value!r}")
    if isinstance(value, float) and float(f"{value:.{_FLOAT_DIGITS}g}") != value:
        raise _Refused(
            f"the float {value!r} carries binary rounding noise; round it to the "
            f"instrument's tick size, or pass a Decimal or a str such as "
            f"'{value:.{_FLOAT_DIGITS}g}'"
        )
    if number <= 0:
        raise _Refused(f"must be greater than zero, got {value!r}")
    _, digits, exponent = number.as_tuple()  # the exponent an int, as the number is finite
    # Digits of the plain form, counted without building it: '1E+999999999' has a billion.
    length = max(len(digits), -int(exponent)) + max(int(exponent), 0)
    if length > MAX_DECIMAL_DIGITS:
        raise _Refused(
            f"{value!r} has {length} digits in plain notation; at most {MAX_DECIMAL_DIGITS} "
            "are sent (check the exponent)"
        )
    return format(number, "f")  # plain notation, exactly: Decimal('1E+3') -> '1000'


def _to_text(min_length: int, value: object) -> str:
    """A text field's check (`min_length` given by `converter_for`)."""
    if not isinstance(value, str):
        raise _Refused(f"expected a non-empty str, got {type(value).__name__}")
    if not value.strip():
        raise _Refused("must not be empty")
    # Printable text holds neither a control character nor a surrogate: no search needed.
    if not value.isprintable() and _control(value):
        raise _Refused(f"{value!r} holds a control character; remove it")
    if not value.isprintable() and _surrogate(value):
        raise _Refused(f"{value!r} holds a lone surrogate, which UTF-8 cannot carry")
    if len(value) < min_length:
        raise _Refused(f"must be at least {min_length} characters long")
    return value


def _to_enum(values: dict[str, str], value: object) -> str:
    """An enum field's check: its value, given as itself or its member (`values`: `_wire_values`
    of the enum, given by `converter_for`)."""
    if not isinstance(value, str):
        raise _Refused(f"expected one of {', '.join(values)}, got {type(value).__name__}")
    if value not in values:
        hint = " (values are upper case)" if value.upper() in values else ""
        raise _Refused(f"{value!r} is not one of {', '.join(values)}{hint}")
    return values[value]


def _wire_values(enum: type[Enum]) -> dict[str, str]:
    """Each value of an enum, looked up by itself or its member, to the plain value sent."""
    return {member.value: member.value for member in enum}


def _to_bool(value: object) -> bool:
    if type(value) is not bool:
        raise _Refused(f"expected bool, got {type(value).__name__}")
    return value


def _to_int(value: object) -> int:
    if type(value) is not int:
        raise _Refused(f"expected int, got {type(value).__name__}")
    if value not in _INT64:
        raise _Refused(f"{value} does not fit in 64 bits")
    return value


def _to_float(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Refused(f"expected a number, got {type(value).__name__}")
    return cast(float, _as_json(value))  # not NaN or an infinity


def _as_json(value: object) -> Any:
    """A value of a kind the SDK does not know, sent as given once JSON can carry it exactly."""
    try:
        json.dumps(value, allow_nan=False)  # NaN and infinities, which orjson would write as null
        orjson.dumps(value)  # integers beyond 64 bits, keys that are not text
    except (TypeError, ValueError, RecursionError) as error:
        raise _Refused(f"cannot be sent as JSON ({error})") from None
    return value


def converter_for(field: FieldInfo) -> Callable[[object], Any]:
    """The check for a field of the spec, by its kind: the value given -> its wire value, or
    `_Refused` saying why not. A kind the SDK does not know is sent as given (once JSON can carry
    it), so that a new field of an unusual type still reaches the wire. Plainly valid values are
    taken by `Order.__init__`'s quick checks (`_QUICK_CHECKS`) before these; these explain."""
    if field.kind == "str":
        return partial(_to_text, field.min_length or 1)
    if field.kind == "enum":
        return partial(_to_enum, _wire_values(field.type))
    return _CONVERTERS.get(field.kind, _as_json)


_CONVERTERS = {"decimal": to_decimal, "bool": _to_bool, "int": _to_int, "float": _to_float}
"""The checks of the kinds that need nothing from the field."""


_TABLE = [(f.python_name, f.wire_name, f.required, converter_for(f)) for f in OrderCreate.FIELDS]
_WIRE_NAME = {f.python_name: f.wire_name for f in OrderCreate.FIELDS}
_WIRE_TO_NAME = {wire: name for name, wire in _WIRE_NAME.items()}
CLIENT_ORDER_ID = _WIRE_NAME["client_order_id"]
"""The wire name of the client order id, which reconciles orders (for readers of `to_wire()`)."""


def _check(fields: dict[str, Any]) -> dict[str, Any]:
    """Every field of an order checked: its wire form, in the spec's order, or `ValidationError`
    listing every problem."""
    wire: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, wire_name, required, convert in _TABLE:
        value = fields.get(name)
        if value is not None:
            try:
                wire[wire_name] = convert(value)
            except _Refused as refused:
                problems.append(Problem(name, str(refused)))
        elif required:
            problems.append(Problem(name, "is required"))
    problems += [Problem(n, "is not a field of an order") for n in fields if n not in _WIRE_NAME]
    for name, other, value in OrderCreate.REQUIRED_WHEN:
        if fields.get(name) is None and wire.get(_WIRE_NAME[other]) == value:
            problems.append(Problem(name, f"a {value} order needs a {name.replace('_', ' ')}"))
    if problems:
        raise ValidationError(problems)
    return wire


_QUICK_CHECKS = {
    "str": [
        "if type({v}) is not str or not {v}.isascii() or not {v}.isprintable() or {v}.isspace()"
        " or len({v}) < {min_length}: break",
        "w_{v} = {v}",
    ],
    "enum": ["w_{v} = _values_{v}.get({v})", "if w_{v} is None: break"],
    "decimal": [
        "if type({v}) is str and len({v}) <= MAX_DECIMAL_DIGITS and _positive_decimal({v}):"
        " w_{v} = {v}",
        "elif type({v}) is int and 0 < {v} < _INT_LIMIT: w_{v} = str({v})",
        "else: break",
    ],
    "bool": ["if type({v}) is not bool: break", "w_{v} = {v}"],
    "int": ["if type({v}) is not int or {v} not in _INT64: break", "w_{v} = {v}"],
}
"""`Order.__init__`'s quick checks by kind, as lines of its source: they take the plainly valid
(ASCII printable text, exact enum values, plain decimal strings and ints) of the argument `{v}`
into `w_{v}`, its wire value, and `break` to `_check` for anything else; an enum's values are
`_values_{v}`. A kind not here is left to `_check`."""


def _compile_init(fields: tuple[FieldInfo, ...]) -> Callable[..., None]:
    """`Order.__init__`, written from the spec's table as `dataclasses` writes one: a keyword
    parameter per field, and the quick checks of its kind (`_QUICK_CHECKS`). Anything else, and
    every problem, goes to `_check`, which converts by the same table and explains.
    tests/unit/test_orders.py holds the two to the same orders.

    A desk builds a hundred orders for every quote refresh: this takes a fraction of the time.
    """
    # This module's names; `_check` looked up when called.
    scope = {**globals(), "_check": lambda fields: _check(fields)}  # noqa: PLW0108
    names = [field.python_name for field in fields]
    lines: list[str] = []  # the quick checks
    wire: list[str] = []  # the required fields' wire values, as the items of a dict display
    optional: list[str] = []  # the optional fields' wire values, set when given
    for field in fields:
        name, wire_name = field.python_name, field.wire_name
        if field.kind == "enum":
            scope[f"_values_{name}"] = _wire_values(field.type)
        quick = _QUICK_CHECKS.get(field.kind, ["break"])
        checks = [line.format(v=name, min_length=field.min_length or 1) for line in quick]
        if field.required:  # its checks refuse None
            lines += checks
            wire.append(f"{wire_name!r}: w_{name}")
        else:
            lines += [f"if {name} is not None:", *(f"    {line}" for line in checks)]
            optional.append(f"if {name} is not None: wire[{wire_name!r}] = w_{name}")
    for name, other, value in OrderCreate.REQUIRED_WHEN:
        lines.append(f"if {name} is None and {other} is not None and w_{other} == {value!r}: break")
    lines += [f"self._wire = wire = {{{', '.join(wire)}}}", *optional, "return"]
    body = "\n".join(f"            {line}" for line in lines)
    given = ", ".join(f"{name!r}: {name}" for name in names)
    source = f"""def __init__(self, *, {", ".join(f"{name}=None" for name in names)}, **unknown):
    try:
        while not unknown:
{body}
    except TypeError:  # an unhashable value looked up: _check explains
        pass
    self._wire = _check({{{given}, **unknown}})
"""
    exec(compile(source, "<az_futures.Order.__init__>", "exec"), scope)  # noqa: S102
    return cast(Callable[..., None], scope["__init__"])


class Order:
    """One order to place, immutable, with exact decimals; its fields are the spec's
    `OrderCreate` properties, by their Python names (`client_order_id`, `orig_qty`, ...).

    Raises `ValidationError` listing every problem of the order when an argument is wrong. An
    optional field given as None is left out (`time_in_force=None`: the exchange's default).
    An order holds its wire form; its fields read back as `Decimal`s and enum members. Two orders
    are equal when they send the same: `orig_qty="1.50"` is not `orig_qty="1.5"`.
    """

    __slots__ = ("_wire",)

    _wire: dict[str, Any]

    if TYPE_CHECKING:  # a keyword argument and an attribute per field of the spec's table

        def __init__(self, **fields: Any) -> None: ...

        def __getattr__(self, name: str) -> Any: ...

    else:
        __init__ = _compile_init(OrderCreate.FIELDS)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Order:
        """An order from a mapping keyed by Python names or by the exchange's names.

        Unknown keys are refused, so a misspelt optional field is not silently dropped.
        """
        fields: dict[str, Any] = {}
        problems: list[Problem] = []
        for key, value in data.items():
            name = _WIRE_TO_NAME.get(key, key)
            if type(key) is not str:
                problems.append(Problem(str(key), "is not a field of an order"))
            elif name in fields:
                problems.append(Problem(name, "is given twice (Python and exchange spelling)"))
            fields[name] = value  # used only when there is no problem
        if problems:
            raise ValidationError(problems)
        return cls(**fields)

    def to_wire(self) -> dict[str, Any]:
        """The order as the exchange's JSON object, in the spec's field order (a fresh copy)."""
        return dict(self._wire)

    def to_dict(self) -> dict[str, Any]:
        """The order's fields by Python name, only those set."""
        return {_WIRE_TO_NAME[key]: getattr(self, _WIRE_TO_NAME[key]) for key in self._wire}

    def replace(self, **changes: Any) -> Order:
        """A copy of this order with some fields changed (validated like a new order; its own
        fields as their wire values, which the quick checks take)."""
        return Order(**{**{_WIRE_TO_NAME[k]: v for k, v in self._wire.items()}, **changes})

    def __eq__(self, other: object) -> bool:
        return self._wire == other._wire if isinstance(other, Order) else NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self._wire.items()))

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self.to_dict().items())
        return f"Order({shown})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (Order.from_mapping, (self._wire,))


wire_form: Callable[[Order], Mapping[str, Any]] = attrgetter("_wire")
"""An order's wire form, shared rather than copied, for encoders and checks that only read it
(`Order.to_wire()` copies); `map(wire_form, orders)` reads a list of them in C."""


def _field_attribute(field: FieldInfo) -> property:
    """An order's field, read from its wire form: None when an optional field is not set."""
    name, wire_name = field.python_name, field.wire_name
    read = {"decimal": Decimal, "enum": field.type}.get(field.kind)
    refusal = f"Order is immutable; use order.replace({name}=...) for a changed copy"

    def get(order: Order) -> Any:
        value = order._wire.get(wire_name)
        return value if value is None or read is None else read(value)

    def refuse(order: Order, value: object = None) -> None:  # to set or delete the field
        raise AttributeError(refusal)

    return property(get, refuse, refuse)


for _field in OrderCreate.FIELDS:
    setattr(Order, _field.python_name, _field_attribute(_field))
