"""Online fiscal receipts under 54-FZ (``/kkt/receipt``): checked and queued, never printed."""

from __future__ import annotations

import copy
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_envelope import Operation, accepted
from aioacquiring.testing._cloudpayments_fields import ApiError

__all__ = ["Receipts"]

RECEIPT_TYPES = ("Income", "IncomeReturn", "Expense", "ExpenseReturn")


def _quantity(item: dict[str, Any]) -> None:
    value = item.get("quantity")
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, str)):
        raise ApiError("Invalid quantity value")
    try:
        positive = Decimal(str(value).strip()) > 0
    except InvalidOperation:
        positive = False
    if not positive:
        raise ApiError("Invalid quantity value")


def _item(index: int, item: Any) -> None:
    """A receipt line: a label, a price and a line amount in money, a positive quantity."""
    if not isinstance(item, dict):
        raise ApiError(f"Invalid CustomerReceipt.Items[{index}] value")
    try:
        fields.required_str(item, "label")
        fields.amount(item, "price")
        fields.amount(item, "amount")
        _quantity(item)
    except ApiError as exc:
        raise ApiError(f"CustomerReceipt.Items[{index}]: {exc}") from None


class Receipts:
    """The receipt method; the receipts queued are kept in :attr:`items`."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def operations(self) -> dict[str, Operation]:
        """Path -> method."""
        return {"/kkt/receipt": self._receipt}

    def _receipt(self, body: dict[str, Any]) -> dict[str, Any]:
        kind = fields.one_of(body, "Type", RECEIPT_TYPES, required=True)
        receipt = fields.json_object(body, "CustomerReceipt")
        if receipt is None:
            raise ApiError("CustomerReceipt is required")
        items = receipt.get("Items")
        if not isinstance(items, list) or not items:
            raise ApiError("CustomerReceipt.Items is required")
        for index, item in enumerate(items):
            _item(index, item)
        receipt_id = str(uuid.uuid4())
        self.items.append({"Id": receipt_id, "Type": kind, **copy.deepcopy(body)})
        return accepted({"Id": receipt_id})
