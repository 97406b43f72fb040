"""The Alif emulator's test cards: which card number leads to which outcome.

Every Luhn-valid number works; most succeed after an OTP. These decide
otherwise (all pass the Luhn check, so the SDK lets them through):

=================== ========================================================
card number         outcome
=================== ========================================================
8600140214357387    the seed's example card (Uzcard): succeeds after the OTP
9860000000000018    Humo: succeeds after the OTP
4000000000000002    Visa: succeeds without an OTP
8600000000000015    declined: code 1007, status DECLINED
8600000000000023    insufficient funds: code 1108, status INSUFFICIENT_FUNDS
8600000000000031    blocked: code 1107, status BLOCKED_CARD (binding fails too)
8600000000000049    limit exceeded: code 1109, status DECLINED
8600000000000056    expired: code 1103, status EXPIRED_CARD (binding fails too)
8600000000000064    unknown to the issuer: code 1102, status INVALID_CARD (binding fails too)
=================== ========================================================

Any card whose ``exp`` (MMYY) is in the past is expired (1103). The OTP is
:data:`TEST_OTP` unless the emulator is given another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aioacquiring.testing._alif_records import Card, Otp, new_id

__all__ = [
    "BLOCKED",
    "DECLINED",
    "EXPIRED",
    "INSUFFICIENT_FUNDS",
    "INVALID",
    "LIMIT",
    "TEST_CARDS",
    "TEST_OTP",
    "CardProfile",
    "Refusal",
    "bank_name",
    "bind_refusal",
    "charge_refusal",
    "is_expired",
    "luhn_ok",
    "mask_pan",
    "mask_phone",
    "profile",
]

TEST_OTP = "123456"
"""The one-time code the emulator "texts" to every phone."""

DEFAULT_PHONE = "998901234567"
"""The phone the emulator's issuer has for a card when the merchant gives none."""


@dataclass(frozen=True)
class Refusal:
    """Why a card is refused: the API's code, the object's status, a message."""

    code: int
    status: str
    message: str


DECLINED = Refusal(1007, "DECLINED", "the payment was declined by the issuer")
INSUFFICIENT_FUNDS = Refusal(1108, "INSUFFICIENT_FUNDS", "insufficient funds on the card")
BLOCKED = Refusal(1107, "BLOCKED_CARD", "the card is blocked")
LIMIT = Refusal(1109, "DECLINED", "a limit of the card was exceeded")
EXPIRED = Refusal(1103, "EXPIRED_CARD", "the card has expired")
INVALID = Refusal(1102, "INVALID_CARD", "the card data is wrong")


@dataclass(frozen=True)
class CardProfile:
    """What the emulator's issuer knows about a test card."""

    needs_otp: bool = True
    refusal: Refusal | None = None
    holder_name: str = "TEST CARDHOLDER"
    phone: str = DEFAULT_PHONE


TEST_CARDS: dict[str, CardProfile] = {
    "8600140214357387": CardProfile(holder_name="ALISHER NAVOIY"),
    "9860000000000018": CardProfile(holder_name="BOBUR MIRZO", phone="998935550101"),
    "4000000000000002": CardProfile(needs_otp=False, holder_name="JOHN SMITH"),
    "8600000000000015": CardProfile(refusal=DECLINED),
    "8600000000000023": CardProfile(refusal=INSUFFICIENT_FUNDS),
    "8600000000000031": CardProfile(refusal=BLOCKED),
    "8600000000000049": CardProfile(refusal=LIMIT),
    "8600000000000056": CardProfile(refusal=EXPIRED),
    "8600000000000064": CardProfile(refusal=INVALID),
}

_BIND_REFUSALS = frozenset({BLOCKED, EXPIRED, INVALID})


def profile(pan: str) -> CardProfile:
    """The issuer's view of ``pan`` (an unknown Luhn-valid card succeeds after an OTP)."""
    return TEST_CARDS.get(pan, CardProfile())


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def is_expired(exp: str, now: datetime) -> bool:
    """Whether an ``MMYY`` expiry is before ``now``'s month."""
    month, year = int(exp[:2]), 2000 + int(exp[2:])
    return (year, month) < (now.year, now.month)


def charge_refusal(pan: str, exp: str, now: datetime) -> Refusal | None:
    """Why charging this card fails, or None when it goes through."""
    if is_expired(exp, now):
        return EXPIRED
    return profile(pan).refusal


def bind_refusal(pan: str, exp: str, now: datetime) -> Refusal | None:
    """Why binding this card fails (only a bad, expired or blocked card), or None."""
    refusal = charge_refusal(pan, exp, now)
    return refusal if refusal in _BIND_REFUSALS else None


def bank_name(pan: str) -> str:
    """The emulator's issuing bank for a card number, by its first digits."""
    if pan.startswith("8600"):
        return "Test Bank (Uzcard)"
    if pan.startswith("9860"):
        return "Test Bank (Humo)"
    if pan.startswith("4"):
        return "Test Bank (Visa)"
    return "Test Bank"


def mask_pan(pan: str) -> str:
    """``860014******7387``: the first six and last four digits."""
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def mask_phone(phone: str) -> str:
    """``998*******67``: the country code and the last two digits."""
    return phone[:3] + "*" * max(len(phone) - 5, 0) + phone[-2:]


def new_card(
    pan: str, exp: str, phone: str | None, now: datetime, *, status: str, otp: Otp | None = None
) -> Card:
    """A card record for ``pan`` with a fresh token: its holder, bank and masks from the test data.

    ``phone`` empty or None means the test holder's phone.
    """
    holder = profile(pan)
    phone = phone or holder.phone
    return Card(
        token=new_id("ct"),
        pan=pan,
        exp=exp,
        phone=phone,
        holder_name=holder.holder_name,
        bank_name=bank_name(pan),
        masked_pan=mask_pan(pan),
        masked_phone=mask_phone(phone),
        created_at=now,
        status=status,
        otp=otp,
    )
