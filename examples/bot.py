"""A Telegram shop bot (aiogram 3) that takes payments by CloudPayments and Alif.

``/pay 990`` creates a CloudPayments invoice (an order) and answers with its
payment link; ``/pay 990 alif`` creates an Alif checkout session and answers
with its hosted page. A chat cannot collect a card safely (a CloudPayments
charge needs a cryptogram made by its checkout script in the payer's browser),
so the bot sends the payer to the provider's page and waits for the webhook.
The bot's own aiohttp server receives the providers' webhooks through the
SDK's handlers (signature verified, body parsed) and tells the chat when the
payment went through or failed.

No global state: :func:`build_bot` makes the router, the dispatcher and the
shop; the clients and the webhook server start and stop with the dispatcher's
startup and shutdown hooks. In production::

    dispatcher = build_bot(Settings(public_url="https://bot.example", cloudpayments=..., alif=...))
    await dispatcher.start_polling(Bot(token=os.environ["BOT_TOKEN"]))

``python examples/bot.py`` (and ``make demo``) runs an offline demo instead:
the emulators play the providers and :class:`RecordingSession` plays Telegram.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods import GetMe, GetUpdates, SendMessage
from aiogram.methods.base import TelegramMethod, TelegramType
from aiogram.types import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update, User
from aiohttp import web

from aioacquiring import AcquiringError, RetryPolicy
from aioacquiring.alif import Alif, Event, EventType, PaymentEvent, SessionItem
from aioacquiring.cloudpayments import (
    DEFAULT_BASE_URL,
    CloudPayments,
    ConfigurableNotificationKind,
    Currency,
    FailNotification,
    NotificationHttpMethod,
    NotificationType,
    PayNotification,
)
from aioacquiring.testing import AlifEmulator, CloudPaymentsEmulator

logger = logging.getLogger("shop_bot")

CLOUDPAYMENTS, ALIF = "cloudpayments", "alif"
CURRENCIES = {CLOUDPAYMENTS: "RUB", ALIF: "UZS"}
PAY_PATH, FAIL_PATH = "/webhooks/cloudpayments/pay", "/webhooks/cloudpayments/fail"
ALIF_PATH = "/webhooks/alif"
PAY_KIND, FAIL_KIND = ConfigurableNotificationKind.PAY, ConfigurableNotificationKind.FAIL
MAX_AMOUNT, CENT = Decimal("1000000"), Decimal("0.01")
USAGE = "Usage: /pay <amount> [cloudpayments|alif], e.g. /pay 990"


# Settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CloudPaymentsSettings:
    """A CloudPayments terminal: its Public ID and API Secret."""

    public_id: str
    api_secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL


@dataclass(frozen=True)
class AlifSettings:
    """An Alif merchant: its token, secret key and API address."""

    token: str = field(repr=False)
    secret_key: str = field(repr=False)
    base_url: str


@dataclass(frozen=True)
class Settings:
    """What the bot needs; the providers left as None are not offered."""

    cloudpayments: CloudPaymentsSettings | None = None
    alif: AlifSettings | None = None
    public_url: str | None = None
    """Where the providers reach the webhook server (https in production); None: its own address."""
    host: str = "127.0.0.1"
    port: int = 8080
    """The webhook server's port; 0 takes a free one (the demo and the tests)."""
    retry: RetryPolicy | None = None
    """The clients' retry policy (the SDK's default when None)."""


# The shop: payments in flight, the clients, the webhook server -------------------------------


@dataclass(frozen=True)
class Pending:
    """A payment the bot is waiting for, and the chat to tell."""

    chat_id: int
    order_id: str
    provider: str
    amount: Decimal
    url: str

    @property
    def price(self) -> str:
        """The amount as the chat reads it."""
        return f"{self.amount:.2f} {CURRENCIES[self.provider]}"


