"""Payouts to a card by cryptogram (``/payments/cards/topup``) or token (``/payments/token/topup``).

A payout to a card that fails the Luhn check or has expired is declined (and
announced by ``Fail``); any other is paid at once and announced by ``Pay`` with
``OperationType`` ``CardPayout``. With :attr:`Payouts.in_process` set, payouts
stay ``Created`` (the API's "the final state comes by notification") until
:meth:`Payouts.finish` completes them.
"""

from __future__ import annotations

from typing import Any

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_cards import Card, card_outcome, decode_cryptogram
from aioacquiring.testing._cloudpayments_envelope import Operation
from aioacquiring.testing._cloudpayments_fields import ApiError
from aioacquiring.testing._cloudpayments_notify import Notifier
from aioacquiring.testing._cloudpayments_payments import announce
from aioacquiring.testing._cloudpayments_state import Store
from aioacquiring.testing._cloudpayments_transaction import Payment

__all__ = ["Payouts"]

_DETAILS = ("InvoiceId", "AccountId", "Email", "Description", "Name")
_EMPTY_CARD_CODE = 5051  # "insufficient funds" says nothing about a card money is sent to


class Payouts:
    """The payout methods, over the terminal's store and its notifier."""

    def __init__(self, store: Store, notifier: Notifier) -> None:
        self._store = store
        self._notifier = notifier
        self.in_process = False
        """Leave new payouts ``Created`` until :meth:`finish` (as a bank that pays later)."""

    def operations(self) -> dict[str, Operation]:
        """Path -> method."""
        return {
            "/payments/cards/topup": self._cards_topup,
            "/payments/token/topup": self._token_topup,
        }

    @staticmethod
    def _request(body: dict[str, Any]) -> dict[str, Any]:
        amount = fields.amount(body)
        if fields.optional_str(body, "Currency") is None:
            raise ApiError("Currency is required")
        fields.json_object(body, "Payer")
        fields.json_object(body, "Receiver")
        return {
            "amount": amount,
            "currency": fields.currency(body),
            "two_stage": False,
            "details": {key: fields.optional_str(body, key) for key in _DETAILS},
            "json_data": fields.json_data(body),
            "culture_name": None,
            "operation_type": "CardPayout",
        }

    def _pay_out(self, card: Card, request: dict[str, Any]) -> dict[str, Any]:
        payout = self._store.new_payment(card=card, **request)
        _, reason_code = card_outcome(card, now=payout.created_at)
        if reason_code == _EMPTY_CARD_CODE:
            reason_code = 0
        if reason_code == 0 and self.in_process:
            payout.status = "Created"
        else:
            self._store.settle(payout, reason_code)
            announce(self._notifier, payout)
        return {"Model": payout.model(), "Success": payout.status != "Declined", "Message": None}

    def _cards_topup(self, body: dict[str, Any]) -> dict[str, Any]:
        request = self._request(body)
        card = decode_cryptogram(fields.required_str(body, "CardCryptogramPacket"))
        if card is None:
            raise ApiError("Invalid CardCryptogramPacket")
        return self._pay_out(card, request)

    def _token_topup(self, body: dict[str, Any]) -> dict[str, Any]:
        request = self._request(body)
        token = fields.required_str(body, "Token")
        account_id = fields.required_str(body, "AccountId")
        saved = self._store.token(token, account_id)
        request["details"]["AccountId"] = account_id
        return self._pay_out(saved.card, request)

    def finish(self) -> list[int]:
        """Complete every payout left ``Created`` and announce each; their ids."""
        waiting: list[Payment] = [
            p
            for p in self._store.payments.values()
            if p.operation_type == "CardPayout" and p.status == "Created"
        ]
        for payout in waiting:
            self._store.settle(payout, 0)
            announce(self._notifier, payout)
        return [payout.transaction_id for payout in waiting]
