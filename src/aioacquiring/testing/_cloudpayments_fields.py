"""Reading CloudPayments request parameters, with the API's own error messages.

Values come from JSON (numbers as ``int``/``Decimal``) or from a form (all
strings); each reader accepts both. A bad value raises :class:`ApiError`, which
the emulator answers as ``{"Success": false, "Message": ...}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "CURRENCY_CODES",
    "ApiError",
    "amount",
    "boolean",
    "choice",
    "currency",
    "iso_date",
    "iso_datetime",
    "json_data",
    "json_object",
    "one_of",
    "optional_positive_int",
    "optional_str",
    "positive_int",
    "required_str",
    "string_list",
]

# Numeric codes of CloudPayments' currency list, in the list's order.
CURRENCY_CODES = {
    "RUB": 0, "EUR": 1, "USD": 2, "GBP": 3, "UAH": 4, "BYN": 6, "KZT": 7, "AZN": 8, "CHF": 9,
    "CZK": 10, "CAD": 11, "PLN": 12, "SEK": 13, "TRY": 14, "CNY": 15, "INR": 16, "BRL": 17,
    "ZAR": 18, "UZS": 19, "BGN": 20, "RON": 21, "AUD": 22, "HKD": 23, "GEL": 24, "KGS": 25,
    "AMD": 26, "AED": 27,
}  # fmt: skip

_CENT = Decimal("0.01")
_FRACTION = re.compile(r"(?<=:\d\d)\.(\d+)")


class ApiError(Exception):
    """An invalid request; the message is what the API puts in ``Message``."""


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _invalid(key: str) -> ApiError:
    return ApiError(f"Invalid {key} value")


def _required(key: str) -> ApiError:
    return ApiError(f"{key} is required")


def amount(body: Mapping[str, Any], key: str = "Amount") -> Decimal:
    """A positive money amount with at most two decimals."""
    value = body.get(key)
    if _missing(value):
        raise _required(key)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise _invalid(key)
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise _invalid(key) from None
    if not number.is_finite() or number <= 0 or number != number.quantize(_CENT):
        raise _invalid(key)
    return number


def positive_int(body: Mapping[str, Any], key: str) -> int:
    """A required whole number >= 1 (``TransactionId``, ``PageNumber``)."""
    value = body.get(key)
    if _missing(value):
        raise _required(key)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value)
    else:
        raise _invalid(key)
    if number < 1:
        raise _invalid(key)
    return number


def optional_positive_int(body: Mapping[str, Any], key: str) -> int | None:
    """A whole number >= 1 when given (``MaxPeriods``, ``TtlMinutes``)."""
    return None if _missing(body.get(key)) else positive_int(body, key)


def boolean(body: Mapping[str, Any], key: str, *, required: bool) -> bool | None:
    """A flag: a JSON boolean, or ``true``/``false``/``1``/``0`` from a form."""
    value = body.get(key)
    if _missing(value):
        if required:
            raise _required(key)
        return None
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    if not isinstance(value, bool):
        raise _invalid(key)
    return value


def one_of(
    body: Mapping[str, Any], key: str, allowed: Collection[str], *, required: bool
) -> str | None:
    """A name from ``allowed`` (``Interval``, ``Scheme``, ``Type``)."""
    value = optional_str(body, key)
    if value is None or not value.strip():
        if required:
            raise _required(key)
        return None
    if value not in allowed:
        raise _invalid(key)
    return value


def choice(
    body: Mapping[str, Any], key: str, allowed: Collection[int], *, required: bool
) -> int | None:
    """A small integer code from ``allowed`` (``TrInitiatorCode``, ``PaymentScheduled``)."""
    value = body.get(key)
    if _missing(value):
        if required:
            raise _required(key)
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise _invalid(key)
    return value


def optional_str(body: Mapping[str, Any], key: str) -> str | None:
    """A string parameter; a number is taken as its text (``InvoiceId`` may be sent as one)."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise _invalid(key)
    return value if isinstance(value, str) else str(value)


def required_str(body: Mapping[str, Any], key: str) -> str:
    """A string parameter that must be present and not blank."""
    value = optional_str(body, key)
    if value is None or not value.strip():
        raise _required(key)
    return value


def currency(body: Mapping[str, Any]) -> str:
    """``Currency``, RUB when absent; one of the currencies CloudPayments lists."""
    value = optional_str(body, "Currency")
    if value is None or not value.strip():
        return "RUB"
    if value not in CURRENCY_CODES:
        raise _invalid("Currency")
    return value


def iso_datetime(body: Mapping[str, Any], key: str, *, naive_is_utc: bool = False) -> datetime:
    """A required ISO 8601 date-time with a UTC offset (``CreatedDateGte``).

    With ``naive_is_utc`` a date-time without an offset is taken as UTC (``StartDate``).
    """
    value = required_str(body, key)
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # Python 3.10's fromisoformat takes only 3 or 6 fractional digits: pad to 6.
    text = _FRACTION.sub(lambda m: "." + m[1][:6].ljust(6, "0"), text, count=1)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid(key) from None
    if moment.tzinfo is None and naive_is_utc:
        moment = moment.replace(tzinfo=timezone.utc)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise _invalid(key)  # without an offset the moment is ambiguous
    return moment


def iso_date(body: Mapping[str, Any], key: str) -> date:
    """A required calendar date, ``YYYY-MM-DD`` (``Date``)."""
    value = required_str(body, key).strip()
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise _invalid(key) from None


def json_object(body: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """An optional nested object (``Payer``, ``Receiver``, ``CustomerReceipt``)."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            value = json.loads(value, parse_float=Decimal)
        except ValueError:
            raise _invalid(key) from None
    if not isinstance(value, dict):
        raise _invalid(key)
    return value


def string_list(body: Mapping[str, Any], key: str, allowed: Collection[str]) -> list[str] | None:
    """An optional list of names from ``allowed`` (a form may send one name, or repeat the key)."""
    value = body.get(key)
    if value is None or value == []:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) and n in allowed for n in names):
        raise _invalid(key)
    return names


def json_data(body: Mapping[str, Any]) -> Any:
    """``JsonData``: any JSON value; an object sent as a JSON string (forms do) is decoded."""
    value = body.get("JsonData")
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value, parse_float=Decimal)
        except ValueError:
            return value
    return value