class Shop:
    """The bot's state: one per bot, made by :func:`build_bot`, run by the dispatcher's hooks."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # In production these two are tables: the order with its chat, and the
        # deliveries already handled (providers may deliver a webhook twice).
        self.pending: dict[tuple[str, str], Pending] = {}
        self._handled: set[str] = set()
        self.cloudpayments: CloudPayments | None = None
        self.alif: Alif | None = None
        self._bot: Bot | None = None
        self._return_url = "https://t.me/"
        self._runner: web.AppRunner | None = None

    @property
    def providers(self) -> list[str]:
        """The providers this bot offers, the default first."""
        names = (CLOUDPAYMENTS, self.settings.cloudpayments), (ALIF, self.settings.alif)
        return [name for name, configured in names if configured is not None]

    def webhook_url(self, path: str) -> str:
        """The public address of one of the bot's webhook paths (once started)."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/") + path
        if self._runner is None:
            raise RuntimeError("the webhook server is not running")
        host, port = self._runner.addresses[0][:2]
        return f"http://{host}:{port}{path}"

    async def start(self, bot: Bot) -> None:
        """Startup hook: open the clients, serve the webhooks, point CloudPayments at them."""
        self._bot = bot
        me = await bot.me()
        self._return_url = f"https://t.me/{me.username}"  # the payer comes back to the chat
        app = web.Application()
        settings = self.settings
        if settings.cloudpayments is not None:
            cp = settings.cloudpayments
            self.cloudpayments = CloudPayments(
                public_id=cp.public_id,
                api_secret=cp.api_secret,
                base_url=cp.base_url,
                retry=settings.retry,
            )
            app.router.add_post(
                PAY_PATH, self.cloudpayments.notification_handler(NotificationType.PAY, self.on_pay)
            )
            app.router.add_post(
                FAIL_PATH,
                self.cloudpayments.notification_handler(NotificationType.FAIL, self.on_fail),
            )
        if settings.alif is not None:
            self.alif = Alif(
                token=settings.alif.token,
                secret_key=settings.alif.secret_key,
                base_url=settings.alif.base_url,
                retry=settings.retry,
            )
            app.router.add_post(ALIF_PATH, self.alif.webhook_handler(self.on_alif_event))
        self._runner = web.AppRunner(app)
        try:
            await self._runner.setup()
            await web.TCPSite(self._runner, settings.host, settings.port).start()
            if self.cloudpayments is not None:
                for kind, path in ((PAY_KIND, PAY_PATH), (FAIL_KIND, FAIL_PATH)):
                    await self.cloudpayments.site.notifications_update(
                        type=kind,
                        is_enabled=True,
                        address=self.webhook_url(path),
                        http_method=NotificationHttpMethod.POST,
                    )
        except BaseException:
            await self.close()  # a failed startup runs no shutdown hook: close what opened
            raise

    async def close(self) -> None:
        """Shutdown hook: stop taking webhooks first, then close the clients."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        for client in (self.cloudpayments, self.alif):
            if client is not None:
                await client.close()
        self.cloudpayments = self.alif = None

    async def start_payment(self, chat_id: int, amount: Decimal, provider: str) -> Pending:
        """Create the provider's payment page for a new order; remember the chat."""
        order_id = f"tg-{secrets.token_hex(6)}"  # in production: the order row's id
        if provider == CLOUDPAYMENTS:
            order = await self._cloudpayments().orders.create(
                amount=amount,
                currency=Currency.RUB,
                description=f"Order {order_id}",
                invoice_id=order_id,  # comes back in Pay and Fail
                account_id=str(chat_id),
                success_redirect_url=self._return_url,
                idempotency_key=order_id,  # a retry after a crash makes no second invoice
            )
            reference, url = order_id, order.url or ""
        else:
            session = await self._alif().checkout.session_create(
                items=[SessionItem(name=f"Order {order_id}", price=int(amount * 100), amount=1)],
                redirect_url=self._return_url,
                webhook_url=self.webhook_url(ALIF_PATH),
                meta={"order_id": order_id},
            )
            reference, url = session.session_ref, session.checkout_url or ""
        pending = Pending(chat_id, order_id, provider, amount, url)
        self.pending[provider, reference] = pending
        return pending

    async def on_pay(self, note: PayNotification) -> None:
        """CloudPayments ``Pay``: the order is paid."""
        key = (CLOUDPAYMENTS, note.invoice_id or "")
        await self._finish(key, f"cp-pay-{note.transaction_id}", paid=True)

    async def on_fail(self, note: FailNotification) -> None:
        """CloudPayments ``Fail``: this attempt was declined; the link still works."""
        key = (CLOUDPAYMENTS, note.invoice_id or "")
        reason = note.reason or f"code {note.reason_code}"
        await self._finish(key, f"cp-fail-{note.transaction_id}", paid=False, reason=reason)

    async def on_alif_event(self, event: Event) -> None:
        """Alif ``payment.succeeded`` / ``payment.failed`` of a checkout session."""
        if not isinstance(event, PaymentEvent) or event.data.session_ref is None:
            return
        key = (ALIF, event.data.session_ref)
        handled = f"alif-{event.event}-{event.data.id}"
        if event.event == EventType.PAYMENT_SUCCEEDED:
            await self._finish(key, handled, paid=True)
        elif event.event == EventType.PAYMENT_FAILED:
            status = getattr(event.data.status, "value", event.data.status)
            await self._finish(key, handled, paid=False, reason=str(status).lower())

    async def _finish(
        self, key: tuple[str, str], handled: str, *, paid: bool, reason: str = ""
    ) -> None:
        pending = self.pending.get(key)
        if handled in self._handled or pending is None:
            logger.info("webhook %s: nothing to do (repeated, or not this bot's order)", handled)
            return
        if paid:
            text = f"Order {pending.order_id} is paid: {pending.price}. Thank you!"
        else:
            text = (
                f"Payment for order {pending.order_id} failed: {reason}. Try again: {pending.url}"
            )
        # If Telegram fails, the handler answers an error and the provider delivers again.
        await self._telegram().send_message(pending.chat_id, text)
        self._handled.add(handled)
        if paid:
            del self.pending[key]

    def _cloudpayments(self) -> CloudPayments:
        if self.cloudpayments is None:
            raise RuntimeError("CloudPayments is not open: start the dispatcher first")
        return self.cloudpayments

    def _alif(self) -> Alif:
        if self.alif is None:
            raise RuntimeError("Alif is not open: start the dispatcher first")
        return self.alif

    def _telegram(self) -> Bot:
        if self._bot is None:
            raise RuntimeError("the bot is not running")
        return self._bot


