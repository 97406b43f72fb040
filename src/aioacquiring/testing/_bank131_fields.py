"""Reading Bank 131 request bodies in the emulator: version names, checks, masking.

The emulator works on raw JSON (it knows nothing of the SDK's models): these
helpers read a field in the spelling of the request's API version, refuse
what the bank refuses with ``invalid_request``, and mask card numbers the way
answers show them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

__all__ = [
    "ApiError",
    "amount_details",
    "mask_details",
    "name",
    "now_text",
    "optional_object",
    "required_object",
    "required_str",
]

V1_NAMES = {
    "payout_details": "payment_method",
    "payout_list": "payments",
    "payment_list": "acquiring_payments",
}
"""API v2 name -> API v1 name."""

PAYOUT_TYPES = frozenset({"card", "bank_account", "wallet", "tax"})
PAYMENT_TYPES = frozenset(
    {"card", "recurrent", "secured_card", "faster_payment_system", "internet_banking"}
    | {"internal_transfer"}
)
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")
_CARD_NUMBER = re.compile(r"^[0-9]{12,19}$")


class ApiError(Exception):
    """An error answer: ``{"status": "error", "error": {"code", "description"}}``."""

    def __init__(self, code: str, description: str, *, http_status: int = 400) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.http_status = http_status

    def answer(self) -> dict[str, Any]:
        """The answer's body."""
        return {"status": "error", "error": {"code": self.code, "description": self.description}}


def invalid(description: str) -> ApiError:
    """An ``invalid_request`` error."""
    return ApiError("invalid_request", description)


def name(key: str, version: int) -> str:
    """A field's name in API ``version``."""
    return V1_NAMES.get(key, key) if version == 1 else key


def now_text() -> str:
    """Now, the way the bank writes times: ISO 8601, microseconds, ``Z``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def optional_object(body: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    """An object field, or None when absent."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise invalid(f"{key} must be an object")
    return value


def required_object(body: Mapping[str, Any], key: str) -> dict[str, Any]:
    """An object field that must be there."""
    value = optional_object(body, key)
    if value is None:
        raise invalid(f"{key} is required")
    return value


def required_str(body: Mapping[str, Any], key: str) -> str:
    """A non-empty string field."""
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"{key} is required")
    return value


def amount_details(body: Mapping[str, Any], key: str = "amount_details") -> tuple[int, str]:
    """``(amount in minor units, lower-case currency)``; amounts are positive integers."""
    details = required_object(body, key)
    amount = details.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise invalid(f"{key}.amount must be a positive integer in minor units")
    currency = details.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise invalid(f"{key}.currency must be a three-letter code")
    return amount, currency.lower()


def tagged(details: Mapping[str, Any], where: str, known: frozenset[str]) -> tuple[str, Any]:
    """``(type, the object under it)`` of a ``{"type": T, T: {...}}`` object."""
    kind = details.get("type")
    if not isinstance(kind, str) or kind not in known:
        raise invalid(f"{where}.type must be one of {', '.join(sorted(known))}")
    if kind not in details:
        raise invalid(f"{where}.{kind} is required")
    return kind, details[kind]


def card_number(card: Any, where: str) -> str | None:
    """The number of a ``bank_card`` (checked), or None for other card forms."""
    if not isinstance(card, dict):
        raise invalid(f"{where} must be an object")
    if card.get("type") != "bank_card":
        return None
    bank_card = card.get("bank_card")
    number = bank_card.get("number") if isinstance(bank_card, dict) else None
    if not isinstance(number, str) or not _CARD_NUMBER.match(number):
        raise invalid(f"{where}.bank_card.number must be 12 to 19 digits")
    return number


def mask_details(details: Mapping[str, Any], number: str | None) -> dict[str, Any]:
    """The details as answers show them: a card as brand and visible digits only."""
    if details.get("type") != "card":
        return dict(details)
    if number is None:
        return {"type": "card", "card": {"brand": "visa", "last4": "0000"}}
    brand = {"2": "mir", "4": "visa", "5": "mastercard"}.get(number[0], "unknown")
    return {"type": "card", "card": {"brand": brand, "last4": number[-4:], "bin": number[:6]}}
