"""Proxy parameters: canonical names, aliases, defaults and value checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from shift_search.runtime.errors import InvalidArgument

ParamValue = int | float | str


@dataclass(frozen=True)
class Param:
    """One proxy parameter; `parse` turns a raw value into a checked one or raises ValueError."""

    name: str
    default: ParamValue
    parse: Callable[[object], ParamValue]
    aliases: tuple[str, ...] = ()
    doc: str = ""


def resolve_params(
    proxy: str, spec: tuple[Param, ...], given: Mapping[str, object]
) -> dict[str, ParamValue]:
    """Canonical, checked parameters with defaults filled in; InvalidArgument names any bad one."""
    by_name = {alias: p for p in spec for alias in (p.name, *p.aliases)}
    values: dict[str, ParamValue] = {}
    for raw_name, raw_value in given.items():
        param = by_name.get(raw_name.lower())
        if param is None:
            known = ", ".join(f"{p.name}" for p in spec) or "none"
            raise InvalidArgument(
                f"proxy {proxy} has no parameter {raw_name!r}; known parameters: {known}"
            )
        if param.name in values:
            raise InvalidArgument(f"parameter {param.name} of proxy {proxy} is given twice")
        try:
            values[param.name] = param.parse(raw_value)
        except (ValueError, TypeError) as exc:
            raise InvalidArgument(
                f"bad value {raw_value!r} for parameter {param.name} of proxy {proxy}: {exc}"
            ) from exc
    return {p.name: values.get(p.name, p.default) for p in spec}


def positive_int(value: object) -> int:
    """A whole number ≥ 1 (integral floats and digit strings accepted)."""
    number = _number(value)
    if number != int(number) or number < 1:
        raise ValueError("expected a whole number >= 1")
    return int(number)


def whole_number(value: object) -> int:
    """Any whole number (a seed)."""
    number = _number(value)
    if number != int(number):
        raise ValueError("expected a whole number")
    return int(number)


def positive_float(value: object) -> float:
    """A finite number > 0."""
    number = _number(value)
    if not 0 < number < float("inf"):
        raise ValueError("expected a number > 0")
    return number


def choice(*options: str) -> Callable[[object], str]:
    """A parser accepting one of `options` (case-insensitive)."""

    def parse(value: object) -> str:
        if not isinstance(value, str) or value.lower() not in options:
            raise ValueError(f"expected one of {', '.join(options)}")
        return value.lower()

    return parse


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError("expected a number")
    return float(value)
