"""The Alif emulator's shared state: the clock, the records, OTPs, events, filters.

The sections (:mod:`._alif_checkout`, :mod:`._alif_money`) hold the rules of
each API section and share one :class:`Ledger`, so that a card bound through
``card.*`` can be debited through ``debit.*`` and every payment is found by
``*.payment.get`` whatever made it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from typing import Any, Protocol, TypeVar

from aioacquiring.testing._alif_cards import TEST_OTP, Refusal
from aioacquiring.testing._alif_fields import ApiError
from aioacquiring.testing._alif_records import Card, Otp, Payment, Transfer

__all__ = ["Ledger", "Notify", "page_of"]

Notify = Callable[[str | None, str, dict[str, Any]], None]
"""Called with (webhook URL or None for the emulator's default, event name, data)."""

_Item = TypeVar("_Item")


class _WithOtp(Protocol):
    status: str
    otp: Otp | None

    def wire(self) -> dict[str, Any]: ...


def page_of(items: list[_Item], page: int, per_page: int) -> list[_Item]:
    """Seed: page ``page`` (from 1) of ``per_page`` items."""
    start = (page - 1) * per_page
    return items[start : start + per_page]


def created_between(
    items: Iterable[_Item],
    created_at: Callable[[_Item], datetime],
    date_from: datetime | None,
    date_to: datetime | None,
) -> list[_Item]:
    """The items created within [date_from, date_to] (either end open when None)."""
    return [
        item
        for item in items
        if (date_from is None or created_at(item) >= date_from)
        and (date_to is None or created_at(item) <= date_to)
    ]


class Ledger:
    """Everything the emulator keeps, and the rules every section shares."""

    def __init__(
        self,
        *,
        notify: Notify,
        otp: str = TEST_OTP,
        otp_ttl: float = 300.0,
        otp_attempts: int = 3,
    ) -> None:
        self.notify = notify
        self.otp_code = otp
        self.otp_ttl = otp_ttl
        self.otp_attempts = otp_attempts
        self.offset = timedelta()
        self.payments: dict[str, Payment] = {}
        self.cards: dict[str, Card] = {}
        self.transfers: dict[str, Transfer] = {}

    # The clock -----------------------------------------------------------------

    def now(self) -> datetime:
        """The emulator's time: real UTC time, moved on by :meth:`advance`."""
        return datetime.now(timezone.utc) + self.offset

    def advance(self, delta: timedelta) -> None:
        """Move the emulator's clock forward (expiring sessions, OTPs and holds)."""
        self.offset += delta

    # OTPs -----------------------------------------------------------------------

    def new_otp(self) -> Otp:
        """A code "sent" now, valid for ``otp_ttl`` seconds."""
        return Otp(code=self.otp_code, expires_at=self.now() + timedelta(seconds=self.otp_ttl))

    def check_otp(self, record: _WithOtp, given: str, what: str) -> None:
        """Accept ``given`` for ``record`` or raise 1005/1100/1101/1106 (and update its status)."""
        if record.status != "OTP_REQUIRED" or record.otp is None:
            raise ApiError(1005, f"the {what} is {record.status}, not waiting for an OTP")
        if self.now() >= record.otp.expires_at:
            record.status, record.otp = "EXPIRED_OTP", None
            raise ApiError(1101, "the OTP has expired", record.wire())
        if not secrets.compare_digest(given.encode(), record.otp.code.encode()):
            record.otp.attempts += 1
            if record.otp.attempts >= self.otp_attempts:
                record.status, record.otp = "INCORRECT_OTP", None
                raise ApiError(1106, "too many wrong OTPs", record.wire())
            raise ApiError(1100, "wrong OTP", record.wire())
        record.otp = None

    # Cards and payments ------------------------------------------------------------

    def card(self, token: str) -> Card:
        """A card by token, bound or not (1004 when unknown)."""
        card = self.cards.get(token)
        if card is None:
            raise ApiError(1004, "card not found")
        return card

    def active_card(self, token: str) -> Card:
        """A bound card by token (1005 while its binding waits for the OTP)."""
        card = self.card(token)
        if card.status != "ACTIVE":
            raise ApiError(1005, f"the card is not bound ({card.status})")
        return card

    def payment(self, payment_id: str) -> Payment:
        """A payment by id, of any kind (1004 when unknown)."""
        payment = self.payments.get(payment_id)
        if payment is None:
            raise ApiError(1004, "payment not found")
        return payment

    def record(self, payment: Payment) -> Payment:
        """Keep a new payment."""
        self.payments[payment.id] = payment
        return payment

    def succeed(self, payment: Payment, event: str = "payment.succeeded") -> None:
        """Mark a payment SUCCEEDED and tell the merchant."""
        payment.status = "SUCCEEDED"
        self.notify(payment.webhook_url, event, payment.wire())

    def refuse(self, payment: Payment, refusal: Refusal, event: str = "payment.failed") -> ApiError:
        """Mark a payment refused, tell the merchant, and return the error to answer."""
        payment.status = refusal.status
        self.notify(payment.webhook_url, event, payment.wire())
        return ApiError(refusal.code, refusal.message, payment.wire())

    def otp_failed(self, error: ApiError, url: str | None, event: str) -> None:
        """After a failed OTP: a dead object (expired, too many tries) is reported failed."""
        if error.code in (1101, 1106) and error.data is not None:
            self.notify(url, event, error.data)

    def give_back(self, payment: Payment, amount: int | None) -> dict[str, Any]:
        """Refund or reverse ``amount`` (the rest when None) of a SUCCEEDED payment."""
        if payment.status != "SUCCEEDED":
            raise ApiError(
                1005, f"only a SUCCEEDED payment can be refunded; this one is {payment.status}"
            )
        remaining = payment.amount - payment.refunded_amount
        amount = remaining if amount is None else amount
        if amount > remaining:
            raise ApiError(1005, f"amount exceeds what is left to refund ({remaining})")
        payment.refunded_amount += amount
        if payment.refunded_amount == payment.amount:
            payment.status = "REVERTED"
            self.notify(payment.webhook_url, "payment.reverted", payment.wire())
        return payment.wire()
