"""What each catalogue method puts on the wire, and how it reads the answer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from aioacquiring import InvalidInputError, RetryPolicy
from aioacquiring.cloudpayments import (
    CloudPayments,
    ConfigurableNotificationKind,
    CustomerReceipt,
    NotificationKind,
    ReceiptItem,
    ReceiptType,
    SbpScheme,
    Subscription,
    SubscriptionInterval,
    SubscriptionStatus,
)

from .recording_server import Recorder, recording_server

MSK = timezone(timedelta(hours=3))


@pytest.fixture
async def wire() -> AsyncIterator[tuple[CloudPayments, Recorder]]:
    async with (
        recording_server() as recorder,
        CloudPayments(
            public_id="pk_1",
            api_secret="s",
            base_url=recorder.url,
            retry=RetryPolicy(max_retries=0),
        ) as client,
    ):
        yield client, recorder


SUBSCRIPTION = {
    "Id": "sc_8cf8a9338fb8ebf7202b08d09c938",
    "AccountId": "user@example.com",
    "Description": "Monthly box",
    "Email": "user@example.com",
    "Amount": 1.02,
    "CurrencyCode": 0,
    "Currency": "RUB",
    "RequireConfirmation": False,
    "StartDate": "/Date(1407343589537)/",
    "StartDateIso": "2014-08-09T11:49:41",
    "IntervalCode": 1,
    "Interval": "Month",
    "Period": 1,
    "MaxPeriods": None,
    "StatusCode": 0,
    "Status": "Active",
    "SuccessfulTransactionsNumber": 0,
    "FailedTransactionsNumber": 0,
    "NextTransactionDateIso": "2014-08-09T11:49:41",
}


async def test_token_payout_uses_the_singular_path(wire: tuple[CloudPayments, Recorder]) -> None:
    client, recorder = wire
    recorder.answer({"Success": True, "Model": {"TransactionId": 9, "Status": "Completed"}})
    await client.payments.token_topup(
        token="tk_1",
        amount=Decimal("10"),
        account_id="u1",
        currency="RUB",  # type: ignore[arg-type]
    )
    assert recorder.last_path == "/payments/token/topup"
    assert recorder.last_body == {
        "Token": "tk_1",
        "Amount": 10,
        "AccountId": "u1",
        "Currency": "RUB",
    }
    assert recorder.requests[-1][1]["X-Request-ID"]  # a payout moves money: keyed


async def test_card_payout(wire: tuple[CloudPayments, Recorder]) -> None:
    client, recorder = wire
    recorder.answer({"Success": True, "Model": {"TransactionId": 9, "Status": "Created"}})
    await client.payments.cards_topup(
        card_cryptogram_packet="c",
        amount=Decimal("5.5"),
        currency="RUB",  # type: ignore[arg-type]
    )
    assert recorder.last_path == "/payments/cards/topup"
    assert recorder.last_body["Amount"] == Decimal("5.5")


async def test_v1_find_and_day_list(wire: tuple[CloudPayments, Recorder]) -> None:
    client, recorder = wire
    recorder.answer({"Success": True, "Model": {"TransactionId": 1}})
    await client.payments.find_v1(invoice_id="42")
    assert recorder.last_path == "/payments/find"
    recorder.answer({"Success": True, "Model": [{"TransactionId": 1}, {"TransactionId": 2}]})
    day = await client.payments.list_v1(date=date(2024, 5, 1), time_zone="MSK")
    assert [t.transaction_id for t in day] == [1, 2]
    assert recorder.last_path == "/payments/list"
    assert recorder.last_body == {"Date": "2024-05-01", "TimeZone": "MSK"}


async def test_tokens_list_and_chargebacks_page(wire: tuple[CloudPayments, Recorder]) -> None:
    client, recorder = wire
    page = [
        {"Token": f"tk_{i}", "AccountId": "u", "CardMask": "4242 42** **** 4242"}
        for i in range(100)
    ]
    recorder.answer({"Success": True, "Model": page}, {"Success": True, "Model": page[:3]})
    tokens = await client.payments.tokens_list().collect()
    assert len(tokens) == 103
    assert [r[2]["PageNumber"] for r in recorder.requests] == [1, 2]
    assert recorder.last_path == "/payments/tokens/list"
    assert "tk_1" not in repr(tokens[1])

    recorder.answer(
        {"Success": True, "Model": [{"ChargeBackId": 1, "TransactionId": 5, "Amount": 10}]}
    )
    start = datetime(2024, 1, 1, tzinfo=MSK)
    chargebacks = await client.chargebacks.list(
        created_date_gte=start, created_date_lte=start + timedelta(days=30)
    ).collect()
    assert chargebacks[0].charge_back_id == 1
    assert recorder.last_path == "/chargebacks/list"
    assert recorder.last_body["CreatedDateGte"] == "2023-12-31T21:00:00+00:00"


async def test_subscription_lifecycle_on_the_wire(wire: tuple[CloudPayments, Recorder]) -> None:
    client, recorder = wire
    recorder.answer({"Success": True, "Model": SUBSCRIPTION})
    created = await client.subscriptions.create(
        token="tk_1",
        account_id="user@example.com",
        description="Monthly box",
        amount=Decimal("1.02"),
        currency="RUB",  # type: ignore[arg-type]
        require_confirmation=False,
        start_date=datetime(2030, 1, 1, 12, 0, tzinfo=MSK),
        interval=SubscriptionInterval.MONTH,
        period=1,
    )
    assert recorder.last_path == "/subscriptions/create"
    # A second subscription would charge twice every month: it goes out with a key.
    assert recorder.requests[-1][1].get("X-Request-ID")
    assert recorder.last_body["StartDate"] == "2030-01-01T09:00:00+00:00"  # ISO, UTC
    assert recorder.last_body["Interval"] == "Month"
    assert isinstance(created, Subscription)
    assert created.status is SubscriptionStatus.ACTIVE
    assert created.amount == Decimal("1.02")

    await client.subscriptions.get(id="sc_1")
    assert recorder.last_body == {"Id": "sc_1"}
    assert "X-Request-ID" not in recorder.requests[-1][1]  # a read needs none
    recorder.answer({"Success": True, "Model": [SUBSCRIPTION, SUBSCRIPTION]})
    found = await client.subscriptions.find(account_id="user@example.com")
    assert len(found) == 2
    assert recorder.last_body == {"accountId": "user@example.com"}
    recorder.answer({"Success": True, "Model": {**SUBSCRIPTION, "Status": "Active"}})
    await client.subscriptions.update(id="sc_1", amount=Decimal("2.00"))
    assert recorder.last_body == {"Id": "sc_1", "Amount": 2}
    recorder.answer({"Success": True, "Model": None})
    assert await client.subscriptions.cancel(id="sc_1") is None
    assert recorder.last_path == "/subscriptions/cancel"


async def test_subscription_period_must_be_positive(wire: tuple[CloudPayments, Recorder]) -> None:
    client, _ = wire
    with pytest.raises(InvalidInputError) as caught:
        await client.subscriptions.create(
            token="t", account_id="a", description="d", amount=Decimal(1),
            currency="RUB", require_confirmation=False,  # type: ignore[arg-type]
            start_date=datetime(2030, 1, 1, tzinfo=timezone.utc),
            interval=SubscriptionInterval.DAY, period=0,
        )  # fmt: skip
    assert caught.value.field == "period"


async def test_orders(wire: tuple[CloudPayments, Recorder]) -> None:
    client, recorder = wire
    recorder.answer(
        {
            "Success": True,
            "Model": {
                "Id": "f2K8",
                "Number": 61,
                "Amount": 10.0,
                "Url": "https://orders.cloudpayments.ru/d/f2K8",
            },
        }
    )
    order = await client.orders.create(
        amount=Decimal("10.00"), description="Invoice", send_email=False
    )
    assert order.url == "https://orders.cloudpayments.ru/d/f2K8"
    assert recorder.last_body == {"Amount": 10, "Description": "Invoice", "SendEmail": False}
    recorder.answer({"Success": True})
    await client.orders.cancel(id="f2K8")
    assert recorder.last_path == "/orders/cancel"


async def test_notification_settings_put_the_type_in_the_path(
    wire: tuple[CloudPayments, Recorder],
) -> None:
    client, recorder = wire
    recorder.answer(
        {
            "Success": True,
            "Model": {
                "IsEnabled": True,
                "Address": "https://shop/cp",
                "HttpMethod": "POST",
                "Encoding": "UTF8",
                "Format": "CloudPayments",
            },
        }
    )
    settings = await client.site.notifications_get(type=NotificationKind.PAY)
    assert recorder.last_path == "/site/notifications/Pay/get"
    assert recorder.last_body == {}
    assert settings.is_enabled is True
    recorder.answer({"Success": True})
    await client.site.notifications_update(
        type=ConfigurableNotificationKind.FAIL, is_enabled=True, address="https://shop/cp/fail"
    )
    assert recorder.last_path == "/site/notifications/Fail/update"
    assert recorder.last_body == {"IsEnabled": True, "Address": "https://shop/cp/fail"}


async def test_sbp_link_and_receipt(wire: tuple[CloudPayments, Recorder]) -> None:
    client, recorder = wire
    recorder.answer(
        {"Success": True, "Model": {"QrUrl": "https://qr.nspk.ru/x", "TransactionId": 7}}
    )
    link = await client.payments.qr_sbp_link(
        public_id="pk_1",
        amount=Decimal("100"),
        currency="RUB",
        scheme=SbpScheme.CHARGE,  # type: ignore[arg-type]
    )
    assert link.qr_url == "https://qr.nspk.ru/x"
    assert recorder.last_path == "/payments/qr/sbp/link"
    recorder.answer({"Success": True, "Model": {"Id": "rcpt-1"}})
    receipt = await client.kkt.receipt(
        type=ReceiptType.INCOME,
        customer_receipt=CustomerReceipt(
            items=[
                ReceiptItem(
                    label="Coffee",
                    price=Decimal("100"),
                    quantity=Decimal("1"),
                    amount=Decimal("100"),
                    vat=20,
                )
            ],
            taxation_system=0,
        ),
    )
    assert receipt.id == "rcpt-1"
    assert recorder.last_body["CustomerReceipt"]["Items"][0] == {
        "label": "Coffee", "price": 100, "quantity": 1, "amount": 100, "vat": 20,
    }  # fmt: skip
    with pytest.raises(InvalidInputError) as caught:
        await client.kkt.receipt(
            type=ReceiptType.INCOME, customer_receipt=CustomerReceipt(items=[])
        )
    assert caught.value.field == "customer_receipt.items"
