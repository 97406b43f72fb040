"""JSON in and out for the emulators: exact decimals both ways, request bodies of either form."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, NoReturn

from aiohttp import web

__all__ = ["BodyError", "dumps", "read_body"]


class BodyError(ValueError):
    """The request body is neither a JSON object nor a form."""


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot send {value} as a JSON number")
    # normalize() drops trailing zeros (10.50 -> 10.5); "f" keeps it out of exponent form.
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Decimal):
        out.append(_decimal_text(value))
    elif isinstance(value, (int, float)):
        out.append(json.dumps(value, allow_nan=False))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    """Serialize to UTF-8 JSON; a ``Decimal`` becomes a plain number (10.5, never 10.4999...)."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode()


def _no_constants(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def loads(raw: bytes) -> Any:
    """Parse JSON with fractional numbers as ``Decimal`` (NaN and Infinity refused)."""
    return json.loads(raw, parse_float=Decimal, parse_constant=_no_constants)


async def read_body(request: web.Request) -> dict[str, Any]:
    """The request's parameters: a JSON object, or form fields (repeated ones as lists).

    An empty body is an empty dict. Form values stay strings, as the form sent them.
    """
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        fields: dict[str, Any] = {}
        for key in dict.fromkeys(form):
            values = [v for v in form.getall(key) if isinstance(v, str)]
            fields[key] = values[0] if len(values) == 1 else values
        return fields
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError("The request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise BodyError("The request body must be a JSON object")
    return body
