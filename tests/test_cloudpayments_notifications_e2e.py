"""End to end: the emulator sends signed notifications to a shop's aiohttp app over loopback.

The shop mounts the SDK's own handlers (``client.notification_handler`` and
``webhooks.notification_handler``); each test makes an API call through the SDK
client and checks what the shop's callback received, typed and verified.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib.util
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
from aiohttp import web

from aioacquiring.cloudpayments import (
    Accepted,
    CancelNotification,
    CheckAnswer,
    CheckNotification,
    CloudPayments,
    ConfigurableNotificationKind,
    ConfirmNotification,
    Declined,
    FailNotification,
    NotificationEncoding,
    NotificationHttpMethod,
    PayNotification,
    RecurrentNotification,
    RefundNotification,
    SubscriptionInterval,
    ThreeDSecureRequired,
    webhooks,
)
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram
from aioacquiring.testing.cloudpayments import answer_code

from .conftest import FAST_RETRY

KINDS = ("Check", "Pay", "Fail", "Confirm", "Refund", "Recurrent", "Cancel")
GOOD = "4000000000003055"
EMPTY = "4000056655665556"
THREE_DS = "4242424242424242"


class Shop:
    """A shop's aiohttp app on loopback with the SDK's handler mounted for every type."""

    def __init__(self) -> None:
        self.received: dict[str, list[Any]] = defaultdict(list)
        self.check_answer: CheckAnswer = CheckAnswer.ACCEPT
        self.failures: dict[str, int] = defaultdict(int)  # callbacks to fail first, per type
        self.gate: asyncio.Event | None = None  # when set, Pay waits for it
        self.waiting = asyncio.Event()  # set once a Pay callback waits at the gate
        self.base = ""

    def url(self, kind: str) -> str:
        return f"{self.base}/cloudpayments/{kind.lower()}"

    def callback(self, kind: str) -> Any:
        async def on_notification(note: Any) -> CheckAnswer | None:
            if self.failures[kind]:
                self.failures[kind] -= 1
                raise RuntimeError("the shop's database is down")
            if kind == "Pay" and self.gate is not None:
                self.waiting.set()
                await self.gate.wait()
            self.received[kind].append(note)
            return self.check_answer if kind == "Check" else None

        return on_notification


@pytest.fixture
async def shop(client: CloudPayments, emulator: CloudPaymentsEmulator) -> AsyncIterator[Shop]:
    shop = Shop()
    app = web.Application()
    for kind in KINDS:
        if kind == "Recurrent":  # the module function, for a service that makes no API calls
            handler = webhooks.notification_handler(
                kind, shop.callback(kind), api_secret=emulator.api_secret
            )
        else:
            handler = client.notification_handler(kind, shop.callback(kind))
        app.router.add_route("*", f"/cloudpayments/{kind.lower()}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    shop.base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    for kind in KINDS:
        emulator.notify_url(kind, shop.url(kind))
    yield shop
    await runner.cleanup()


async def charge(client: CloudPayments, card: str = GOOD, **extra: Any) -> Any:
    return await client.payments.cards_charge(
        amount=Decimal("10.50"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram(card),
        **extra,
    )


def sign(message: bytes, secret: str) -> str:
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


async def test_charge_then_pay_reaches_the_callback_verified_and_typed(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    result = await charge(
        client, invoice_id="000123", account_id="007", json_data={"order": {"id": 5}}
    )
    assert isinstance(result, Accepted)
    await emulator.notifications_delivered()
    [note] = shop.received["Pay"]
    assert isinstance(note, PayNotification)
    assert note.transaction_id == result.transaction_id
    assert note.amount == Decimal("10.50")
    assert (note.invoice_id, note.account_id) == ("000123", "007")  # leading zeros kept
    assert note.status == "Completed"
    assert note.operation_type == "Payment"
    assert note.test_mode is True
    assert note.data == {"order": {"id": 5}}
    assert note.email is None  # sent empty, read as absent
    assert note.date_time is not None
    assert note.date_time.tzinfo is not None
    assert note.token == result.transaction.token
    assert note.token is not None
    assert note.token not in repr(note)
    [pay] = [d for d in emulator.deliveries if d.label == "Pay"]
    assert (len(pay.attempts), pay.last_status, answer_code(pay), pay.delivered) == (
        1,
        200,
        0,
        True,
    )
    assert pay.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    # Both headers, as CloudPayments signs them: raw body, and the body URL-decoded.
    secret = emulator.api_secret
    assert pay.headers["Content-HMAC"] == sign(pay.body, secret)
    decoded = unquote_to_bytes(pay.body.replace(b"+", b" "))
    assert pay.headers["X-Content-HMAC"] == sign(decoded, secret)
    assert b"InvoiceId=000123" in pay.body


async def test_check_comes_first_and_a_refusal_declines_the_charge(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    shop.check_answer = CheckAnswer.INVALID_AMOUNT
    result = await charge(client, invoice_id="42")
    assert isinstance(result, Declined)
    assert result.reason_code == 5204
    [check] = shop.received["Check"]
    assert isinstance(check, CheckNotification)
    assert (check.transaction_id, check.status) == (result.transaction_id, "Completed")
    await emulator.notifications_delivered()
    assert shop.received["Pay"] == []
    [fail] = shop.received["Fail"]
    assert isinstance(fail, FailNotification)
    assert (fail.transaction_id, fail.reason_code) == (result.transaction_id, 5204)
    [delivery] = [d for d in emulator.deliveries if d.label == "Check"]
    assert (answer_code(delivery), len(delivery.attempts)) == (12, 1)  # asked once, no retry


async def test_an_accepted_check_lets_the_hold_through(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    held = await client.payments.cards_auth(
        amount=Decimal("300"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram(GOOD),
    )
    assert isinstance(held, Accepted)
    assert shop.received["Check"][0].status == "Authorized"
    await client.payments.confirm(transaction_id=held.transaction_id, amount=Decimal("250"))
    await emulator.notifications_delivered()
    assert shop.received["Pay"][0].status == "Authorized"
    [confirm] = shop.received["Confirm"]
    assert isinstance(confirm, ConfirmNotification)
    assert (confirm.transaction_id, confirm.amount) == (held.transaction_id, Decimal("250.00"))
    assert confirm.status == "Completed"


async def test_void_sends_cancel(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    held = await client.payments.cards_auth(
        amount=Decimal("99.99"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram(GOOD),
        invoice_id="0077",
    )
    await client.payments.void(transaction_id=held.transaction_id)
    await emulator.notifications_delivered()
    [cancel] = shop.received["Cancel"]
    assert isinstance(cancel, CancelNotification)
    assert (cancel.transaction_id, cancel.amount) == (held.transaction_id, Decimal("99.99"))
    assert cancel.invoice_id == "0077"


async def test_refund_sends_refund(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    paid = await charge(client, invoice_id="r-1")
    refund = await client.payments.refund(transaction_id=paid.transaction_id, amount=Decimal("4"))
    await emulator.notifications_delivered()
    [note] = shop.received["Refund"]
    assert isinstance(note, RefundNotification)
    assert note.transaction_id == refund.transaction_id
    assert note.payment_transaction_id == paid.transaction_id
    assert (note.amount, note.operation_type, note.invoice_id) == (Decimal("4"), "Refund", "r-1")


async def test_a_declined_card_sends_fail_with_the_reason(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    result = await charge(client, EMPTY)
    assert isinstance(result, Declined)
    await emulator.notifications_delivered()
    [fail] = shop.received["Fail"]
    assert (fail.reason_code, fail.reason) == (5051, "InsufficientFunds")


async def test_3ds_payment_is_checked_before_the_challenge_and_paid_after(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    challenge = await charge(client, THREE_DS)
    assert isinstance(challenge, ThreeDSecureRequired)
    assert len(shop.received["Check"]) == 1
    await emulator.notifications_delivered()
    assert shop.received["Pay"] == []
    pa_res = emulator.pa_res_for(challenge.transaction_id)
    await client.payments.cards_post3ds(transaction_id=challenge.transaction_id, pa_res=pa_res)
    await emulator.notifications_delivered()
    assert shop.received["Pay"][0].transaction_id == challenge.transaction_id


async def test_payout_sends_pay_with_card_payout(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    payout = await client.payments.cards_topup(
        card_cryptogram_packet=test_cryptogram("5555555555554444"),
        amount=Decimal("1200"),
        currency="RUB",  # type: ignore[arg-type]
        account_id="seller-1",
    )
    assert isinstance(payout, Accepted)
    await emulator.notifications_delivered()
    [note] = shop.received["Pay"]
    assert (note.transaction_id, note.operation_type) == (payout.transaction_id, "CardPayout")
    assert shop.received["Check"] == []  # nobody is asked before paying out


async def test_a_payout_in_process_is_announced_when_it_finishes(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    emulator.payouts_in_process = True
    token = emulator.add_token(GOOD, account_id="seller-2")
    payout = await client.payments.token_topup(
        token=token,
        amount=Decimal("50"),
        account_id="seller-2",
        currency="RUB",  # type: ignore[arg-type]
    )
    assert isinstance(payout, Accepted)
    assert payout.status == "Created"
    await emulator.notifications_delivered()
    assert shop.received["Pay"] == []
    assert emulator.finish_payouts() == [payout.transaction_id]
    await emulator.notifications_delivered()
    assert shop.received["Pay"][0].status == "Completed"
    done = await client.payments.get(transaction_id=payout.transaction_id)
    assert done.status == "Completed"


async def test_subscription_changes_send_recurrent(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    token = emulator.add_token(GOOD, account_id="user-1")
    created = await client.subscriptions.create(
        token=token,
        account_id="user-1",
        description="Monthly box",
        amount=Decimal("300"),
        currency="RUB",  # type: ignore[arg-type]
        require_confirmation=False,
        start_date=datetime.now(timezone.utc) + timedelta(days=1),
        interval=SubscriptionInterval.MONTH,
        period=1,
    )
    await client.subscriptions.cancel(id=created.id)
    await client.subscriptions.update(id=created.id, amount=Decimal("350"))
    payment_id = emulator.charge_subscription(created.id)
    await emulator.notifications_delivered()
    recurrent = shop.received["Recurrent"]
    assert all(isinstance(note, RecurrentNotification) for note in recurrent)
    assert [note.status for note in recurrent] == ["Cancelled", "Active"]
    assert recurrent[1].amount == Decimal("350.00")
    assert recurrent[1].interval == "Month"
    [pay] = shop.received["Pay"]
    assert (pay.transaction_id, pay.subscription_id) == (payment_id, created.id)


async def test_json_delivery(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    emulator.notify_url("Pay", shop.url("Pay"), format="json")
    result = await charge(client, account_id="0042", json_data={"n": 1})
    await emulator.notifications_delivered()
    [note] = shop.received["Pay"]
    assert (note.transaction_id, note.account_id) == (result.transaction_id, "0042")
    assert note.amount == Decimal("10.5")
    assert note.data == {"n": 1}
    [pay] = [d for d in emulator.deliveries if d.label == "Pay"]
    assert pay.headers["Content-Type"].startswith("application/json")
    assert pay.body.startswith(b"{")


async def test_get_delivery_configured_through_the_api(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    await client.site.notifications_update(
        type=ConfigurableNotificationKind.PAY,
        is_enabled=True,
        address=shop.url("Pay"),
        http_method=NotificationHttpMethod.GET,
    )
    result = await charge(client, invoice_id="007")
    await emulator.notifications_delivered()
    assert shop.received["Pay"][0].transaction_id == result.transaction_id
    [pay] = [d for d in emulator.deliveries if d.label == "Pay"]
    assert (pay.method, pay.body) == ("GET", b"")
    assert pay.query is not None
    assert "InvoiceId=007" in pay.query
    assert pay.headers["Content-HMAC"] == sign(pay.query.encode(), emulator.api_secret)


async def test_windows_1251_delivery(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    await client.site.notifications_update(
        type=ConfigurableNotificationKind.PAY,
        is_enabled=True,
        address=shop.url("Pay"),
        http_method=NotificationHttpMethod.POST,
        encoding=NotificationEncoding.WINDOWS1251,
    )
    await charge(client, description="Кофе в зёрнах")
    await emulator.notifications_delivered()
    assert shop.received["Pay"][0].description == "Кофе в зёрнах"
    [pay] = [d for d in emulator.deliveries if d.label == "Pay"]
    assert "Кофе".encode("windows-1251") in unquote_to_bytes(pay.body)


async def test_a_failing_callback_is_retried_until_code_zero(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    shop.failures["Pay"] = 2
    await charge(client)
    await emulator.notifications_delivered()
    assert len(shop.received["Pay"]) == 1
    [pay] = [d for d in emulator.deliveries if d.label == "Pay"]
    assert [a.status for a in pay.attempts] == [500, 500, 200]
    assert (answer_code(pay), pay.delivered) == (0, True)


async def test_a_pay_sent_twice_reaches_the_shop_twice(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    emulator.outbox.duplicate_next()  # as CloudPayments may: the shop's handler must be idempotent
    result = await charge(client)
    await emulator.notifications_delivered()
    assert [note.transaction_id for note in shop.received["Pay"]] == [result.transaction_id] * 2


async def test_delivery_never_holds_up_the_api_answer(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    shop.gate = asyncio.Event()  # the shop's Pay handler hangs until the test lets it go
    result = await asyncio.wait_for(charge(client), timeout=5)
    assert isinstance(result, Accepted)
    assert shop.received["Pay"] == []
    shop.gate.set()
    await emulator.notifications_delivered()
    assert len(shop.received["Pay"]) == 1


async def test_an_unreachable_receiver_is_recorded_and_the_answer_unaffected() -> None:
    async with CloudPaymentsEmulator(webhook_schedule=(0.0,)) as emulator:
        emulator.notify_url("Pay", "http://127.0.0.1:9/nowhere")  # discard port: refused
        async with CloudPayments(
            public_id=emulator.public_id,
            api_secret=emulator.api_secret,
            base_url=emulator.url,
            retry=FAST_RETRY,
        ) as client:
            assert isinstance(await charge(client), Accepted)
        await emulator.notifications_delivered()
        [pay] = emulator.deliveries
        assert (len(pay.attempts), pay.last_status, pay.delivered) == (2, None, False)
        assert pay.attempts[-1].error


async def test_an_unreachable_check_declines() -> None:
    async with CloudPaymentsEmulator() as emulator:
        emulator.notify_url("Check", "http://127.0.0.1:9/check")
        async with CloudPayments(
            public_id=emulator.public_id,
            api_secret=emulator.api_secret,
            base_url=emulator.url,
            retry=FAST_RETRY,
        ) as client:
            result = await charge(client)
        assert isinstance(result, Declined)
        assert result.reason_code == 5204


async def test_close_cancels_deliveries_still_under_way(
    client: CloudPayments, emulator: CloudPaymentsEmulator, shop: Shop
) -> None:
    shop.gate = asyncio.Event()  # never set: the delivery waits forever
    await charge(client)
    await asyncio.wait_for(shop.waiting.wait(), timeout=5)
    try:
        await asyncio.wait_for(emulator.close(), timeout=5)
        [pay] = [d for d in emulator.deliveries if d.label == "Pay"]
        assert (len(pay.attempts), pay.delivered) == (1, False)
    finally:
        shop.gate.set()  # let the shop's handler end, so the shop shuts down at once


@pytest.mark.parametrize(
    ("example", "expected"),
    [
        ("cloudpayments_notifications", "Pay delivered after 2 attempts; last answer HTTP 200"),
        ("cloudpayments_subscriptions", "re-activated: status Active"),
    ],
)
async def test_the_examples_run(
    example: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = Path(__file__).parent.parent / "examples" / f"{example}.py"
    spec = importlib.util.spec_from_file_location(f"_example_{example}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    webhook_log = logging.getLogger("aioacquiring.cloudpayments.webhooks")
    level = webhook_log.level
    try:
        await module.main()
    finally:
        webhook_log.setLevel(level)  # the notifications example quiets it
    assert expected in capsys.readouterr().out
