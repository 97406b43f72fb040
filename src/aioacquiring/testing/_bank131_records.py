"""The Bank 131 emulator's records: sessions, their operations and refunds, as answers show them.

Each record renders itself in the names of an API version (v1 ``payments``,
``acquiring_payments``, ``payment_method``; v2 ``payout_list``,
``payment_list``, ``payout_details``), with card numbers masked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aioacquiring.testing._bank131_fields import mask_details, name, now_text

__all__ = ["Operation", "Refund", "Session"]


@dataclass
class Refund:
    """A refund of a payment."""

    id: str
    amount: int
    currency: str
    metadata: Any = None
    status: str = "in_progress"
    created_at: str = field(default_factory=now_text)
    finished_at: str | None = None

    def render(self) -> dict[str, Any]:
        """The refund as answers show it."""
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "created_at": self.created_at,
            "amount_details": {"amount": self.amount, "currency": self.currency},
        }
        if self.finished_at:
            out["finished_at"] = self.finished_at
        if self.metadata is not None:
            out["metadata"] = self.metadata
        return out


@dataclass
class Operation:
    """A payout (``po_...``) or a payment (``pm_...``) in a session."""

    kind: str
    id: str
    details: dict[str, Any]
    card: str | None
    amount: int
    currency: str
    extra: dict[str, Any]
    status: str = "in_progress"
    created_at: str = field(default_factory=now_text)
    finished_at: str | None = None
    customer_interaction: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    refunds: list[Refund] = field(default_factory=list)
    captured: int | None = None
    recurrent: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        """Whether the operation reached ``succeeded`` or ``failed``."""
        return self.status in ("succeeded", "failed")

    def refundable(self) -> int:
        """What is left to refund."""
        paid = self.captured if self.captured is not None else self.amount
        return paid - sum(r.amount for r in self.refunds if r.status != "declined")

    def render(self, version: int) -> dict[str, Any]:
        """The operation as answers show it, in ``version``'s names."""
        details_key = "payout_details" if self.kind == "payout" else "payment_details"
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "created_at": self.created_at,
            name(details_key, version): mask_details(self.details, self.card),
            "amount_details": {"amount": self.amount, "currency": self.currency},
        }
        out.update({k: v for k, v in self.extra.items() if v is not None})
        for key, value in (
            ("finished_at", self.finished_at),
            ("customer_interaction", self.customer_interaction),
            ("error", self.error),
            ("recurrent", self.recurrent),
        ):
            if value is not None:
                out[key] = value
        if self.refunds:
            out["refunds"] = [refund.render() for refund in self.refunds]
        if self.kind == "payment" and self.status == "succeeded":
            paid = {"amount": self.captured or self.amount, "currency": self.currency}
            fee = {"amount": 0, "currency": self.currency}
            out["amounts"] = {"gross": paid, "net": paid, "fee": {"merchant_fee": fee}}
        return out


@dataclass
class Session:
    """A session (``ps_...``) and its operations."""

    id: str
    flow: str = "plain"
    status: str = "created"
    created_at: str = field(default_factory=now_text)
    updated_at: str = field(default_factory=now_text)
    finished_at: str | None = None
    next_action: str | None = None
    error: dict[str, str] | None = None
    operations: list[Operation] = field(default_factory=list)
    confirm_information: dict[str, Any] | None = None
    metadata: Any = None
    draft: dict[str, Any] = field(default_factory=dict)
    attempt_from: int = 0
    """Where the operations of the current attempt start (a session in error may start again)."""

    @property
    def current(self) -> list[Operation]:
        """The operations of the current attempt."""
        return self.operations[self.attempt_from :]

    def touch(self) -> None:
        """Mark a change."""
        self.updated_at = now_text()

    def render(self, version: int) -> dict[str, Any]:
        """The session as answers show it, in ``version``'s names."""
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }
        for key, value in (
            ("finished_at", self.finished_at),
            ("next_action", self.next_action),
            ("error", self.error),
        ):
            if value is not None:
                out[key] = value
        payouts = [op.render(version) for op in self.operations if op.kind == "payout"]
        payments = [op.render(version) for op in self.operations if op.kind == "payment"]
        if payouts:
            out[name("payout_list", version)] = payouts
        if payments:
            out[name("payment_list", version)] = payments
        return out

    def rendered_confirm_information(self, version: int) -> dict[str, Any] | None:
        """``confirm_information`` while the session waits for ``session/confirm``."""
        if self.next_action != "confirm" or self.confirm_information is None:
            return None
        transfer = dict(self.confirm_information["transfer_details"])
        transfer[name("payout_details", version)] = transfer.pop("payout_details")
        return {"transfer_details": transfer}
