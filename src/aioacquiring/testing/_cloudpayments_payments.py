"""The emulator's payment methods: cards, tokens, 3-D Secure, confirm, void, refund, reads.

A payment asks the Check URL first when one is configured (a refusal declines
it), then announces its outcome: ``Pay`` for a success, ``Fail`` for a decline.
Confirm, void and refund announce ``Confirm``, ``Cancel`` and ``Refund``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_cards import decode_cryptogram
from aioacquiring.testing._cloudpayments_envelope import Operation, accepted
from aioacquiring.testing._cloudpayments_fields import ApiError
from aioacquiring.testing._cloudpayments_notify import Notifier
from aioacquiring.testing._cloudpayments_payloads import (
    cancel_fields,
    fail_fields,
    payment_fields,
    refund_fields,
)
from aioacquiring.testing._cloudpayments_state import Store
from aioacquiring.testing._cloudpayments_transaction import Payment

__all__ = ["CHECK_REFUSED_REASON", "PaymentsApi", "announce"]

# The reference does not name the ReasonCode of a payment the merchant's Check
# refused; the emulator uses 5204 UnableToProcess ("the payment cannot be processed").
CHECK_REFUSED_REASON = 5204
_DETAILS = ("InvoiceId", "AccountId", "Email", "Description", "Name", "IpAddress")
_LIST_STATUSES = ("Authorized", "Completed", "Cancelled", "Declined")


def announce(notifier: Notifier, payment: Payment) -> None:
    """Send ``Pay`` for a payment that went through, ``Fail`` for a declined one."""
    if payment.status in ("Completed", "Authorized"):
        notifier.send("Pay", payment_fields(payment))
    elif payment.status == "Declined":
        notifier.send("Fail", fail_fields(payment))


def payment_request(body: dict[str, Any], *, two_stage: bool) -> dict[str, Any]:
    """What every payment request carries, read and checked."""
    return {
        "amount": fields.amount(body),
        "currency": fields.currency(body),
        "two_stage": two_stage,
        "details": {key: fields.optional_str(body, key) for key in _DETAILS},
        "json_data": fields.json_data(body),
        "culture_name": fields.optional_str(body, "CultureName"),
    }


class PaymentsApi:
    """The payment methods, over the terminal's store and its notifier."""

    def __init__(self, store: Store, notifier: Notifier, acs_url: Callable[[], str]) -> None:
        self._store = store
        self._notifier = notifier
        self._acs_url = acs_url

    def operations(self) -> dict[str, Operation]:
        """Path -> method."""
        return {
            "/payments/cards/charge": lambda body: self._cards(body, two_stage=False),
            "/payments/cards/auth": lambda body: self._cards(body, two_stage=True),
            "/payments/cards/post3ds": self._post3ds,
            "/payments/tokens/charge": lambda body: self._tokens(body, two_stage=False),
            "/payments/tokens/auth": lambda body: self._tokens(body, two_stage=True),
            "/payments/confirm": self._confirm,
            "/payments/void": self._void,
            "/payments/refund": self._refund,
            "/payments/get": self._get,
            "/payments/find": self._find,
            "/v2/payments/find": self._find,
            "/v2/payments/list": self._list,
        }

    def _answer(self, payment: Payment) -> dict[str, Any]:
        """Accepted, declined, or a 3-D Secure challenge, as the API frames each."""
        if payment.status == "AwaitingAuthentication":
            challenge = {
                "TransactionId": payment.transaction_id,
                "PaReq": payment.pa_req,
                "AcsUrl": self._acs_url(),
                "GoReq": None,
                "ThreeDsSessionData": None,
                "IFrameIsAllowed": True,
                "FrameWidth": None,
                "FrameHeight": None,
            }
            return {"Model": challenge, "Success": False, "Message": None}
        success = payment.status != "Declined"
        return {"Model": payment.model(), "Success": success, "Message": None}

    async def _checked(self, payment: Payment) -> dict[str, Any]:
        """Ask Check, then authorise (or decline on refusal), announce, answer."""
        check = payment_fields(payment, status=payment.settled_status)
        if await self._notifier.check(check):
            self._store.settle(payment, CHECK_REFUSED_REASON)
        else:
            self._store.authorize(payment)
        announce(self._notifier, payment)
        return self._answer(payment)

    async def _cards(self, body: dict[str, Any], *, two_stage: bool) -> dict[str, Any]:
        request = payment_request(body, two_stage=two_stage)
        fields.required_str(body, "IpAddress")
        card = decode_cryptogram(fields.required_str(body, "CardCryptogramPacket"))
        if card is None:
            raise ApiError("Invalid CardCryptogramPacket")
        save_card = fields.boolean(body, "SaveCard", required=False)
        payment = self._store.new_payment(card=card, save_card=save_card, **request)
        return await self._checked(payment)

    def _post3ds(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction_id = fields.positive_int(body, "TransactionId")
        pa_res = fields.required_str(body, "PaRes")
        payment = self._store.finish_3ds(transaction_id, pa_res)
        announce(self._notifier, payment)
        return self._answer(payment)

    async def _tokens(self, body: dict[str, Any], *, two_stage: bool) -> dict[str, Any]:
        request = payment_request(body, two_stage=two_stage)
        account_id = fields.required_str(body, "AccountId")
        token = fields.required_str(body, "Token")
        fields.choice(body, "TrInitiatorCode", (0, 1), required=True)
        fields.choice(body, "PaymentScheduled", (0, 1), required=False)
        payment = self._store.new_token_payment(token, account_id, **request)
        return await self._checked(payment)

    def _confirm(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction_id = fields.positive_int(body, "TransactionId")
        payment = self._store.confirm(transaction_id, fields.amount(body))
        self._notifier.send("Confirm", payment_fields(payment))
        return accepted(None)

    def _void(self, body: dict[str, Any]) -> dict[str, Any]:
        payment = self._store.void(fields.positive_int(body, "TransactionId"))
        self._notifier.send("Cancel", cancel_fields(payment, at=self._store.clock()))
        return accepted(None)

    def _refund(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction_id = fields.positive_int(body, "TransactionId")
        refund = self._store.refund(transaction_id, fields.amount(body))
        self._notifier.send("Refund", refund_fields(refund))
        return accepted({"TransactionId": refund.transaction_id})

    def _get(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction_id = fields.positive_int(body, "TransactionId")
        refund = self._store.refunds.get(transaction_id)
        if refund is not None:
            return accepted(refund.model())
        return accepted(self._store.payment(transaction_id).model())

    def _find(self, body: dict[str, Any]) -> dict[str, Any]:
        invoice_id = fields.required_str(body, "InvoiceId")
        return accepted(self._store.find(invoice_id).model())

    def _list(self, body: dict[str, Any]) -> dict[str, Any]:
        gte = fields.iso_datetime(body, "CreatedDateGte")
        lte = fields.iso_datetime(body, "CreatedDateLte")
        page_number = fields.positive_int(body, "PageNumber")
        statuses = fields.string_list(body, "Statuses", _LIST_STATUSES)
        fields.optional_str(body, "TimeZone")  # accepted; dates are answered in UTC
        page = self._store.page(gte, lte, page_number, statuses)
        return accepted([payment.model(json_data_as_text=True) for payment in page])
