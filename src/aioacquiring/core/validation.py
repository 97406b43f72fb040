"""Checks a request model against its schema's constraints before anything is sent.

The generated models carry ``gt``/``ge``/``lt``/``le``/``multiple_of``/
``min_length``/``max_length``/``pattern``/``min_items``/``max_items`` in field
metadata (straight from the JSON Schema);
this module turns a violation into :class:`InvalidInputError` naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import attrs

from aioacquiring.core.errors import InvalidInputError

Check = Callable[[Any], str | None]


def _number_checks(meta: Any) -> list[Check]:
    checks: list[Check] = []
    if "gt" in meta:
        bound = Decimal(meta["gt"])
        checks.append(lambda v: None if v > bound else f"must be greater than {bound}, got {v}")
    if "ge" in meta:
        low = Decimal(meta["ge"])
        checks.append(lambda v: None if v >= low else f"must be at least {low}, got {v}")
    if "lt" in meta:
        top = Decimal(meta["lt"])
        checks.append(lambda v: None if v < top else f"must be less than {top}, got {v}")
    if "le" in meta:
        high = Decimal(meta["le"])
        checks.append(lambda v: None if v <= high else f"must be at most {high}, got {v}")
    if "multiple_of" in meta:
        step = Decimal(meta["multiple_of"])
        places = max(0, -step.as_tuple().exponent)  # type: ignore[operator]
        checks.append(
            lambda v: (
                None
                if Decimal(v) % step == 0
                else f"must have at most {places} decimal places, got {v}"
            )
        )
    return checks


def _string_checks(meta: Any) -> list[Check]:
    checks: list[Check] = []
    if "min_length" in meta:
        low = int(meta["min_length"])
        checks.append(
            lambda v: (
                None
                if len(v.strip()) >= low
                else ("must not be empty" if low == 1 else f"must be at least {low} characters")
            )
        )
    if "max_length" in meta:
        high = int(meta["max_length"])
        checks.append(lambda v: None if len(v) <= high else f"must be at most {high} characters")
    if "pattern" in meta:
        pattern = re.compile(meta["pattern"])
        checks.append(lambda v: None if pattern.search(v) else "has the wrong format")
    return checks


def _value_check(field: attrs.Attribute[Any]) -> Check | None:
    numeric = _number_checks(field.metadata)
    textual = _string_checks(field.metadata)

    def check(value: Any) -> str | None:
        if isinstance(value, float) and numeric:
            return "must be a Decimal (Decimal('10.50')) or an int, not a float"
        if isinstance(value, bool):
            return None
        if isinstance(value, int | Decimal):
            if isinstance(value, Decimal) and not value.is_finite():
                return f"must be a finite number, got {value}"
            return next((msg for c in numeric if (msg := c(value))), None)
        if isinstance(value, str):
            return next((msg for c in textual if (msg := c(value))), None)
        return None

    min_items = int(field.metadata.get("min_items", 0))
    max_items = field.metadata.get("max_items")
    if min_items or max_items is not None:

        def check_with_items(value: Any) -> str | None:
            if isinstance(value, list | tuple):
                if len(value) < min_items:
                    return f"must have at least {min_items} item(s)"
                if max_items is not None and len(value) > int(max_items):
                    return f"must have at most {max_items} item(s)"
            return check(value)

        return check_with_items
    return check if numeric or textual else None


_PLANS: dict[type, tuple[tuple[str, Check | None], ...]] = {}

_LEAVES = frozenset({str, int, bool, float, Decimal, datetime, date})
"""Field value types that hold no model to look into."""


def _plan(cls: type) -> tuple[tuple[str, Check | None], ...]:
    # Models are immutable classes generated at build time, so a plan per class is
    # computed once; the cache only ever grows by the number of request models.
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple((f.name, _value_check(f)) for f in attrs.fields(cls))
    return plan


def require_text(value: object, field: str) -> str:
    """``value`` when it is a string with something in it; else InvalidInputError on ``field``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError("must be a non-empty string", field=field)
    return value


def require_base_url(value: object, field: str = "base_url") -> str:
    """``value`` if it is an absolute ``http(s)://host[:port][/path]`` URL; else InvalidInputError.

    Caught here, once: aiohttp refuses such a URL only when a call is made, with
    an error that reads like a connection broken halfway (outcome unknown),
    retried and reported as if the provider might have acted, though nothing
    ever left.
    """
    text = require_text(value, field)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - reading it checks the port
    except ValueError as exc:
        raise InvalidInputError(f"is not a URL ({exc})", field=field) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(
            "must be an absolute http:// or https:// URL with a host, such as "
            "https://api.cloudpayments.ru",
            field=field,
        )
    if parts.username is not None or parts.password is not None:
        # aiohttp would send them as Basic auth (refusing every call beside the SDK's own
        # Authorization), and the client's repr shows its base URL.
        raise InvalidInputError("must not carry credentials (user:password@)", field=field)
    if parts.query or parts.fragment or not fits_a_header(text) or " " in text:
        raise InvalidInputError(
            "must be a plain URL: no query, fragment, spaces or non-ASCII text", field=field
        )
    return text


def require_count(value: object, field: str, *, minimum: int) -> int:
    """``value`` if it is a whole number (no bool), ``minimum`` or more; else InvalidInputError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidInputError(
            f"must be a whole number from {minimum}, got {value!r}", field=field
        )
    return value


def fits_a_header(text: str) -> bool:
    """Whether ``text`` can travel as an HTTP header value as it is: printable ASCII."""
    return text.isascii() and text.isprintable()


def require_header_text(value: object, field: str) -> str:
    """:func:`require_text` for a value sent in an HTTP header, which must be printable ASCII.

    Caught here rather than by aiohttp, which refuses a line break (a credential
    read from a file often ends in one) only when sending, on every call, with a
    bare ValueError. The message never repeats the value: it may be a secret.
    """
    text = require_text(value, field)
    if not fits_a_header(text):
        raise InvalidInputError(
            "must be printable ASCII: it travels in an HTTP header (a line break at the end?)",
            field=field,
        )
    return text


def validate(model: Any, *, path: str = "") -> None:
    """Raise :class:`InvalidInputError` for the first field that breaks its schema."""
    for name, check in _plan(type(model)):
        value = getattr(model, name)
        if value is None:
            continue
        if check is not None and (problem := check(value)):
            raise InvalidInputError(problem, field=f"{path}{name}")
        if type(value) in _LEAVES:
            continue
        if attrs.has(type(value)):
            validate(value, path=f"{path}{name}.")
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if attrs.has(type(item)):
                    validate(item, path=f"{path}{name}[{index}].")
