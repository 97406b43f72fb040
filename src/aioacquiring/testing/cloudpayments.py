"""An in-memory CloudPayments API on loopback, faithful to the API reference.

It checks HTTP Basic credentials, keeps to the concurrency cap (HTTP 429 above
it), plays 3-D Secure through a fake ACS page, declines the documented test
cards, pages lists 100 at a time, replays answers by ``X-Request-ID`` for
``idempotency_ttl`` seconds, and emulates every method of the catalogue:
payouts, saved tokens, subscriptions, orders, notification settings, SBP links
and receipts. It also *sends* notifications, signed as CloudPayments signs
them, to the URLs configured for them. It speaks raw JSON and knows nothing of
the SDK's client::

    async with CloudPaymentsEmulator() as emu:
        emu.notify_url("Pay", "http://127.0.0.1:8080/cloudpayments/pay")
        async with CloudPayments(
            public_id=emu.public_id, api_secret=emu.api_secret, base_url=emu.url
        ) as client:
            await client.payments.cards_charge(
                amount=Decimal("100"),
                ip_address="203.0.113.7",
                card_cryptogram_packet=test_cryptogram("4000000000003055"),
            )
        await emu.notifications_delivered()  # the Pay notification has arrived
"""

from __future__ import annotations

import base64
import binascii
import inspect
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, TypeVar

from aiohttp import web
from aiohttp.typedefs import Middleware

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_acs import ACS_PATH, acs_handler
from aioacquiring.testing._cloudpayments_cards import Card, decode_cryptogram, test_cryptogram
from aioacquiring.testing._cloudpayments_envelope import Operation
from aioacquiring.testing._cloudpayments_fields import ApiError
from aioacquiring.testing._cloudpayments_history import History
from aioacquiring.testing._cloudpayments_kkt import Receipts
from aioacquiring.testing._cloudpayments_notify import (
    RETRY_SCHEDULE,
    Notifier,
    accepted_answer,
    answer_code,
)
from aioacquiring.testing._cloudpayments_orders import ORDER_PAGE_PATH, Orders
from aioacquiring.testing._cloudpayments_payments import PaymentsApi
from aioacquiring.testing._cloudpayments_payouts import Payouts
from aioacquiring.testing._cloudpayments_replay import Replay
from aioacquiring.testing._cloudpayments_sbp import SbpLinks
from aioacquiring.testing._cloudpayments_settings import NotificationSettings
from aioacquiring.testing._cloudpayments_state import STATUS_CODES, Store
from aioacquiring.testing._cloudpayments_subscriptions import Subscriptions
from aioacquiring.testing._types import Handler
from aioacquiring.testing._wire import BodyError, dumps, read_body
from aioacquiring.testing.outbox import Delivery, WebhookOutbox
from aioacquiring.testing.server import EmulatorServer

__all__ = ["CloudPaymentsEmulator", "Delivery", "answer_code", "test_cryptogram"]

_ORDER_PAGES = ORDER_PAGE_PATH.split("{", 1)[0]  # "/d/"


def _json_response(envelope: dict[str, Any]) -> web.Response:
    return web.Response(body=dumps(envelope), content_type="application/json", charset="utf-8")


def _for_the_payer(request: web.Request) -> bool:
    """The payer's browser pages (ACS, orders): no credentials, no replay."""
    return request.path == ACS_PATH or request.path.startswith(_ORDER_PAGES)


_T = TypeVar("_T")


def _given(value: _T, default: _T, older: _T | None) -> _T:
    """``value``, unless it was left at its default and the older argument name was given."""
    return older if older is not None and value == default else value


def _card(card_number: str, expiry: str) -> Card:
    card = decode_cryptogram(test_cryptogram(card_number, expiry=expiry))
    assert card is not None
    return card


