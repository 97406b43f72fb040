"""Every CloudPayments payment method, over loopback HTTP against the emulator."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import aiohttp
import pytest

from aioacquiring import AuthenticationError, InvalidRequestError, NotFoundError
from aioacquiring.cloudpayments import (
    Accepted,
    CloudPayments,
    Declined,
    PaymentListStatus,
    ThreeDSecureRequired,
    TransactionStatus,
    TrInitiatorCode,
)
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram

SUCCESS = "4000000000003055"
EMPTY_CARD = "4000056655665556"
THREE_DS_SUCCESS = "4242424242424242"
THREE_DS_EMPTY = "4012888888881881"


async def charge(client: CloudPayments, card: str, amount: str = "100.00", **kwargs: object):  # type: ignore[no-untyped-def]
    return await client.payments.cards_charge(
        amount=Decimal(amount),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram(card),
        **kwargs,  # type: ignore[arg-type]
    )


async def test_connectivity_check(client: CloudPayments) -> None:
    message = await client.test()
    assert message


async def test_wrong_secret_is_an_authentication_error(emulator: CloudPaymentsEmulator) -> None:
    async with CloudPayments(
        public_id=emulator.public_id, api_secret="wrong", base_url=emulator.url
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.test()
    assert caught.value.status == 401
    assert caught.value.attempts == 1
    assert "wrong" not in str(caught.value)


async def test_charge_accepted(client: CloudPayments, emulator: CloudPaymentsEmulator) -> None:
    result = await charge(client, SUCCESS, "990.50", invoice_id="0001", account_id="user-1")
    assert isinstance(result, Accepted)
    assert result.status is TransactionStatus.COMPLETED
    assert result.amount == Decimal("990.50")
    assert result.transaction_id > 2**31
    assert result.transaction.invoice_id == "0001"
    assert result.transaction.created_date_iso is not None
    assert result.transaction.created_date_iso.tzinfo is not None
    assert [t["TransactionId"] for t in emulator.transactions] == [result.transaction_id]


async def test_charge_declined_is_a_value(client: CloudPayments) -> None:
    result = await charge(client, EMPTY_CARD)
    assert isinstance(result, Declined)
    assert result.reason_code == 5051
    assert result.reason.name == "InsufficientFunds"
    assert result.reason.should_retry_token
    assert result.card_holder_message


async def pares_from_acs(challenge: ThreeDSecureRequired) -> str:
    form = {"MD": str(challenge.transaction_id), "PaReq": challenge.pa_req, "TermUrl": "http://x"}
    async with (
        aiohttp.ClientSession() as browser,
        browser.post(challenge.acs_url, data=form) as page,
    ):
        html = await page.text()
    found = re.search(r'name="PaRes" value="([^"]*)"', html)
    assert found
    return found[1]


async def test_three_d_secure_then_success(client: CloudPayments) -> None:
    result = await charge(client, THREE_DS_SUCCESS)
    assert isinstance(result, ThreeDSecureRequired)
    assert result.acs_url.endswith("/acs")
    html = result.form_html("https://shop.example/3ds?order=1&x=<y>")
    assert f'name="MD" value="{result.transaction_id}"' in html
    assert "order=1&amp;x=&lt;y&gt;" in html
    finished = await client.payments.cards_post3ds(
        transaction_id=result.transaction_id, pa_res=await pares_from_acs(result)
    )
    assert isinstance(finished, Accepted)
    assert finished.transaction_id == result.transaction_id


async def test_three_d_secure_then_decline(client: CloudPayments) -> None:
    result = await charge(client, THREE_DS_EMPTY)
    assert isinstance(result, ThreeDSecureRequired)
    finished = await client.payments.cards_post3ds(
        transaction_id=result.transaction_id, pa_res=await pares_from_acs(result)
    )
    assert isinstance(finished, Declined)
    assert finished.reason_code == 5051


async def test_hold_confirm_and_void(client: CloudPayments) -> None:
    hold = await client.payments.cards_auth(
        amount=Decimal("500"), ip_address="1.2.3.4", card_cryptogram_packet=test_cryptogram(SUCCESS)
    )
    assert isinstance(hold, Accepted)
    assert hold.status is TransactionStatus.AUTHORIZED
    assert (
        await client.payments.confirm(transaction_id=hold.transaction_id, amount=Decimal("400"))
        is None
    )
    confirmed = await client.payments.get(transaction_id=hold.transaction_id)
    assert confirmed.status is TransactionStatus.COMPLETED

    other = await client.payments.cards_auth(
        amount=Decimal("50"), ip_address="1.2.3.4", card_cryptogram_packet=test_cryptogram(SUCCESS)
    )
    assert isinstance(other, Accepted)
    await client.payments.void(transaction_id=other.transaction_id)
    voided = await client.payments.get(transaction_id=other.transaction_id)
    assert voided.status is TransactionStatus.CANCELLED
    with pytest.raises(InvalidRequestError):
        await client.payments.confirm(transaction_id=other.transaction_id, amount=Decimal("50"))


async def test_token_charge_and_hold(client: CloudPayments) -> None:
    first = await charge(client, SUCCESS, account_id="user-7")
    assert isinstance(first, Accepted)
    token = first.transaction.token
    assert token
    again = await client.payments.tokens_charge(
        amount=Decimal("15.00"),
        account_id="user-7",
        token=token,
        tr_initiator_code=TrInitiatorCode.MERCHANT,
        payment_scheduled=1,
    )
    assert isinstance(again, Accepted)
    held = await client.payments.tokens_auth(
        amount=Decimal("1.00"),
        account_id="user-7",
        token=token,
        tr_initiator_code=TrInitiatorCode.CARDHOLDER,
    )
    assert isinstance(held, Accepted)
    assert held.status is TransactionStatus.AUTHORIZED


async def test_refund(client: CloudPayments, emulator: CloudPaymentsEmulator) -> None:
    paid = await charge(client, SUCCESS, "300")
    assert isinstance(paid, Accepted)
    refund = await client.payments.refund(
        transaction_id=paid.transaction_id, amount=Decimal("120.5")
    )
    assert refund.transaction_id != paid.transaction_id
    assert len(emulator.refunds) == 1
    with pytest.raises(InvalidRequestError):
        await client.payments.refund(transaction_id=paid.transaction_id, amount=Decimal("500"))


async def test_get_and_find(client: CloudPayments) -> None:
    paid = await charge(client, SUCCESS, "42.00", invoice_id="inv-9")
    assert isinstance(paid, Accepted)
    found = await client.payments.find(invoice_id="inv-9")
    assert found.transaction_id == paid.transaction_id
    got = await client.payments.get(transaction_id=paid.transaction_id)
    assert got.amount == Decimal("42.00")
    with pytest.raises(NotFoundError) as caught:
        await client.payments.find(invoice_id="no-such-order")
    assert caught.value.operation == "payments.find"
    with pytest.raises(NotFoundError):
        await client.payments.get(transaction_id=1)


@pytest.mark.parametrize("total", [0, 1, 100, 101, 250])
async def test_list_pages_through_everything(
    client: CloudPayments, emulator: CloudPaymentsEmulator, total: int
) -> None:
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    ids = [
        emulator.add_transaction(amount=Decimal(i + 1), created_at=start + timedelta(minutes=i))
        for i in range(total)
    ]
    emulator.add_transaction(amount=Decimal(1), created_at=start - timedelta(days=2))  # outside
    listed = [
        t.transaction_id
        async for t in client.payments.list(
            created_date_gte=start, created_date_lte=start + timedelta(days=1)
        )
    ]
    assert listed == ids
    pages = total // 100 + 1
    assert emulator.requests_seen("/v2/payments/list") == pages


async def test_list_max_items_pages_and_status_filter(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    for i in range(150):
        emulator.add_transaction(
            amount=Decimal("1.10"),
            created_at=start + timedelta(seconds=i),
            status="Completed" if i % 3 else "Declined",
        )
    end = start + timedelta(hours=1)
    few = await client.payments.list(
        created_date_gte=start, created_date_lte=end, max_items=7
    ).collect()
    assert len(few) == 7
    assert emulator.requests_seen("/v2/payments/list") == 1
    pages = [
        len(page)
        async for page in client.payments.list(
            created_date_gte=start, created_date_lte=end, prefetch=True
        ).pages()
    ]
    assert pages == [100, 50]
    declined = await client.payments.list(
        created_date_gte=start, created_date_lte=end, statuses=[PaymentListStatus.DECLINED]
    ).collect()
    assert len(declined) == 50
    assert all(t.status is TransactionStatus.DECLINED for t in declined)
