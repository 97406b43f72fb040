"""The Alif emulator's records: what it keeps per object, and each object's wire form.

Plain dataclasses, no HTTP and no rules: :mod:`._alif_state` changes them,
``wire()`` turns each into the JSON object the API answers with (absent
values left out, times ISO 8601 in UTC, amounts integers in minor units).
"""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "Card",
    "Hold",
    "Otp",
    "Payment",
    "Session",
    "Subscription",
    "Transfer",
    "add_interval",
    "new_id",
    "wire_time",
]


def new_id(prefix: str) -> str:
    """A fresh identifier: ``prefix`` and 24 random hex digits."""
    return f"{prefix}_{secrets.token_hex(12)}"


def wire_time(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, with the offset written out."""
    return None if moment is None else moment.astimezone(timezone.utc).isoformat()


def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def add_interval(moment: datetime, interval: str, day: int | None = None) -> datetime:
    """``moment`` one DAY, WEEK or MONTH later.

    A month lands on ``day`` (``moment``'s own by default), clamped to the
    month's end: from January 31st to February 28th, then March 31st.
    """
    if interval == "DAY":
        return moment + timedelta(days=1)
    if interval == "WEEK":
        return moment + timedelta(weeks=1)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(day or moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass
class Otp:
    """A one-time code sent to a phone: what it is, until when, how many wrong tries so far."""

    code: str
    expires_at: datetime
    attempts: int = 0


@dataclass
class Payment:
    """A payment of any kind: ``checkout``, ``debit``, ``capture`` (of a hold) or ``charge``."""

    id: str
    kind: str
    amount: int
    status: str
    masked_pan: str
    created_at: datetime
    external_id: str | None = None
    session_ref: str | None = None
    subscription_id: str | None = None
    refunded_amount: int = 0
    masked_phone: str | None = None
    description: str | None = None
    meta: dict[str, Any] | None = None
    webhook_url: str | None = None
    otp: Otp | None = None

    def wire(self) -> dict[str, Any]:
        """The Payment object."""
        return _compact(
            {
                "id": self.id,
                "external_id": self.external_id,
                "session_ref": self.session_ref,
                "subscription_id": self.subscription_id,
                "amount": self.amount,
                "refunded_amount": self.refunded_amount,
                "status": self.status,
                "masked_pan": self.masked_pan,
                "masked_phone": self.masked_phone,
                "description": self.description,
                "created_at": wire_time(self.created_at),
                "meta": self.meta,
            }
        )


@dataclass
class Session:
    """A checkout session: open for 5 hours, paid at most once."""

    ref: str
    items: list[dict[str, Any]]
    amount: int
    redirect_url: str
    created_at: datetime
    expires_at: datetime
    checkout_url: str
    cancel_url: str | None = None
    webhook_url: str | None = None
    meta: dict[str, Any] | None = None
    epos: str | None = None
    paid: bool = False
    payment: Payment | None = None

    def status(self, now: datetime) -> str:
        """PAID once a payment succeeded, EXPIRED after ``expires_at``, OPEN before."""
        if self.paid:
            return "PAID"
        return "EXPIRED" if now >= self.expires_at else "OPEN"

    def wire(self, now: datetime) -> dict[str, Any]:
        """The Session object."""
        return _compact(
            {
                "session_ref": self.ref,
                "amount": self.amount,
                "expires_at": wire_time(self.expires_at),
                "checkout_url": self.checkout_url,
                "status": self.status(now),
                "items": self.items,
                "redirect_url": self.redirect_url,
                "cancel_url": self.cancel_url,
                "meta": self.meta,
                "epos": self.epos,
                "created_at": wire_time(self.created_at),
                "payment": None if self.payment is None else self.payment.wire(),
            }
        )


@dataclass
class Card:
    """A card being bound (OTP_REQUIRED) or bound (ACTIVE) to a token."""

    token: str
    pan: str = field(repr=False)
    exp: str
    phone: str
    holder_name: str
    bank_name: str
    masked_pan: str
    masked_phone: str
    created_at: datetime
    status: str = "OTP_REQUIRED"
    otp: Otp | None = None

    def wire(self) -> dict[str, Any]:
        """The Card object."""
        return {
            "card_token": self.token,
            "masked_pan": self.masked_pan,
            "bank_name": self.bank_name,
            "holder_name": self.holder_name,
            "masked_phone": self.masked_phone,
            "exp": self.exp,
            "status": self.status,
            "created_at": wire_time(self.created_at),
        }


@dataclass
class Hold:
    """Money reserved on a bound card."""

    id: str
    external_id: str
    amount: int
    masked_pan: str
    created_at: datetime
    expires_at: datetime
    status: str = "ACTIVE"
    captured_amount: int | None = None
    payment_id: str | None = None

    def refresh(self, now: datetime) -> None:
        """An ACTIVE hold past ``expires_at`` is EXPIRED."""
        if self.status == "ACTIVE" and now >= self.expires_at:
            self.status = "EXPIRED"

    def wire(self) -> dict[str, Any]:
        """The Hold object."""
        return _compact(
            {
                "id": self.id,
                "external_id": self.external_id,
                "amount": self.amount,
                "status": self.status,
                "expires_at": wire_time(self.expires_at),
                "captured_amount": self.captured_amount,
                "payment_id": self.payment_id,
                "masked_pan": self.masked_pan,
                "created_at": wire_time(self.created_at),
            }
        )


@dataclass
class Transfer:
    """A card-to-card transfer."""

    id: str
    external_id: str
    amount: int
    fee: int
    status: str
    sender_masked_pan: str
    receiver_masked_pan: str
    created_at: datetime
    masked_phone: str | None = None
    otp: Otp | None = None

    def wire(self) -> dict[str, Any]:
        """The Transfer object."""
        return _compact(
            {
                "id": self.id,
                "external_id": self.external_id,
                "amount": self.amount,
                "fee": self.fee,
                "status": self.status,
                "receiver_masked_pan": self.receiver_masked_pan,
                "sender_masked_pan": self.sender_masked_pan,
                "masked_phone": self.masked_phone,
                "created_at": wire_time(self.created_at),
            }
        )


@dataclass
class Subscription:
    """Scheduled charges of a bound card."""

    id: str
    external_id: str
    card_token: str = field(repr=False)
    amount: int
    interval: str
    start_at: datetime
    masked_pan: str
    created_at: datetime
    end_at: datetime | None = None
    max_charges: int | None = None
    next_charge_at: datetime | None = None
    charges_made: int = 0
    status: str = "ACTIVE"
    webhook_url: str | None = None
    meta: dict[str, Any] | None = None
    charges: list[Payment] = field(default_factory=list)

    def wire(self) -> dict[str, Any]:
        """The Subscription object."""
        return _compact(
            {
                "id": self.id,
                "external_id": self.external_id,
                "status": self.status,
                "amount": self.amount,
                "interval": self.interval,
                "start_at": wire_time(self.start_at),
                "end_at": wire_time(self.end_at),
                "max_charges": self.max_charges,
                "next_charge_at": wire_time(self.next_charge_at),
                "charges_made": self.charges_made,
                "masked_pan": self.masked_pan,
                "webhook_url": self.webhook_url,
                "meta": self.meta,
                "created_at": wire_time(self.created_at),
            }
        )
