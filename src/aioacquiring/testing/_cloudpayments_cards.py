"""Test cards for the CloudPayments emulator: cryptograms, the documented test numbers, outcomes.

A real cryptogram is made by CloudPayments' checkout script in the payer's
browser; the emulator's own is ``"EMU1"`` + base64 of the card data, made by
:func:`test_cryptogram` and read back by :func:`decode_cryptogram`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = [
    "REASONS",
    "Card",
    "Reason",
    "card_outcome",
    "decode_cryptogram",
    "test_cryptogram",
]

_PREFIX = "EMU1"
_NUMBER = re.compile(r"\d{12,19}")
_EXPIRY = re.compile(r"(0[1-9]|1[0-2])/(\d{2})")
_CVV = re.compile(r"\d{3,4}")

# The documented test cards (any future expiry, any CVV): (needs 3-D Secure, reason code).
_TEST_CARDS = {
    "4242424242424242": (True, 0),
    "4012888888881881": (True, 5051),
    "4000000000003055": (False, 0),
    "4000056655665556": (False, 5051),
}


@dataclass(frozen=True)
class Reason:
    """A ReasonCode with its name and the message for the payer in Russian and English."""

    code: int
    name: str
    message_ru: str
    message_en: str

    def message(self, culture_name: str | None) -> str:
        """The payer's message in the language of ``CultureName`` (Russian by default)."""
        english = culture_name is not None and culture_name.lower().startswith("en")
        return self.message_en if english else self.message_ru


REASONS = {
    reason.code: reason
    for reason in (
        Reason(0, "Approved", "Оплата успешно проведена", "Payment successful"),
        Reason(5014, "InvalidCardNumber", "Неверный номер карты", "Invalid card number"),
        Reason(
            5051,
            "InsufficientFunds",
            "Недостаточно средств на карте",
            "Insufficient funds on the card",
        ),
        Reason(5054, "ExpiredCard", "Истёк срок действия карты", "The card has expired"),
        Reason(
            5204,
            "UnableToProcess",
            "Операция не может быть обработана",
            "The payment cannot be processed",
        ),
        Reason(
            5206,
            "AuthenticationFailed",
            "3-D Secure авторизация не пройдена",
            "3-D Secure authentication failed",
        ),
    )
}


def _luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


@dataclass(frozen=True)
class Card:
    """Card data from a cryptogram. Its repr hides the number and the CVV."""

    number: str
    expiry: str  # MM/YY
    cvv: str

    def __repr__(self) -> str:
        return f"Card({self.first_six}******{self.last_four}, expiry={self.expiry})"

    @property
    def first_six(self) -> str:
        """The BIN."""
        return self.number[:6]

    @property
    def last_four(self) -> str:
        """The last four digits."""
        return self.number[-4:]

    @property
    def luhn_valid(self) -> bool:
        """Whether the number passes the Luhn check."""
        return _luhn_valid(self.number)

    def expired(self, now: datetime) -> bool:
        """Whether the card's last valid month is before ``now``'s month."""
        month, year = int(self.expiry[:2]), 2000 + int(self.expiry[3:])
        return (year, month) < (now.year, now.month)

    @property
    def scheme(self) -> tuple[str, int | None]:
        """``(CardType, CardTypeCode)`` by the number's prefix."""
        head = int(self.number[:4])
        if self.number.startswith("4"):
            return "Visa", 0
        if 2200 <= head <= 2204:
            return "Mir", 3
        if 5100 <= head <= 5599 or 2221 <= head <= 2720:
            return "MasterCard", 1
        if self.number[:2] in ("50", "56", "57", "58") or self.number.startswith("6"):
            return "Maestro", 2
        return "Unknown", None


def _valid_parts(number: str, expiry: str, cvv: str) -> bool:
    return bool(_NUMBER.fullmatch(number) and _EXPIRY.fullmatch(expiry) and _CVV.fullmatch(cvv))


def test_cryptogram(card_number: str, *, expiry: str = "12/30", cvv: str = "123") -> str:  # noqa: PT028
    """A ``CardCryptogramPacket`` the CloudPayments emulator accepts, for that card.

    The string is opaque to the client and, like a real cryptogram, a secret.
    Spaces and dashes in the number are ignored. The number need not pass the
    Luhn check (the emulator declines such a card with 5014 InvalidCardNumber),
    but it must be 12 to 19 digits, ``expiry`` ``MM/YY`` and ``cvv`` 3 or 4 digits.
    """
    number = re.sub(r"[\s-]", "", card_number)
    if not _valid_parts(number, expiry, cvv):
        raise ValueError("a test card needs 12-19 digits, expiry MM/YY and a 3-4 digit CVV")
    data = json.dumps({"Number": number, "Expiry": expiry, "Cvv": cvv}, separators=(",", ":"))
    return _PREFIX + base64.b64encode(data.encode()).decode("ascii")


# A function named test_* would be collected by pytest when a test module imports it.
test_cryptogram.__test__ = False  # type: ignore[attr-defined]


def decode_cryptogram(packet: object) -> Card | None:
    """The card inside a cryptogram made by :func:`test_cryptogram`, or None if it is not one."""
    if not isinstance(packet, str) or not packet.startswith(_PREFIX):
        return None
    try:
        data = json.loads(base64.b64decode(packet[len(_PREFIX) :], validate=True))
        number, expiry, cvv = data["Number"], data["Expiry"], data["Cvv"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        return None
    if not all(isinstance(part, str) for part in (number, expiry, cvv)):
        return None
    if not _valid_parts(number, expiry, cvv):
        return None
    return Card(number=number, expiry=expiry, cvv=cvv)


def card_outcome(card: Card, *, now: datetime | None = None) -> tuple[bool, int]:
    """``(needs 3-D Secure, ReasonCode)`` for a payment by this card (0 = approved).

    The reason applies after 3-D Secure when that is needed. A number failing the
    Luhn check is declined 5014, an expired card 5054; the documented test cards
    behave as documented; any other card is approved without 3-D Secure.
    """
    if not card.luhn_valid:
        return False, 5014
    if card.expired(now or datetime.now(timezone.utc)):
        return False, 5054
    return _TEST_CARDS.get(card.number, (False, 0))
