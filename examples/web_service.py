"""A small shop on aiohttp that takes money through CloudPayments, Bank 131 and Alif.

Run ``python examples/web_service.py`` (or ``make demo``): it starts the three
emulators from ``aioacquiring.testing`` and the shop on loopback, walks through
every flow as a payer's browser would, prints each step and stops. Import it to
serve the shop yourself: ``web.run_app(make_app(Settings(...)))``.

How the shop is built, top to bottom:

* :class:`Settings`: where each provider is and the shop's credentials (the
  emulators' here and in the tests; your terminal's in production).
* :class:`Store`: orders and payouts, in memory. It stands for the shop's
  database; :meth:`Store.first_time` stands for a unique constraint on the ids of
  handled webhooks, which is what makes the webhook callbacks idempotent:
  every provider delivers the same webhook more than once.
* :func:`provider_clients`, an ``app.cleanup_ctx``: one client per provider,
  opened at start-up and shared by every request (one connection pool each),
  closed at shutdown. It also makes the SDK's webhook handlers with the keys
  the clients hold.
* The routes::

      POST /orders                      a new order (JSON: amount, description)
      GET  /orders/{id}                 the order, as JSON (where the payer lands)
      POST /orders/{id}/cloudpayments   pay by card (form field ``cryptogram``, made by the
                                        CloudPayments checkout script): 303 to the order,
                                        or the 3-D Secure form
      POST /orders/{id}/3ds             TermUrl: the bank posts MD and PaRes back here
      POST /orders/{id}/alif            an Alif checkout session: 303 to Alif's hosted page
      POST /payouts                     a Bank 131 payout to a card (JSON: card, amount, recipient)
      GET  /payouts/{id}                the payout, as JSON
      POST /webhooks/cloudpayments/check|pay|fail, /webhooks/bank131, /webhooks/alif

* The webhook callbacks: what the shop does with each verified notification.
  The SDK's handlers verify the signature and parse the body first; a forged
  webhook never reaches them.
* :func:`main`: the walk-through.

Nothing is global: settings, store, clients and webhook handlers live on the
application (``app[KEY]``), so tests run as many shops as they like.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

from aioacquiring import AcquiringError, RetryPolicy
from aioacquiring.alif import Alif, Event, EventType, PaymentEvent, SessionItem
from aioacquiring.bank131 import DEFAULT_BASE_URL as BANK131_URL
from aioacquiring.bank131 import (
    Bank131,
    PaymentFinishedEvent,
    ReadyToConfirmEvent,
    WebhookEvent,
    amount,
    card,
    payout_of,
    recipient,
)
from aioacquiring.cloudpayments import DEFAULT_BASE_URL as CLOUDPAYMENTS_URL
from aioacquiring.cloudpayments import (
    Accepted,
    CheckAnswer,
    CheckNotification,
    CloudPayments,
    Declined,
    FailNotification,
    NotificationType,
    PayNotification,
    ThreeDSecureRequired,
)
from aioacquiring.testing import (
    AlifEmulator,
    Bank131Emulator,
    CloudPaymentsEmulator,
    test_cryptogram,
)

WebHandler = Callable[[web.Request], Awaitable[web.Response]]

# Settings ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where the providers are, and the shop's credentials at each (secrets stay out of repr)."""

    cloudpayments_public_id: str
    cloudpayments_api_secret: str = field(repr=False)
    bank131_project_id: str
    bank131_private_key: str = field(repr=False)
    bank131_public_key: str = field(repr=False)
    """The bank's public key: Bank 131 webhooks are verified with it."""
    alif_token: str = field(repr=False)
    alif_secret_key: str = field(repr=False)
    alif_base_url: str
    cloudpayments_base_url: str = CLOUDPAYMENTS_URL
    bank131_base_url: str = BANK131_URL
    public_url: str | None = None
    """The shop's address as payers and providers reach it; None: the address a request came to."""
    retry: RetryPolicy | None = None

    @classmethod
    def for_emulators(
        cls,
        cloudpayments: CloudPaymentsEmulator,
        bank131: Bank131Emulator,
        alif: AlifEmulator,
        **overrides: Any,
    ) -> Settings:
        """Settings that point the shop at running emulators."""
        return cls(
            cloudpayments_public_id=cloudpayments.public_id,
            cloudpayments_api_secret=cloudpayments.api_secret,
            cloudpayments_base_url=cloudpayments.url,
            bank131_project_id=bank131.project_id,
            bank131_private_key=bank131.private_key_pem,
            bank131_public_key=bank131.bank_public_key_pem,
            bank131_base_url=bank131.url,
            alif_token=alif.token,
            alif_secret_key=alif.secret_key,
            alif_base_url=alif.url,
            **overrides,
        )


