"""An in-memory Bank 131 API on loopback, as the bank documents it.

It verifies every request's ``X-PARTNER-SIGN`` with the partner's public key
(``authentication_error`` otherwise), signs every answer and webhook with its
own bank key, speaks API v1 and v2 (each version's names; v1-only methods only
under ``/api/v1``), dedupes ``X-PARTNER-IDEMPOTENCY-KEY`` for 24 hours with the
three documented errors, plays the session status machine (see
``_bank131_state``), posts signed webhooks to ``webhook_url`` through the
shared :attr:`~Bank131Emulator.outbox` (retried until HTTP 200 on a schedule
compressed by ``webhook_time_scale``) and injects faults through ``faults``
like every emulator. It makes its own RSA key pairs
unless given some::

    async with Bank131Emulator() as emu:
        async with Bank131(**emu.client_kwargs()) as client:
            result = await client.session.init_payout(...)

Test cards: ``4000000000003220`` asks for 3-D Secure (``action_required``; the
customer passes it by opening the redirect URL, or call
:meth:`Bank131Emulator.complete_customer_action`); ``4000000000000002`` is
declined by the issuer, ``4000000000009995`` has no funds, ``4000000000000069``
has expired; any other valid number succeeds. Payments by FPS QR wait for the
QR link to be opened. Holds: ``hold_payments=True`` (a project setting at the bank).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from aioacquiring.bank131.signing import KeyPair, Signer, generate_key_pair, load_public_key
from aioacquiring.bank131.signing import verify as verify_signature
from aioacquiring.testing._bank131_fields import ApiError, invalid
from aioacquiring.testing._bank131_idempotency import IdempotencyStore
from aioacquiring.testing._bank131_methods import Method, SessionMethods
from aioacquiring.testing._bank131_records import Session
from aioacquiring.testing._bank131_state import Store
from aioacquiring.testing._bank131_v1 import FPS_BANKS
from aioacquiring.testing._bank131_webhooks import RETRY_SCHEDULE, Delivery, WebhookSender
from aioacquiring.testing._wire import dumps, loads
from aioacquiring.testing.outbox import WebhookOutbox, only_200
from aioacquiring.testing.server import EmulatorServer

__all__ = ["FPS_BANKS", "RETRY_SCHEDULE", "Bank131Emulator", "Delivery"]


class Bank131Emulator(EmulatorServer):
    """A fake Bank 131, served at ``url`` inside ``async with Bank131Emulator()``.

    Args:
        project_id: The project the emulator knows (``X-PARTNER-PROJECT``).
        partner_keys: The partner's key pair (a new one when None); the
            emulator verifies requests with its public half and hands the
            private half to clients through :meth:`client_kwargs`.
        bank_keys: The bank's key pair (a new one when None): answers and
            webhooks are signed with it.
        webhook_url: Where to post webhooks (None: only record them).
        webhook_api_version: The names webhooks use (a v1 project gets v1's).
        webhook_schedule: Seconds before each retry of a webhook not answered
            HTTP 200 (:data:`RETRY_SCHEDULE`: 1, 2, 5, 10, 12 minutes, derived
            from the bank's "about 30 minutes").
        webhook_time_scale: Factor on that schedule (1e-4: the 30 minutes take 0.18 s).
        webhook_timeout: Seconds an attempt waits for the receiver's answer.
        confirm_payouts / confirm_payments: Wait for ``session/confirm``
            (``ready_to_confirm``) before executing (project settings at the bank).
        hold_payments: Card payments are holds (``ready_to_capture``).
        idempotency_ttl: Seconds an idempotency key is remembered (24 h).
        processing_delay: Seconds each request takes, to race keys in tests.
    """

    def __init__(
        self,
        *,
        project_id: str = "emulator_project",
        partner_keys: KeyPair | None = None,
        bank_keys: KeyPair | None = None,
        webhook_url: str | None = None,
        webhook_api_version: int = 2,
        webhook_schedule: Sequence[float] = RETRY_SCHEDULE,
        webhook_time_scale: float = 1e-4,
        webhook_timeout: float = 5.0,
        confirm_payouts: bool = True,
        confirm_payments: bool = True,
        hold_payments: bool = False,
        idempotency_ttl: float = 24 * 3600.0,
        processing_delay: float = 0.0,
        max_concurrency: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, max_concurrency=max_concurrency)
        self.project_id = project_id
        partner = partner_keys or generate_key_pair()
        bank = bank_keys or generate_key_pair()
        self.private_key_pem = partner.private_key_pem
        """The partner's private key (PEM), for the client under test."""
        self.partner_public_key_pem = partner.public_key_pem
        """The partner's public key: what the emulator verifies requests with."""
        self.bank_public_key_pem = bank.public_key_pem
        """The bank's public key: verify answers and webhooks with it."""
        self._partner_key = load_public_key(partner.public_key_pem, field="partner_keys")
        # The emulator's own key: skipping the (slow) consistency check of a key
        # it made itself or was handed by a test keeps a test's start-up cheap.
        bank_key = serialization.load_pem_private_key(
            bank.private_key_pem.encode(), password=None, unsafe_skip_rsa_key_validation=True
        )
        assert isinstance(bank_key, rsa.RSAPrivateKey)
        self._bank_signer = Signer(bank_key)
        self.webhook_api_version = webhook_api_version
        self.processing_delay = processing_delay
        self.outbox = WebhookOutbox(
            schedule=webhook_schedule,
            time_scale=webhook_time_scale,
            timeout=webhook_timeout,
            accepts=only_200,
            in_order=True,
            record_type=Delivery,
        )
        """Delivers the webhooks; ``duplicate_next()``/``reorder_next()`` make it misbehave."""
        self._webhooks = WebhookSender(sign=self.sign, outbox=self.outbox)
        self._webhooks.url = webhook_url
        self._store = Store(emit=self._emit, base_url=lambda: self.url)
        self._store.confirm_payouts = confirm_payouts
        self._store.confirm_payments = confirm_payments
        self._store.hold_payments = hold_payments
        self._keys = IdempotencyStore(ttl=idempotency_ttl)
        self._handlers = SessionMethods(self._store)
        self._methods = self._handlers.table()

    def __repr__(self) -> str:
        where = self.url if self.started else "not started"
        return f"Bank131Emulator(url={where!r}, project_id={self.project_id!r})"

    # What tests and users need -------------------------------------------------

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Bank131(...)`` pointed at this emulator."""
        return {
            "project_id": self.project_id,
            "private_key": self.private_key_pem,
            "bank_public_key": self.bank_public_key_pem,
            "base_url": self.url,
        }

    def sign(self, body: bytes) -> str:
        """The bank's ``X-PARTNER-SIGN`` for ``body``."""
        return self._bank_signer.sign(body)

    @property
    def webhook_url(self) -> str | None:
        """Where webhooks are posted (None: recorded only)."""
        return self._webhooks.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self._webhooks.url = url

    @property
    def webhooks(self) -> list[Delivery]:
        """Every webhook made, in order, with its delivery attempts (none while no URL was set)."""
        return list(self._webhooks.made)

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook the :attr:`outbox` sent or is sending, each with its attempts.

        Unlike :attr:`webhooks`, this holds duplicates sent on purpose and what
        :meth:`send_webhook` posted, and nothing made while no URL was set.
        """
        return [d for d in self.outbox.deliveries if isinstance(d, Delivery)]

    @property
    def hold_payments(self) -> bool:
        """Whether card payments are holds (``ready_to_capture``)."""
        return self._store.hold_payments

    @hold_payments.setter
    def hold_payments(self, value: bool) -> None:
        self._store.hold_payments = value

    def balance(self, currency: str = "rub") -> int:
        """The project's balance in minor units (payouts take from it)."""
        return self._store.balance.get(currency.lower(), 0)

    def set_balance(self, amount: int, currency: str = "rub") -> None:
        """Set the project's balance (minor units)."""
        self._store.balance[currency.lower()] = amount

    def session(self, session_id: str) -> dict[str, Any]:
        """A copy of a session as v2 answers show it."""
        return self._store.sessions[session_id].render(2)

    @property
    def payouts(self) -> list[dict[str, Any]]:
        """Every payout, as v2 answers show it, in creation order."""
        return self._operations("payout")

    @property
    def payments(self) -> list[dict[str, Any]]:
        """Every payment, as v2 answers show it, in creation order."""
        return self._operations("payment")

    @property
    def sessions(self) -> list[dict[str, Any]]:
        """Every session, as v2 answers show it, in creation order."""
        return [session.render(2) for session in self._store.sessions.values()]

    def inspect(self) -> dict[str, Any]:
        """What the emulator holds, as JSON-able data (served at ``/_emulator/state``)."""
        return {
            "sessions": self.sessions,
            "payouts": self.payouts,
            "payments": self.payments,
            "balance": dict(self._store.balance),
        }

    def _operations(self, kind: str) -> list[dict[str, Any]]:
        return [
            operation.render(2)
            for session in self._store.sessions.values()
            for operation in session.operations
            if operation.kind == kind
        ]

    def add_card_token(self, number: str) -> str:
        """A ``tokenized_card`` token for ``number``, as if the customer saved the card."""
        token = "ct_" + secrets.token_hex(12)
        self._store.card_tokens[token] = number
        return token

    def requests_seen(self, path: str | None = None) -> int:
        """How many requests arrived for ``path`` (all paths when None), whatever the answer."""
        return self.faults.requests_seen(path)

    def complete_customer_action(self, session_id: str) -> None:
        """The customer passes 3-D Secure / pays the QR of the session's waiting payment."""
        session = self._store.sessions[session_id]
        waiting = [op for op in session.operations if op.customer_interaction is not None]
        if not waiting:
            raise ValueError(f"no payment of {session_id} waits for the customer")
        self._store.customer_acted(waiting[-1].id)
        self._store.run_deferred()

    async def wait_for_webhooks(self, timeout: float = 10.0) -> None:
        """Wait until every webhook sent so far is delivered or out of retries.

        Raises:
            TimeoutError: Some are still being delivered after ``timeout`` seconds.
        """
        await self.outbox.drain(timeout)

    async def webhooks_delivered(self, timeout: float = 10.0) -> None:
        """The same as :meth:`wait_for_webhooks`, by the name every emulator has."""
        await self.outbox.drain(timeout)

    async def send_webhook(
        self, payload: Mapping[str, Any] | bytes, *, signature: str | None = None
    ) -> int | None:
        """Post any webhook now (signed by the bank unless ``signature`` is given).

        For testing receivers: unknown types, tampered bodies, forged signatures.
        """
        body = payload if isinstance(payload, bytes) else dumps(dict(payload))
        return await self._webhooks.post(body, signature=signature or self.sign(body))

    async def close(self) -> None:
        """Stop serving and stop delivering webhooks."""
        await self.outbox.close()
        await super().close()

    # The application ------------------------------------------------------------

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        """The API under ``/api/v1`` and ``/api/v2``, and the customer's pages."""
        return [
            web.route("*", r"/api/v{version:\d+}/{method:.+}", self._handle),
            web.get("/acs/{operation}", self._customer_page),
            web.get("/qr/{operation}", self._customer_page),
        ]

    @property
    def replayed_requests(self) -> int:
        """Requests answered from the idempotency store instead of being processed."""
        return self._keys.replayed

    def _emit(self, kind: str, session: Session) -> None:
        payload: dict[str, Any] = {
            "type": kind,
            "session": session.render(self.webhook_api_version),
        }
        information = session.rendered_confirm_information(self.webhook_api_version)
        if kind == "ready_to_confirm" and information is not None:
            payload["confirm_information"] = information
        self._webhooks.send(payload)

    def _respond(self, status: int, answer: dict[str, Any]) -> web.Response:
        body = dumps(answer)
        return self._signed(status, body)

    def _signed(self, status: int, body: bytes) -> web.Response:
        return web.Response(
            status=status,
            body=body,
            content_type="application/json",
            headers={"X-PARTNER-SIGN": self.sign(body)},
        )

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        version = int(request.match_info["version"])
        method_name = request.match_info["method"]
        try:
            self._authenticate(request, raw)
            method = self._methods.get(method_name)
            if (
                version not in (1, 2)
                or method is None
                or (method.v1_only and version != 1)
                or request.method != method.http_method
            ):
                raise ApiError(
                    "invalid_request", f"No method {request.method} {request.path}", http_status=404
                )
            body = _parse(raw)
            key = request.headers.get("X-PARTNER-IDEMPOTENCY-KEY")
            if key is None:
                return await self._run(method, body, version)
            return await self._keys.run(
                key,
                method=f"v{version}/{method_name}",
                body=body,
                supported=method.idempotent,
                call=lambda: self._run(method, body, version),
                replay=lambda answer: self._signed(200, answer),
            )
        except ApiError as exc:
            return self._respond(exc.http_status, exc.answer())

    def _authenticate(self, request: web.Request, raw: bytes) -> None:
        project = request.headers.get("X-PARTNER-PROJECT")
        if not project or not secrets.compare_digest(project, self.project_id):
            raise ApiError("identification_error", "Unknown project", http_status=401)
        signed = raw if raw else b"{}"  # an empty request is {} by convention
        if not verify_signature(signed, request.headers.get("X-PARTNER-SIGN"), self._partner_key):
            raise ApiError(
                "authentication_error", "The request signature is not valid", http_status=401
            )

    async def _run(self, method: Method, body: dict[str, Any], version: int) -> web.Response:
        if self.processing_delay:
            await asyncio.sleep(self.processing_delay)
        try:
            answer = method.handler(body, version)
        except ApiError:
            self._store.discard_deferred()
            raise
        # The bank works on after answering: the answer shows the state the call
        # left, and the deferred steps (checks, webhooks) happen right after it.
        response = self._respond(200, {"status": "ok", **answer})
        self._store.run_deferred()
        return response

    async def _customer_page(self, request: web.Request) -> web.Response:
        try:
            self._store.customer_acted(request.match_info["operation"])
            self._store.run_deferred()
        except ApiError as exc:
            return web.Response(status=exc.http_status, text=exc.description)
        return web.Response(text="Done: you may return to the shop.", content_type="text/plain")

    # Methods -----------------------------------------------------------------------


def _parse(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        body = loads(raw)
    except (ValueError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid("The request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object")
    return body