# The chat side ------------------------------------------------------------------------------


def parse_pay(args: str | None, providers: list[str]) -> tuple[Decimal, str]:
    """``"990"`` or ``"990.50 alif"`` -> (amount, provider); ValueError says what is wrong."""
    words = (args or "").split()
    if not 1 <= len(words) <= 2:
        raise ValueError("Tell me the amount, and the provider if you like.")
    try:
        amount = Decimal(words[0].replace(",", "."))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():  # also "NaN" and "Infinity", which Decimal reads
        raise ValueError(f"{words[0]!r} is not an amount.")
    if not 0 < amount <= MAX_AMOUNT:
        raise ValueError(f"The amount must be above 0 and at most {MAX_AMOUNT}.")
    if amount != amount.quantize(CENT):
        raise ValueError("The amount takes at most two decimals.")
    provider = words[1].lower() if len(words) == 2 else providers[0]
    if provider not in providers:
        raise ValueError(f"I take payments by {' or '.join(providers)}.")
    return amount.quantize(CENT), provider  # "1e3" -> 1000.00, as providers expect it


async def on_start(message: Message) -> None:
    """``/start``: what the bot does."""
    await message.answer(f"I sell things. {USAGE}")


async def on_pay_command(message: Message, command: CommandObject, shop: Shop) -> None:
    """``/pay <amount> [provider]``: answer with the provider's payment page."""
    try:
        amount, provider = parse_pay(command.args, shop.providers)
    except ValueError as error:
        await message.answer(f"{error} {USAGE}")
        return
    try:
        pending = await shop.start_payment(message.chat.id, amount, provider)
    except AcquiringError as error:  # carries no secret; the payer needs no details
        logger.warning("could not start a %s payment: %r", provider, error)
        await message.answer("The payment could not be started. Please try again later.")
        return
    button = InlineKeyboardButton(text=f"Pay {pending.price}", url=pending.url)
    await message.answer(
        f"Order {pending.order_id}: {pending.price}. Pay here: {pending.url}\n"
        "I will write when the payment goes through.",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]]),
    )


