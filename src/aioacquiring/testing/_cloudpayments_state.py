"""The CloudPayments emulator's in-memory store: payments, refunds, card tokens.

Plain Python, no HTTP: the emulator parses a request, calls one method here and
wraps what comes back in the API's envelope. Every state change CloudPayments
documents (3-D Secure, declines, hold and capture, void, partial refunds) lives
in :class:`Store`.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from aioacquiring.testing._cloudpayments_cards import REASONS, Card, card_outcome
from aioacquiring.testing._cloudpayments_fields import CURRENCY_CODES, ApiError
from aioacquiring.testing._wire import dumps

__all__ = ["PAGE_SIZE", "STATUS_CODES", "Payment", "Refund", "Store"]

STATUS_CODES = {
    "AwaitingAuthentication": 1,
    "Authorized": 2,
    "Completed": 3,
    "Cancelled": 4,
    "Declined": 5,
}
PAGE_SIZE = 100
FIRST_TRANSACTION_ID = 3_000_000_001  # above 2**31, to catch int32 bugs
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SEED_CARD = Card(number="4000000000003055", expiry="12/30", cvv="123")
# Where the emulator says every payer's IP address is.
_IP_PLACE = {
    "IpCountry": "RU",
    "IpCity": "Moscow",
    "IpRegion": "Moscow",
    "IpDistrict": "Central Federal District",
    "IpLatitude": Decimal("55.7558"),
    "IpLongitude": Decimal("37.6173"),
}
_NO_PLACE = dict.fromkeys(_IP_PLACE)


def wire_date(moment: datetime | None) -> str | None:
    """``/Date(epoch ms)/``, as the API writes ``XxxDate``."""
    if moment is None:
        return None
    return f"/Date({(moment - _EPOCH) // timedelta(milliseconds=1)})/"


def wire_date_iso(moment: datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS`` in UTC, as the API writes ``XxxDateIso``."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _dates(name: str, moment: datetime | None) -> dict[str, str | None]:
    return {name: wire_date(moment), f"{name}Iso": wire_date_iso(moment)}


@dataclass
class Payment:
    """A payment transaction (one- or two-stage) and everything the API reports about it."""

    transaction_id: int
    amount: Decimal
    currency: str
    created_at: datetime
    two_stage: bool
    card: Card
    status: str = "AwaitingAuthentication"
    reason_code: int = 0
    details: dict[str, Any] = field(default_factory=dict)  # InvoiceId, AccountId, ...
    json_data: Any = None
    culture_name: str | None = None
    auth_at: datetime | None = None
    confirm_at: datetime | None = None
    auth_code: str | None = None
    rrn: str | None = None
    token: str | None = None
    refunded: Decimal = Decimal(0)
    pa_req: str | None = None
    pa_res: str | None = None

    def __repr__(self) -> str:  # no card data, no token
        return f"Payment({self.transaction_id}, {self.status}, {self.amount} {self.currency})"

    def model(self, *, json_data_as_text: bool = False) -> dict[str, Any]:
        """The Transaction model, with the API's key names, as JSON-ready values."""
        reason = REASONS[self.reason_code]
        card_type, card_type_code = self.card.scheme
        json_value = copy.deepcopy(self.json_data)  # callers get a copy they may change
        if json_data_as_text and json_value is not None:
            json_value = dumps(json_value).decode()  # list answers carry JsonData as text
        ip_address = self.details.get("IpAddress")
        return {
            "TransactionId": self.transaction_id,
            "Amount": self.amount,
            "Currency": self.currency,
            "CurrencyCode": CURRENCY_CODES[self.currency],
            "PaymentAmount": self.amount,
            "PaymentCurrency": self.currency,
            "PaymentCurrencyCode": CURRENCY_CODES[self.currency],
            "InvoiceId": self.details.get("InvoiceId"),
            "AccountId": self.details.get("AccountId"),
            "Email": self.details.get("Email"),
            "Description": self.details.get("Description"),
            "JsonData": json_value,
            **_dates("CreatedDate", self.created_at),
            **_dates("PayoutDate", None),
            "PayoutAmount": None,
            **_dates("AuthDate", self.auth_at),
            **_dates("ConfirmDate", self.confirm_at),
            "AuthCode": self.auth_code,
            "TestMode": True,
            "Rrn": self.rrn,
            "OriginalTransactionId": None,
            "IpAddress": ip_address,
            **(_IP_PLACE if ip_address else _NO_PLACE),
            "CardFirstSix": self.card.first_six,
            "CardLastFour": self.card.last_four,
            "CardExpDate": self.card.expiry,
            "CardType": card_type,
            "CardTypeCode": card_type_code,
            "Issuer": "Emulator Bank",
            "IssuerBankCountry": "RU",
            "Status": self.status,
            "StatusCode": STATUS_CODES[self.status],
            "CultureName": self.culture_name or "ru-RU",
            "Reason": reason.name,
            "ReasonCode": reason.code,
            "CardHolderMessage": reason.message(self.culture_name),
            "Type": 0,
            "Refunded": self.refunded > 0,
            "Name": self.details.get("Name"),
            "Token": self.token,
            "SubscriptionId": None,
            "GatewayName": "Emulator",
            "TotalFee": Decimal(0),
            "EscrowAccumulationId": None,
        }


