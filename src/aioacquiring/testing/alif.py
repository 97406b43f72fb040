"""An in-memory Alif Acquiring API on loopback, following the seed's protocol.

Every method is ``POST /<method>`` with a JSON body; every answer is HTTP 200
with ``{"code": 1000, "data": ...}`` or ``{"code": <error>, "message": ...}``.
The emulator checks header ``token`` on every call and ``signature`` (lowercase
hex HMAC-SHA256 of the raw body under the secret key) on the signed ones
(1002 otherwise); keeps sessions (5 hours, one successful payment), payments,
cards, holds, transfers and subscriptions; plays OTPs (every code is
:data:`TEST_OTP`, ``"123456"``, unless another is given); dedupes the calls that
carry ``external_id`` (same parameters: the first answer again; different
ones: 1005); pages lists by ``page``/``per_page``; and POSTs signed webhooks
through the shared :attr:`~AlifEmulator.outbox` (retried until HTTP 200 on a
schedule compressed by ``webhook_time_scale``).
Test cards decide outcomes (see :data:`TEST_CARDS`)::

    async with AlifEmulator() as emu:
        async with Alif(token=emu.token, secret_key=emu.secret_key, base_url=emu.url) as alif:
            session = await alif.checkout.session_create(
                items=[SessionItem(name="Tea", price=1_500_000, amount=2)],
                redirect_url="https://shop.example/done",
            )
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import html
import json
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import web

from aioacquiring.testing._alif_cards import (
    TEST_CARDS,
    TEST_OTP,
    new_card,
)
from aioacquiring.testing._alif_checkout import CardSection, CheckoutSection
from aioacquiring.testing._alif_fields import ApiError
from aioacquiring.testing._alif_money import DebitSection, P2pSection, RecurringSection
from aioacquiring.testing._alif_state import Ledger
from aioacquiring.testing._alif_webhooks import RETRY_SCHEDULE, Delivery, WebhookSender
from aioacquiring.testing._wire import dumps, loads
from aioacquiring.testing.outbox import WebhookOutbox, only_200
from aioacquiring.testing.server import EmulatorServer

__all__ = ["RETRY_SCHEDULE", "TEST_CARDS", "TEST_OTP", "AlifEmulator", "Delivery"]

_Handler = Callable[[dict[str, Any]], Any]
_PAY_PATH = "/pay"

DEDUPED = frozenset(
    {
        "debit.payment.create",
        "debit.hold.create",
        "p2p.transfer.create",
        "recurring.subscription.create",
    }
)
"""The methods Alif dedupes by ``external_id`` (derived)."""


@dataclass(frozen=True)
class _Method:
    handler: _Handler
    signed: bool


@dataclass(frozen=True)
class _Answer:
    fingerprint: str
    body: bytes


def _json(envelope: dict[str, Any]) -> web.Response:
    return web.Response(body=dumps(envelope), content_type="application/json", charset="utf-8")


def _fingerprint(body: dict[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


class AlifEmulator(EmulatorServer):
    """A fake Alif Acquiring API, served at ``url`` inside ``async with AlifEmulator()``.

    Use ``emu.token`` / ``emu.secret_key`` as the client's credentials, the
    cards of :data:`TEST_CARDS` and the OTP :attr:`otp`, ``emu.faults`` to
    script failures (:meth:`fail_next_code` for an envelope error such as
    1003), and the inspection helpers (:attr:`payments`, :attr:`transfers`,
    :attr:`deliveries`, ...) to check what the client did.

    Args:
        token: The merchant token the emulator accepts.
        secret_key: The key requests must be signed with, and webhooks are signed with.
        webhook_url: Where events go when their object names no ``webhook_url``.
        webhook_signature: ``"base64"`` (as Alif's live API) or ``"hex"``.
        webhook_schedule: Seconds before each retry of a webhook not answered
            HTTP 200 (:data:`RETRY_SCHEDULE`: 1, 5, 15, 30 minutes; derived,
            Alif publishes none).
        webhook_time_scale: Factor on that schedule (1e-4: the 51 minutes take 0.3 s).
        webhook_timeout: Seconds an attempt waits for the receiver's answer.
        otp: The code every OTP "SMS" carries.
        otp_ttl: Seconds an OTP stays valid.
        p2p_otp_threshold: Transfers of at least this amount (minor units) need an OTP.
        max_concurrency: Requests allowed in flight at once (HTTP 429 above); no cap by default.
    """

    def __init__(
        self,
        *,
        token: str = "alif_test_token",
        secret_key: str = "alif_test_secret_key",
        webhook_url: str | None = None,
        webhook_signature: str = "base64",
        webhook_schedule: Sequence[float] = RETRY_SCHEDULE,
        webhook_time_scale: float = 1e-4,
        webhook_timeout: float = 5.0,
        otp: str = TEST_OTP,
        otp_ttl: float = 300.0,
        p2p_otp_threshold: int = 10_000_000,
        max_concurrency: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, max_concurrency=max_concurrency)
        self.token = token
        self.secret_key = secret_key
        self.otp = otp
        self.replayed_requests = 0
        """Calls answered from the ``external_id`` store instead of being processed again."""
        self.events: list[tuple[str, dict[str, Any]]] = []
        """Every event the emulator raised, (name, data), whether or not it had a URL."""
        self.outbox = WebhookOutbox(
            schedule=webhook_schedule,
            time_scale=webhook_time_scale,
            timeout=webhook_timeout,
            accepts=only_200,
            in_order=True,
            record_type=Delivery,
        )
        """Delivers the webhooks; ``duplicate_next()``/``reorder_next()`` make it misbehave."""
        self._sender = WebhookSender(
            secret_key, outbox=self.outbox, default_url=webhook_url, encoding=webhook_signature
        )
        self._ledger = Ledger(notify=self._notify, otp=otp, otp_ttl=otp_ttl)
        self._checkout = CheckoutSection(self._ledger, checkout_base=lambda: self.url + _PAY_PATH)
        self._cards = CardSection(self._ledger)
        self._debit = DebitSection(self._ledger)
        self._p2p = P2pSection(self._ledger, otp_threshold=p2p_otp_threshold)
        self._recurring = RecurringSection(self._ledger)
        self._answers: dict[tuple[str, str], _Answer] = {}
        self._methods = self._catalogue()

    def __repr__(self) -> str:
        where = self.url if self.started else "not started"
        return f"{type(self).__name__}(url={where!r})"

    @property
    def webhook_url(self) -> str | None:
        """Where events go when their object names no ``webhook_url``."""
        return self._sender.default_url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self._sender.default_url = url

    # Inspection for tests ------------------------------------------------------------

    @property
    def payments(self) -> list[dict[str, Any]]:
        """Every payment (checkout, debit, capture, subscription charge), as the API shows it."""
        return [p.wire() for p in self._ledger.payments.values()]

    @property
    def transfers(self) -> list[dict[str, Any]]:
        """Every transfer, as the API shows it."""
        return [t.wire() for t in self._ledger.transfers.values()]

    @property
    def holds(self) -> list[dict[str, Any]]:
        """Every hold, as the API shows it."""
        return [h.wire() for h in self._debit.holds.values()]

    @property
    def cards(self) -> list[dict[str, Any]]:
        """Every card, bound or being bound, as the API shows it."""
        return [c.wire() for c in self._ledger.cards.values()]

    @property
    def sessions(self) -> list[dict[str, Any]]:
        """Every checkout session, as the API shows it."""
        now = self._ledger.now()
        return [s.wire(now) for s in self._checkout.sessions.values()]

    @property
    def subscriptions(self) -> list[dict[str, Any]]:
        """Every subscription, as the API shows it."""
        return [s.wire() for s in self._recurring.subscriptions.values()]

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook POSTed so far (duplicates included), each with its attempts."""
        return [d for d in self.outbox.deliveries if isinstance(d, Delivery)]

    def inspect(self) -> dict[str, Any]:
        """What the emulator holds, as JSON-able data (served at ``/_emulator/state``)."""
        return {
            "sessions": self.sessions,
            "payments": self.payments,
            "cards": self.cards,
            "holds": self.holds,
            "transfers": self.transfers,
            "subscriptions": self.subscriptions,
            "events": [{"event": name, "data": data} for name, data in self.events],
        }

    def requests_seen(self, path: str | None = None) -> int:
        """How many requests arrived for ``path`` (all paths when None), whatever the answer."""
        return self.faults.requests_seen(path)

    # Driving the emulator --------------------------------------------------------------

    def advance(self, delta: timedelta | float) -> None:
        """Move the emulator's clock on (seconds or a timedelta): sessions, OTPs, holds expire."""
        self._ledger.advance(delta if isinstance(delta, timedelta) else timedelta(seconds=delta))

    def charge_subscriptions(self) -> int:
        """Make every subscription charge due by the emulator's clock; how many were attempted."""
        return self._recurring.run_due()

    def add_card(self, pan: str = "8600140214357387", *, exp: str = "1299", phone: str = "") -> str:
        """Bind a card directly (as if its OTP had been confirmed); its token."""
        card = new_card(pan, exp, phone, self._ledger.now(), status="ACTIVE")
        self._ledger.cards[card.token] = card
        return card.token

    def fail_next_code(
        self,
        code: int,
        message: str = "internal error",
        *,
        count: int = 1,
        method: str | None = None,
    ) -> None:
        """Answer the next ``count`` calls (of ``method`` only) with ``code``, unprocessed."""
        self.faults.fail_next(
            count,
            status=200,
            body=dumps({"code": code, "message": message}),
            content_type="application/json",
            path=None if method is None else f"/{method}",
        )

    async def wait_webhooks(self, timeout: float = 5.0) -> None:
        """Wait until every webhook so far was delivered or used up its attempts.

        Raises:
            TimeoutError: Some are still being delivered after ``timeout`` seconds.
        """
        await self.outbox.drain(timeout)

    async def webhooks_delivered(self, timeout: float = 10.0) -> None:
        """The same as :meth:`wait_webhooks`, by the name every emulator has."""
        await self.outbox.drain(timeout)

    async def close(self) -> None:
        """Stop serving, after giving webhooks in flight a moment to arrive."""
        with contextlib.suppress(TimeoutError):
            await self.outbox.drain(timeout=1.0)
        await self.outbox.close()
        await super().close()

    def _notify(self, url: str | None, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))
        self._sender.send(url, event, data)

    # The application ------------------------------------------------------------------

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        """Every RPC method at ``/<method>``, and the hosted checkout page at ``/pay/<ref>``."""
        return [
            web.get(_PAY_PATH + "/{ref}", self._hosted_page),
            web.route("*", "/{method}", self._rpc),
        ]

    def _catalogue(self) -> dict[str, _Method]:
        co, card, debit, p2p, rec = (
            self._checkout, self._cards, self._debit, self._p2p, self._recurring,
        )  # fmt: skip
        signed: dict[str, _Handler] = {
            "checkout.session.create": co.session_create,
            "checkout.payment.create": co.payment_create,
            "checkout.payment.confirm": co.payment_confirm,
            "checkout.payment.refund": co.payment_refund,
            "card.token.create": card.token_create,
            "card.token.confirm": card.token_confirm,
            "card.token.delete": card.token_delete,
            "debit.payment.create": debit.payment_create,
            "debit.payment.reverse": debit.payment_reverse,
            "debit.hold.create": debit.hold_create,
            "debit.hold.capture": debit.hold_capture,
            "debit.hold.dismiss": debit.hold_dismiss,
            "p2p.transfer.create": p2p.transfer_create,
            "p2p.transfer.confirm": p2p.transfer_confirm,
            "recurring.subscription.create": rec.subscription_create,
            "recurring.subscription.update": rec.subscription_update,
            "recurring.subscription.cancel": rec.subscription_cancel,
        }
        unsigned: dict[str, _Handler] = {
            "checkout.session.get": co.session_get,
            "checkout.session.list": co.session_list,
            "checkout.payment.get": co.payment_get,
            "card.token.get": card.token_get,
            "card.token.list": card.token_list,
            "debit.payment.get": debit.payment_get,
            "debit.payment.list": debit.payment_list,
            "debit.hold.get": debit.hold_get,
            "p2p.receiver.check": p2p.receiver_check,
            "p2p.transfer.get": p2p.transfer_get,
            "p2p.transfer.list": p2p.transfer_list,
            "recurring.subscription.get": rec.subscription_get,
            "recurring.subscription.list": rec.subscription_list,
            "recurring.charge.list": rec.charge_list,
        }
        methods = {name: _Method(handler, signed=True) for name, handler in signed.items()}
        methods.update({name: _Method(handler, signed=False) for name, handler in unsigned.items()})
        return methods

    def _signature_ok(self, raw: bytes, given: str | None) -> bool:
        expected = hmac.new(self.secret_key.encode(), raw, hashlib.sha256).hexdigest()
        return secrets.compare_digest(expected.encode(), (given or "").strip().lower().encode())

    async def _rpc(self, request: web.Request) -> web.Response:
        try:
            return _json(await self._call(request))
        except ApiError as error:
            return _json(error.envelope())

    async def _call(self, request: web.Request) -> dict[str, Any]:
        raw = await request.read()
        if request.method != "POST":
            raise ApiError(1001, "every method is called with POST")
        token = request.headers.get("token", "")
        if not secrets.compare_digest(token.encode(), self.token.encode()):
            raise ApiError(1002, "unauthorized")
        name = request.match_info["method"]
        method = self._methods.get(name)
        if method is None:
            raise ApiError(1004, f"unknown method {name}")
        if method.signed and not self._signature_ok(raw, request.headers.get("signature")):
            raise ApiError(1002, "unauthorized: the signature does not match the body")
        try:
            body = loads(raw) if raw.strip() else {}
        except (ValueError, UnicodeDecodeError):
            raise ApiError(1001, "the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise ApiError(1001, "the body must be a JSON object")
        if name not in DEDUPED:
            return {"code": 1000, "data": method.handler(body)}
        return self._deduped(name, method, body)

    def _deduped(self, name: str, method: _Method, body: dict[str, Any]) -> dict[str, Any]:
        external_id = body.get("external_id")
        if not isinstance(external_id, str) or not external_id.strip():
            raise ApiError(1001, "external_id is required and must be a non-empty string")
        fingerprint = _fingerprint(body)
        stored = self._answers.get((name, external_id))
        if stored is not None:
            if stored.fingerprint != fingerprint:
                raise ApiError(1005, "external_id was already used with different parameters")
            self.replayed_requests += 1
            answer: dict[str, Any] = loads(stored.body)
            return answer
        try:
            envelope: dict[str, Any] = {"code": 1000, "data": method.handler(body)}
        except ApiError as error:
            if error.code == 1001:
                raise  # nothing was done: a corrected request may reuse the external_id
            envelope = error.envelope()
        self._answers[(name, external_id)] = _Answer(fingerprint, dumps(envelope))
        return envelope

    async def _hosted_page(self, request: web.Request) -> web.Response:
        session = self._checkout.sessions.get(request.match_info["ref"])
        if session is None:
            return web.Response(status=404, text="No such checkout session")
        lines = "".join(
            f"<li>{html.escape(item['name'])}: {item['amount']} x {item['price']}</li>"
            for item in session.items
        )
        status = session.status(self._ledger.now())
        page = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'>"
            "<title>Alif checkout (emulator)</title></head><body>"
            f"<h1>Order {html.escape(session.ref)}: {session.amount} tiyin ({status})</h1>"
            f"<ul>{lines}</ul><p>Pay with checkout.payment.create.</p></body></html>"
        )
        return web.Response(text=page, content_type="text/html")
