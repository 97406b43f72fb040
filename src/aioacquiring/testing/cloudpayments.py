"""An in-memory CloudPayments API on loopback, faithful to the API reference.

It checks HTTP Basic credentials, keeps to the concurrency cap (HTTP 429 above
it), plays 3-D Secure through a fake ACS page, declines the documented test
cards, pages ``/v2/payments/list`` 100 at a time and replays answers by
``X-Request-ID`` for ``idempotency_ttl`` seconds. It speaks raw JSON and knows
nothing of the SDK's client::

    async with CloudPaymentsEmulator() as emu:
        async with CloudPayments(
            public_id=emu.public_id, api_secret=emu.api_secret, base_url=emu.url
        ) as client:
            await client.payments.cards_charge(
                amount=Decimal("100"),
                ip_address="203.0.113.7",
                card_cryptogram_packet=test_cryptogram("4000000000003055"),
            )
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import html
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from aioacquiring.testing import _cloudpayments_fields as fields
from aioacquiring.testing._cloudpayments_cards import decode_cryptogram, test_cryptogram
from aioacquiring.testing._cloudpayments_fields import ApiError
from aioacquiring.testing._cloudpayments_state import STATUS_CODES, Payment, Store
from aioacquiring.testing._wire import BodyError, dumps, loads, read_body
from aioacquiring.testing.server import EmulatorServer

__all__ = ["CloudPaymentsEmulator", "test_cryptogram"]

_Operation = Callable[[dict[str, Any]], dict[str, Any]]
_DETAILS = ("InvoiceId", "AccountId", "Email", "Description", "Name", "IpAddress")
_LIST_STATUSES = ("Authorized", "Completed", "Cancelled", "Declined")
_ACS_PATH = "/acs"


@dataclass
class _Stored:
    expires_at: float
    body: bytes


@dataclass
class _KeyLock:
    lock: asyncio.Lock
    users: int = 0


def _accepted(model: Any) -> dict[str, Any]:
    return {"Model": model, "Success": True, "Message": None}


def _succeeded(body: bytes) -> bool:
    try:
        answer = loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("Success") is True


def _json_response(envelope: dict[str, Any]) -> web.Response:
    return web.Response(body=dumps(envelope), content_type="application/json", charset="utf-8")


class CloudPaymentsEmulator(EmulatorServer):
    """A fake CloudPayments API, served at ``url`` inside ``async with CloudPaymentsEmulator()``.

    Use ``emu.public_id`` / ``emu.api_secret`` as the client's credentials, cards
    from :func:`test_cryptogram`, ``emu.faults`` to script failures, and the
    inspection helpers (:attr:`transactions`, :attr:`refunds`,
    :meth:`requests_seen`) to check what the client did.
    """

    def __init__(
        self,
        *,
        public_id: str = "pk_test_emulator",
        api_secret: str = "emulator_api_secret",
        max_concurrency: int | None = 5,
        idempotency_ttl: float = 3600.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, max_concurrency=max_concurrency)
        self.public_id = public_id
        self.api_secret = api_secret
        self.idempotency_ttl = idempotency_ttl
        """Seconds an answer is replayed for the same ``X-Request-ID`` (the API keeps 1 hour)."""
        self.replayed_requests = 0
        """Requests answered from the idempotency store instead of being processed."""
        self._store = Store()
        self._answers: dict[str, _Stored] = {}
        self._key_locks: dict[str, _KeyLock] = {}

    def __repr__(self) -> str:
        where = self.url if self.started else "not started"
        return f"{type(self).__name__}(url={where!r}, public_id={self.public_id!r})"

    # Inspection for tests ------------------------------------------------------

    @property
    def transactions(self) -> list[dict[str, Any]]:
        """Copies of every payment transaction (not refunds), in creation order."""
        return [payment.model() for payment in self._store.payments.values()]

    @property
    def refunds(self) -> list[dict[str, Any]]:
        """Copies of every refund transaction, in creation order."""
        return [refund.model() for refund in self._store.refunds.values()]

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

    def add_token(
        self,
        card_number: str,
        *,
        account_id: str,
        expiry: str = "12/30",
    ) -> str:
        """A card token for ``account_id``, as if that card had paid before (e.g. a 5051 card)."""
        card = decode_cryptogram(test_cryptogram(card_number, expiry=expiry))
        assert card is not None
        return self._store.add_token(card, account_id)

    # The application ----------------------------------------------------------

    def routes(self) -> Iterable[web.AbstractRouteDef]:
        """Every emulated API method, plus the fake ACS page."""
        api: dict[str, _Operation] = {
            "/test": self._test,
            "/payments/cards/charge": lambda body: self._cards(body, two_stage=False),
            "/payments/cards/auth": lambda body: self._cards(body, two_stage=True),
            "/payments/cards/post3ds": self._post3ds,
            "/payments/tokens/charge": lambda body: self._tokens(body, two_stage=False),
            "/payments/tokens/auth": lambda body: self._tokens(body, two_stage=True),
            "/payments/confirm": self._confirm,
            "/payments/void": self._void,
            "/payments/refund": self._refund,
            "/payments/get": self._get,
            "/payments/find": self._find,
            "/v2/payments/find": self._find,
            "/v2/payments/list": self._list,
        }
        routes = [web.post(path, self._endpoint(operation)) for path, operation in api.items()]
        return [*routes, web.post(_ACS_PATH, self._acs)]

    def middlewares(self) -> Iterable[Middleware]:
        """Authentication, then idempotent replay."""
        return [self._authenticate, self._idempotency]

    @staticmethod
    def _endpoint(operation: _Operation) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            try:
                envelope = operation(await read_body(request))
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
        if request.path != _ACS_PATH and not self._credentials_ok(
            request.headers.get("Authorization")
        ):
            return web.Response(status=401)
        return await handler(request)

    @web.middleware
    async def _idempotency(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        key = request.headers.get("X-Request-ID", "")
        if not key or request.path == _ACS_PATH:
            return await handler(request)
        entry = self._key_locks.setdefault(key, _KeyLock(asyncio.Lock()))
        entry.users += 1
        try:
            async with entry.lock:  # the same key twice at once: the second waits and replays
                now = time.monotonic()
                self._answers = {k: v for k, v in self._answers.items() if v.expires_at > now}
                stored = self._answers.get(key)
                if stored is not None:
                    self.replayed_requests += 1
                    return web.Response(
                        body=stored.body, content_type="application/json", charset="utf-8"
                    )
                response = await handler(request)
                body = response.body if isinstance(response, web.Response) else None
                # Only successful answers are kept, as the API documents.
                if isinstance(body, bytes) and response.status == 200 and _succeeded(body):
                    self._answers[key] = _Stored(now + self.idempotency_ttl, body)
                return response
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._key_locks[key]

    # Payment methods ------------------------------------------------------------

    def _test(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"Success": True, "Message": str(uuid.uuid4())}

    def _answer(self, payment: Payment) -> dict[str, Any]:
        """Accepted, declined, or a 3-D Secure challenge, as the API frames each."""
        if payment.status == "AwaitingAuthentication":
            challenge = {
                "TransactionId": payment.transaction_id,
                "PaReq": payment.pa_req,
                "AcsUrl": self.url + _ACS_PATH,
                "GoReq": None,
                "ThreeDsSessionData": None,
                "IFrameIsAllowed": True,
                "FrameWidth": None,
                "FrameHeight": None,
            }
            return {"Model": challenge, "Success": False, "Message": None}
        success = payment.status != "Declined"
        return {"Model": payment.model(), "Success": success, "Message": None}

    @staticmethod
    def _request(body: dict[str, Any], *, two_stage: bool) -> dict[str, Any]:
        amount = fields.amount(body)
        return {
            "amount": amount,
            "currency": fields.currency(body),
            "two_stage": two_stage,
            "details": {key: fields.optional_str(body, key) for key in _DETAILS},
            "json_data": fields.json_data(body),
            "culture_name": fields.optional_str(body, "CultureName"),
        }

    def _cards(self, body: dict[str, Any], *, two_stage: bool) -> dict[str, Any]:
        request = self._request(body, two_stage=two_stage)
        fields.required_str(body, "IpAddress")
        card = decode_cryptogram(fields.required_str(body, "CardCryptogramPacket"))
        if card is None:
            raise ApiError("Invalid CardCryptogramPacket")
        return self._answer(self._store.pay_by_card(card, **request))

    def _post3ds(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction_id = fields.positive_int(body, "TransactionId")
        pa_res = fields.required_str(body, "PaRes")
        return self._answer(self._store.finish_3ds(transaction_id, pa_res))

    def _tokens(self, body: dict[str, Any], *, two_stage: bool) -> dict[str, Any]:
        request = self._request(body, two_stage=two_stage)
        account_id = fields.required_str(body, "AccountId")
        token = fields.required_str(body, "Token")
        fields.choice(body, "TrInitiatorCode", (0, 1), required=True)
        fields.choice(body, "PaymentScheduled", (0, 1), required=False)
        return self._answer(self._store.pay_by_token(token, account_id, **request))

    def _confirm(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction_id = fields.positive_int(body, "TransactionId")
        self._store.confirm(transaction_id, fields.amount(body))
        return _accepted(None)

    def _void(self, body: dict[str, Any]) -> dict[str, Any]:
        self._store.void(fields.positive_int(body, "TransactionId"))
        return _accepted(None)

    def _refund(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction_id = fields.positive_int(body, "TransactionId")
        refund = self._store.refund(transaction_id, fields.amount(body))
        return _accepted({"TransactionId": refund.transaction_id})

    def _get(self, body: dict[str, Any]) -> dict[str, Any]:
        transaction_id = fields.positive_int(body, "TransactionId")
        refund = self._store.refunds.get(transaction_id)
        if refund is not None:
            return _accepted(refund.model())
        return _accepted(self._store.payment(transaction_id).model())

    def _find(self, body: dict[str, Any]) -> dict[str, Any]:
        invoice_id = fields.required_str(body, "InvoiceId")
        return _accepted(self._store.find(invoice_id).model())

    def _list(self, body: dict[str, Any]) -> dict[str, Any]:
        gte = fields.iso_datetime(body, "CreatedDateGte")
        lte = fields.iso_datetime(body, "CreatedDateLte")
        page_number = fields.positive_int(body, "PageNumber")
        statuses = fields.string_list(body, "Statuses", _LIST_STATUSES)
        fields.optional_str(body, "TimeZone")  # accepted; dates are answered in UTC
        page = self._store.page(gte, lte, page_number, statuses)
        return _accepted([payment.model(json_data_as_text=True) for payment in page])

    # The fake ACS ----------------------------------------------------------------

    async def _acs(self, request: web.Request) -> web.Response:
        """The bank's 3-D Secure page: posts MD and PaRes back to TermUrl at once."""
        form = await request.post()
        md, pa_req, term_url = (form.get(name) for name in ("MD", "PaReq", "TermUrl"))
        if not (isinstance(md, str) and isinstance(pa_req, str) and isinstance(term_url, str)):
            return web.Response(status=400, text="MD, PaReq and TermUrl are required")
        payment = self._store.payments.get(int(md)) if md.strip().isdigit() else None
        if payment is None or payment.pa_req is None or payment.pa_req != pa_req:
            return web.Response(status=400, text="Unknown MD or PaReq")
        assert payment.pa_res is not None
        page = _ACS_PAGE.format(
            term_url=html.escape(term_url),
            md=html.escape(md),
            pa_res=html.escape(payment.pa_res),
        )
        return web.Response(text=page, content_type="text/html")


_ACS_PAGE = """<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>3-D Secure (CloudPayments emulator)</title></head>
<body onload="document.forms[0].submit()">
<p>Authentication passed. Returning to the shop...</p>
<form method="POST" action="{term_url}">
<input type="hidden" name="MD" value="{md}">
<input type="hidden" name="PaRes" value="{pa_res}">
<noscript><button type="submit">Continue</button></noscript>
</form>
</body>
</html>
"""