class CloudPaymentsEmulator(EmulatorServer):
    """A fake CloudPayments API, served at ``url`` inside ``async with CloudPaymentsEmulator()``.

    Use ``emu.public_id`` / ``emu.api_secret`` as the client's credentials, cards
    from :func:`test_cryptogram`, ``emu.faults`` to script failures, and the
    inspection helpers (:attr:`transactions`, :attr:`refunds`,
    :meth:`requests_seen`, :attr:`deliveries`) to check what the client did.

    Notifications go where :meth:`notify_url` (or the API's
    ``site.notifications_update``) says, signed with ``api_secret``. The
    :attr:`outbox` delivers them in the background, in the order they happen,
    retried on ``webhook_schedule`` (CloudPayments' 1, 2, 5, 10, 30 minutes,
    times ``webhook_time_scale``: 6 ms to 0.18 s by default) until the receiver
    answers ``{"code": 0}``; ``await emu.notifications_delivered()`` (or
    ``webhooks_delivered()``, as on every emulator) waits for them.
    ``webhook_timeout`` is how long an attempt waits for the answer. The older
    names ``notification_schedule``, ``notification_time_scale`` and
    ``notification_timeout`` are still accepted. A ``Check`` is asked before
    each payment and a refusal declines it (``ReasonCode`` 5204).

    ``clock`` (a function returning an aware UTC ``datetime``) stands in for
    the current time, so that a test can move a subscription's schedule on.
    """

    def __init__(
        self,
        *,
        public_id: str = "pk_test_emulator",
        api_secret: str = "emulator_api_secret",
        max_concurrency: int | None = 5,
        idempotency_ttl: float = 3600.0,
        webhook_timeout: float = 5.0,
        webhook_schedule: Sequence[float] = RETRY_SCHEDULE,
        webhook_time_scale: float = 1e-4,
        notification_timeout: float | None = None,
        notification_schedule: Sequence[float] | None = None,
        notification_time_scale: float | None = None,
        clock: Callable[[], datetime] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, max_concurrency=max_concurrency)
        self.public_id = public_id
        self.api_secret = api_secret
        self.idempotency_ttl = idempotency_ttl
        """Seconds an answer is replayed for the same ``X-Request-ID`` (the API keeps 1 hour)."""
        self._store = Store(clock)
        self._settings = NotificationSettings()
        # The notification_* names came first: still accepted, the webhook_* ones win.
        self.outbox = WebhookOutbox(
            schedule=_given(webhook_schedule, RETRY_SCHEDULE, notification_schedule),
            time_scale=_given(webhook_time_scale, 1e-4, notification_time_scale),
            timeout=_given(webhook_timeout, 5.0, notification_timeout),
            accepts=accepted_answer,
            in_order=True,
        )
        """Delivers the notifications; ``duplicate_next()``/``reorder_next()`` make it misbehave."""
        self._notifier = Notifier(self._settings, lambda: self.api_secret, self.outbox)
        self._payments = PaymentsApi(self._store, self._notifier, lambda: self.url + ACS_PATH)
        self._payouts = Payouts(self._store, self._notifier)
        self._subscriptions = Subscriptions(self._store, self._notifier)
        self._orders = Orders(self._store, self._notifier, lambda: self.url)
        self._sbp = SbpLinks(self._store, lambda: self.public_id)
        self._receipts = Receipts()
        self._history = History(self._store)
        self._replay = Replay(lambda: self.idempotency_ttl, _for_the_payer)

    def __repr__(self) -> str:
        where = self.url if self.started else "not started"
        return f"{type(self).__name__}(url={where!r}, public_id={self.public_id!r})"

    async def close(self) -> None:
        """Cancel notifications still being delivered, then stop serving."""
        await self.outbox.close()
        await super().close()

    # Inspection for tests ------------------------------------------------------

    @property
    def transactions(self) -> list[dict[str, Any]]:
        """Copies of every payment and payout transaction (not refunds), in creation order."""
        return [payment.model() for payment in self._store.payments.values()]

    @property
    def refunds(self) -> list[dict[str, Any]]:
        """Copies of every refund transaction, in creation order."""
        return [refund.model() for refund in self._store.refunds.values()]

    @property
    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription's model, in creation order."""
        return [subscription.model() for subscription in self._subscriptions.items.values()]

    @property
    def orders(self) -> list[dict[str, Any]]:
        """Every order's model, in creation order."""
        return [order.model() for order in self._orders.items.values()]

    @property
    def receipts(self) -> list[dict[str, Any]]:
        """Every receipt requested through ``/kkt/receipt`` (its ``Id`` and the request)."""
        return [dict(receipt) for receipt in self._receipts.items]

    @property
    def sbp_links(self) -> list[dict[str, Any]]:
        """Every SBP link or QR made: its transaction, QR id, amount and scheme."""
        return [
            {
                "TransactionId": link.transaction_id,
                "ProviderQrId": link.provider_qr_id,
                "Amount": link.amount,
                "Scheme": link.scheme,
            }
            for link in self._sbp.items
        ]

    def inspect(self) -> dict[str, Any]:
        """What the emulator holds, as JSON-able data (served at ``/_emulator/state``)."""
        return {
            "transactions": self.transactions,
            "refunds": self.refunds,
            "subscriptions": self.subscriptions,
            "orders": self.orders,
            "receipts": self.receipts,
            "sbp_links": self.sbp_links,
            "replayed_requests": self.replayed_requests,
        }

    @property
    def replayed_requests(self) -> int:
        """Requests answered from the idempotency store instead of being processed."""
        return self._replay.replayed

    @property
    def max_in_flight_seen(self) -> int:
        """The most requests that were in flight at once."""
        return self.faults.max_in_flight_seen

    def requests_seen(self, path: str | None = None) -> int:
        """How many requests arrived for ``path`` (all paths when None), whatever the answer."""
        return self.faults.requests_seen(path)

    def pa_res_for(self, transaction_id: int) -> str:
        """The PaRes the fake ACS gives for a transaction awaiting 3-D Secure."""
        payment = self._store.payments.get(transaction_id)
        if payment is None or payment.pa_res is None:
            raise KeyError(f"transaction {transaction_id} is not awaiting 3-D Secure")
        return payment.pa_res

    # Notifications ---------------------------------------------------------------

    def notify_url(
        self,
        kind: str,
        url: str | None,
        *,
        format: Literal["form", "json"] = "form",
        http_method: Literal["GET", "POST"] = "POST",
        encoding: Literal["UTF8", "Windows1251"] = "UTF8",
    ) -> None:
        """Send notifications of type ``kind`` (``"Pay"``, ``"Check"``, ...) to ``url``.

        ``None`` stops sending them. ``format="json"`` sends a JSON object
        instead of form fields; ``http_method="GET"`` puts the fields in the
        query string. Unlike the API's ``notifications_update``, this also sets
        ``Check``.
        """
        if format not in ("form", "json"):
            raise ValueError("format must be 'form' or 'json'")
        self._settings.set_url(
            kind, url, as_json=format == "json", http_method=http_method, encoding=encoding
        )

    @property
    def deliveries(self) -> list[Delivery]:
        """Every notification sent so far (``label`` is its type), each with its attempts.

        :func:`answer_code` reads the ``code`` the merchant answered.
        """
        return self.outbox.deliveries

    async def notifications_delivered(self, timeout: float = 10.0) -> None:
        """Wait until every notification sent so far is delivered or out of retries.

        Raises:
            TimeoutError: Some are still being delivered after ``timeout`` seconds.
        """
        await self.outbox.drain(timeout)

    async def webhooks_delivered(self, timeout: float = 10.0) -> None:
        """The same as :meth:`notifications_delivered`, by the name every emulator has."""
        await self.outbox.drain(timeout)

    # Seeding and playing the other side -------------------------------------------

    def add_transaction(
        self,
        *,
        amount: Decimal | int | str,
        created_at: datetime,
        status: str = "Completed",
        invoice_id: str | None = None,
        account_id: str | None = None,
        currency: str = "RUB",
    ) -> int:
        """Seed a payment made at ``created_at`` (timezone-aware) in ``status``; its id."""
        if created_at.tzinfo is None or created_at.utcoffset() is None:
            raise ValueError("created_at must be timezone-aware")
        if status not in STATUS_CODES:
            raise ValueError(f"status must be one of {sorted(STATUS_CODES)}")
        if currency not in fields.CURRENCY_CODES:
            raise ValueError(f"unknown currency {currency!r}")
        try:
            value = fields.amount({"Amount": str(amount)})
        except ApiError as exc:
            raise ValueError(f"amount: {exc}") from None
        payment = self._store.seed(
            amount=value,
            created_at=created_at,
            status=status,
            currency=currency,
            details={"InvoiceId": invoice_id, "AccountId": account_id},
        )
        return payment.transaction_id

    def add_token(self, card_number: str, *, account_id: str, expiry: str = "12/30") -> str:
        """A saved card token for ``account_id``, as if that card had paid before (e.g. 5051)."""
        return self._store.add_token(_card(card_number, expiry), account_id)

    def add_chargeback(
        self,
        transaction_id: int,
        *,
        amount: Decimal | None = None,
        created_at: datetime | None = None,
        reason_code: str = "4837",
        description: str = "No cardholder authorization",
        status: str = "Open",
        kind: str = "Chargeback",
    ) -> int:
        """A chargeback against a payment (of its whole amount by default, now); its number."""
        return self._history.add_chargeback(
            transaction_id,
            amount=amount,
            created_at=created_at,
            reason_code=reason_code,
            description=description,
            status=status,
            kind=kind,
        )

    def charge_subscription(self, subscription_id: str) -> int:
        """Run a subscription's next charge now, as its schedule would; the payment's id.

        The charge is announced by ``Pay`` or ``Fail``, and a change of the
        subscription's status (PastDue, Rejected, Expired, Active again) by ``Recurrent``.
        """
        return self._subscriptions.charge(subscription_id).transaction_id

    def pay_order(
        self, order_id: str, card_number: str = "4000000000003055", *, expiry: str = "12/30"
    ) -> int:
        """The payer pays an order by that card; the payment's id (announced by Pay or Fail)."""
        return self._orders.pay(order_id, _card(card_number, expiry)).transaction_id

    @property
    def payouts_in_process(self) -> bool:
        """Leave new payouts ``Created`` until :meth:`finish_payouts` (default: paid at once)."""
        return self._payouts.in_process

    @payouts_in_process.setter
    def payouts_in_process(self, value: bool) -> None:
        self._payouts.in_process = value

    def finish_payouts(self) -> list[int]:
        """Complete every payout left ``Created`` and announce each by ``Pay``; their ids."""
        return self._payouts.finish()

    # The application ----------------------------------------------------------

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        """Every emulated API method, plus the payer's pages (ACS, orders)."""
        api: dict[str, Operation] = {
            "/test": lambda body: {"Success": True, "Message": str(uuid.uuid4())},
            **self._payments.operations(),
            **self._payouts.operations(),
            **self._history.operations(),
            **self._subscriptions.operations(),
            **self._orders.operations(),
            **self._sbp.operations(),
            **self._receipts.operations(),
            **self._settings.operations(),
        }
        routes = [web.post(path, self._endpoint(operation)) for path, operation in api.items()]
        return [
            *routes,
            web.post(ACS_PATH, acs_handler(self._store)),
            web.get(ORDER_PAGE_PATH, self._orders.page),
        ]

    def middlewares(self) -> Iterable[Middleware]:
        """Authentication, then idempotent replay."""
        return [self._authenticate, self._replay.middleware]

    @staticmethod
    def _endpoint(operation: Operation) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            try:
                # Path parameters ({Type}) are parameters too, and the path has the last word.
                body = {**await read_body(request), **request.match_info}
                envelope = operation(body)
                if inspect.isawaitable(envelope):
                    envelope = await envelope
            except (ApiError, BodyError) as exc:
                envelope = {"Success": False, "Message": str(exc)}
            return _json_response(envelope)

        return handle

    def _credentials_ok(self, header: str | None) -> bool:
        scheme, _, encoded = (header or "").strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            credentials = base64.b64decode(encoded.strip(), validate=True)
        except binascii.Error:
            return False
        login, colon, password = credentials.partition(b":")
        login_ok = secrets.compare_digest(login, self.public_id.encode())
        password_ok = secrets.compare_digest(password, self.api_secret.encode())
        return bool(colon) and login_ok and password_ok

    @web.middleware
    async def _authenticate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not _for_the_payer(request) and not self._credentials_ok(
            request.headers.get("Authorization")
        ):
            return web.Response(status=401)
        return await handler(request)
