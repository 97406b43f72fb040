"""Input checks made before an Alif request leaves: card data, and "exactly one of" pairs.

The schema's own constraints (positive amounts, ``per_page`` 1-100, patterns)
are checked by :func:`aioacquiring.core.validation.validate`; this module adds
what a JSON Schema pattern cannot say well: a card number is 16-19 digits *and*
passes the Luhn check, an expiry is ``MMYY`` with a month 01-12, and a few
requests take exactly one of two identifiers. A failure raises
:class:`InvalidInputError` naming the field and never echoing card data.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from aioacquiring.core.errors import InvalidInputError
from aioacquiring.core.serde import JSON_KEY
from aioacquiring.core.validation import validate
from aioacquiring.models.alif.debit import DebitPaymentGetRequest
from aioacquiring.models.alif.p2p import TransferCreateRequest, TransferGetRequest

__all__ = ["check_exp", "check_pan", "luhn_ok", "validate_request"]

_PAN_KEYS = frozenset({"pan", "receiver_pan"})
_EXP_KEYS = frozenset({"exp"})

_EXACTLY_ONE: dict[type, tuple[str, str]] = {
    DebitPaymentGetRequest: ("payment_id", "external_id"),
    TransferGetRequest: ("transfer_id", "external_id"),
    TransferCreateRequest: ("receiver_pan", "receiver_card_token"),
}


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def check_pan(value: object, *, field: str = "pan") -> str:
    """Return ``value`` if it is a card number (16-19 digits, Luhn-valid), else raise."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise InvalidInputError("must be a card number of digits only", field=field)
    if not 16 <= len(value) <= 19:
        raise InvalidInputError(f"must be 16 to 19 digits, got {len(value)}", field=field)
    if not luhn_ok(value):
        raise InvalidInputError("is not a valid card number (Luhn check failed)", field=field)
    return value


def check_exp(value: object, *, field: str = "exp") -> str:
    """Return ``value`` if it is an expiry ``MMYY`` with a month 01-12, else raise."""
    if not isinstance(value, str) or len(value) != 4 or not value.isascii() or not value.isdigit():
        raise InvalidInputError("must be the expiry as 4 digits MMYY, e.g. '1027'", field=field)
    if not 1 <= int(value[:2]) <= 12:
        raise InvalidInputError("must have a month from 01 to 12 (MMYY)", field=field)
    return value


def validate_request(request: Any) -> None:
    """Raise :class:`InvalidInputError` for the first field of ``request`` that is not valid."""
    for field in attrs.fields(type(request)):
        value = getattr(request, field.name)
        if value is None:
            continue
        key = field.metadata.get(JSON_KEY, field.name)
        if key in _PAN_KEYS:
            check_pan(value, field=field.name)
        elif key in _EXP_KEYS:
            check_exp(value, field=field.name)
        elif "le" in field.metadata and isinstance(value, int) and not isinstance(value, bool):
            # The core checks lower bounds only; Alif's upper bounds (per_page <= 100) go here.
            high = Decimal(field.metadata["le"])
            if value > high:
                raise InvalidInputError(f"must be at most {high}, got {value}", field=field.name)
    pair = _EXACTLY_ONE.get(type(request))
    if pair is not None:
        given = [name for name in pair if getattr(request, name) is not None]
        if len(given) != 1:
            field = given[-1] if given else pair[0]
            raise InvalidInputError(f"give exactly one of {pair[0]} and {pair[1]}", field=field)
    validate(request)
