"""Reading back: one day's operations, saved tokens, chargebacks.

``/payments/list`` (the first version) takes a day and a time zone code;
``/payments/tokens/list`` and ``/chargebacks/list`` page by ``PageNumber``, 100
a page. Chargebacks are never made by the API: a test adds them with
:meth:`History.add_chargeback`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_envelope import Operation, accepted
from aioacquiring.testing._cloudpayments_fields import ApiError
from aioacquiring.testing._cloudpayments_state import PAGE_SIZE, Store
from aioacquiring.testing._cloudpayments_transaction import Payment, wire_date_iso

__all__ = ["TIME_ZONES", "Chargeback", "History"]

# CloudPayments' time zone codes and their UTC offsets in hours (standard time:
# the emulator keeps no daylight-saving rules).
TIME_ZONES = {
    "HST": -10, "AKST": -9, "PST": -8, "MST": -7, "CST": -6, "EST": -5, "AST": -4,
    "BRT": -3, "UTC": 0, "GMT": 0, "CET": 1, "EET": 2, "MSK": 3, "AZT": 4, "AMT": 4,
    "SAMT": 4, "GET": 4, "TJT": 5, "YEKT": 5, "ALMT": 6, "NOVT": 7, "KRAT": 7,
    "IRKT": 8, "YAKT": 9, "VLAT": 10, "MAGT": 11, "PETT": 12,
}  # fmt: skip


@dataclass(frozen=True)
class Chargeback:
    """A payer's dispute against a payment."""

    chargeback_id: int
    payment: Payment
    amount: Decimal
    created_at: datetime
    reason_code: str
    description: str
    status: str
    kind: str

    def model(self) -> dict[str, Any]:
        """The ``/chargebacks/list`` item."""
        card = self.payment.card
        return {
            "ChargeBackId": self.chargeback_id,
            "TransactionId": self.payment.transaction_id,
            "Operation": "Chargeback",
            "Type": self.kind,
            "Card": f"{card.first_six}******{card.last_four}",
            "Date": wire_date_iso(self.created_at),
            "Amount": self.amount,
            "Currency": self.payment.currency,
            "ReasonCode": self.reason_code,
            "Description": self.description,
            "Status": self.status,
        }


class History:
    """The reading methods that are not about one payment."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.chargebacks: list[Chargeback] = []

    def operations(self) -> dict[str, Operation]:
        """Path -> method."""
        return {
            "/payments/list": self._day,
            "/payments/tokens/list": self._tokens,
            "/chargebacks/list": self._chargebacks,
        }

    def _day(self, body: dict[str, Any]) -> dict[str, Any]:
        day = fields.iso_date(body, "Date")
        code = fields.optional_str(body, "TimeZone") or "UTC"
        if code not in TIME_ZONES:
            raise ApiError("Invalid TimeZone value")
        zone = timezone(timedelta(hours=TIME_ZONES[code]))
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        operations = self._store.day(start, start + timedelta(days=1))
        return accepted([t.model(json_data_as_text=True) for t in operations])

    def _tokens(self, body: dict[str, Any]) -> dict[str, Any]:
        page = self._store.token_page(fields.positive_int(body, "PageNumber"))
        return accepted([record.model() for record in page])

    def _chargebacks(self, body: dict[str, Any]) -> dict[str, Any]:
        gte = fields.iso_datetime(body, "CreatedDateGte")
        lte = fields.iso_datetime(body, "CreatedDateLte")
        page_number = fields.positive_int(body, "PageNumber")
        matching = [c for c in self.chargebacks if gte <= c.created_at <= lte]
        matching.sort(key=lambda c: (c.created_at, c.chargeback_id))
        start = (page_number - 1) * PAGE_SIZE
        return accepted([c.model() for c in matching[start : start + PAGE_SIZE]])

    def add_chargeback(
        self,
        transaction_id: int,
        *,
        amount: Decimal | None,
        created_at: datetime | None,
        reason_code: str,
        description: str,
        status: str,
        kind: str,
    ) -> int:
        """Record a chargeback against a payment; its number."""
        try:
            payment = self._store.payment(transaction_id)
        except ApiError:
            raise KeyError(f"no payment {transaction_id}") from None
        moment = created_at or self._store.clock()
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("created_at must be timezone-aware")
        chargeback = Chargeback(
            chargeback_id=len(self.chargebacks) + 1,
            payment=payment,
            amount=payment.amount if amount is None else amount,
            created_at=moment,
            reason_code=reason_code,
            description=description,
            status=status,
            kind=kind,
        )
        self.chargebacks.append(chargeback)
        return chargeback.chargeback_id
