"""Orders: invoices and payment links (``/orders/create``, ``/orders/cancel``).

An order is ``Created`` with a link the payer opens (the emulator serves a
small page at it); ``cancel`` makes it ``Cancelled``, and
:meth:`Orders.pay` plays the payer paying it by card (``Paid``, announced by ``Pay``).
"""

from __future__ import annotations

import html
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_cards import Card
from aioacquiring.testing._cloudpayments_envelope import Operation, accepted
from aioacquiring.testing._cloudpayments_fields import CURRENCY_CODES, ApiError
from aioacquiring.testing._cloudpayments_notify import Notifier
from aioacquiring.testing._cloudpayments_payments import announce
from aioacquiring.testing._cloudpayments_state import Store
from aioacquiring.testing._cloudpayments_transaction import Payment, dates

__all__ = ["ORDER_PAGE_PATH", "Order", "Orders"]

ORDER_PAGE_PATH = "/d/{id}"
STATUS_CODES = {"Created": 0, "Paid": 1, "Cancelled": 2}
_ID_ALPHABET = string.ascii_letters + string.digits
_TEXT = (
    "InvoiceId", "AccountId", "Email", "Phone", "OfferUri", "CultureName",
    "SubscriptionBehavior", "SuccessRedirectUrl", "FailRedirectUrl",
)  # fmt: skip
_FLAGS = ("RequireConfirmation", "SendEmail", "SendSms", "SendViber")


@dataclass
class Order:
    """One invoice."""

    id: str
    number: int
    amount: Decimal
    currency: str
    description: str
    url: str
    created_at: datetime
    details: dict[str, Any]
    flags: dict[str, bool | None]
    json_data: Any = None
    status: str = "Created"
    paid_at: datetime | None = None

    def model(self) -> dict[str, Any]:
        """The Order model, with the API's key names."""
        return {
            "Id": self.id,
            "Number": self.number,
            "Amount": self.amount,
            "Currency": self.currency,
            "CurrencyCode": CURRENCY_CODES[self.currency],
            "Email": self.details.get("Email"),
            "Phone": self.details.get("Phone"),
            "Description": self.description,
            "RequireConfirmation": bool(self.flags.get("RequireConfirmation")),
            "Url": self.url,
            "CultureName": self.details.get("CultureName") or "ru-RU",
            **dates("CreatedDate", self.created_at),
            **dates("PaymentDate", self.paid_at),
            "StatusCode": STATUS_CODES[self.status],
            "Status": self.status,
            "InternalId": self.number,
        }


class Orders:
    """The order methods and the payer's side of an order."""

    def __init__(self, store: Store, notifier: Notifier, base_url: Callable[[], str]) -> None:
        self._store = store
        self._notifier = notifier
        self._base_url = base_url
        self.items: dict[str, Order] = {}

    def operations(self) -> dict[str, Operation]:
        """Path -> method."""
        return {"/orders/create": self._create, "/orders/cancel": self._cancel}

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        amount = fields.amount(body)
        description = fields.required_str(body, "Description")
        currency = fields.currency(body)
        details = {key: fields.optional_str(body, key) for key in _TEXT}
        flags = {key: fields.boolean(body, key, required=False) for key in _FLAGS}
        if flags["SendEmail"] and not details["Email"]:
            raise ApiError("Email is required")
        if (flags["SendSms"] or flags["SendViber"]) and not details["Phone"]:
            raise ApiError("Phone is required")
        order_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(16))
        order = Order(
            id=order_id,
            number=len(self.items) + 1,
            amount=amount,
            currency=currency,
            description=description,
            url=self._base_url() + ORDER_PAGE_PATH.format(id=order_id),
            created_at=self._store.clock(),
            details=details,
            flags=flags,
            json_data=fields.json_data(body),
        )
        self.items[order.id] = order
        return accepted(order.model())

    def get(self, order_id: str) -> Order:
        """The order with that id, or ``ApiError("Not found")``."""
        order = self.items.get(order_id)
        if order is None:
            raise ApiError("Not found")
        return order

    def _cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        order = self.get(fields.required_str(body, "Id"))
        if order.status != "Created":
            raise ApiError(f"Order {order.id} cannot be cancelled: {order.status}")
        order.status = "Cancelled"
        return accepted(None)

    def pay(self, order_id: str, card: Card) -> Payment:
        """The payer pays the order by ``card`` (no 3-D Secure, no Check)."""
        order = self.items.get(order_id)
        if order is None:
            raise KeyError(f"no order {order_id!r}")
        if order.status != "Created":
            raise ValueError(f"order {order_id} is {order.status}")
        details = {
            "InvoiceId": order.details.get("InvoiceId"),
            "AccountId": order.details.get("AccountId"),
            "Email": order.details.get("Email"),
            "Description": order.description,
        }
        payment = self._store.new_payment(
            amount=order.amount,
            currency=order.currency,
            card=card,
            two_stage=bool(order.flags.get("RequireConfirmation")),
            details=details,
            json_data=order.json_data,
            culture_name=order.details.get("CultureName"),
            skip_3ds=True,  # the emulated order page plays no 3-D Secure
        )
        self._store.authorize(payment)
        if payment.status != "Declined":
            order.status, order.paid_at = "Paid", payment.auth_at
        announce(self._notifier, payment)
        return payment

    async def page(self, request: web.Request) -> web.Response:
        """The payer's page of an order (what its ``Url`` opens)."""
        order = self.items.get(request.match_info["id"])
        if order is None:
            raise web.HTTPNotFound(text="No such order")
        text = _ORDER_PAGE.format(
            description=html.escape(order.description),
            amount=html.escape(f"{order.amount:.2f} {order.currency}"),
            status=html.escape(order.status),
        )
        return web.Response(text=text, content_type="text/html")


_ORDER_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>Invoice (CloudPayments emulator)</title></head>
<body>
<h1>{description}</h1>
<p>Amount: {amount}</p>
<p>Status: {status}</p>
</body>
</html>
"""
