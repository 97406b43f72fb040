"""Shorthands for the nested objects a Bank 131 request needs most.

The models mirror the wire, so a card payout is
``CardMethod(card=BankCardVariant(bank_card=BankCard(number=...)))``. These
functions build the common shapes in one call, and turn an amount in major
units into the integer minor units the bank takes::

    await client.session.init_payout(
        payout_details=card("4242424242424242"),
        amount_details=amount(Decimal("150.50")),        # 15050 kopecks
        participant_details=recipient(full_name="Ivan Ivanov"),
    )
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from aioacquiring.core.errors import InvalidInputError
from aioacquiring.models.bank131.amount import AmountDetails
from aioacquiring.models.bank131.bank_account import (
    BankAccountFps,
    BankAccountFpsVerification,
    BankAccountRu,
    FpsBankAccountVariant,
    FpsVerificationVariant,
    RuBankAccountVariant,
)
from aioacquiring.models.bank131.card import (
    BankCard,
    BankCardVariant,
    CardMethod,
    TokenizedCard,
    TokenizedCardVariant,
)
from aioacquiring.models.bank131.participant import Participant, ParticipantDetails
from aioacquiring.models.bank131.payout_details import BankAccountMethod

__all__ = [
    "amount",
    "card",
    "fps_account",
    "fps_verification",
    "recipient",
    "ru_account",
    "saved_card",
]


def amount(value: Decimal | int | str, currency: str = "rub") -> AmountDetails:
    """``AmountDetails`` from an amount in major units (``Decimal("100.50")`` -> 10050).

    Refuses floats and amounts with more than two decimals, rather than round.
    """
    if isinstance(value, (float, bool)):
        raise InvalidInputError("must be a Decimal, an int or a str, not a float", field="amount")
    try:
        major = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise InvalidInputError(f"is not a number: {value!r}", field="amount") from exc
    if not major.is_finite():
        raise InvalidInputError("must be a finite number", field="amount")
    minor = major * 100
    if minor != minor.to_integral_value():
        raise InvalidInputError(f"has more than two decimals: {value}", field="amount")
    return AmountDetails(amount=int(minor), currency=currency.lower())


def card(
    number: str,
    *,
    expiration_month: str | None = None,
    expiration_year: str | None = None,
    security_code: str | None = None,
    cardholder_name: str | None = None,
) -> CardMethod:
    """A card given in the clear (``bank_card``): payouts need only the number."""
    return CardMethod(
        card=BankCardVariant(
            bank_card=BankCard(
                number=number,
                expiration_month=expiration_month,
                expiration_year=expiration_year,
                security_code=security_code,
                cardholder_name=cardholder_name,
            )
        )
    )


def saved_card(token: str) -> CardMethod:
    """A card saved earlier, by its token (``tokenized_card``)."""
    return CardMethod(card=TokenizedCardVariant(tokenized_card=TokenizedCard(token=token)))


def ru_account(
    *, bik: str, account: str, full_name: str, description: str, is_fast: bool | None = None
) -> BankAccountMethod:
    """A Russian bank account (``bank_account`` / ``ru``)."""
    return BankAccountMethod(
        bank_account=RuBankAccountVariant(
            ru=BankAccountRu(
                bik=bik,
                account=account,
                full_name=full_name,
                description=description,
                is_fast=is_fast,
            )
        )
    )


def fps_account(*, phone: str, bank_id: str, description: str | None = None) -> BankAccountMethod:
    """A Faster Payments System recipient: a phone at a bank."""
    return BankAccountMethod(
        bank_account=FpsBankAccountVariant(
            faster_payment_system=BankAccountFps(
                phone=phone, bank_id=bank_id, description=description
            )
        )
    )


def fps_verification(*, phone: str, bank_id: str) -> BankAccountMethod:
    """What ``fps.customer_verification`` checks: a phone at a bank."""
    return BankAccountMethod(
        bank_account=FpsVerificationVariant(
            faster_payment_system_verification=BankAccountFpsVerification(
                phone=phone, bank_id=bank_id
            )
        )
    )


def recipient(**fields: str) -> ParticipantDetails:
    """``ParticipantDetails`` with only a recipient (``full_name=``, ``first_name=``, ...)."""
    return ParticipantDetails(recipient=Participant(**fields))  # type: ignore[arg-type]
