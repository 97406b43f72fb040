"""Subscriptions: recurring charges of a saved token (``/subscriptions/...``).

A subscription starts ``Active``; ``cancel`` makes it ``Cancelled`` and an
``update`` of a cancelled one re-activates it. The emulator has no clock of its
own: :meth:`Subscriptions.charge` runs the next charge when a test says so. A
failed charge makes the subscription ``PastDue``, three failures in a row
``Rejected``, and reaching ``MaxPeriods`` ``Expired``. Each charge is announced
by ``Pay`` or ``Fail``, and every change of status by ``Recurrent``.
"""

from __future__ import annotations

import calendar
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_envelope import Operation, accepted
from aioacquiring.testing._cloudpayments_fields import CURRENCY_CODES, ApiError
from aioacquiring.testing._cloudpayments_notify import Notifier
from aioacquiring.testing._cloudpayments_payments import announce
from aioacquiring.testing._cloudpayments_state import Store
from aioacquiring.testing._cloudpayments_transaction import Payment, dates

__all__ = ["Subscription", "Subscriptions"]

INTERVAL_CODES = {"Week": 0, "Month": 1, "Day": 2}
STATUS_CODES = {"Active": 0, "PastDue": 1, "Cancelled": 2, "Rejected": 3, "Expired": 4}
_FAILURES_TO_REJECT = 3


def add_interval(moment: datetime, interval: str, period: int) -> datetime:
    """``moment`` plus ``period`` days, weeks or months (a month end stays in its month)."""
    if interval == "Day":
        return moment + timedelta(days=period)
    if interval == "Week":
        return moment + timedelta(weeks=period)
    months = moment.month - 1 + period
    year, month = moment.year + months // 12, months % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass
class Subscription:
    """One subscription and its schedule."""

    id: str
    account_id: str
    token: str = field(repr=False)
    description: str
    email: str | None
    amount: Decimal
    currency: str
    require_confirmation: bool
    start_at: datetime
    interval: str
    period: int
    max_periods: int | None
    culture_name: str | None = None
    status: str = "Active"
    successful: int = 0
    failed: int = 0
    failed_in_row: int = 0
    last_at: datetime | None = None
    next_at: datetime | None = None

    def model(self) -> dict[str, Any]:
        """The Subscription model, with the API's key names."""
        return {
            "Id": self.id,
            "AccountId": self.account_id,
            "Description": self.description,
            "Email": self.email,
            "Amount": self.amount,
            "CurrencyCode": CURRENCY_CODES[self.currency],
            "Currency": self.currency,
            "RequireConfirmation": self.require_confirmation,
            **dates("StartDate", self.start_at),
            "IntervalCode": INTERVAL_CODES[self.interval],
            "Interval": self.interval,
            "Period": self.period,
            "MaxPeriods": self.max_periods,
            "CultureName": self.culture_name or "ru-RU",
            "StatusCode": STATUS_CODES[self.status],
            "Status": self.status,
            "SuccessfulTransactionsNumber": self.successful,
            "FailedTransactionsNumber": self.failed,
            **dates("LastTransactionDate", self.last_at),
            **dates("NextTransactionDate", self.next_at),
        }

    def notification_fields(self) -> dict[str, Any]:
        """The ``Recurrent`` notification's parameters."""
        return {
            "Id": self.id,
            "AccountId": self.account_id,
            "Description": self.description,
            "Email": self.email,
            "Amount": self.amount,
            "Currency": self.currency,
            "RequireConfirmation": self.require_confirmation,
            "StartDate": self.start_at,
            "Interval": self.interval,
            "Period": self.period,
            "Status": self.status,
            "SuccessfulTransactionsNumber": self.successful,
            "FailedTransactionsNumber": self.failed,
            "MaxPeriods": self.max_periods,
            "LastTransactionDate": self.last_at,
            "NextTransactionDate": self.next_at,
        }


