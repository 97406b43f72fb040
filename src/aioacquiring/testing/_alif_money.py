"""The Alif emulator's ``debit.*``, ``p2p.*`` and ``recurring.*`` sections.

All of them move money from a bound card, so the card's test outcome
(:mod:`._alif_cards`) decides each charge. Deduplication by ``external_id``
happens in front of these methods (in the emulator), so here every call is new.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aioacquiring.testing import _alif_fields as f
from aioacquiring.testing._alif_cards import (
    INVALID,
    bank_name,
    bind_refusal,
    charge_refusal,
    mask_pan,
    mask_phone,
    profile,
)
from aioacquiring.testing._alif_fields import ApiError
from aioacquiring.testing._alif_records import (
    Hold,
    Payment,
    Subscription,
    Transfer,
    add_interval,
    new_id,
)
from aioacquiring.testing._alif_state import Ledger, created_between, page_of

__all__ = ["HOLD_LIFETIME", "DebitSection", "P2pSection", "RecurringSection"]

HOLD_LIFETIME = timedelta(days=7)
"""Derived: how long a hold lives when ``expires_at`` is not given."""

_STATUSES = (
    "PENDING", "OTP_REQUIRED", "SUCCEEDED", "DECLINED", "REVERTED", "INSUFFICIENT_FUNDS",
    "EXPIRED_CARD", "BLOCKED_CARD", "INVALID_CARD", "INCORRECT_OTP", "EXPIRED_OTP",
)  # fmt: skip
_INTERVALS = ("DAY", "WEEK", "MONTH")
_SUBSCRIPTION_STATUSES = ("ACTIVE", "CANCELLED", "FINISHED")


def _one_of(body: dict[str, Any], first: str, second: str) -> tuple[str | None, str | None]:
    a, b = f.optional_str(body, first), f.optional_str(body, second)
    if (a is None) == (b is None):
        raise f.bad(f"give exactly one of {first} and {second}")
    return a, b


class DebitSection:
    """Merchant-initiated debits and holds."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.holds: dict[str, Hold] = {}

    def payment_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``debit.payment.create``: SUCCEEDED, or the card's refusal (recorded)."""
        ledger = self.ledger
        external_id = f.required_str(body, "external_id")
        amount = f.positive_int(body, "amount")
        assert amount is not None
        card = ledger.active_card(f.required_str(body, "card_token"))
        f.optional_str(body, "epos")
        payment = ledger.record(
            Payment(
                id=new_id("pay"),
                kind="debit",
                amount=amount,
                status="PENDING",
                masked_pan=card.masked_pan,
                created_at=ledger.now(),
                external_id=external_id,
                description=f.optional_str(body, "description"),
                meta=f.meta(body),
            )
        )
        refusal = charge_refusal(card.pan, card.exp, ledger.now())
        if refusal is not None:
            raise ledger.refuse(payment, refusal)
        ledger.succeed(payment)
        return payment.wire()

    def _debits(self) -> list[Payment]:
        return [p for p in self.ledger.payments.values() if p.kind in ("debit", "capture")]

    def payment_get(self, body: dict[str, Any]) -> dict[str, Any]:
        """``debit.payment.get`` by ``payment_id`` or ``external_id``."""
        payment_id, external_id = _one_of(body, "payment_id", "external_id")
        if payment_id is not None:
            return self.ledger.payment(payment_id).wire()
        found = [p for p in self._debits() if p.external_id == external_id]
        if not found:
            raise ApiError(1004, "payment not found")
        return found[0].wire()

    def payment_reverse(self, body: dict[str, Any]) -> dict[str, Any]:
        """``debit.payment.reverse``: cancel or refund, in full or in part."""
        payment = self.ledger.payment(f.required_str(body, "payment_id"))
        return self.ledger.give_back(payment, f.positive_int(body, "amount", required=False))

    def payment_list(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """``debit.payment.list``: debits and captures, oldest first, one page."""
        status = f.choice(body, "status", _STATUSES, required=False)
        date_from, date_to = f.moment(body, "date_from"), f.moment(body, "date_to")
        page, per_page = f.paging(body)
        found = created_between(self._debits(), lambda p: p.created_at, date_from, date_to)
        found = [p for p in found if status is None or p.status == status]
        return [p.wire() for p in page_of(found, page, per_page)]

    def _hold(self, body: dict[str, Any]) -> Hold:
        hold = self.holds.get(f.required_str(body, "hold_id"))
        if hold is None:
            raise ApiError(1004, "hold not found")
        hold.refresh(self.ledger.now())
        return hold

    def hold_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``debit.hold.create``: ACTIVE until captured, dismissed or expired."""
        ledger = self.ledger
        external_id = f.required_str(body, "external_id")
        amount = f.positive_int(body, "amount")
        assert amount is not None
        card = ledger.active_card(f.required_str(body, "card_token"))
        now = ledger.now()
        expires_at = f.moment(body, "expires_at") or now + HOLD_LIFETIME
        if expires_at <= now:
            raise f.bad("expires_at must be in the future")
        refusal = charge_refusal(card.pan, card.exp, now)
        if refusal is not None:
            raise ApiError(refusal.code, refusal.message)
        hold = Hold(
            id=new_id("hold"),
            external_id=external_id,
            amount=amount,
            masked_pan=card.masked_pan,
            created_at=now,
            expires_at=expires_at,
        )
        self.holds[hold.id] = hold
        return hold.wire()

    def hold_capture(self, body: dict[str, Any]) -> dict[str, Any]:
        """``debit.hold.capture``: a SUCCEEDED payment of at most the amount held."""
        hold = self._hold(body)
        amount = f.positive_int(body, "amount", required=False) or hold.amount
        if hold.status != "ACTIVE":
            raise ApiError(1005, f"the hold is {hold.status}")
        if amount > hold.amount:
            raise ApiError(1005, f"amount exceeds the amount held ({hold.amount})")
        ledger = self.ledger
        payment = ledger.record(
            Payment(
                id=new_id("pay"),
                kind="capture",
                amount=amount,
                status="PENDING",
                masked_pan=hold.masked_pan,
                created_at=ledger.now(),
                external_id=hold.external_id,
            )
        )
        hold.status, hold.captured_amount, hold.payment_id = "CAPTURED", amount, payment.id
        ledger.succeed(payment)
        return payment.wire()

    def hold_dismiss(self, body: dict[str, Any]) -> dict[str, Any]:
        """``debit.hold.dismiss``: release an ACTIVE hold."""
        hold = self._hold(body)
        if hold.status != "ACTIVE":
            raise ApiError(1005, f"the hold is {hold.status}")
        hold.status = "DISMISSED"
        return hold.wire()

    def hold_get(self, body: dict[str, Any]) -> dict[str, Any]:
        """``debit.hold.get``."""
        return self._hold(body).wire()


class P2pSection:
    """Card-to-card transfers; at or above ``otp_threshold`` the sender confirms by OTP."""

    def __init__(self, ledger: Ledger, *, otp_threshold: int) -> None:
        self.ledger = ledger
        self.otp_threshold = otp_threshold

    def receiver_check(self, body: dict[str, Any]) -> dict[str, Any]:
        """``p2p.receiver.check``: who owns a card (bad or blocked cards refused)."""
        pan = f.card_pan(body)
        refusal = bind_refusal(pan, "1299", self.ledger.now())
        if refusal is not None:
            raise ApiError(refusal.code, refusal.message)
        holder = profile(pan)
        return {
            "masked_pan": mask_pan(pan),
            "holder_name": holder.holder_name,
            "bank_name": bank_name(pan),
        }

    def transfer_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``p2p.transfer.create``: SUCCEEDED, OTP_REQUIRED (large amounts) or refused."""
        ledger = self.ledger
        external_id = f.required_str(body, "external_id")
        amount = f.positive_int(body, "amount")
        assert amount is not None
        sender = ledger.active_card(f.required_str(body, "card_token"))
        receiver_pan, receiver_token = _one_of(body, "receiver_pan", "receiver_card_token")
        if receiver_pan is not None:
            receiver_pan = f.card_pan(body, "receiver_pan")
        else:
            receiver_pan = ledger.active_card(str(receiver_token)).pan
        fee = body.get("fee", 0)
        if isinstance(fee, bool) or not isinstance(fee, int) or fee < 0:
            raise f.bad("fee must be a non-negative integer (minor units)")
        now = ledger.now()
        transfer = Transfer(
            id=new_id("tr"),
            external_id=external_id,
            amount=amount,
            fee=fee,
            status="PENDING",
            sender_masked_pan=sender.masked_pan,
            receiver_masked_pan=mask_pan(receiver_pan),
            created_at=now,
        )
        ledger.transfers[transfer.id] = transfer
        refusal = charge_refusal(sender.pan, sender.exp, now) or bind_refusal(
            receiver_pan, "1299", now
        )
        if refusal is not None:
            transfer.status = refusal.status
            ledger.notify(None, "transfer.failed", transfer.wire())
            raise ApiError(refusal.code, refusal.message, transfer.wire())
        if amount >= self.otp_threshold:
            transfer.status = "OTP_REQUIRED"
            transfer.masked_phone = mask_phone(sender.phone)
            transfer.otp = ledger.new_otp()
        else:
            transfer.status = "SUCCEEDED"
            ledger.notify(None, "transfer.succeeded", transfer.wire())
        return transfer.wire()

    def transfer_confirm(self, body: dict[str, Any]) -> dict[str, Any]:
        """``p2p.transfer.confirm``: the OTP finishes the transfer."""
        ledger = self.ledger
        transfer = self._transfer(f.required_str(body, "transfer_id"))
        try:
            ledger.check_otp(transfer, f.required_str(body, "otp"), "transfer")
        except ApiError as error:
            ledger.otp_failed(error, None, "transfer.failed")
            raise
        transfer.status = "SUCCEEDED"
        ledger.notify(None, "transfer.succeeded", transfer.wire())
        return transfer.wire()

    def _transfer(self, transfer_id: str) -> Transfer:
        transfer = self.ledger.transfers.get(transfer_id)
        if transfer is None:
            raise ApiError(1004, "transfer not found")
        return transfer

    def transfer_get(self, body: dict[str, Any]) -> dict[str, Any]:
        """``p2p.transfer.get`` by ``transfer_id`` or ``external_id``."""
        transfer_id, external_id = _one_of(body, "transfer_id", "external_id")
        if transfer_id is not None:
            return self._transfer(transfer_id).wire()
        found = [t for t in self.ledger.transfers.values() if t.external_id == external_id]
        if not found:
            raise ApiError(1004, "transfer not found")
        return found[0].wire()

    def transfer_list(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """``p2p.transfer.list``: oldest first, one page."""
        status = f.choice(body, "status", _STATUSES, required=False)
        date_from, date_to = f.moment(body, "date_from"), f.moment(body, "date_to")
        page, per_page = f.paging(body)
        transfers = self.ledger.transfers.values()
        found = created_between(transfers, lambda t: t.created_at, date_from, date_to)
        found = [t for t in found if status is None or t.status == status]
        return [t.wire() for t in page_of(found, page, per_page)]


class RecurringSection:
    """Subscriptions: scheduled charges, made when the emulator is told to run them."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.subscriptions: dict[str, Subscription] = {}

    def _subscription(self, body: dict[str, Any]) -> Subscription:
        found = self.subscriptions.get(f.required_str(body, "subscription_id"))
        if found is None:
            raise ApiError(1004, "subscription not found")
        return found

    def subscription_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``recurring.subscription.create``: ACTIVE, first charge at ``start_at``."""
        external_id = f.required_str(body, "external_id")
        amount = f.positive_int(body, "amount")
        assert amount is not None
        card = self.ledger.active_card(f.required_str(body, "card_token"))
        start_at = f.moment(body, "start_at", required=True)
        assert start_at is not None
        subscription = Subscription(
            id=new_id("sub"),
            external_id=external_id,
            card_token=card.token,
            amount=amount,
            interval=str(f.choice(body, "interval", _INTERVALS, required=True)),
            start_at=start_at,
            end_at=f.moment(body, "end_at"),
            max_charges=f.positive_int(body, "max_charges", required=False),
            next_charge_at=start_at,
            masked_pan=card.masked_pan,
            webhook_url=f.optional_str(body, "webhook_url"),
            meta=f.meta(body),
            created_at=self.ledger.now(),
        )
        self.subscriptions[subscription.id] = subscription
        return subscription.wire()

    def subscription_get(self, body: dict[str, Any]) -> dict[str, Any]:
        """``recurring.subscription.get``."""
        return self._subscription(body).wire()

    def subscription_update(self, body: dict[str, Any]) -> dict[str, Any]:
        """``recurring.subscription.update``: only an ACTIVE subscription changes."""
        sub = self._subscription(body)
        if sub.status != "ACTIVE":
            raise ApiError(1005, f"the subscription is {sub.status}")
        amount = f.positive_int(body, "amount", required=False)
        token = f.optional_str(body, "card_token")
        card = self.ledger.active_card(token) if token is not None else None
        interval = f.choice(body, "interval", _INTERVALS, required=False)
        next_charge_at, end_at = f.moment(body, "next_charge_at"), f.moment(body, "end_at")
        max_charges = f.positive_int(body, "max_charges", required=False)
        meta = f.meta(body)
        sub.amount = amount or sub.amount
        if card is not None:
            sub.card_token, sub.masked_pan = card.token, card.masked_pan
        sub.interval = interval or sub.interval
        if next_charge_at is not None:
            sub.next_charge_at = sub.start_at = next_charge_at  # the schedule starts anew
        sub.end_at = end_at or sub.end_at
        sub.max_charges = max_charges or sub.max_charges
        sub.meta = meta if meta is not None else sub.meta
        return sub.wire()

    def subscription_cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        """``recurring.subscription.cancel``: CANCELLED (cancelling twice changes nothing)."""
        sub = self._subscription(body)
        if sub.status == "FINISHED":
            raise ApiError(1005, "the subscription is FINISHED")
        sub.status, sub.next_charge_at = "CANCELLED", None
        return sub.wire()

    def subscription_list(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """``recurring.subscription.list``: oldest first, one page."""
        status = f.choice(body, "status", _SUBSCRIPTION_STATUSES, required=False)
        page, per_page = f.paging(body)
        found = [s for s in self.subscriptions.values() if status is None or s.status == status]
        return [s.wire() for s in page_of(found, page, per_page)]

    def charge_list(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """``recurring.charge.list``: one subscription's charges, oldest first, one page."""
        sub = self._subscription(body)
        page, per_page = f.paging(body)
        return [p.wire() for p in page_of(sub.charges, page, per_page)]

    def run_due(self) -> int:
        """Make every charge that is due by now; the number of charges attempted."""
        ledger = self.ledger
        attempted = 0
        for sub in self.subscriptions.values():
            while sub.status == "ACTIVE" and sub.next_charge_at is not None:
                if sub.end_at is not None and sub.next_charge_at > sub.end_at:
                    sub.status, sub.next_charge_at = "FINISHED", None
                    break
                if sub.next_charge_at > ledger.now():
                    break
                self._charge(sub)
                attempted += 1
                # Monthly charges keep the day the schedule started on (31st stays 31st).
                sub.next_charge_at = add_interval(
                    sub.next_charge_at, sub.interval, sub.start_at.day
                )
                if sub.max_charges is not None and sub.charges_made >= sub.max_charges:
                    sub.status, sub.next_charge_at = "FINISHED", None
        return attempted

    def _charge(self, sub: Subscription) -> None:
        ledger = self.ledger
        payment = ledger.record(
            Payment(
                id=new_id("pay"),
                kind="charge",
                amount=sub.amount,
                status="PENDING",
                masked_pan=sub.masked_pan,
                created_at=ledger.now(),
                subscription_id=sub.id,
                meta=sub.meta,
                webhook_url=sub.webhook_url,
            )
        )
        sub.charges.append(payment)
        card = ledger.cards.get(sub.card_token)
        # A card unbound since the subscription began can no longer be charged.
        refusal = INVALID if card is None else charge_refusal(card.pan, card.exp, ledger.now())
        if refusal is not None:
            ledger.refuse(payment, refusal, "subscription.failed")
            return
        sub.charges_made += 1
        ledger.succeed(payment, "subscription.charged")
