"""examples/bot.py: the aiogram bot, fed updates offline, paid through the emulators.

Telegram is a recording session (no network); CloudPayments and Alif are the
emulators, whose webhooks reach the bot's real aiohttp server on loopback.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib.util
import sys
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.methods import SendMessage

from aioacquiring import AcquiringError, RetryPolicy
from aioacquiring.testing import AlifEmulator, CloudPaymentsEmulator
from aioacquiring.testing.cloudpayments import answer_code


def load_example() -> ModuleType:
    path = Path(__file__).parent.parent / "examples" / "bot.py"
    spec = importlib.util.spec_from_file_location("example_bot", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


example = load_example()
FAST = RetryPolicy(max_retries=1, backoff_base=0.01, backoff_cap=0.02, deadline=5)
EMPTY_CARD = "4000056655665556"  # CloudPayments test card: InsufficientFunds
ALIF_NO_OTP = "4000000000000002"  # Alif emulator card that pays without an OTP
ALIF_DECLINED = "8600000000000015"


@pytest.fixture
async def run() -> AsyncIterator[Any]:
    async with example.offline_bot(retry=FAST) as run:
        yield run


def texts(run: Any, chat_id: int | None = None) -> list[str]:
    return [message.text for message in run.telegram.sent(chat_id)]


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as http, http.post(url, data=body, headers=headers) as r:
        return r.status


# CloudPayments: an invoice link, then Pay or Fail -------------------------------------------


async def test_pay_answers_with_the_invoice_link_and_the_chat_hears_when_it_is_paid(
    run: Any,
) -> None:
    [answer] = await run.say(1001, "/pay 990")

    [order] = run.cloudpayments.orders
    assert order["Amount"] == Decimal("990.00")
    assert order["Currency"] == "RUB"
    assert answer.chat_id == 1001
    assert example.payment_url(answer) == order["Url"]
    assert order["Url"] in answer.text
    assert "990.00 RUB" in answer.text
    [pending] = run.shop.pending.values()
    assert (pending.chat_id, pending.order_id) == (1001, answer.text.split()[1].rstrip(":"))

    run.cloudpayments.pay_order(order["Id"])
    await run.cloudpayments.notifications_delivered()

    assert texts(run) == [answer.text, f"Order {pending.order_id} is paid: 990.00 RUB. Thank you!"]
    assert run.telegram.sent(1001)[-1].chat_id == 1001
    [pay] = [d for d in run.cloudpayments.deliveries if d.label == "Pay"]
    # The bot registered its own URL at startup, through site.notifications_update.
    assert pay.url == run.shop.webhook_url(example.PAY_PATH)
    assert (pay.method, pay.delivered, answer_code(pay)) == ("POST", True, 0)
    assert pending.order_id.encode() in pay.body  # InvoiceId: how the bot found the chat
    assert run.shop.pending == {}


async def test_a_declined_card_is_reported_and_the_same_link_still_pays(run: Any) -> None:
    [answer] = await run.say(1001, "/pay 250.50")
    order_id = example.page_id(example.payment_url(answer))

    run.cloudpayments.pay_order(order_id, EMPTY_CARD)
    await run.cloudpayments.notifications_delivered()
    failed = texts(run, 1001)[-1]
    assert "failed: InsufficientFunds" in failed
    assert example.payment_url(answer) in failed
    assert len(run.shop.pending) == 1  # still waiting

    run.cloudpayments.pay_order(order_id)
    await run.cloudpayments.notifications_delivered()
    assert texts(run, 1001)[-1].endswith("is paid: 250.50 RUB. Thank you!")
    assert len(texts(run, 1001)) == 3


async def test_a_notification_delivered_twice_messages_the_chat_once(run: Any) -> None:
    [answer] = await run.say(1001, "/pay 990")
    run.cloudpayments.outbox.duplicate_next()
    run.cloudpayments.pay_order(example.page_id(example.payment_url(answer)))
    await run.cloudpayments.notifications_delivered()

    pays = [d for d in run.cloudpayments.deliveries if d.label == "Pay"]
    assert [answer_code(d) for d in pays] == [0, 0]  # both answered, so neither is retried
    assert [t for t in texts(run, 1001) if "is paid" in t] == [texts(run, 1001)[-1]]


# Alif: a checkout session, paid on the hosted page ----------------------------------------


async def test_pay_by_alif_answers_with_the_checkout_page_and_the_webhook_tells_the_chat(
    run: Any,
) -> None:
    [answer] = await run.say(2002, "/pay 150000 alif")

    [session] = run.alif.sessions
    assert session["amount"] == 15_000_000  # tiyin
    assert example.payment_url(answer) == session["checkout_url"]
    assert "150000.00 UZS" in answer.text

    await run.payer.checkout.payment_create(
        session_ref=session["session_ref"], pan=ALIF_NO_OTP, exp="1230"
    )
    await run.alif.wait_webhooks()

    [delivery] = run.alif.deliveries
    assert delivery.url == run.shop.webhook_url(example.ALIF_PATH)
    assert delivery.delivered
    assert texts(run, 2002)[-1].endswith("is paid: 150000.00 UZS. Thank you!")
    assert texts(run) == texts(run, 2002)  # no other chat heard anything
    assert run.shop.pending == {}


async def test_a_declined_alif_card_is_reported_to_the_chat(run: Any) -> None:
    [answer] = await run.say(2002, "/pay 99.99 alif")
    with pytest.raises(AcquiringError):  # what the payer sees on the hosted page
        await run.payer.checkout.payment_create(
            session_ref=example.page_id(example.payment_url(answer)),
            pan=ALIF_DECLINED,
            exp="1230",
        )
    await run.alif.wait_webhooks()
    assert "failed: declined" in texts(run, 2002)[-1]
    assert len(run.shop.pending) == 1


# Forged webhooks --------------------------------------------------------------------------


async def test_forged_webhooks_never_reach_the_chat(run: Any) -> None:
    # Order A waits; order B is paid for real, and its genuine notifications are the
    # material of the forgeries: edited to name A, or signed with a guessed key.
    [a_cp] = await run.say(1001, "/pay 990")
    [a_alif] = await run.say(1001, "/pay 990 alif")
    [b_cp] = await run.say(3003, "/pay 990")
    [b_alif] = await run.say(3003, "/pay 990 alif")
    run.cloudpayments.pay_order(example.page_id(example.payment_url(b_cp)))
    await run.payer.checkout.payment_create(
        session_ref=example.page_id(example.payment_url(b_alif)), pan=ALIF_NO_OTP, exp="1230"
    )
    await run.cloudpayments.notifications_delivered()
    await run.alif.wait_webhooks()
    assert len(texts(run, 3003)) == 4  # the genuine ones were accepted
    before = texts(run)

    [pay] = [d for d in run.cloudpayments.deliveries if d.label == "Pay"]
    a_order = a_cp.text.split()[1].rstrip(":")
    b_order = b_cp.text.split()[1].rstrip(":")
    edited = pay.body.replace(b_order.encode(), a_order.encode())
    form = {"Content-Type": pay.headers["Content-Type"]}
    guessed = base64.b64encode(hmac.new(b"guess", edited, hashlib.sha256).digest()).decode()
    pay_url = run.shop.webhook_url(example.PAY_PATH)
    assert await post(pay_url, edited, {**form, **signatures(pay.headers)}) == 401
    assert await post(pay_url, edited, {**form, "Content-HMAC": guessed}) == 401
    assert await post(pay_url, edited, form) == 401

    [alif] = run.alif.deliveries
    b_ref = example.page_id(example.payment_url(b_alif))
    a_ref = example.page_id(example.payment_url(a_alif))
    edited = alif.body.replace(b_ref.encode(), a_ref.encode())
    json = {"Content-Type": "application/json"}
    guessed = base64.b64encode(hmac.new(b"guess", edited, hashlib.sha256).digest()).decode()
    alif_url = run.shop.webhook_url(example.ALIF_PATH)
    assert await post(alif_url, edited, {**json, "signature": alif.headers["signature"]}) == 401
    assert await post(alif_url, edited, {**json, "signature": guessed}) == 401
    assert await post(alif_url, edited, json) == 401

    assert texts(run) == before
    assert len(run.shop.pending) == 2  # A's two payments still wait


def signatures(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in ("content-hmac", "x-content-hmac")}


# The chat side ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("/pay", "Tell me the amount"),
        ("/pay lots", "'lots' is not an amount"),
        ("/pay NaN", "is not an amount"),
        ("/pay -5", "must be above 0"),
        ("/pay 0", "must be above 0"),
        ("/pay 1e9", "at most 1000000"),
        ("/pay 1.234", "at most two decimals"),
        ("/pay 10 paypal", "I take payments by cloudpayments or alif"),
        ("/pay 1 2 3", "Tell me the amount"),
    ],
)
async def test_a_bad_pay_command_gets_the_usage_and_creates_nothing(
    run: Any, text: str, says: str
) -> None:
    [answer] = await run.say(1001, text)
    assert says in answer.text
    assert "Usage: /pay <amount>" in answer.text
    assert answer.reply_markup is None
    assert (run.cloudpayments.orders, run.alif.sessions, run.shop.pending) == ([], [], {})


async def test_start_explains_and_other_text_is_left_alone(run: Any) -> None:
    [answer] = await run.say(1001, "/start")
    assert "/pay <amount>" in answer.text
    assert await run.say(1001, "hello") == []


async def test_a_provider_error_is_a_polite_answer_and_nothing_waits(run: Any) -> None:
    run.cloudpayments.faults.fail_next(2, status=503, path="/orders/create")  # every attempt
    [answer] = await run.say(1001, "/pay 990")
    assert answer.text == "The payment could not be started. Please try again later."
    assert run.cloudpayments.requests_seen("/orders/create") == 2
    assert run.shop.pending == {}


async def test_the_amount_is_normalised_before_it_reaches_the_provider(run: Any) -> None:
    await run.say(1001, "/pay 1e3")
    await run.say(1001, "/pay 12,5 alif")
    assert run.cloudpayments.orders[0]["Amount"] == Decimal("1000.00")
    assert run.alif.sessions[0]["amount"] == 1250


# Lifecycle: start_polling, startup failures, settings ------------------------------------


async def test_start_polling_runs_the_hooks_and_closes_everything() -> None:
    async with CloudPaymentsEmulator() as cloudpayments:
        settings = example.Settings(
            cloudpayments=example.CloudPaymentsSettings(
                public_id=cloudpayments.public_id,
                api_secret=cloudpayments.api_secret,
                base_url=cloudpayments.url,
            ),
            port=0,
        )
        dispatcher = example.build_bot(settings)
        shop = dispatcher["shop"]
        telegram = WatchedSession()
        bot = Bot(token="123456:polling", session=telegram)
        telegram.push(example.text_update(1, 1001, "/pay 990"))
        polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False))
        try:
            await asyncio.wait_for(telegram.answered.wait(), 5)  # /pay came by getUpdates
            assert example.payment_url(telegram.sent(1001)[0]) == cloudpayments.orders[0]["Url"]
            url = shop.webhook_url(example.PAY_PATH)
            cloudpayments.pay_order(cloudpayments.orders[0]["Id"])
            await cloudpayments.notifications_delivered()
            assert texts_of(telegram)[-1].endswith("is paid: 990.00 RUB. Thank you!")
        finally:
            await dispatcher.stop_polling()
            await asyncio.wait_for(polling, 5)

    assert (shop.cloudpayments, shop.alif) == (None, None)  # the shutdown hook closed them
    with pytest.raises(aiohttp.ClientConnectionError):  # and stopped the webhook server
        await post(url, b"", {})


def texts_of(telegram: Any) -> list[str]:
    return [message.text for message in telegram.sent()]


class WatchedSession(example.RecordingSession):
    """The recording session, with an event set when the bot sends a message."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = asyncio.Event()

    async def make_request(self, bot: Bot, method: Any, timeout: int | None = None) -> Any:
        result = await super().make_request(bot, method, timeout)
        if isinstance(method, SendMessage):
            self.answered.set()
        return result