# The store: orders and payouts -------------------------------------------------------------


class OrderStatus(str, enum.Enum):
    """Where an order stands."""

    NEW = "new"
    AWAITING_3DS = "awaiting_3ds"
    AWAITING_PAYMENT = "awaiting_payment"  # the payer was sent to Alif's hosted page
    PAID = "paid"
    DECLINED = "declined"


@dataclass
class Order:
    """An order: what the payer owes, how it is being paid, and what happened to it."""

    id: str
    amount: Decimal
    description: str
    status: OrderStatus = OrderStatus.NEW
    transaction_id: int | None = None  # CloudPayments
    alif_session_ref: str | None = None
    alif_checkout_url: str | None = None
    message: str | None = None  # for the payer, after a decline
    history: list[str] = field(default_factory=list)

    def mark_paid(self, how: str) -> None:
        """Paid, once: the provider's answer and its webhook both say so, in either order."""
        if self.status is not OrderStatus.PAID:
            self.status = OrderStatus.PAID
            self.history.append(f"paid ({how})")

    def mark_declined(self, how: str, message: str | None) -> None:
        """Declined, unless it was paid meanwhile (a Fail of an earlier attempt comes late)."""
        if self.status is not OrderStatus.PAID:
            self.status = OrderStatus.DECLINED
            self.message = message
            self.history.append(f"declined ({how})")


@dataclass
class Payout:
    """A payout to a card through Bank 131."""

    id: str
    amount: Decimal
    recipient: str
    status: str = "started"  # -> confirmed -> paid_out | failed
    session_id: str | None = None
    history: list[str] = field(default_factory=list)


