"""CloudPayments' money calls for the reliability harness.

Every money method carries an ``X-Request-ID`` the SDK fixes before the first
attempt, so each is retried (and resumed) under it. Left out, as not money:
``payments.qr_sbp_link`` and ``payments.qr_sbp_image``. A duplicate SBP link
is one whose answer was lost, so neither the merchant nor the payer ever sees
it; the payer can pay only the link the caller got, and the orphan expires
unpaid: it cannot become a second payment. (The SDK retries them without a key
after a lost answer; a caller who wants one link per order passes
``idempotency_key=``, which CloudPayments dedupes.)

Every call here is *settled* before its effects are counted: once it has a
result, it waits until no request is left in flight at the emulator,
so that a delayed duplicate is counted rather than landing unseen after the
scenario has been judged.
"""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import aiohttp
from harness import MoneyCall, Suite
from load import LoadSuite

from aioacquiring import RetryPolicy, Timeout
from aioacquiring.cloudpayments import Accepted, CloudPayments, ThreeDSecureRequired
from aioacquiring.models.cloudpayments import (
    CustomerReceipt,
    ReceiptItem,
    ReceiptType,
    SubscriptionInterval,
    TrInitiatorCode,
)
from aioacquiring.models.common import Currency
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram

CARD = "4000000000003055"  # the test card that pays without 3-D Secure
AMOUNT = Decimal("100.00")


def _client(
    emulator: CloudPaymentsEmulator, url: str, timeout: Timeout, retry: RetryPolicy
) -> CloudPayments:
    return CloudPayments(
        public_id=emulator.public_id,
        api_secret=emulator.api_secret,
        base_url=url,
        timeout=timeout,
        retry=retry,
        max_concurrency=None,
    )


def _invoice(n: int) -> str:
    return f"reliability-{n}"


def _charges(emulator: CloudPaymentsEmulator, invoice: str) -> int:
    return sum(1 for t in emulator.transactions if t.get("InvoiceId") == invoice)


async def _nothing(client: CloudPayments, emulator: CloudPaymentsEmulator, n: int) -> str:
    return _invoice(n)


def _card_call(name: str, path: str, method: str) -> MoneyCall:
    async def invoke(client: CloudPayments, invoice: str, key: str | None) -> Any:
        return await getattr(client.payments, method)(
            amount=AMOUNT,
            ip_address="127.0.0.1",
            card_cryptogram_packet=test_cryptogram(CARD),
            invoice_id=invoice,
            idempotency_key=key,
        )

    return MoneyCall(name, path, _nothing, invoke, _charges)


async def _saved_token(client: CloudPayments, emulator: CloudPaymentsEmulator, n: int) -> Any:
    token = emulator.add_token(CARD, account_id=f"user-{n}")
    return (_invoice(n), token, f"user-{n}")


def _token_call(name: str, path: str, method: str) -> MoneyCall:
    async def invoke(client: CloudPayments, context: Any, key: str | None) -> Any:
        invoice, token, account = context
        return await getattr(client.payments, method)(
            amount=AMOUNT,
            token=token,
            account_id=account,
            tr_initiator_code=TrInitiatorCode.MERCHANT,
            invoice_id=invoice,
            idempotency_key=key,
        )

    return MoneyCall(name, path, _saved_token, invoke, lambda emu, ctx: _charges(emu, ctx[0]))


async def _pay(client: CloudPayments, n: int, *, hold: bool, card: str = CARD) -> Any:
    """A charge (or a hold) for logical call ``n``, made without faults."""
    method = client.payments.cards_auth if hold else client.payments.cards_charge
    return await method(
        amount=AMOUNT,
        ip_address="127.0.0.1",
        card_cryptogram_packet=test_cryptogram(card),
        invoice_id=_invoice(n),
    )


async def _hold(client: CloudPayments, emulator: CloudPaymentsEmulator, n: int) -> int:
    result = await _pay(client, n, hold=True)
    assert isinstance(result, Accepted)
    return result.transaction_id


async def _payment(client: CloudPayments, emulator: CloudPaymentsEmulator, n: int) -> int:
    result = await _pay(client, n, hold=False)
    assert isinstance(result, Accepted)
    return result.transaction_id


async def _challenge(client: CloudPayments, emulator: CloudPaymentsEmulator, n: int) -> Any:
    result = await _pay(client, n, hold=False, card="4242424242424242")
    assert isinstance(result, ThreeDSecureRequired)
    return result.transaction_id, emulator.pa_res_for(result.transaction_id)


async def _post3ds(client: CloudPayments, context: Any, key: str | None) -> Any:
    transaction_id, pa_res = context
    return await client.payments.cards_post3ds(
        transaction_id=transaction_id, pa_res=pa_res, idempotency_key=key
    )


def _status_is(status: str) -> Any:
    def effects(emulator: CloudPaymentsEmulator, transaction_id: int) -> int:
        held = [t for t in emulator.transactions if t["TransactionId"] == transaction_id]
        return int(bool(held) and held[0]["Status"] == status)

    return effects


async def _confirm(client: CloudPayments, transaction_id: int, key: str | None) -> Any:
    return await client.payments.confirm(
        transaction_id=transaction_id, amount=AMOUNT, idempotency_key=key
    )


async def _void(client: CloudPayments, transaction_id: int, key: str | None) -> Any:
    return await client.payments.void(transaction_id=transaction_id, idempotency_key=key)


async def _refund(client: CloudPayments, transaction_id: int, key: str | None) -> Any:
    return await client.payments.refund(
        transaction_id=transaction_id, amount=Decimal("10.00"), idempotency_key=key
    )