def build_bot(settings: Settings) -> Dispatcher:
    """The dispatcher, its router and the shop (``dispatcher["shop"]``), all new."""
    if settings.cloudpayments is None and settings.alif is None:
        raise ValueError("configure at least one provider")
    shop = Shop(settings)
    router = Router(name="payments")
    router.message.register(on_start, CommandStart())
    router.message.register(on_pay_command, Command("pay"))
    dispatcher = Dispatcher(shop=shop)  # handlers receive it as the `shop` argument
    dispatcher.include_router(router)
    dispatcher.startup.register(shop.start)
    dispatcher.shutdown.register(shop.close)
    return dispatcher


# Offline: Telegram recorded, the providers emulated ------------------------------------------


class RecordingSession(BaseSession):
    """A stand-in for Telegram's Bot API: records every call and answers it, with no network.

    ``sendMessage`` answers a Message, ``getMe`` the bot, ``getUpdates`` what
    :meth:`push` queued (for ``start_polling``); any other method raises.
    """

    def __init__(self, *, username: str = "acquiring_shop_bot") -> None:
        super().__init__()
        self.username = username
        self.requests: list[TelegramMethod[Any]] = []
        self._updates: asyncio.Queue[Update] = asyncio.Queue()

    def sent(self, chat_id: int | None = None) -> list[SendMessage]:
        """The messages the bot sent (to ``chat_id`` only, when given)."""
        return [
            r for r in self.requests if isinstance(r, SendMessage) and chat_id in (None, r.chat_id)
        ]

    def push(self, update: Update) -> None:
        """Queue an update for the next ``getUpdates``."""
        self._updates.put_nowait(update)

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        """Record the call and answer it as Telegram would."""
        self.requests.append(method)
        result: Any
        if isinstance(method, SendMessage):
            chat = Chat(id=int(method.chat_id), type="private")
            now = datetime.now(timezone.utc)
            result = Message(message_id=len(self.requests), date=now, chat=chat, text=method.text)
        elif isinstance(method, GetMe):
            result = User(id=bot.id, is_bot=True, first_name="Shop", username=self.username)
        elif isinstance(method, GetUpdates):
            result = []
            with suppress(asyncio.TimeoutError):  # a short poll, so that stopping is quick
                result.append(await asyncio.wait_for(self._updates.get(), 0.05))
        else:
            raise NotImplementedError(f"{type(method).__name__} is not recorded")
        return cast(TelegramType, result)

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        """Not recorded: the bot downloads no files."""
        raise NotImplementedError("files are not recorded")
        yield b""  # pragma: no cover (makes this an async generator, as the base class)

    async def close(self) -> None:
        """Nothing to close: no connection was opened."""


def text_update(update_id: int, chat_id: int, text: str) -> Update:
    """An update with a private message, as Telegram sends it."""
    user = User(id=chat_id, is_bot=False, first_name="Payer")
    message = Message(
        message_id=update_id,
        date=datetime.now(timezone.utc),
        chat=Chat(id=chat_id, type="private"),
        from_user=user,
        text=text,
    )
    return Update(update_id=update_id, message=message)


