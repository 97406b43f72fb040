"""The parameters of each notification type, built from the emulator's records.

Values stay Python values (Decimal, datetime, bool, None); the notifier writes
them the way CloudPayments does for the chosen format (form or JSON). ``Data``
is the payment's ``JsonData`` as a JSON string, as CloudPayments sends it.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from aioacquiring.testing._cloudpayments_cards import REASONS
from aioacquiring.testing._cloudpayments_transaction import Payment, Refund
from aioacquiring.testing._wire import dumps

__all__ = ["cancel_fields", "fail_fields", "payment_fields", "refund_fields"]


def _data(json_data: Any) -> str | None:
    return None if json_data is None else dumps(json_data).decode()


def payment_fields(payment: Payment, *, status: str | None = None) -> dict[str, Any]:
    """Check, Pay and Confirm: the payment as it stands (``status``: the one it is to get)."""
    card_type, _ = payment.card.scheme
    details = payment.details
    ip_address = details.get("IpAddress")
    return {
        "TransactionId": payment.transaction_id,
        "Amount": payment.amount,
        "Currency": payment.currency,
        "PaymentAmount": payment.amount,
        "PaymentCurrency": payment.currency,
        "DateTime": payment.auth_at or payment.created_at,
        "CardId": None,
        "CardFirstSix": payment.card.first_six,
        "CardLastFour": payment.card.last_four,
        "CardType": card_type,
        "CardExpDate": payment.card.expiry,
        "TestMode": True,
        "Status": status or payment.status,
        "OperationType": payment.operation_type,
        "GatewayName": "Emulator",
        "InvoiceId": details.get("InvoiceId"),
        "AccountId": details.get("AccountId"),
        "SubscriptionId": payment.subscription_id,
        "Name": details.get("Name"),
        "Email": details.get("Email"),
        "IpAddress": ip_address,
        "IpCountry": "RU" if ip_address else None,
        "IpCity": "Moscow" if ip_address else None,
        "IpRegion": "Moscow" if ip_address else None,
        "IpDistrict": "Central Federal District" if ip_address else None,
        "Issuer": "Emulator Bank",
        "IssuerBankCountry": "RU",
        "Description": details.get("Description"),
        "AuthCode": payment.auth_code,
        "Token": payment.token,
        "TotalFee": Decimal(0),
        "Rrn": payment.rrn,
        "Data": _data(payment.json_data),
    }


def fail_fields(payment: Payment) -> dict[str, Any]:
    """Fail: the declined payment with its ``Reason`` and ``ReasonCode``."""
    reason = REASONS[payment.reason_code]
    return {
        **payment_fields(payment),
        "DateTime": payment.created_at,
        "Reason": reason.name,
        "ReasonCode": reason.code,
    }


def refund_fields(refund: Refund) -> dict[str, Any]:
    """Refund: the refund's own transaction and the payment it refunds."""
    payment = refund.payment
    return {
        "TransactionId": refund.transaction_id,
        "PaymentTransactionId": payment.transaction_id,
        "Amount": refund.amount,
        "DateTime": refund.created_at,
        "OperationType": "Refund",
        "InvoiceId": payment.details.get("InvoiceId"),
        "AccountId": payment.details.get("AccountId"),
        "Email": payment.details.get("Email"),
        "Rrn": None,
        "Data": _data(payment.json_data),
    }


def cancel_fields(payment: Payment, *, at: datetime) -> dict[str, Any]:
    """Cancel: a hold released by ``payments/void``."""
    return {
        "TransactionId": payment.transaction_id,
        "Amount": payment.amount,
        "DateTime": at,
        "InvoiceId": payment.details.get("InvoiceId"),
        "AccountId": payment.details.get("AccountId"),
        "Email": payment.details.get("Email"),
        "Rrn": payment.rrn,
        "Data": _data(payment.json_data),
    }
