"""Every catalogue method the emulator gained, called through the SDK client over loopback.

The answers must be exactly what the SDK's models read: each test goes request
in, typed result out, through ``CloudPayments`` against ``CloudPaymentsEmulator``.
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import aiohttp
import pytest

from aioacquiring import InvalidRequestError, NotFoundError
from aioacquiring.cloudpayments import (
    Accepted,
    Chargeback,
    CloudPayments,
    ConfigurableNotificationKind,
    CustomerReceipt,
    Declined,
    NotificationEncoding,
    NotificationHttpMethod,
    NotificationKind,
    Order,
    ReceiptItem,
    ReceiptType,
    SbpScheme,
    Subscription,
    SubscriptionInterval,
    SubscriptionStatus,
    TokenInfo,
    Transaction,
    TrInitiatorCode,
)
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram

GOOD = "4000000000003055"
EMPTY = "4000056655665556"
MSK = timezone(timedelta(hours=3))
RUB = "RUB"


async def charge(client: CloudPayments, card: str = GOOD, **extra: object) -> Accepted:
    result = await client.payments.cards_charge(
        amount=Decimal("100"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram(card),
        **extra,  # type: ignore[arg-type]
    )
    assert isinstance(result, Accepted)
    return result


# Payouts ----------------------------------------------------------------------------------


async def test_card_payout(client: CloudPayments, emulator: CloudPaymentsEmulator) -> None:
    payout = await client.payments.cards_topup(
        card_cryptogram_packet=test_cryptogram("2200000000000004", expiry="10/31"),
        amount=Decimal("1500.25"),
        currency=RUB,  # type: ignore[arg-type]
        account_id="seller-7",
        invoice_id="payout-1",
    )
    assert isinstance(payout, Accepted)
    tx = payout.transaction
    assert (tx.status, tx.type, tx.amount) == ("Completed", 2, Decimal("1500.25"))
    assert (tx.card_type, tx.card_last_four, tx.account_id) == ("Mir", "0004", "seller-7")
    assert tx.token is None  # a payout saves no token
    read = await client.payments.get(transaction_id=payout.transaction_id)
    assert read.status == "Completed"


async def test_a_payout_to_a_bad_card_is_declined(client: CloudPayments) -> None:
    payout = await client.payments.cards_topup(
        card_cryptogram_packet=test_cryptogram("4000000000003056"),
        amount=Decimal("10"),
        currency=RUB,  # type: ignore[arg-type]
    )
    assert isinstance(payout, Declined)
    assert payout.reason_code == 5014


async def test_token_payout_goes_to_the_singular_path(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    token = (await charge(client, account_id="seller-1")).transaction.token
    assert token is not None
    payout = await client.payments.token_topup(
        token=token, amount=Decimal("30"), account_id="seller-1", currency=RUB  # type: ignore[arg-type]
    )  # fmt: skip
    assert isinstance(payout, Accepted)
    assert payout.transaction.card_last_four == "3055"
    assert emulator.requests_seen("/payments/token/topup") == 1
    with pytest.raises(InvalidRequestError, match="Token not found"):
        await client.payments.token_topup(
            token=token, amount=Decimal("30"), account_id="someone", currency=RUB  # type: ignore[arg-type]
        )  # fmt: skip


# Tokens -----------------------------------------------------------------------------------


async def test_tokens_saved_by_account_or_save_card_are_listed(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    by_account = (await charge(client, account_id="user-1")).transaction.token
    await charge(client, "5555555555554444")  # no AccountId, no SaveCard: not saved
    await charge(client, "2200000000000004", account_id="user-2", save_card=False)
    by_flag = (await charge(client, "4111111111111111", save_card=True)).transaction.token
    tokens = await client.payments.tokens_list().collect()
    assert [t.token for t in tokens] == [by_account, by_flag]
    first = tokens[0]
    assert isinstance(first, TokenInfo)
    assert (first.account_id, first.card_mask) == ("user-1", "4000 00** **** 3055")
    assert (first.expiration_date_month, first.expiration_date_year) == (12, 2030)
    assert tokens[1].account_id is None


async def test_tokens_list_pages_by_page_number(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    added = [emulator.add_token(GOOD, account_id=f"user-{i:03}") for i in range(205)]
    pages = [len(page) async for page in client.payments.tokens_list().pages()]
    assert pages == [100, 100, 5]
    tokens = await client.payments.tokens_list().collect()
    assert [t.token for t in tokens] == added
    assert emulator.requests_seen("/payments/tokens/list") == 6


async def test_token_charge_requires_the_initiator(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    token = emulator.add_token(GOOD, account_id="user-9")
    paid = await client.payments.tokens_charge(
        amount=Decimal("12"),
        account_id="user-9",
        token=token,
        tr_initiator_code=TrInitiatorCode.MERCHANT,
        payment_scheduled=1,
    )
    assert isinstance(paid, Accepted)
    held = await client.payments.tokens_auth(
        amount=Decimal("12"),
        account_id="user-9",
        token=token,
        tr_initiator_code=TrInitiatorCode.CARDHOLDER,
    )
    assert isinstance(held, Accepted)
    assert held.status == "Authorized"


# Reading back -----------------------------------------------------------------------------


async def test_find_v1_and_the_newer_find_agree(client: CloudPayments) -> None:
    paid = await charge(client, invoice_id="00042")
    old = await client.payments.find_v1(invoice_id="00042")
    new = await client.payments.find(invoice_id="00042")
    assert old.transaction_id == new.transaction_id == paid.transaction_id
    assert isinstance(old, Transaction)
    with pytest.raises(NotFoundError):
        await client.payments.find_v1(invoice_id="nope")


async def test_day_list_takes_the_day_in_the_time_zone(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    # 22:30 UTC on 1 May is 01:30 on 2 May in Moscow.
    late = emulator.add_transaction(
        amount=10, created_at=datetime(2024, 5, 1, 22, 30, tzinfo=timezone.utc)
    )
    early = emulator.add_transaction(
        amount=20, created_at=datetime(2024, 5, 1, 1, 0, tzinfo=timezone.utc)
    )
    utc_day = await client.payments.list_v1(date=date(2024, 5, 1))
    assert [t.transaction_id for t in utc_day] == [early, late]
    moscow_day = await client.payments.list_v1(date=date(2024, 5, 2), time_zone="MSK")
    assert [t.transaction_id for t in moscow_day] == [late]
    assert await client.payments.list_v1(date=date(2024, 5, 3), time_zone="MSK") == []
    with pytest.raises(InvalidRequestError, match="TimeZone"):
        await client.payments.list_v1(date=date(2024, 5, 1), time_zone="Mars/Olympus")


async def test_day_list_includes_refunds_and_json_data(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    paid = await charge(client, json_data={"cart": [1, 2]})
    refund = await client.payments.refund(transaction_id=paid.transaction_id, amount=Decimal(1))
    today = datetime.now(timezone.utc).date()
    day = await client.payments.list_v1(date=today)
    assert [t.transaction_id for t in day] == [paid.transaction_id, refund.transaction_id]
    assert day[0].json_data == {"cart": [1, 2]}
    assert (day[1].type, day[1].original_transaction_id) == (1, paid.transaction_id)


async def test_chargebacks_list(client: CloudPayments, emulator: CloudPaymentsEmulator) -> None:
    paid = await charge(client)
    start = datetime(2024, 1, 1, tzinfo=MSK)
    ids = [
        emulator.add_chargeback(
            paid.transaction_id, created_at=start + timedelta(hours=i), amount=Decimal("1.5")
        )
        for i in range(101)
    ]
    emulator.add_chargeback(paid.transaction_id)  # now: outside the period
    found = await client.chargebacks.list(
        created_date_gte=start, created_date_lte=start + timedelta(days=30)
    ).collect()
    assert [c.charge_back_id for c in found] == ids
    first = found[0]
    assert isinstance(first, Chargeback)
    assert (first.transaction_id, first.amount, first.currency) == (
        paid.transaction_id,
        Decimal("1.5"),
        "RUB",
    )
    assert first.date == start.astimezone(timezone.utc)
    assert first.card == "400000******3055"
    assert (first.reason_code, first.status) == ("4837", "Open")


# Subscriptions ----------------------------------------------------------------------------


async def new_subscription(
    client: CloudPayments, emulator: CloudPaymentsEmulator, card: str = GOOD, **extra: object
) -> Subscription:
    token = emulator.add_token(card, account_id="user-1")
    arguments: dict[str, object] = {
        "token": token,
        "account_id": "user-1",
        "description": "Coffee every week",
        "amount": Decimal("499.90"),
        "currency": RUB,
        "require_confirmation": False,
        "start_date": datetime(2030, 1, 31, 9, 0, tzinfo=MSK),
        "interval": SubscriptionInterval.MONTH,
        "period": 1,
        **extra,
    }
    return await client.subscriptions.create(**arguments)  # type: ignore[arg-type]


async def test_subscription_create_get_find(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    created = await new_subscription(client, emulator, email="a@example.com", max_periods=12)
    assert created.id.startswith("sc_")
    assert created.status is SubscriptionStatus.ACTIVE
    assert created.interval is SubscriptionInterval.MONTH
    assert (created.amount, created.currency, created.period) == (Decimal("499.90"), "RUB", 1)
    assert created.start_date == datetime(2030, 1, 31, 6, 0, tzinfo=timezone.utc)  # sent as UTC
    assert created.next_transaction_date == created.start_date
    assert (created.max_periods, created.email) == (12, "a@example.com")
    assert created.successful_transactions_number == 0
    assert await client.subscriptions.get(id=created.id) == created
    other = await new_subscription(client, emulator, interval=SubscriptionInterval.WEEK)
    found = await client.subscriptions.find(account_id="user-1")
    assert [s.id for s in found] == [created.id, other.id]
    assert await client.subscriptions.find(account_id="nobody") == []
    with pytest.raises(NotFoundError):
        await client.subscriptions.get(id="sc_missing")


async def test_subscription_update_cancel_and_reactivate(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    created = await new_subscription(client, emulator)
    updated = await client.subscriptions.update(
        id=created.id, amount=Decimal("550"), interval=SubscriptionInterval.DAY, period=3
    )
    assert (updated.amount, updated.interval, updated.period) == (
        Decimal("550"),
        SubscriptionInterval.DAY,
        3,
    )
    assert updated.description == created.description  # untouched fields stay
    await client.subscriptions.cancel(id=created.id)
    cancelled = await client.subscriptions.get(id=created.id)
    assert cancelled.status is SubscriptionStatus.CANCELLED
    assert cancelled.next_transaction_date is None
    again = await client.subscriptions.update(id=created.id, description="Back again")
    assert again.status is SubscriptionStatus.ACTIVE  # an update re-activates it
    assert again.next_transaction_date == created.start_date
    await client.subscriptions.cancel(id=created.id)
    await client.subscriptions.cancel(id=created.id)  # twice is fine


async def test_subscription_charges_move_the_schedule_and_the_status(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    monthly = await new_subscription(client, emulator, max_periods=2)
    first = emulator.charge_subscription(monthly.id)
    after = await client.subscriptions.get(id=monthly.id)
    assert after.successful_transactions_number == 1
    # 31 January + 1 month is the last day of February.
    assert after.next_transaction_date == datetime(2030, 2, 28, 6, 0, tzinfo=timezone.utc)
    assert after.last_transaction_date is not None
    payment = await client.payments.get(transaction_id=first)
    assert (payment.subscription_id, payment.amount) == (monthly.id, Decimal("499.90"))
    emulator.charge_subscription(monthly.id)
    expired = await client.subscriptions.get(id=monthly.id)
    assert expired.status is SubscriptionStatus.EXPIRED
    with pytest.raises(ValueError, match="Expired"):
        emulator.charge_subscription(monthly.id)


async def test_failed_subscription_charges(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    sub = await new_subscription(client, emulator, EMPTY)
    statuses = []
    for _ in range(3):
        emulator.charge_subscription(sub.id)
        statuses.append((await client.subscriptions.get(id=sub.id)).status)
    assert statuses == ["PastDue", "PastDue", "Rejected"]
    rejected = await client.subscriptions.get(id=sub.id)
    assert rejected.failed_transactions_number == 3
    with pytest.raises(KeyError):
        emulator.charge_subscription("sc_nope")


async def test_subscription_requests_are_checked(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    with pytest.raises(InvalidRequestError, match="StartDate"):
        await new_subscription(client, emulator, start_date=datetime(2020, 1, 1, tzinfo=MSK))
    with pytest.raises(InvalidRequestError, match="Token not found"):
        await new_subscription(client, emulator, account_id="someone-else")


# Orders -----------------------------------------------------------------------------------


async def test_orders_create_pay_and_cancel(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    order = await client.orders.create(
        amount=Decimal("1990.00"),
        description="Invoice #7",
        email="payer@example.com",
        send_email=True,
        invoice_id="inv-7",
        account_id="user-7",
    )
    assert isinstance(order, Order)
    assert (order.status, order.status_code, order.number) == ("Created", 0, 1)
    assert (order.amount, order.currency, order.email) == (
        Decimal("1990"),
        "RUB",
        "payer@example.com",
    )
    assert order.url is not None
    assert order.url.endswith(f"/d/{order.id}")
    async with aiohttp.ClientSession() as browser, browser.get(order.url) as page:
        assert page.status == 200
        assert "Invoice #7" in await page.text()
    payment_id = emulator.pay_order(order.id)
    paid = await client.payments.find(invoice_id="inv-7")
    assert paid.transaction_id == payment_id
    assert emulator.orders[0]["Status"] == "Paid"
    with pytest.raises(InvalidRequestError, match="cannot be cancelled"):
        await client.orders.cancel(id=order.id)
    second = await client.orders.create(amount=Decimal("5"), description="Tea")
    await client.orders.cancel(id=second.id)
    assert emulator.orders[1]["Status"] == "Cancelled"
    with pytest.raises(NotFoundError):
        await client.orders.cancel(id="missing")
    with pytest.raises(InvalidRequestError, match="Email is required"):
        await client.orders.create(amount=Decimal("5"), description="x", send_email=True)


# Notification settings --------------------------------------------------------------------


async def test_notification_settings_read_and_change(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    before = await client.site.notifications_get(type=NotificationKind.PAY)
    assert (before.is_enabled, before.address, before.http_method) == (False, None, "GET")
    assert (before.encoding, before.format) == ("UTF8", "CloudPayments")
    await client.site.notifications_update(
        type=ConfigurableNotificationKind.PAY,
        is_enabled=True,
        address="https://shop.example/cp/pay",
        http_method=NotificationHttpMethod.POST,
        encoding=NotificationEncoding.WINDOWS1251,
    )
    after = await client.site.notifications_get(type=NotificationKind.PAY)
    assert (after.is_enabled, after.address, after.http_method, after.encoding) == (
        True,
        "https://shop.example/cp/pay",
        "POST",
        "Windows1251",
    )
    await client.site.notifications_update(type=ConfigurableNotificationKind.PAY, is_enabled=False)
    assert (await client.site.notifications_get(type=NotificationKind.PAY)).is_enabled is False
    emulator.notify_url("Check", "https://shop.example/cp/check")
    check = await client.site.notifications_get(type=NotificationKind.CHECK)
    assert (check.is_enabled, check.http_method) == (True, "POST")


# SBP and receipts -------------------------------------------------------------------------


async def test_sbp_link_and_image(client: CloudPayments, emulator: CloudPaymentsEmulator) -> None:
    link = await client.payments.qr_sbp_link(
        public_id=emulator.public_id,
        amount=Decimal("150.50"),
        currency=RUB,  # type: ignore[arg-type]
        scheme=SbpScheme.CHARGE,
        invoice_id="sbp-1",
    )
    assert link.qr_url is not None
    assert link.qr_url.startswith("https://qr.nspk.ru/")
    assert "sum=15050" in link.qr_url
    assert (link.amount, link.qr_image) == (Decimal("150.5"), None)
    assert link.transaction_id is not None
    assert link.provider_qr_id is not None
    image = await client.payments.qr_sbp_image(
        public_id=emulator.public_id,
        amount=Decimal("1"),
        currency=RUB,  # type: ignore[arg-type]
        scheme=SbpScheme.AUTH,
    )
    assert image.qr_image is not None
    assert base64.b64decode(image.qr_image).startswith(b"\x89PNG\r\n\x1a\n")
    assert [entry["Scheme"] for entry in emulator.sbp_links] == ["charge", "auth"]
    with pytest.raises(InvalidRequestError, match="PublicId"):
        await client.payments.qr_sbp_link(
            public_id="pk_other", amount=Decimal("1"), currency=RUB, scheme=SbpScheme.CHARGE  # type: ignore[arg-type]
        )  # fmt: skip
    with pytest.raises(InvalidRequestError, match="Currency"):
        await client.payments.qr_sbp_link(
            public_id=emulator.public_id,
            amount=Decimal("1"),
            currency="USD",  # type: ignore[arg-type]
            scheme=SbpScheme.CHARGE,
        )


async def test_kkt_receipt(client: CloudPayments, emulator: CloudPaymentsEmulator) -> None:
    receipt = await client.kkt.receipt(
        type=ReceiptType.INCOME,
        invoice_id="000123",
        customer_receipt=CustomerReceipt(
            items=[
                ReceiptItem(
                    label="Coffee beans, 1 kg",
                    price=Decimal("990.00"),
                    quantity=Decimal("1.5"),
                    amount=Decimal("1485.00"),
                    vat=20,
                )
            ],
            taxation_system=0,
            email="payer@example.com",
        ),
    )
    assert receipt.id
    [kept] = emulator.receipts
    assert (kept["Id"], kept["Type"], kept["InvoiceId"]) == (receipt.id, "Income", "000123")
    assert kept["CustomerReceipt"]["Items"][0]["label"] == "Coffee beans, 1 kg"
