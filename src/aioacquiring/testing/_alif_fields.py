"""Reading Alif request fields the way the API would: a bad field is code 1001 naming it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aioacquiring.testing._alif_cards import luhn_ok

__all__ = [
    "MAX_PER_PAGE",
    "ApiError",
    "card_exp",
    "card_pan",
    "choice",
    "meta",
    "moment",
    "optional_str",
    "paging",
    "positive_int",
    "required_str",
]

MAX_PER_PAGE = 100


class ApiError(Exception):
    """An answer other than 1000: the code, the message and, when one was recorded, the object."""

    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def envelope(self) -> dict[str, Any]:
        """The answer's body."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        return body


def bad(message: str) -> ApiError:
    """A 1001 bad request."""
    return ApiError(1001, message)


def required_str(body: dict[str, Any], key: str) -> str:
    """A non-empty string field."""
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise bad(f"{key} is required and must be a non-empty string")
    return value


def optional_str(body: dict[str, Any], key: str) -> str | None:
    """A string field that may be absent."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad(f"{key} must be a string")
    return value


def positive_int(body: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    """An integer above zero (amounts are integers in minor units: 10.5 is refused)."""
    value = body.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise bad(f"{key} must be a positive integer (minor units)")
    return value


def card_pan(body: dict[str, Any], key: str = "pan") -> str:
    """A card number: 16-19 digits; a Luhn failure is code 1102 (bad card data)."""
    pan = required_str(body, key)
    if not pan.isascii() or not pan.isdigit() or not 16 <= len(pan) <= 19:
        raise bad(f"{key} must be 16 to 19 digits")
    if not luhn_ok(pan):
        raise ApiError(1102, "the card data is wrong")
    return pan


def card_exp(body: dict[str, Any], key: str = "exp") -> str:
    """An expiry, ``MMYY`` with a month 01-12."""
    exp = required_str(body, key)
    if len(exp) != 4 or not exp.isascii() or not exp.isdigit() or not 1 <= int(exp[:2]) <= 12:
        raise bad(f"{key} must be MMYY")
    return exp


def moment(body: dict[str, Any], key: str, *, required: bool = False) -> datetime | None:
    """An ISO 8601 date-time with an offset."""
    value = body.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise bad(f"{key} must be an ISO 8601 date-time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad(f"{key} must be an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise bad(f"{key} must carry a UTC offset")
    return parsed


def choice(
    body: dict[str, Any], key: str, allowed: tuple[str, ...], *, required: bool
) -> str | None:
    """One of ``allowed``."""
    value = body.get(key)
    if value is None and not required:
        return None
    if value not in allowed:
        raise bad(f"{key} must be one of {', '.join(allowed)}")
    return str(value)


def meta(body: dict[str, Any], key: str = "meta") -> dict[str, Any] | None:
    """A free-form object."""
    value = body.get(key)
    if value is not None and not isinstance(value, dict):
        raise bad(f"{key} must be an object")
    return value


def paging(body: dict[str, Any]) -> tuple[int, int]:
    """Seed: ``page`` (default 1) and ``per_page`` (default 100) at the root of the body."""
    page = positive_int(body, "page", required=False) or 1
    per_page = positive_int(body, "per_page", required=False) or MAX_PER_PAGE
    if per_page > MAX_PER_PAGE:
        raise bad(f"per_page must be at most {MAX_PER_PAGE}")
    return page, per_page
