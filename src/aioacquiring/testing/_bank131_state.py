"""The Bank 131 emulator's sessions and their status machine.

A session holds payouts and payments (operations). Starting one puts the
session ``in_progress``; the bank's checks then move it on, each step with its
webhook:

* payouts: ``ready_to_confirm`` (operation ``pending``, ``next_action: confirm``)
  -> ``session/confirm`` -> executed -> ``payment_finished`` (``accepted``, or
  ``cancelled`` with the error when the payout failed);
* payments: ``action_required`` first when the customer must act (3-D Secure,
  FPS QR), then ``ready_to_capture`` for holds or ``ready_to_confirm`` ->
  ``payment_finished`` (``accepted``, or ``error`` when declined: a session in
  error may start a payment again);
* ``session/cancel`` before the end: ``cancelled`` and ``payment_finished``;
* refunds of accepted payments: ``in_progress`` -> ``accepted`` and ``payment_refunded``.

The steps after an answer are deferred: the answer shows the session as the
call left it (``in_progress``), and the emulator runs :meth:`Store.run_deferred`
right after sending it, as the bank works on after answering.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from typing import Any

from aioacquiring.testing._bank131_fields import (
    PAYMENT_TYPES,
    PAYOUT_TYPES,
    ApiError,
    amount_details,
    card_number,
    invalid,
    mask_details,
    name,
    now_text,
    optional_object,
    tagged,
)
from aioacquiring.testing._bank131_records import Operation, Refund, Session

__all__ = ["CARDS", "Store"]

THREE_DS_CARD = "4000000000003220"
CARDS: dict[str, tuple[str, str]] = {
    "4000000000000002": ("declined_by_issuer_bank", "The issuer declined the operation"),
    "4000000000009995": ("insufficient_funds", "Not enough money on the card"),
    "4000000000000069": ("bank_card_expired", "The card has expired"),
}
"""Test cards that fail, with the error they fail with (payments and payouts alike)."""

Emit = Callable[[str, "Session"], None]
FINAL = frozenset({"accepted", "cancelled"})


class Store:
    """Every session of the emulated project, the project's balance and its tokens."""

    def __init__(self, *, emit: Emit, base_url: Callable[[], str]) -> None:
        self._emit = emit
        self._base_url = base_url
        self._ids = itertools.count(1)
        self.sessions: dict[str, Session] = {}
        self.balance: dict[str, int] = {"rub": 100_000_000}
        self.recurrent_tokens: dict[str, dict[str, Any]] = {}
        self.card_tokens: dict[str, str] = {}
        self.confirm_payouts = True
        self.confirm_payments = True
        self.hold_payments = False
        self._deferred: list[Callable[[], None]] = []

    # Ids, look-ups, the deferred steps ------------------------------------------

    def new_id(self, prefix: str) -> str:
        """A fresh id such as ``ps_1_a1b2c3``."""
        return f"{prefix}_{next(self._ids)}{secrets.token_hex(3)}"

    def session(self, body: dict[str, Any]) -> Session:
        """The session named by ``session_id``."""
        session_id = body.get("session_id")
        if not isinstance(session_id, str) or not session_id:
            raise invalid("session_id is required")
        session = self.sessions.get(session_id)
        if session is None:
            raise ApiError("invalid_request", f"Session {session_id} not found", http_status=404)
        return session

    def later(self, step: Callable[[], None]) -> None:
        """Run ``step`` after the current answer is made."""
        self._deferred.append(step)

    def discard_deferred(self) -> None:
        """Forget the steps of a call that was refused after all."""
        self._deferred.clear()

    def run_deferred(self) -> None:
        """Run the steps the last call left for after its answer."""
        while self._deferred:
            self._deferred.pop(0)()

    # Sessions ----------------------------------------------------------------------

    def create(self, *, flow: str = "plain", metadata: Any = None) -> Session:
        """A new session in status ``created``."""
        session = Session(id=self.new_id("ps"), flow=flow, metadata=metadata)
        self.sessions[session.id] = session
        return session

    def check_startable(self, session: Session) -> None:
        """Refuse to start an operation in a session that is running or finished."""
        if session.status not in ("created", "error"):
            raise ApiError(
                "session_wrong_state", f"Session {session.id} is {session.status}: cannot start"
            )
        session.attempt_from = len(session.operations)

    def start_payout(self, session: Session, body: dict[str, Any], version: int) -> Operation:
        """Start a payout (the bank then checks it: ``ready_to_confirm`` or executes it)."""
        operation = self.new_payout(body, version)
        if session.flow == "nominal" and not _sender(body).get("beneficiary_id"):
            raise invalid("participant_details.sender.beneficiary_id is required")
        if session.flow == "rko" and not _sender(body).get("account"):
            raise invalid("participant_details.sender.account is required")
        if self.balance.get(operation.currency, 0) < operation.amount:
            raise ApiError("insufficient_wallet_balance", "Not enough money on the balance")
        self._add(session, operation)
        self.later(lambda: self._checked(session, operation))
        return operation

    def new_payout(self, body: dict[str, Any], version: int) -> Operation:
        """A payout read from a request (not yet in a session)."""
        details_key = name("payout_details", version)
        details = optional_object(body, details_key)
        if details is None:
            raise invalid(f"{details_key} is required")
        kind, inner = tagged(details, details_key, PAYOUT_TYPES)
        number = card_number(inner, f"{details_key}.card") if kind == "card" else None
        amount, currency = amount_details(body)
        participants = optional_object(body, "participant_details") or {}
        if not isinstance(participants.get("recipient"), dict):
            raise invalid("participant_details.recipient is required")
        extra = {
            key: body.get(key)
            for key in ("customer", "participant_details", "metadata", "fiscalization_details")
        }
        return Operation(
            kind="payout",
            id=self.new_id("po"),
            details=details,
            card=number,
            amount=amount,
            currency=currency,
            extra=extra,
        )

    def start_payment(self, session: Session, body: dict[str, Any], version: int) -> Operation:
        """Start a payment (then 3-D Secure or a QR, then confirm or capture)."""
        details = optional_object(body, "payment_details")
        if details is None:
            raise invalid("payment_details is required")
        kind, inner = tagged(details, "payment_details", PAYMENT_TYPES)
        number = self._payment_card(kind, inner)
        amount, currency = amount_details(body)
        extra = {
            key: body.get(key)
            for key in ("customer", "participant_details", "metadata", "payment_options")
        }
        operation = Operation(
            kind="payment",
            id=self.new_id("pm"),
            details=details,
            card=number,
            amount=amount,
            currency=currency,
            extra=extra,
        )
        self._add(session, operation)
        if number == THREE_DS_CARD or kind == "internet_banking":
            operation.customer_interaction = self._redirect(operation)
            self.later(lambda: self._emit("action_required", session))
        elif kind == "faster_payment_system":
            operation.customer_interaction = self._qr(operation)
            self.later(lambda: self._emit("action_required", session))
        else:
            self.later(lambda: self._checked(session, operation))
        return operation

    def _payment_card(self, kind: str, inner: Any) -> str | None:
        if kind == "card":
            number = card_number(inner, "payment_details.card")
            if number is None and isinstance(inner, dict) and inner.get("type") == "tokenized_card":
                token = (inner.get("tokenized_card") or {}).get("token")
                number = self.card_tokens.get(token) if isinstance(token, str) else None
                if number is None:
                    raise invalid("payment_details.card.tokenized_card.token is unknown")
            return number
        if kind == "recurrent":
            token = inner.get("token") if isinstance(inner, dict) else None
            record = self.recurrent_tokens.get(token) if isinstance(token, str) else None
            if record is None or not record["is_active"]:
                raise ApiError("operation_rejected", "The recurrent token is unknown or disabled")
            card: str | None = record["card"]
            return card
        return None

    def _redirect(self, operation: Operation) -> dict[str, Any]:
        base = f"{self._base_url()}/acs/{operation.id}"
        return {
            "type": "redirect",
            "redirect": {"url": base, "base_url": base, "method": "GET", "qs": {}, "params": {}},
        }

    def _qr(self, operation: Operation) -> dict[str, Any]:
        link = f"{self._base_url()}/qr/{operation.id}"
        return {"type": "inform", "inform": {"qr": {"content": link, "img": ""}}}

    def _add(self, session: Session, operation: Operation) -> None:
        session.operations.append(operation)
        session.status = "in_progress"
        session.error = None
        session.next_action = None
        session.touch()

    def customer_acted(self, operation_id: str) -> Session:
        """The customer passed 3-D Secure or paid the QR: the payment goes on."""
        for session in self.sessions.values():
            for operation in session.operations:
                if operation.id == operation_id and operation.customer_interaction:
                    if operation.finished or session.status in FINAL:
                        raise ApiError("session_wrong_state", "The payment is over")
                    operation.customer_interaction = None
                    self._checked(session, operation)
                    return session
        raise ApiError(
            "invalid_request", f"No payment {operation_id} awaits the customer", http_status=404
        )

    # The bank's checks, confirmation, capture -----------------------------------

    def _checked(self, session: Session, operation: Operation) -> None:
        """The bank checked the operation: wait for the merchant, or execute it."""
        if operation.finished or session.status in FINAL:
            return
        if operation.kind == "payment" and operation.card in CARDS:
            self._fail(session, operation, *CARDS[operation.card])
            return
        card_like = operation.card is not None or operation.details.get("type") == "card"
        if operation.kind == "payment" and self.hold_payments and card_like:
            operation.status = "pending"
            session.next_action = "capture"
            session.touch()
            self._emit("ready_to_capture", session)
            return
        wait = self.confirm_payouts if operation.kind == "payout" else self.confirm_payments
        if wait or session.flow != "plain":
            operation.status = "pending"
            if all(op.finished or op.status == "pending" for op in session.current):
                session.next_action = "confirm"
                session.confirm_information = _confirm_information(session, operation)
                session.touch()
                self._emit("ready_to_confirm", session)
            return
        self._execute(session, operation)

    def confirm(self, session: Session, body: dict[str, Any]) -> None:
        """``session/confirm``: execute what waits (after the answer)."""
        if session.next_action != "confirm":
            raise ApiError("session_wrong_state", f"Session {session.id} awaits no confirmation")
        if session.flow != "plain" and not isinstance(body.get("confirm_information"), dict):
            raise invalid("confirm_information is required in this flow: echo ready_to_confirm's")
        session.next_action = None
        session.touch()
        pending = [op for op in session.operations if op.status == "pending"]

        def execute() -> None:
            for operation in pending:
                self._execute(session, operation)

        self.later(execute)

    def capture(self, session: Session, body: dict[str, Any]) -> None:
        """``session/capture``: charge the hold, in full or in part (after the answer)."""
        if session.next_action != "capture":
            raise ApiError("session_wrong_state", f"Session {session.id} holds nothing to capture")
        operation = next(op for op in session.operations if op.status == "pending")
        captured = operation.amount
        if body.get("amount_details") is not None:
            captured, currency = amount_details(body)
            if currency != operation.currency or captured > operation.amount:
                raise invalid("amount_details must not exceed the amount held")
        operation.captured = captured
        session.next_action = None
        session.touch()
        self.later(lambda: self._execute(session, operation))

    def cancel(self, session: Session) -> None:
        """``session/cancel``: end the session's unfinished operations."""
        if session.status in FINAL:
            raise ApiError("session_wrong_state", f"Session {session.id} is {session.status}")
        error = {"code": "session_cancelled_by_partner", "description": "Cancelled by the partner"}
        for operation in session.operations:
            if not operation.finished:
                operation.status = "failed"
                operation.error = dict(error)
                operation.finished_at = now_text()
                operation.customer_interaction = None
        session.status = "cancelled"
        session.error = error
        session.next_action = None
        session.finished_at = now_text()
        session.touch()
        self.later(lambda: self._emit("payment_finished", session))

    def _execute(self, session: Session, operation: Operation) -> None:
        if operation.finished or session.status in FINAL:
            return
        if operation.card in CARDS:
            self._fail(session, operation, *CARDS[operation.card])
            return
        if operation.kind == "payout":
            if self.balance.get(operation.currency, 0) < operation.amount:
                self._fail(session, operation, "insufficient_wallet_balance", "Not enough money")
                return
            self.balance[operation.currency] -= operation.amount
        else:
            paid = operation.captured or operation.amount
            self.balance[operation.currency] = self.balance.get(operation.currency, 0) + paid
            if (operation.extra.get("payment_options") or {}).get("recurrent") is True:
                operation.recurrent = self._new_recurrent(operation)
        operation.status = "succeeded"
        operation.finished_at = now_text()
        self._settle(session)

    def _new_recurrent(self, operation: Operation) -> dict[str, Any]:
        token = "rt_" + secrets.token_hex(12)
        record = {"token": token, "created_at": now_text(), "is_active": True}
        self.recurrent_tokens[token] = {**record, "card": operation.card}
        return record

    def _fail(self, session: Session, operation: Operation, code: str, description: str) -> None:
        operation.status = "failed"
        operation.error = {"code": code, "description": description}
        operation.finished_at = now_text()
        self._settle(session)

    def _settle(self, session: Session) -> None:
        """Finish the session once every operation is finished, and say so by webhook."""
        if not all(op.finished for op in session.current):
            return
        failed = next((op for op in session.current if op.status == "failed"), None)
        session.next_action = None
        session.touch()
        if failed is None:
            session.status = "accepted"
            session.finished_at = now_text()
        elif failed.kind == "payout":
            session.status = "cancelled"  # a failed payout ends its session
            session.error = failed.error
            session.finished_at = now_text()
        else:
            session.status = "error"  # not final: a payment may be started again
            session.error = failed.error
        self._emit("payment_finished", session)

    # Refunds ---------------------------------------------------------------------

    def refund(self, session: Session, body: dict[str, Any]) -> Refund:
        """``session/refund``: refund (part of) the session's paid payment."""
        payment = next((op for op in reversed(session.operations) if op.kind == "payment"), None)
        if session.status != "accepted" or payment is None or payment.status != "succeeded":
            raise ApiError("session_wrong_state", f"Session {session.id} has no paid payment")
        left = payment.refundable()
        amount, currency = left, payment.currency
        if body.get("amount_details") is not None:
            amount, currency = amount_details(body)
        if currency != payment.currency:
            raise invalid("amount_details.currency must be the payment's")
        if amount > left or left == 0:
            raise ApiError("refund_amount_too_large", f"At most {left} can be refunded")
        refund = Refund(
            id=self.new_id("rf"), amount=amount, currency=currency, metadata=body.get("metadata")
        )
        payment.refunds.append(refund)
        session.touch()

        def finish() -> None:
            refund.status = "accepted"
            refund.finished_at = now_text()
            self.balance[currency] = self.balance.get(currency, 0) - amount
            session.touch()
            self._emit("payment_refunded", session)

        self.later(finish)
        return refund


def _sender(body: dict[str, Any]) -> dict[str, Any]:
    participants = body.get("participant_details")
    sender = participants.get("sender") if isinstance(participants, dict) else None
    return sender if isinstance(sender, dict) else {}


def _confirm_information(session: Session, operation: Operation) -> dict[str, Any] | None:
    """What escrow (nominal) and RKO flows ask the merchant to confirm."""
    if session.flow == "plain":
        return None
    participants = operation.extra.get("participant_details") or {}
    return {
        "transfer_details": {
            "customer": participants.get("sender") or {},
            "recipient": participants.get("recipient") or {},
            "purpose": "Transfer in session " + session.id,
            "amount": {"amount": operation.amount, "currency": operation.currency},
            "payout_details": mask_details(operation.details, operation.card),
        }
    }
