"""The Alif emulator's ``checkout.*`` and ``card.*`` sections.

Each method takes the request body (a dict), checks its fields the way the API
would (1001 naming the field), applies the section's rules to the shared
:class:`~._alif_state.Ledger` and returns the answer's ``data``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aioacquiring.testing import _alif_fields as f
from aioacquiring.testing._alif_cards import (
    bind_refusal,
    charge_refusal,
    mask_pan,
    mask_phone,
    new_card,
    profile,
)
from aioacquiring.testing._alif_fields import ApiError
from aioacquiring.testing._alif_records import Payment, Session, new_id
from aioacquiring.testing._alif_state import Ledger, created_between, page_of

__all__ = ["SESSION_LIFETIME", "CardSection", "CheckoutSection"]

SESSION_LIFETIME = timedelta(hours=5)
"""Derived: a checkout session accepts payments for 5 hours."""

_SESSION_STATUSES = ("OPEN", "PAID", "EXPIRED")


def _items(body: dict[str, Any]) -> list[dict[str, Any]]:
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise f.bad("items must be a non-empty list")
    lines = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise f.bad(f"items[{index}] must be an object")
        lines.append(
            {
                "name": f.required_str(item, "name"),
                "price": f.positive_int(item, "price"),
                "amount": f.positive_int(item, "amount"),
            }
        )
    return lines


class CheckoutSection:
    """Sessions and their card payments (OTP-confirmed for most cards)."""

    def __init__(self, ledger: Ledger, *, checkout_base: Callable[[], str]) -> None:
        self.ledger = ledger
        self.checkout_base = checkout_base  # the hosted page's URL is known once serving
        self.sessions: dict[str, Session] = {}

    def _session(self, body: dict[str, Any]) -> Session:
        session = self.sessions.get(f.required_str(body, "session_ref"))
        if session is None:
            raise ApiError(1004, "session not found")
        return session

    def session_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``checkout.session.create``."""
        items = _items(body)
        now = self.ledger.now()
        ref = new_id("cs")
        session = Session(
            ref=ref,
            items=items,
            amount=sum(item["price"] * item["amount"] for item in items),
            redirect_url=f.required_str(body, "redirect_url"),
            cancel_url=f.optional_str(body, "cancel_url"),
            webhook_url=f.optional_str(body, "webhook_url"),
            meta=f.meta(body),
            epos=f.optional_str(body, "epos"),
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
            checkout_url=f"{self.checkout_base()}/{ref}",
        )
        self.sessions[ref] = session
        return session.wire(now)

    def session_get(self, body: dict[str, Any]) -> dict[str, Any]:
        """``checkout.session.get``."""
        return self._session(body).wire(self.ledger.now())

    def session_list(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """``checkout.session.list``: oldest first, filtered, one page."""
        status = f.choice(body, "status", _SESSION_STATUSES, required=False)
        date_from, date_to = f.moment(body, "date_from"), f.moment(body, "date_to")
        page, per_page = f.paging(body)
        now = self.ledger.now()
        found = created_between(self.sessions.values(), lambda s: s.created_at, date_from, date_to)
        found = [s for s in found if status is None or s.status(now) == status]
        return [s.wire(now) for s in page_of(found, page, per_page)]

    def payment_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``checkout.payment.create``: OTP_REQUIRED, SUCCEEDED (no-OTP card) or a refusal."""
        session = self._session(body)
        pan, exp = f.card_pan(body), f.card_exp(body)
        ledger = self.ledger
        status = session.status(ledger.now())
        if status != "OPEN":
            raise ApiError(1005, f"the session is {status}")
        card = profile(pan)
        payment = ledger.record(
            Payment(
                id=new_id("pay"),
                kind="checkout",
                amount=session.amount,
                status="PENDING",
                masked_pan=mask_pan(pan),
                created_at=ledger.now(),
                session_ref=session.ref,
                meta=session.meta,
                webhook_url=session.webhook_url,
            )
        )
        session.payment = payment
        refusal = charge_refusal(pan, exp, ledger.now())
        if refusal is not None:
            raise ledger.refuse(payment, refusal)
        if card.needs_otp:
            payment.status = "OTP_REQUIRED"
            payment.masked_phone = mask_phone(card.phone)
            payment.otp = ledger.new_otp()
        else:
            self._paid(session, payment)
        return payment.wire()

    def _paid(self, session: Session, payment: Payment) -> None:
        session.paid = True
        session.payment = payment
        self.ledger.succeed(payment)

    def payment_confirm(self, body: dict[str, Any]) -> dict[str, Any]:
        """``checkout.payment.confirm``: the OTP finishes the payment (one success per session)."""
        ledger = self.ledger
        payment = ledger.payment(f.required_str(body, "payment_id"))
        otp = f.required_str(body, "otp")
        session = self.sessions.get(payment.session_ref or "")
        if session is None:
            raise ApiError(1005, "the payment is not a checkout payment")
        if session.paid and payment.status == "OTP_REQUIRED":
            raise ApiError(1005, "the session is already PAID")
        try:
            ledger.check_otp(payment, otp, "payment")
        except ApiError as error:
            ledger.otp_failed(error, payment.webhook_url, "payment.failed")
            raise
        self._paid(session, payment)
        return payment.wire()

    def payment_get(self, body: dict[str, Any]) -> dict[str, Any]:
        """``checkout.payment.get``: any payment by id."""
        return self.ledger.payment(f.required_str(body, "payment_id")).wire()

    def payment_refund(self, body: dict[str, Any]) -> dict[str, Any]:
        """``checkout.payment.refund``: in full (REVERTED) or in part."""
        payment = self.ledger.payment(f.required_str(body, "payment_id"))
        return self.ledger.give_back(payment, f.positive_int(body, "amount", required=False))


class CardSection:
    """Binding cards to tokens, confirmed by an OTP to the holder's phone."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def token_create(self, body: dict[str, Any]) -> dict[str, Any]:
        """``card.token.create``: the card, OTP_REQUIRED (bad, expired, blocked cards refused)."""
        pan, exp = f.card_pan(body), f.card_exp(body)
        phone = f.optional_str(body, "phone")
        if phone is not None and not (phone.isascii() and phone.isdigit()):
            raise f.bad("phone must be digits")
        ledger = self.ledger
        refusal = bind_refusal(pan, exp, ledger.now())
        if refusal is not None:
            raise ApiError(refusal.code, refusal.message)
        card = new_card(pan, exp, phone, ledger.now(), status="OTP_REQUIRED", otp=ledger.new_otp())
        ledger.cards[card.token] = card
        return card.wire()

    def token_confirm(self, body: dict[str, Any]) -> dict[str, Any]:
        """``card.token.confirm``: the OTP makes the card ACTIVE (event ``card.bound``)."""
        ledger = self.ledger
        card = ledger.card(f.required_str(body, "card_token"))
        ledger.check_otp(card, f.required_str(body, "otp"), "card")
        card.status = "ACTIVE"
        ledger.notify(None, "card.bound", card.wire())
        return card.wire()

    def token_get(self, body: dict[str, Any]) -> dict[str, Any]:
        """``card.token.get``."""
        return self.ledger.card(f.required_str(body, "card_token")).wire()

    def token_list(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """``card.token.list``: the bound cards (one phone's when given), one page."""
        phone = f.optional_str(body, "phone")
        page, per_page = f.paging(body)
        cards = [
            card
            for card in self.ledger.cards.values()
            if card.status == "ACTIVE" and (phone is None or card.phone == phone)
        ]
        return [card.wire() for card in page_of(cards, page, per_page)]

    def token_delete(self, body: dict[str, Any]) -> dict[str, Any]:
        """``card.token.delete``: the token stops working."""
        card = self.ledger.card(f.required_str(body, "card_token"))
        del self.ledger.cards[card.token]
        return {}