@dataclass
class Offline:
    """A running bot wired to the emulators and a recording Telegram."""

    dispatcher: Dispatcher
    bot: Bot
    telegram: RecordingSession
    cloudpayments: CloudPaymentsEmulator
    alif: AlifEmulator
    payer: Alif
    """The payer's side of Alif's hosted page (it pays a session by card)."""
    _next_update: int = 0

    @property
    def shop(self) -> Shop:
        """The bot's shop."""
        return cast(Shop, self.dispatcher["shop"])

    async def say(self, chat_id: int, text: str) -> list[SendMessage]:
        """Feed a chat message to the dispatcher; what the bot answered to that chat."""
        before = len(self.telegram.sent(chat_id))
        self._next_update += 1
        update = text_update(self._next_update, chat_id, text)
        await self.dispatcher.feed_update(self.bot, update)
        return self.telegram.sent(chat_id)[before:]


@asynccontextmanager
async def offline_bot(retry: RetryPolicy | None = None) -> AsyncIterator[Offline]:
    """Start both emulators and the bot (port 0, no Telegram); stop everything after."""
    async with (
        CloudPaymentsEmulator() as cloudpayments,
        AlifEmulator() as alif,
        Alif(token=alif.token, secret_key=alif.secret_key, base_url=alif.url) as payer,
    ):
        settings = Settings(
            cloudpayments=CloudPaymentsSettings(
                public_id=cloudpayments.public_id,
                api_secret=cloudpayments.api_secret,
                base_url=cloudpayments.url,
            ),
            alif=AlifSettings(token=alif.token, secret_key=alif.secret_key, base_url=alif.url),
            port=0,
            retry=retry,
        )
        telegram = RecordingSession()
        bot = Bot(token="123456:offline-demo", session=telegram)
        dispatcher = build_bot(settings)
        await dispatcher.emit_startup(bot=bot)  # what start_polling does first
        try:
            yield Offline(dispatcher, bot, telegram, cloudpayments, alif, payer)
        finally:
            await dispatcher.emit_shutdown(bot=bot)
            await bot.session.close()


def payment_url(answer: SendMessage) -> str:
    """The payment page a ``/pay`` answer links to (its button's address)."""
    markup = answer.reply_markup
    if not isinstance(markup, InlineKeyboardMarkup) or markup.inline_keyboard[0][0].url is None:
        raise ValueError("the answer has no payment button")
    return markup.inline_keyboard[0][0].url


def page_id(url: str) -> str:
    """The order id or session reference at the end of a payment page's address."""
    return url.rstrip("/").rsplit("/", 1)[-1]


async def main() -> None:
    """The offline demo: two chats pay, one by CloudPayments and one by Alif."""
    async with offline_bot() as run:
        print(f"1. the bot serves webhooks at {run.shop.webhook_url('/webhooks/')}")
        [answer] = await run.say(1001, "/pay 990")
        print(f"2. chat 1001: /pay 990 -> {answer.text.splitlines()[0]}")

        order_id = page_id(payment_url(answer))  # CloudPayments: https://orders.../d/<Id>
        run.cloudpayments.pay_order(order_id, "4000056655665556")  # an empty card: Fail
        await run.cloudpayments.notifications_delivered()
        print(f"3. the payer's card is declined -> {run.telegram.sent(1001)[-1].text}")
        run.cloudpayments.pay_order(order_id)  # another card: Pay
        await run.cloudpayments.notifications_delivered()
        print(f"4. paid with another card -> {run.telegram.sent(1001)[-1].text}")

        [answer] = await run.say(2002, "/pay 150000 alif")
        print(f"5. chat 2002: /pay 150000 alif -> {answer.text.splitlines()[0]}")
        await run.payer.checkout.payment_create(  # the payer on Alif's page, a card with no OTP
            session_ref=page_id(payment_url(answer)), pan="4000000000000002", exp="1230"
        )
        await run.alif.wait_webhooks()
        print(f"6. paid on Alif's page -> {run.telegram.sent(2002)[-1].text}")

        [answer] = await run.say(3003, "/pay lots")
        print(f"7. chat 3003: /pay lots -> {answer.text}")
        calls = [type(request).__name__ for request in run.telegram.requests]
        print(f"8. calls to Telegram (recorded, none sent): {calls}")


if __name__ == "__main__":
    asyncio.run(main())