class Subscriptions:
    """The subscription methods and the charges they make."""

    def __init__(self, store: Store, notifier: Notifier) -> None:
        self._store = store
        self._notifier = notifier
        self.items: dict[str, Subscription] = {}

    def operations(self) -> dict[str, Operation]:
        """Path -> method."""
        return {
            "/subscriptions/create": self._create,
            "/subscriptions/get": lambda body: accepted(self._get(body).model()),
            "/subscriptions/find": self._find,
            "/subscriptions/update": self._update,
            "/subscriptions/cancel": self._cancel,
        }

    def _set_status(self, subscription: Subscription, status: str) -> None:
        if subscription.status != status:
            subscription.status = status
            self._notifier.send("Recurrent", subscription.notification_fields())

    def _start_date(self, body: dict[str, Any]) -> datetime:
        start = fields.iso_datetime(body, "StartDate", naive_is_utc=True)
        if start < self._store.clock() - timedelta(minutes=1):  # a minute for clock skew
            raise ApiError("StartDate must be in the future")
        return start

    def _create(self, body: dict[str, Any]) -> dict[str, Any]:
        token = fields.required_str(body, "Token")
        account_id = fields.required_str(body, "AccountId")
        description = fields.required_str(body, "Description")
        amount = fields.amount(body)
        if fields.optional_str(body, "Currency") is None:
            raise ApiError("Currency is required")
        currency = fields.currency(body)
        confirmation = fields.boolean(body, "RequireConfirmation", required=True)
        start = self._start_date(body)
        interval = fields.one_of(body, "Interval", INTERVAL_CODES, required=True)
        period = fields.positive_int(body, "Period")
        max_periods = fields.optional_positive_int(body, "MaxPeriods")
        email = fields.optional_str(body, "Email")
        fields.json_object(body, "CustomerReceipt")
        self._store.token(token, account_id)
        assert confirmation is not None
        assert interval is not None
        subscription = Subscription(
            id="sc_" + secrets.token_hex(15)[:29],
            account_id=account_id,
            token=token,
            description=description,
            email=email,
            amount=amount,
            currency=currency,
            require_confirmation=confirmation,
            start_at=start,
            interval=interval,
            period=period,
            max_periods=max_periods,
            culture_name=fields.optional_str(body, "CultureName"),
            next_at=start,
        )
        self.items[subscription.id] = subscription
        return accepted(subscription.model())

    def get(self, subscription_id: str) -> Subscription:
        """The subscription with that id, or ``ApiError("Not found")``."""
        subscription = self.items.get(subscription_id)
        if subscription is None:
            raise ApiError("Not found")
        return subscription

    def _get(self, body: dict[str, Any]) -> Subscription:
        return self.get(fields.required_str(body, "Id"))

    def _find(self, body: dict[str, Any]) -> dict[str, Any]:
        key = "accountId" if "accountId" in body else "AccountId"  # lower camel on the wire
        account_id = fields.required_str(body, key)
        found = [s.model() for s in self.items.values() if s.account_id == account_id]
        return accepted(found)

    def _next_on_schedule(self, subscription: Subscription) -> datetime:
        """The first date of the schedule that is not in the past."""
        moment, now = subscription.start_at, self._store.clock()
        while moment < now:
            moment = add_interval(moment, subscription.interval, subscription.period)
        return moment

    def _update(self, body: dict[str, Any]) -> dict[str, Any]:
        subscription = self._get(body)
        changes: dict[str, Any] = {}
        if fields.optional_str(body, "Description") is not None:
            changes["description"] = fields.required_str(body, "Description")
        if body.get("Amount") is not None:
            changes["amount"] = fields.amount(body)
        if fields.optional_str(body, "Currency") is not None:
            changes["currency"] = fields.currency(body)
        confirmation = fields.boolean(body, "RequireConfirmation", required=False)
        if confirmation is not None:
            changes["require_confirmation"] = confirmation
        if body.get("StartDate") is not None:
            changes["start_at"] = changes["next_at"] = self._start_date(body)
        interval = fields.one_of(body, "Interval", INTERVAL_CODES, required=False)
        if interval is not None:
            changes["interval"] = interval
        if body.get("Period") is not None:
            changes["period"] = fields.positive_int(body, "Period")
        if body.get("MaxPeriods") is not None:
            changes["max_periods"] = fields.positive_int(body, "MaxPeriods")
        for key, name in (("Email", "email"), ("CultureName", "culture_name")):
            if fields.optional_str(body, key) is not None:
                changes[name] = fields.optional_str(body, key)
        fields.json_object(body, "CustomerReceipt")
        for name, value in changes.items():
            setattr(subscription, name, value)
        if subscription.status == "Cancelled":  # an update re-activates a cancelled one
            subscription.failed_in_row = 0
            if "next_at" not in changes:
                subscription.next_at = self._next_on_schedule(subscription)
            self._set_status(subscription, "Active")
        return accepted(subscription.model())

    def _cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        subscription = self._get(body)
        if subscription.status != "Cancelled":
            subscription.next_at = None
            self._set_status(subscription, "Cancelled")
        return accepted(None)

    def charge(self, subscription_id: str) -> Payment:
        """Run the subscription's next charge now (the emulator's stand-in for its schedule)."""
        subscription = self.items.get(subscription_id)
        if subscription is None:
            raise KeyError(f"no subscription {subscription_id!r}")
        if subscription.status not in ("Active", "PastDue"):
            raise ValueError(f"subscription {subscription_id} is {subscription.status}")
        payment = self._store.new_token_payment(
            subscription.token,
            subscription.account_id,
            amount=subscription.amount,
            currency=subscription.currency,
            two_stage=subscription.require_confirmation,
            details={"Description": subscription.description, "Email": subscription.email},
            json_data=None,
            culture_name=subscription.culture_name,
            subscription_id=subscription.id,
        )
        self._store.authorize(payment)
        now = self._store.clock()
        if payment.status == "Declined":
            subscription.failed += 1
            subscription.failed_in_row += 1
            rejected = subscription.failed_in_row >= _FAILURES_TO_REJECT
            subscription.next_at = None if rejected else now + timedelta(days=1)
            status = "Rejected" if rejected else "PastDue"
        else:
            subscription.successful += 1
            subscription.failed_in_row = 0
            subscription.last_at = now
            base = subscription.next_at or now
            subscription.next_at = add_interval(base, subscription.interval, subscription.period)
            status = "Active"
            if subscription.max_periods and subscription.successful >= subscription.max_periods:
                status, subscription.next_at = "Expired", None
        announce(self._notifier, payment)
        self._set_status(subscription, status)
        return payment