@dataclass
class Refund:
    """A refund of (part of) a completed payment: a transaction of its own."""

    transaction_id: int
    payment: Payment
    amount: Decimal
    created_at: datetime

    def model(self) -> dict[str, Any]:
        """The refund's Transaction model (``Type`` 1, ``OriginalTransactionId`` set)."""
        model = self.payment.model()
        model.update(
            TransactionId=self.transaction_id,
            Amount=self.amount,
            PaymentAmount=self.amount,
            **_dates("CreatedDate", self.created_at),
            **_dates("AuthDate", self.created_at),
            **_dates("ConfirmDate", self.created_at),
            AuthCode=None,
            Rrn=None,
            OriginalTransactionId=self.payment.transaction_id,
            Status="Completed",
            StatusCode=STATUS_CODES["Completed"],
            Reason="Approved",
            ReasonCode=0,
            CardHolderMessage=REASONS[0].message(self.payment.culture_name),
            Type=1,
            Refunded=False,
            Token=None,
        )
        return model


@dataclass(frozen=True)
class _Token:
    card: Card
    account_id: str | None


class Store:
    """Payments, refunds and card tokens of one emulated terminal."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(timezone.utc))
        self._next_id = FIRST_TRANSACTION_ID
        self.payments: dict[int, Payment] = {}
        self.refunds: dict[int, Refund] = {}
        self._tokens: dict[str, _Token] = {}
        self._token_by_card: dict[tuple[str, str, str | None], str] = {}

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _new_payment(
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
    ) -> Payment:
        payment = Payment(
            transaction_id=self._new_id(),
            amount=amount,
            currency=currency,
            created_at=created_at or self._clock(),
            two_stage=two_stage,
            card=card,
            details={k: v for k, v in details.items() if v is not None},
            json_data=json_data,
            culture_name=culture_name,
        )
        self.payments[payment.transaction_id] = payment
        return payment

    def _issue_token(self, card: Card, account_id: str | None) -> str:
        key = (card.number, card.expiry, account_id)
        if key not in self._token_by_card:
            token = str(uuid.uuid4())
            self._token_by_card[key] = token
            self._tokens[token] = _Token(card, account_id)
        return self._token_by_card[key]

    def add_token(self, card: Card, account_id: str | None) -> str:
        """The token of ``card`` for ``account_id`` (issued now unless it exists)."""
        return self._issue_token(card, account_id)

    def _settle(self, payment: Payment, reason_code: int) -> None:
        """Finish authorisation: declined, or authorised/completed with a card token."""
        now = self._clock()
        payment.reason_code = reason_code
        payment.pa_req = payment.pa_res = None
        if reason_code:
            payment.status = "Declined"
            return
        payment.auth_at = now
        payment.auth_code = secrets.token_hex(3).upper()
        payment.rrn = str(secrets.randbelow(10**12)).zfill(12)
        payment.token = self._issue_token(payment.card, payment.details.get("AccountId"))
        if payment.two_stage:
            payment.status = "Authorized"
        else:
            payment.status = "Completed"
            payment.confirm_at = now

    def pay_by_card(self, card: Card, **request: Any) -> Payment:
        """A payment by cryptogram: 3-D Secure challenge, decline or success, by the card."""
        payment = self._new_payment(card=card, **request)
        needs_3ds, reason_code = card_outcome(card, now=payment.created_at)
        if needs_3ds:
            payment.pa_req = secrets.token_urlsafe(32)
            payment.pa_res = secrets.token_urlsafe(32)
        else:
            self._settle(payment, reason_code)
        return payment

    def finish_3ds(self, transaction_id: int, pa_res: str) -> Payment:
        """``post3ds``: a wrong PaRes declines 5206; a right one settles by the card."""
        payment = self.payment(transaction_id)
        if payment.status != "AwaitingAuthentication" or payment.pa_res is None:
            raise ApiError("Transaction is not awaiting 3-D Secure authentication")
        if not secrets.compare_digest(pa_res.encode(), payment.pa_res.encode()):
            self._settle(payment, 5206)
        else:
            self._settle(payment, card_outcome(payment.card, now=self._clock())[1])
        return payment

    def pay_by_token(self, token: str, account_id: str, **request: Any) -> Payment:
        """A payment by card token (never 3-D Secure); the token is bound to the account."""
        saved = self._tokens.get(token)
        if saved is None or saved.account_id != account_id:
            raise ApiError("Token not found")
        request["details"] = {**request["details"], "AccountId": account_id}
        payment = self._new_payment(card=saved.card, **request)
        self._settle(payment, card_outcome(saved.card, now=payment.created_at)[1])
        payment.token = token
        return payment

    def payment(self, transaction_id: int) -> Payment:
        """The payment with that id, or ``ApiError("Not found")``."""
        payment = self.payments.get(transaction_id)
        if payment is None:
            raise ApiError("Not found")
        return payment

    def confirm(self, transaction_id: int, amount: Decimal) -> None:
        """Capture a hold, fully or partly: Authorized -> Completed."""
        payment = self.payment(transaction_id)
        if payment.status != "Authorized":
            raise ApiError(f"Transaction {transaction_id} cannot be confirmed: {payment.status}")
        if amount > payment.amount:
            raise ApiError("Amount exceeds the authorized amount")
        payment.amount = amount
        payment.status = "Completed"
        payment.confirm_at = self._clock()

    def void(self, transaction_id: int) -> None:
        """Cancel a hold: Authorized -> Cancelled."""
        payment = self.payment(transaction_id)
        if payment.status != "Authorized":
            raise ApiError(f"Transaction {transaction_id} cannot be voided: {payment.status}")
        payment.status = "Cancelled"

    def refund(self, transaction_id: int, amount: Decimal) -> Refund:
        """Refund part or all of what is left of a completed payment."""
        payment = self.payment(transaction_id)
        if payment.status != "Completed":
            raise ApiError(f"Transaction {transaction_id} cannot be refunded: {payment.status}")
        if payment.refunded + amount > payment.amount:
            raise ApiError("Refund amount exceeds the amount left to refund")
        refund = Refund(self._new_id(), payment, amount, self._clock())
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
        payment = self._new_payment(
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
        elif status != "AwaitingAuthentication":
            payment.auth_at = created_at
            payment.auth_code = "A1B2C3"
            payment.confirm_at = created_at if status == "Completed" else None
        else:
            payment.pa_req = secrets.token_urlsafe(32)
            payment.pa_res = secrets.token_urlsafe(32)
        return payment
