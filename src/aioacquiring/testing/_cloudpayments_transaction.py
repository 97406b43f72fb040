"""The CloudPayments emulator's transactions (payments, payouts, refunds) and the API's dates.

Each record knows how the API writes it: :meth:`Payment.model` and
:meth:`Refund.model` give the ``Transaction`` model with the API's key names.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from aioacquiring.testing._cloudpayments_cards import REASONS, Card
from aioacquiring.testing._cloudpayments_fields import CURRENCY_CODES
from aioacquiring.testing._wire import dumps

__all__ = [
    "OPERATION_TYPES",
    "STATUS_CODES",
    "Payment",
    "Refund",
    "wire_date",
    "wire_date_iso",
]

STATUS_CODES = {
    "AwaitingAuthentication": 1,
    "Authorized": 2,
    "Completed": 3,
    "Cancelled": 4,
    "Declined": 5,
    "Created": 0,  # a payout whose outcome comes later, by notification
}
# Transaction ``Type`` and the notifications' ``OperationType``.
OPERATION_TYPES = {"Payment": 0, "Refund": 1, "CardPayout": 2}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
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


def dates(name: str, moment: datetime | None) -> dict[str, str | None]:
    """``{name: /Date(...)/, nameIso: ...}``: the API gives every date both ways."""
    return {name: wire_date(moment), f"{name}Iso": wire_date_iso(moment)}


@dataclass
class Payment:
    """A payment or payout transaction and everything the API reports about it."""

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
    operation_type: str = "Payment"  # or "CardPayout"
    subscription_id: str | None = None
    save_card: bool | None = None
    skip_3ds: bool = False  # token payments never ask for 3-D Secure

    def __repr__(self) -> str:  # no card data, no token
        return f"Payment({self.transaction_id}, {self.status}, {self.amount} {self.currency})"

    @property
    def settled_status(self) -> str:
        """The status a success gives: Authorized for a hold, else Completed."""
        return "Authorized" if self.two_stage else "Completed"

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
            **dates("CreatedDate", self.created_at),
            **dates("PayoutDate", None),
            "PayoutAmount": None,
            **dates("AuthDate", self.auth_at),
            **dates("ConfirmDate", self.confirm_at),
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
            "Type": OPERATION_TYPES[self.operation_type],
            "Refunded": self.refunded > 0,
            "Name": self.details.get("Name"),
            "Token": self.token,
            "SubscriptionId": self.subscription_id,
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

    def model(self, *, json_data_as_text: bool = False) -> dict[str, Any]:
        """The refund's Transaction model (``Type`` 1, ``OriginalTransactionId`` set)."""
        model = self.payment.model(json_data_as_text=json_data_as_text)
        model.update(
            TransactionId=self.transaction_id,
            Amount=self.amount,
            PaymentAmount=self.amount,
            **dates("CreatedDate", self.created_at),
            **dates("AuthDate", self.created_at),
            **dates("ConfirmDate", self.created_at),
            AuthCode=None,
            Rrn=None,
            OriginalTransactionId=self.payment.transaction_id,
            Status="Completed",
            StatusCode=STATUS_CODES["Completed"],
            Reason="Approved",
            ReasonCode=0,
            CardHolderMessage=REASONS[0].message(self.payment.culture_name),
            Type=OPERATION_TYPES["Refund"],
            Refunded=False,
            Token=None,
        )
        return model
