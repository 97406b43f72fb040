"""The CloudPayments emulator's in-memory store: payments, refunds, card tokens.

Plain Python, no HTTP: the emulator parses a request, calls one method here and
wraps what comes back in the API's envelope. Every state change CloudPayments
documents (3-D Secure, declines, hold and capture, void, partial refunds) lives
in :class:`Store`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from aioacquiring.testing._cloudpayments_cards import Card, card_outcome
from aioacquiring.testing._cloudpayments_fields import ApiError
from aioacquiring.testing._cloudpayments_transaction import STATUS_CODES, Payment, Refund

__all__ = ["PAGE_SIZE", "STATUS_CODES", "Payment", "Refund", "Store", "TokenRecord"]

PAGE_SIZE = 100
FIRST_TRANSACTION_ID = 3_000_000_001  # above 2**31, to catch int32 bugs
_SEED_CARD = Card(number="4000000000003055", expiry="12/30", cvv="123")


@dataclass(frozen=True)
class TokenRecord:
    """A card token: the card it stands for and the payer (``AccountId``) it is bound to."""

    token: str
    card: Card
    account_id: str | None

    def __repr__(self) -> str:  # never the token
        return f"TokenRecord({self.card!r}, account_id={self.account_id!r})"

    def model(self) -> dict[str, Any]:
        """The ``/payments/tokens/list`` item."""
        card = self.card
        return {
            "Token": self.token,
            "AccountId": self.account_id,
            "CardMask": f"{card.number[:4]} {card.number[4:6]}** **** {card.last_four}",
            "ExpirationDateMonth": int(card.expiry[:2]),
            "ExpirationDateYear": 2000 + int(card.expiry[3:]),
        }


class Store:
    """Payments, refunds and card tokens of one emulated terminal."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._next_id = FIRST_TRANSACTION_ID
        self.payments: dict[int, Payment] = {}
        self.refunds: dict[int, Refund] = {}
        self._tokens: dict[str, TokenRecord] = {}
        self._token_by_card: dict[tuple[str, str, str | None], str] = {}
        self._saved: dict[str, None] = {}  # tokens listed by /payments/tokens/list, in order

    def new_id(self) -> int:
        """The next transaction number."""
        self._next_id += 1
        return self._next_id - 1

    def new_payment(
        self,
        *,
        amount: Decimal,
        currency: str,
        card: Card,
        two_stage: bool,
        details: dict[str, Any],
        json_data: Any,
        culture_name: str | None,
        created_at: datetime | None = None,
        **extra: Any,
    ) -> Payment:
        """A new transaction, awaiting authorisation (``extra``: further Payment fields)."""
        payment = Payment(
            transaction_id=self.new_id(),
            amount=amount,
            currency=currency,
            created_at=created_at or self.clock(),
            two_stage=two_stage,
            card=card,
            details={k: v for k, v in details.items() if v is not None},
            json_data=json_data,
            culture_name=culture_name,
            **extra,
        )
        self.payments[payment.transaction_id] = payment
        return payment

    # Tokens --------------------------------------------------------------------

    def _issue_token(self, card: Card, account_id: str | None, *, save: bool) -> str:
        key = (card.number, card.expiry, account_id)
        if key not in self._token_by_card:
            token = str(uuid.uuid4())
            self._token_by_card[key] = token
            self._tokens[token] = TokenRecord(token, card, account_id)
        token = self._token_by_card[key]
        if save:
            self._saved[token] = None
        return token

    def add_token(self, card: Card, account_id: str | None) -> str:
        """The token of ``card`` for ``account_id``, saved (issued now unless it exists)."""
        return self._issue_token(card, account_id, save=True)

    def token(self, token: str, account_id: str) -> TokenRecord:
        """A token bound to ``account_id``, or ``ApiError("Token not found")``."""
        saved = self._tokens.get(token)
        if saved is None or saved.account_id != account_id:
            raise ApiError("Token not found")
        return saved

    def token_page(self, page_number: int) -> list[TokenRecord]:
        """One page of saved tokens, oldest first, 100 a page."""
        start = (page_number - 1) * PAGE_SIZE
        return [self._tokens[t] for t in list(self._saved)[start : start + PAGE_SIZE]]

    # Payments ------------------------------------------------------------------

    def settle(self, payment: Payment, reason_code: int) -> None:
        """Finish authorisation: declined, or authorised/completed (with a card token)."""
        now = self.clock()
        payment.reason_code = reason_code
        payment.pa_req = payment.pa_res = None
        if reason_code:
            payment.status = "Declined"
            return
        payment.auth_at = now
        payment.auth_code = secrets.token_hex(3).upper()
        payment.rrn = str(secrets.randbelow(10**12)).zfill(12)
        if payment.operation_type == "Payment":
            account_id = payment.details.get("AccountId")
            # A token is saved (listed) when asked to, or by default when bound to a payer.
            save = payment.save_card is True or (payment.save_card is None and bool(account_id))
            payment.token = self._issue_token(payment.card, account_id, save=save)
        payment.status = payment.settled_status
        if payment.status == "Completed":
            payment.confirm_at = now

    def authorize(self, payment: Payment) -> Payment:
        """A 3-D Secure challenge, a decline or a success, as the card decides."""
        needs_3ds, reason_code = card_outcome(payment.card, now=payment.created_at)
        if needs_3ds and not payment.skip_3ds:
            payment.pa_req = secrets.token_urlsafe(32)
            payment.pa_res = secrets.token_urlsafe(32)
        else:
            self.settle(payment, reason_code)
        return payment

    def finish_3ds(self, transaction_id: int, pa_res: str) -> Payment:
        """``post3ds``: a wrong PaRes declines 5206; a right one settles by the card."""
        payment = self.payment(transaction_id)
        if payment.status != "AwaitingAuthentication" or payment.pa_res is None:
            raise ApiError("Transaction is not awaiting 3-D Secure authentication")
        if not secrets.compare_digest(pa_res.encode(), payment.pa_res.encode()):
            self.settle(payment, 5206)
        else:
            self.settle(payment, card_outcome(payment.card, now=self.clock())[1])
        return payment

    def new_token_payment(self, token: str, account_id: str, **request: Any) -> Payment:
        """A payment by card token, not yet authorised; the token is bound to the account."""
        saved = self.token(token, account_id)
        request["details"] = {**request["details"], "AccountId": account_id}
        return self.new_payment(card=saved.card, skip_3ds=True, **request)

    def payment(self, transaction_id: int) -> Payment:
        """The payment with that id, or ``ApiError("Not found")``."""
        payment = self.payments.get(transaction_id)
        if payment is None:
            raise ApiError("Not found")
        return payment

    def confirm(self, transaction_id: int, amount: Decimal) -> Payment:
        """Capture a hold, fully or partly: Authorized -> Completed."""
        payment = self.payment(transaction_id)
        if payment.status != "Authorized":
            raise ApiError(f"Transaction {transaction_id} cannot be confirmed: {payment.status}")
        if amount > payment.amount:
            raise ApiError("Amount exceeds the authorized amount")
        payment.amount = amount
        payment.status = "Completed"
        payment.confirm_at = self.clock()
        return payment

    def void(self, transaction_id: int) -> Payment:
        """Cancel a hold: Authorized -> Cancelled."""
        payment = self.payment(transaction_id)
        if payment.status != "Authorized":
            raise ApiError(f"Transaction {transaction_id} cannot be voided: {payment.status}")
        payment.status = "Cancelled"
        return payment

    def refund(self, transaction_id: int, amount: Decimal) -> Refund:
        """Refund part or all of what is left of a completed payment."""
        payment = self.payment(transaction_id)
        if payment.status != "Completed" or payment.operation_type != "Payment":
            raise ApiError(f"Transaction {transaction_id} cannot be refunded: {payment.status}")
        if payment.refunded + amount > payment.amount:
            raise ApiError("Refund amount exceeds the amount left to refund")
        refund = Refund(self.new_id(), payment, amount, self.clock())
        payment.refunded += amount
        self.refunds[refund.transaction_id] = refund
        return refund

    def find(self, invoice_id: str) -> Payment:
        """The last payment for that InvoiceId, or ``ApiError("Not found")``."""
        for payment in reversed(self.payments.values()):
            if payment.details.get("InvoiceId") == invoice_id:
                return payment
        raise ApiError("Not found")

    def page(
        self, gte: datetime, lte: datetime, page_number: int, statuses: Iterable[str] | None
    ) -> list[Payment]:
        """One page of payments created in ``[gte, lte]``, oldest first, 100 a page."""
        wanted = None if statuses is None else set(statuses)
        matching = sorted(
            (
                p
                for p in self.payments.values()
                if gte <= p.created_at <= lte and (wanted is None or p.status in wanted)
            ),
            key=lambda p: (p.created_at, p.transaction_id),
        )
        start = (page_number - 1) * PAGE_SIZE
        return matching[start : start + PAGE_SIZE]

    def day(self, start: datetime, end: datetime) -> list[Payment | Refund]:
        """Every transaction (payments, payouts and refunds) created in ``[start, end)``."""
        transactions: list[Payment | Refund] = [*self.payments.values(), *self.refunds.values()]
        return sorted(
            (t for t in transactions if start <= t.created_at < end),
            key=lambda t: (t.created_at, t.transaction_id),
        )

    def seed(
        self,
        *,
        amount: Decimal,
        created_at: datetime,
        status: str,
        currency: str,
        details: dict[str, Any],
    ) -> Payment:
        """A payment as if made earlier, in ``status``, for list and lookup tests."""
        payment = self.new_payment(
            amount=amount,
            currency=currency,
            card=_SEED_CARD,
            two_stage=status in ("Authorized", "Cancelled"),
            details=details,
            json_data=None,
            culture_name=None,
            created_at=created_at,
        )
        payment.status = status
        if status == "Declined":
            payment.reason_code = 5051
        elif status not in ("AwaitingAuthentication", "Created"):
            payment.auth_at = created_at
            payment.auth_code = "A1B2C3"
            payment.confirm_at = created_at if status == "Completed" else None
        elif status == "AwaitingAuthentication":
            payment.pa_req = secrets.token_urlsafe(32)
            payment.pa_res = secrets.token_urlsafe(32)
        return payment
