"""What the session methods return, and the questions a caller asks of a session.

Every ``session/*`` answer is ``{"status": "ok", "session": {...},
"confirm_information"?: {...}}``; it comes back as a :class:`SessionResult`.
The helpers also take a bare :class:`Session` (from a webhook event)::

    result = await client.session.init_payout(...)
    result.session_id, result.status          # "ps_...", SessionStatus.IN_PROGRESS
    result.payout                              # the payout of interest (the latest)
    result.next_action                         # NextAction.CONFIRM once ready_to_confirm
    result.is_final                            # accepted or cancelled; error is NOT final
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from aioacquiring.models.bank131.confirm_information import ConfirmInformation
from aioacquiring.models.bank131.error import Error
from aioacquiring.models.bank131.payment import AcquiringPayment
from aioacquiring.models.bank131.payout import Payout
from aioacquiring.models.bank131.refund import Refund
from aioacquiring.models.bank131.session import NextAction, Session, SessionStatus

__all__ = [
    "FINAL_STATUSES",
    "RawAnswer",
    "SessionResult",
    "is_final",
    "next_action",
    "payment_of",
    "payout_of",
    "refund_of",
]

RawAnswer: TypeAlias = Mapping[str, Any]
"""An answer the bank publishes no schema for, as read (``status`` removed; numbers exact)."""

FINAL_STATUSES = frozenset({SessionStatus.ACCEPTED, SessionStatus.CANCELLED})
"""Session statuses after which nothing more happens. ``error`` is not one of them: an
operation may be started again in a session in error."""


def _status_text(status: SessionStatus | str | None) -> str | None:
    return status.value if isinstance(status, SessionStatus) else status


def is_final(session: Session) -> bool:
    """Whether the session is finished: ``accepted`` or ``cancelled`` (not ``error``)."""
    return _status_text(session.status) in {s.value for s in FINAL_STATUSES}


def next_action(session: Session) -> NextAction | str | None:
    """What the bank waits for from the merchant: ``confirm``, ``capture`` or nothing.

    Nothing is awaited from a finished session, whatever a stale field says.
    """
    return None if is_final(session) else session.next_action


def payout_of(session: Session) -> Payout | None:
    """The payout of interest: the session's latest (sessions usually hold one)."""
    return session.payout_list[-1] if session.payout_list else None


def payment_of(session: Session) -> AcquiringPayment | None:
    """The payment of interest: the session's latest (a restart after ``error`` adds one)."""
    return session.payment_list[-1] if session.payment_list else None


def refund_of(session: Session) -> Refund | None:
    """The latest refund of the session's payment, if any."""
    payment = payment_of(session)
    return payment.refunds[-1] if payment is not None and payment.refunds else None


@attrs.frozen(kw_only=True)
class SessionResult:
    """A session answer: the session as it is now, and what to confirm when there is something."""

    session: Session
    """The session with its payouts, payments and refunds."""
    confirm_information: ConfirmInformation | None = None
    """What the bank asks to confirm (escrow and RKO flows echo it in ``session.confirm``)."""

    @property
    def session_id(self) -> str:
        """The session's id (``ps_...``)."""
        return self.session.id

    @property
    def status(self) -> SessionStatus | str | None:
        """The session's status; an unknown one arrives as a plain string."""
        return self.session.status

    @property
    def is_final(self) -> bool:
        """Whether the session is finished (``accepted`` or ``cancelled``; ``error`` is not)."""
        return is_final(self.session)

    @property
    def next_action(self) -> NextAction | str | None:
        """``confirm``, ``capture`` or None: what the bank waits for from the merchant."""
        return next_action(self.session)

    @property
    def payout(self) -> Payout | None:
        """The payout of interest (the latest in the session)."""
        return payout_of(self.session)

    @property
    def payment(self) -> AcquiringPayment | None:
        """The payment of interest (the latest in the session)."""
        return payment_of(self.session)

    @property
    def refund(self) -> Refund | None:
        """The latest refund of the payment of interest."""
        return refund_of(self.session)

    @property
    def error(self) -> Error | None:
        """Why the session (or its latest operation) failed, when it did."""
        if self.session.error is not None:
            return self.session.error
        operation = self.payment or self.payout
        return operation.error if operation is not None else None