class Store:
    """The shop's data, in memory (a database in a real shop)."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.payouts: dict[str, Payout] = {}
        self.repeats = 0
        """Webhooks that arrived again and were skipped."""
        self._handled: set[tuple[str, ...]] = set()

    def new_order(self, amount: Decimal, description: str) -> Order:
        """A new order, with an id that is never reused (it is the payment's idempotency key)."""
        order = Order(id=f"order-{uuid.uuid4().hex[:12]}", amount=amount, description=description)
        order.history.append("created")
        self.orders[order.id] = order
        return order

    def new_payout(self, amount: Decimal, recipient: str) -> Payout:
        """A new payout, with an id that is never reused (the payout's idempotency key)."""
        payout = Payout(id=f"payout-{uuid.uuid4().hex[:12]}", amount=amount, recipient=recipient)
        self.payouts[payout.id] = payout
        return payout

    def order_by_alif_session(self, session_ref: str | None) -> Order | None:
        """The order an Alif checkout session pays (an indexed column in a real database)."""
        return next((o for o in self.orders.values() if o.alif_session_ref == session_ref), None)

    def first_time(self, *key: str) -> bool:
        """Record a webhook's key; False when it was handled before.

        A table with a unique constraint does this in a real shop: the insert
        fails for a repeat, whichever process receives it.
        """
        if key in self._handled:
            self.repeats += 1
            return False
        self._handled.add(key)
        return True

    def forget(self, *key: str) -> None:
        """Forget a key whose handling failed, so that the provider's next delivery is handled."""
        self._handled.discard(key)


@dataclass(frozen=True)
class Clients:
    """One client per provider, shared by every request."""

    cloudpayments: CloudPayments
    bank131: Bank131
    alif: Alif


SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", Store)
CLIENTS = web.AppKey("clients", Clients)
WEBHOOKS = web.AppKey("webhooks", dict[str, WebHandler])


def as_json(record: Order | Payout, status: int = 200) -> web.Response:
    """An order or a payout as the shop's pages and back office show it (amounts as text)."""
    return web.json_response(
        dataclasses.asdict(record), status=status, dumps=functools.partial(json.dumps, default=str)
    )


def minor_units(value: Decimal) -> int:
    """Kopecks or tiyin from an amount in major units (amounts have at most two decimals)."""
    return int(value * 100)


# Start-up and shutdown -------------------------------------------------------------------


async def provider_clients(app: web.Application) -> AsyncIterator[None]:
    """Open one client per provider at start-up and close them at shutdown (``cleanup_ctx``)."""
    settings = app[SETTINGS]
    async with (
        CloudPayments(
            public_id=settings.cloudpayments_public_id,
            api_secret=settings.cloudpayments_api_secret,
            base_url=settings.cloudpayments_base_url,
            retry=settings.retry,
        ) as cloudpayments,
        Bank131(
            project_id=settings.bank131_project_id,
            private_key=settings.bank131_private_key,
            bank_public_key=settings.bank131_public_key,
            base_url=settings.bank131_base_url,
            retry=settings.retry,
        ) as bank131,
        Alif(
            token=settings.alif_token,
            secret_key=settings.alif_secret_key,
            base_url=settings.alif_base_url,
            retry=settings.retry,
        ) as alif,
    ):
        app[CLIENTS] = Clients(cloudpayments=cloudpayments, bank131=bank131, alif=alif)
        # The SDK's handlers verify each webhook with the key its client holds, parse it,
        # await the callback, and answer the way the provider expects.
        bind = functools.partial  # each callback gets the app: its store and clients
        app[WEBHOOKS] = {
            "cloudpayments/check": cloudpayments.notification_handler(
                NotificationType.CHECK, bind(on_cloudpayments_check, app)
            ),
            "cloudpayments/pay": cloudpayments.notification_handler(
                NotificationType.PAY, bind(on_cloudpayments_pay, app)
            ),
            "cloudpayments/fail": cloudpayments.notification_handler(
                NotificationType.FAIL, bind(on_cloudpayments_fail, app)
            ),
            "bank131": bank131.webhook_handler(bind(on_bank131_event, app)),
            "alif": alif.webhook_handler(bind(on_alif_event, app)),
        }
        yield


def make_app(settings: Settings) -> web.Application:
    """The shop: its routes, its store, and its provider clients' lifetime."""
    app = web.Application()
    app[SETTINGS] = settings
    app[STORE] = Store()
    app.cleanup_ctx.append(provider_clients)
    app.router.add_post("/orders", create_order)
    app.router.add_get("/orders/{order_id}", show_order)
    app.router.add_post("/orders/{order_id}/cloudpayments", pay_with_cloudpayments)
    app.router.add_post("/orders/{order_id}/3ds", finish_3ds)
    app.router.add_post("/orders/{order_id}/alif", pay_with_alif)
    app.router.add_post("/payouts", start_payout)
    app.router.add_get("/payouts/{payout_id}", show_payout)
    app.router.add_post("/webhooks/{name:.+}", receive_webhook)
    return app


# Routes: orders and payments ----------------------------------------------------------------


def public_url(request: web.Request) -> str:
    """The shop's address for links the payer's browser or a provider will follow."""
    configured = request.app[SETTINGS].public_url
    return (configured or f"{request.scheme}://{request.host}").rstrip("/")


def find_order(request: web.Request) -> Order:
    """The order named in the path, or HTTP 404."""
    order = request.app[STORE].orders.get(request.match_info["order_id"])
    if order is None:
        raise web.HTTPNotFound(text="no such order")
    return order


def to_order_page(order: Order) -> web.HTTPSeeOther:
    """Where the payer goes once a payment step is over."""
    return web.HTTPSeeOther(f"/orders/{order.id}")


def parse_amount(value: object) -> Decimal:
    """An amount from a request: a positive number with at most two decimals, or HTTP 400."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        number = Decimal("NaN")
    exponent = number.as_tuple().exponent
    if not number.is_finite() or number <= 0 or not isinstance(exponent, int) or exponent < -2:
        raise web.HTTPBadRequest(text="amount must be a positive number like 990.00")
    return number


async def read_json(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, numbers as Decimal (never float), or HTTP 400."""
    try:
        body = await request.json(loads=functools.partial(json.loads, parse_float=Decimal))
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return body


async def create_order(request: web.Request) -> web.Response:
    """``POST /orders``: a new order to pay."""
    body = await read_json(request)
    order = request.app[STORE].new_order(
        parse_amount(body.get("amount")), str(body.get("description", ""))
    )
    return as_json(order, status=201)


async def show_order(request: web.Request) -> web.Response:
    """``GET /orders/{id}``: the order as it stands."""
    return as_json(find_order(request))


async def pay_with_cloudpayments(request: web.Request) -> web.Response:
    """Charge the order's card: paid or declined at once, or the 3-D Secure form to show."""
    order = find_order(request)
    if order.status is OrderStatus.PAID:
        raise to_order_page(order)
    form = await request.post()
    cryptogram = form.get("cryptogram")
    if not isinstance(cryptogram, str) or not cryptogram:
        raise web.HTTPBadRequest(text="the card cryptogram is missing")
    client = request.app[CLIENTS].cloudpayments
    try:
        result = await client.payments.cards_charge(
            amount=order.amount,
            ip_address=request.remote or "0.0.0.0",  # behind a proxy: X-Forwarded-For
            card_cryptogram_packet=cryptogram,
            invoice_id=order.id,
            description=order.description,
            # The order id is the key: a double click, or a retry after the shop crashed
            # mid-call, is answered with the first charge instead of charging again.
            # CloudPayments keeps only successful answers under a key, so after a
            # decline the payer may try another card for the same order.
            idempotency_key=order.id,
        )
    except AcquiringError as error:  # its message carries no secret
        raise web.HTTPBadGateway(text=f"the payment did not go through: {error}") from error
    match result:
        case Accepted():
            order.transaction_id = result.transaction_id
            order.mark_paid(f"CloudPayments transaction {result.transaction_id}")
        case Declined():
            order.mark_declined(
                f"CloudPayments transaction {result.transaction_id}", result.card_holder_message
            )
        case ThreeDSecureRequired():
            order.transaction_id = result.transaction_id
            order.status = OrderStatus.AWAITING_3DS
            order.history.append(f"3-D Secure for CloudPayments transaction {order.transaction_id}")
            term_url = f"{public_url(request)}/orders/{order.id}/3ds"
            return web.Response(text=result.form_html(term_url), content_type="text/html")
    raise to_order_page(order)


async def finish_3ds(request: web.Request) -> web.Response:
    """TermUrl: the bank posts ``MD`` (the transaction) and ``PaRes`` back; finish the payment."""
    order = find_order(request)
    if order.status is OrderStatus.PAID:  # the payer's browser posted twice
        raise to_order_page(order)
    form = await request.post()
    md, pa_res, transaction_id = form.get("MD"), form.get("PaRes"), order.transaction_id
    if (
        order.status is not OrderStatus.AWAITING_3DS
        or transaction_id is None
        or md != str(transaction_id)
        or not isinstance(pa_res, str)
    ):
        raise web.HTTPBadRequest(text="this order awaits no such 3-D Secure answer")
    client = request.app[CLIENTS].cloudpayments
    try:
        result = await client.payments.cards_post3ds(transaction_id=transaction_id, pa_res=pa_res)
    except AcquiringError as error:
        raise web.HTTPBadGateway(text=f"the payment did not go through: {error}") from error
    how = f"CloudPayments transaction {result.transaction_id} after 3-D Secure"
    if isinstance(result, Accepted):
        order.mark_paid(how)
    else:
        message = result.card_holder_message if isinstance(result, Declined) else None
        order.mark_declined(how, message)
    raise to_order_page(order)


async def pay_with_alif(request: web.Request) -> web.Response:
    """Send the payer to Alif's hosted page, through a checkout session for the order."""
    order = find_order(request)
    if order.status is OrderStatus.PAID:
        raise to_order_page(order)
    checkout_url = order.alif_checkout_url
    if checkout_url is None:  # one session per order: it takes one payment
        base = public_url(request)
        try:
            session = await request.app[CLIENTS].alif.checkout.session_create(
                items=[
                    SessionItem(name=order.description, price=minor_units(order.amount), amount=1)
                ],
                redirect_url=f"{base}/orders/{order.id}",
                webhook_url=f"{base}/webhooks/alif",
                meta={"order_id": order.id},
            )
        except AcquiringError as error:
            raise web.HTTPBadGateway(text=f"Alif is unavailable: {error}") from error
        checkout_url = session.checkout_url
        if checkout_url is None:
            raise web.HTTPBadGateway(text="Alif answered without its checkout page")
        order.alif_session_ref = session.session_ref
        order.alif_checkout_url = checkout_url
        order.status = OrderStatus.AWAITING_PAYMENT
        order.history.append(f"Alif checkout session {session.session_ref}")
    raise web.HTTPSeeOther(checkout_url)


# Routes: payouts ----------------------------------------------------------------------------


async def start_payout(request: web.Request) -> web.Response:
    """``POST /payouts``: pay money out to a card; the bank asks to confirm by webhook."""
    body = await read_json(request)
    number, name = body.get("card"), body.get("recipient")
    if not isinstance(number, str) or not isinstance(name, str):
        raise web.HTTPBadRequest(text="card and recipient are required")
    payout = request.app[STORE].new_payout(parse_amount(body.get("amount")), name)
    try:
        result = await request.app[CLIENTS].bank131.session.init_payout(
            payout_details=card(number),
            amount_details=amount(payout.amount),
            participant_details=recipient(full_name=name),
            metadata={"payout_id": payout.id},  # the webhooks carry it back
            idempotency_key=payout.id,
        )
    except AcquiringError as error:
        payout.status = "failed"
        raise web.HTTPBadGateway(text=f"the payout was not started: {error}") from error
    payout.session_id = result.session_id
    payout.history.append(f"Bank 131 session {result.session_id} started")
    return as_json(payout, status=202)


async def show_payout(request: web.Request) -> web.Response:
    """``GET /payouts/{id}``: the payout as it stands."""
    payout = request.app[STORE].payouts.get(request.match_info["payout_id"])
    if payout is None:
        raise web.HTTPNotFound(text="no such payout")
    return as_json(payout)


# Webhooks -----------------------------------------------------------------------------------


async def receive_webhook(request: web.Request) -> web.Response:
    """Hand a webhook to the SDK's handler for its URL (made at start-up with the client's key)."""
    handler = request.app[WEBHOOKS].get(request.match_info["name"])
    if handler is None:
        raise web.HTTPNotFound()
    return await handler(request)


async def on_cloudpayments_check(app: web.Application, note: CheckNotification) -> CheckAnswer:
    """Before a payment: accept it only for a known, unpaid order of that amount."""
    order = app[STORE].orders.get(note.invoice_id or "")
    if order is None:
        return CheckAnswer.INVALID_INVOICE_ID
    if note.amount != order.amount:
        return CheckAnswer.INVALID_AMOUNT
    if order.status is OrderStatus.PAID:
        return CheckAnswer.REJECTED  # never take money twice for one order
    return CheckAnswer.ACCEPT


async def on_cloudpayments_pay(app: web.Application, note: PayNotification) -> None:
    """The payment went through: mark the order paid, once per transaction."""
    store = app[STORE]
    if not store.first_time("cloudpayments", "Pay", str(note.transaction_id)):
        return
    order = store.orders.get(note.invoice_id or "")
    if order is not None:
        order.history.append(f"Pay notification for transaction {note.transaction_id}")
        order.mark_paid(f"CloudPayments transaction {note.transaction_id}")


async def on_cloudpayments_fail(app: web.Application, note: FailNotification) -> None:
    """The payment failed: record why, once per transaction."""
    store = app[STORE]
    if not store.first_time("cloudpayments", "Fail", str(note.transaction_id)):
        return
    order = store.orders.get(note.invoice_id or "")
    if order is not None:
        order.history.append(f"Fail notification for transaction {note.transaction_id}")
        order.mark_declined(f"CloudPayments transaction {note.transaction_id}", note.reason)


async def on_bank131_event(app: web.Application, event: WebhookEvent) -> None:
    """Confirm a payout the bank has checked; record it when it is finished. Once per session."""
    if not isinstance(event, (ReadyToConfirmEvent, PaymentFinishedEvent)):
        return  # payments and refunds are not this shop's business
    operation = payout_of(event.session)
    metadata = operation.metadata if operation is not None else None
    payout_id = metadata.get("payout_id") if isinstance(metadata, dict) else None
    payout = app[STORE].payouts.get(str(payout_id))
    if payout is None:
        return  # not ours: answer 200 all the same, or the bank keeps sending it
    key = ("bank131", event.type, event.session.id)
    if not app[STORE].first_time(*key):
        return
    if isinstance(event, ReadyToConfirmEvent):
        # Here a real shop checks the payout once more (limits, fraud) and may
        # call session.cancel instead.
        try:
            await app[CLIENTS].bank131.session.confirm(
                session_id=event.session.id,
                confirm_information=event.confirm_information,
                idempotency_key=f"confirm-{payout.id}",
            )
        except Exception:
            app[STORE].forget(*key)  # answer 500: the bank delivers it again, and we retry
            raise
        payout.status = "confirmed"
        payout.history.append("confirmed on ready_to_confirm")
    else:
        status = str(getattr(event.session.status, "value", event.session.status))
        payout.status = "paid_out" if status == "accepted" else "failed"
        payout.history.append(f"payment_finished: session {status}")


async def on_alif_event(app: web.Application, event: Event) -> None:
    """A checkout payment finished: mark its order paid (or note the failure), once per payment."""
    if not isinstance(event, PaymentEvent):
        return
    store = app[STORE]
    name = str(getattr(event.event, "value", event.event))
    if not store.first_time("alif", name, event.data.id):
        return
    order = store.order_by_alif_session(event.data.session_ref)
    if order is None:
        return
    order.history.append(f"Alif {name} for payment {event.data.id}")
    if event.event == EventType.PAYMENT_SUCCEEDED:
        order.mark_paid(f"Alif payment {event.data.id}")
    elif event.event == EventType.PAYMENT_FAILED:
        order.mark_declined(f"Alif payment {event.data.id}", None)


# The walk-through: `python examples/web_service.py` --------------------------------------


class _FirstForm(HTMLParser):
    """The first ``<form>`` of a page: its action and hidden fields, as a browser posts them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self._done = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = values.get("action")
        elif tag == "input" and not self._done and values.get("name"):
            self.fields[values["name"] or ""] = values.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        self._done = self._done or tag == "form"


async def submit_form(browser: aiohttp.ClientSession, page: str) -> str:
    """Do what an auto-submitting page does in a browser: post its form, follow redirects."""
    form = _FirstForm(page)
    assert form.action, "the page has a form"
    async with browser.post(form.action, data=form.fields) as response:
        return await response.text()


async def walk_through(
    browser: aiohttp.ClientSession,
    shop: str,
    cloudpayments: CloudPaymentsEmulator,
    bank131: Bank131Emulator,
    alif: AlifEmulator,
) -> None:
    """Every flow, as the payer's browser and the back office see it."""

    async def new_order(price: str, description: str) -> str:
        body = {"amount": price, "description": description}
        async with browser.post(f"{shop}/orders", json=body) as response:
            order: dict[str, Any] = await response.json()
        return str(order["id"])

    async def pay_by_card(order_id: str, number: str) -> str:
        form = {"cryptogram": test_cryptogram(number)}  # the checkout script makes it
        async with browser.post(f"{shop}/orders/{order_id}/cloudpayments", data=form) as response:
            return await response.text()  # the order (after a 303), or the 3-D Secure form

    async def show(path: str) -> dict[str, Any]:
        async with browser.get(f"{shop}{path}") as response:
            shown: dict[str, Any] = await response.json()
            return shown

    cloudpayments.outbox.duplicate_next()  # the next webhook comes twice, as it may in life
    order_id = await new_order("990.00", "Coffee beans, 1 kg")
    page = json.loads(await pay_by_card(order_id, "4000000000003055"))
    print(f"1. {order_id} paid by a card without 3-D Secure: {page['status']}")
    await cloudpayments.notifications_delivered()
    pays = [d for d in cloudpayments.deliveries if d.label == "Pay"]
    history = (await show(f"/orders/{order_id}"))["history"]
    print(f"   Pay notification delivered {len(pays)} times; the order's history: {history}")

    order_id = await new_order("1500.00", "Espresso machine")
    page = await pay_by_card(order_id, "4242424242424242")
    print(f"2. {order_id}: the shop answers with the 3-D Secure form ({len(page)} bytes)")
    acs_page = await submit_form(browser, page)  # the payer's browser goes to the bank's ACS
    print("   the bank's page posts MD and PaRes back to the shop's TermUrl")
    order = json.loads(await submit_form(browser, acs_page))
    await cloudpayments.notifications_delivered()
    history = (await show(f"/orders/{order_id}"))["history"]
    print(f"   post3ds -> {order['status']}; the order's history: {history}")

    payout_body = {"card": "4242424242424242", "amount": "700.00", "recipient": "Ivan Ivanov"}
    async with browser.post(f"{shop}/payouts", json=payout_body) as response:
        payout = await response.json()
    print(f"3. payout {payout['id']} started: Bank 131 session {payout['session_id']}")
    await bank131.wait_for_webhooks()
    payout = await show(f"/payouts/{payout['id']}")
    print(f"   after the bank's webhooks: {payout['status']}: {payout['history']}")

    order_id = await new_order("35000.00", "Notebook")
    async with browser.post(f"{shop}/orders/{order_id}/alif", allow_redirects=False) as response:
        checkout_url = response.headers["Location"]
    print(f"4. {order_id}: the payer is sent to Alif's page {checkout_url}")
    session_ref = (await show(f"/orders/{order_id}"))["alif_session_ref"]
    # The payer pays on Alif's page; the emulator's page has no form, so pay as it would.
    async with Alif(token=alif.token, secret_key=alif.secret_key, base_url=alif.url) as page_side:
        await page_side.checkout.payment_create(
            session_ref=session_ref, pan="4000000000000002", exp="1230"
        )
    await alif.wait_webhooks()
    order = await show(f"/orders/{order_id}")
    print(f"   after Alif's webhook: {order['status']}: {order['history']}")


async def main() -> None:
    """Start the emulators and the shop, walk through every flow, stop (clients closed)."""
    async with CloudPaymentsEmulator() as cp, Bank131Emulator() as b131, AlifEmulator() as alif:
        runner = web.AppRunner(make_app(Settings.for_emulators(cp, b131, alif)))
        await runner.setup()  # runs provider_clients: the three clients open here
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        shop = f"http://127.0.0.1:{runner.addresses[0][1]}"
        print(f"The shop is at {shop}; the providers are emulated on loopback\n")
        # In production these URLs are set in each provider's dashboard.
        for kind in ("Check", "Pay", "Fail"):
            cp.notify_url(kind, f"{shop}/webhooks/cloudpayments/{kind.lower()}")
        b131.webhook_url = f"{shop}/webhooks/bank131"
        alif.webhook_url = f"{shop}/webhooks/alif"  # sessions also name it themselves
        try:
            async with aiohttp.ClientSession() as browser:
                await walk_through(browser, shop, cp, b131, alif)
        finally:
            await runner.cleanup()  # provider_clients closes the three clients
        print("5. the shop stopped; its clients are closed")


if __name__ == "__main__":
    asyncio.run(main())