async def test_a_startup_that_fails_closes_what_it_opened() -> None:
    async with CloudPaymentsEmulator() as cloudpayments, AlifEmulator() as alif:
        settings = example.Settings(
            cloudpayments=example.CloudPaymentsSettings(
                public_id=cloudpayments.public_id, api_secret="wrong", base_url=cloudpayments.url
            ),
            alif=example.AlifSettings(
                token=alif.token, secret_key=alif.secret_key, base_url=alif.url
            ),
            port=0,
        )
        dispatcher = example.build_bot(settings)
        bot = Bot(token="123456:startup", session=example.RecordingSession())
        with pytest.raises(AcquiringError):  # notifications_update: wrong API secret
            await dispatcher.emit_startup(bot=bot)
        shop = dispatcher["shop"]
        assert (shop.cloudpayments, shop.alif) == (None, None)
        with pytest.raises(RuntimeError, match="not running"):
            shop.webhook_url(example.ALIF_PATH)
        await bot.session.close()


async def test_a_bot_with_alif_only_offers_alif() -> None:
    async with AlifEmulator() as alif:
        settings = example.Settings(
            alif=example.AlifSettings(
                token=alif.token, secret_key=alif.secret_key, base_url=alif.url
            ),
            public_url="https://bot.example/",
            port=0,
        )
        dispatcher = example.build_bot(settings)
        telegram = example.RecordingSession()
        bot = Bot(token="123456:alif", session=telegram)
        await dispatcher.emit_startup(bot=bot)
        try:
            await dispatcher.feed_update(bot, example.text_update(1, 7, "/pay 10 cloudpayments"))
            await dispatcher.feed_update(bot, example.text_update(2, 7, "/pay 10"))
        finally:
            await dispatcher.emit_shutdown(bot=bot)
            await bot.session.close()
    refused, link = telegram.sent(7)
    assert "I take payments by alif." in refused.text
    assert "10.00 UZS" in link.text
    [session] = alif.sessions
    # Alif is told the public address, and the payer returns to the bot's chat.
    assert session["redirect_url"] == "https://t.me/acquiring_shop_bot"
    assert dispatcher["shop"].webhook_url(example.ALIF_PATH) == "https://bot.example/webhooks/alif"


def test_no_provider_is_refused_and_settings_hide_secrets() -> None:
    with pytest.raises(ValueError, match="at least one provider"):
        example.build_bot(example.Settings())
    settings = example.Settings(
        cloudpayments=example.CloudPaymentsSettings(public_id="pk_1", api_secret="cp-secret"),
        alif=example.AlifSettings(token="alif-token", secret_key="alif-key", base_url="https://x"),
    )
    shown = repr(settings)
    assert "pk_1" in shown
    assert not any(secret in shown for secret in ("cp-secret", "alif-token", "alif-key"))


async def test_the_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    await example.main()
    out = capsys.readouterr().out
    assert "failed: InsufficientFunds" in out
    assert "is paid: 990.00 RUB" in out
    assert "is paid: 150000.00 UZS" in out
    assert "'lots' is not an amount" in out
