"""What a CloudPayments payment call returns: accepted, declined, or 3-D Secure needed.

These are values, not exceptions: a declined card or a 3-D Secure challenge is
an ordinary outcome the caller branches on, and a type checker sees every
branch::

    match await client.payments.cards_charge(...):
        case Accepted(transaction=tx): ...
        case Declined() as declined: show(declined.card_holder_message)
        case ThreeDSecureRequired() as challenge: return challenge.form_html(term_url)
"""

from __future__ import annotations

from decimal import Decimal
from typing import TypeAlias

import attrs

from aioacquiring.cloudpayments.reason_codes import DeclineReason, decline_reason
from aioacquiring.cloudpayments.three_d_secure import render_3ds_form
from aioacquiring.models.cloudpayments import ThreeDSecureChallenge, Transaction, TransactionStatus


@attrs.frozen(kw_only=True)
class Accepted:
    """The payment went through: ``Completed`` for a charge, ``Authorized`` for a hold."""

    transaction: Transaction

    @property
    def transaction_id(self) -> int:
        """The transaction's number."""
        return self.transaction.transaction_id

    @property
    def status(self) -> TransactionStatus | str | None:
        """The transaction's status (``Completed`` or ``Authorized``)."""
        return self.transaction.status

    @property
    def amount(self) -> Decimal | None:
        """The amount charged or held."""
        return self.transaction.amount


@attrs.frozen(kw_only=True)
class Declined:
    """The bank or CloudPayments declined the payment; ``reason_code`` says why."""

    transaction: Transaction

    @property
    def transaction_id(self) -> int:
        """The declined transaction's number."""
        return self.transaction.transaction_id

    @property
    def reason_code(self) -> int | None:
        """The decline code (``5051`` insufficient funds, ...)."""
        return self.transaction.reason_code

    @property
    def reason(self) -> DeclineReason:
        """The decline reason: name, payer-facing meaning, and whether to retry the token."""
        return decline_reason(self.transaction.reason_code, self.transaction.reason)

    @property
    def card_holder_message(self) -> str | None:
        """The message to show the payer."""
        return self.transaction.card_holder_message


@attrs.frozen(kw_only=True)
class ThreeDSecureRequired:
    """The payer must pass 3-D Secure before the payment can finish.

    Show :meth:`form_html` to the payer (it posts to the bank's ACS); the bank
    posts ``MD`` and ``PaRes`` back to your ``TermUrl``, where you call
    ``payments.cards_post3ds(transaction_id=MD, pa_res=PaRes)``.
    """

    challenge: ThreeDSecureChallenge

    @property
    def transaction_id(self) -> int:
        """The transaction awaiting authentication (``MD`` in the form)."""
        return self.challenge.transaction_id

    @property
    def pa_req(self) -> str:
        """The authentication request to post to the ACS."""
        return self.challenge.pa_req

    @property
    def acs_url(self) -> str:
        """The issuer's access control server."""
        return self.challenge.acs_url

    def form_html(self, term_url: str) -> str:
        """An HTML page that posts ``MD``, ``PaReq`` and ``TermUrl`` to the ACS on load."""
        return render_3ds_form(
            acs_url=self.acs_url,
            pa_req=self.pa_req,
            transaction_id=self.transaction_id,
            term_url=term_url,
        )


PaymentResult: TypeAlias = Accepted | Declined | ThreeDSecureRequired
"""The outcome of a charge, hold or 3-D Secure completion."""