def _refunds(emulator: CloudPaymentsEmulator, transaction_id: int) -> int:
    return sum(1 for r in emulator.refunds if r.get("OriginalTransactionId") == transaction_id)


def _counts(emulator: CloudPaymentsEmulator) -> dict[str, int]:
    return {
        "transactions": len(emulator.transactions),
        "subscriptions": len(emulator.subscriptions),
        "orders": len(emulator.orders),
        "receipts": len(emulator.receipts),
    }


async def _before(client: CloudPayments, emulator: CloudPaymentsEmulator, n: int) -> Any:
    """How many records of each kind exist before the call (scenarios run one at a time)."""
    account = f"u-{n}"
    token = emulator.add_token(CARD, account_id=account)
    return {"before": _counts(emulator), "token": token, "account": account}


def _new(kind: str) -> Any:
    def effects(emulator: CloudPaymentsEmulator, context: Any) -> int:
        return _counts(emulator)[kind] - int(context["before"][kind])

    return effects


async def _card_payout(client: CloudPayments, context: Any, key: str | None) -> Any:
    return await client.payments.cards_topup(
        card_cryptogram_packet=test_cryptogram(CARD),
        amount=AMOUNT,
        currency=Currency.RUB,
        idempotency_key=key,
    )


async def _token_payout(client: CloudPayments, context: Any, key: str | None) -> Any:
    return await client.payments.token_topup(
        token=context["token"],
        amount=AMOUNT,
        account_id=context["account"],
        currency=Currency.RUB,
        idempotency_key=key,
    )


async def _subscribe(client: CloudPayments, context: Any, key: str | None) -> Any:
    return await client.subscriptions.create(
        token=context["token"],
        account_id=context["account"],
        description="Monthly box",
        amount=AMOUNT,
        currency=Currency.RUB,
        require_confirmation=False,
        start_date=datetime(2031, 1, 1, tzinfo=timezone.utc),
        interval=SubscriptionInterval.MONTH,
        period=1,
        idempotency_key=key,
    )


async def _invoice_order(client: CloudPayments, context: Any, key: str | None) -> Any:
    return await client.orders.create(amount=AMOUNT, description="Invoice", idempotency_key=key)


RECEIPT = CustomerReceipt(
    items=[
        ReceiptItem(
            label="Monthly box",
            price=AMOUNT,
            quantity=Decimal("1"),
            amount=AMOUNT,
            vat=20,
        )
    ],
    taxation_system=0,
    email="payer@example.com",
)
"""A minimal valid receipt: one line, paid in full."""


async def _receipt(client: CloudPayments, context: Any, key: str | None) -> Any:
    return await client.kkt.receipt(
        type=ReceiptType.INCOME,
        customer_receipt=RECEIPT,
        account_id=context["account"],
        idempotency_key=key,
    )


SUITE = Suite(
    provider="cloudpayments",
    emulator=lambda: CloudPaymentsEmulator(max_concurrency=None),
    client=_client,
    calls=(
        _card_call("payments.cards_charge", "/payments/cards/charge", "cards_charge"),
        _card_call("payments.cards_auth", "/payments/cards/auth", "cards_auth"),
        _token_call("payments.tokens_charge", "/payments/tokens/charge", "tokens_charge"),
        _token_call("payments.tokens_auth", "/payments/tokens/auth", "tokens_auth"),
        MoneyCall(
            "payments.cards_post3ds",
            "/payments/cards/post3ds",
            _challenge,
            _post3ds,
            lambda emulator, context: _status_is("Completed")(emulator, context[0]),
        ),
        MoneyCall(
            "payments.confirm", "/payments/confirm", _hold, _confirm, _status_is("Completed")
        ),
        MoneyCall("payments.void", "/payments/void", _hold, _void, _status_is("Cancelled")),
        MoneyCall("payments.refund", "/payments/refund", _payment, _refund, _refunds),
        MoneyCall(
            "payments.cards_topup",
            "/payments/cards/topup",
            _before,
            _card_payout,
            _new("transactions"),
        ),
        MoneyCall(
            "payments.token_topup",
            "/payments/token/topup",
            _before,
            _token_payout,
            _new("transactions"),
        ),
        MoneyCall(
            "subscriptions.create",
            "/subscriptions/create",
            _before,
            _subscribe,
            _new("subscriptions"),
        ),
        MoneyCall("orders.create", "/orders/create", _before, _invoice_order, _new("orders")),
        # A duplicate fiscal receipt is reported to the tax service.
        MoneyCall("kkt.receipt", "/kkt/receipt", _before, _receipt, _new("receipts")),
    ),
)
"""CloudPayments: charges, holds, token charges, confirmations, voids, refunds, payouts,
subscriptions, invoices (a duplicate would charge twice) and fiscal receipts."""


def _load_client(
    credentials: dict[str, Any],
    url: str,
    session: aiohttp.ClientSession,
    cap: int,
    retry: RetryPolicy,
) -> CloudPayments:
    return CloudPayments(
        **credentials, base_url=url, session=session, max_concurrency=cap, retry=retry
    )


async def _load_prepare(client: CloudPayments) -> int:
    result = await _pay(client, 0, hold=False)
    assert isinstance(result, Accepted)
    return result.transaction_id


async def _load_call(client: CloudPayments, transaction_id: int, n: int) -> Any:
    if n % 10 == 0:  # one call in ten moves money, the rest read
        return await client.payments.refund(transaction_id=transaction_id, amount=Decimal("0.01"))
    return await client.payments.get(transaction_id=transaction_id)


LOAD = LoadSuite(
    provider="cloudpayments",
    client=_load_client,
    prepare=_load_prepare,
    call=_load_call,
)
"""CloudPayments under load: reads of one payment, with a small refund in every ten calls."""
