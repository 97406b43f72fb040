"""Bank 131 requests on the wire: signatures, versions, idempotency keys, retries and errors."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aioacquiring import (
    AuthenticationError,
    IdempotencyConflictError,
    InvalidInputError,
    InvalidRequestError,
    InvalidResponseError,
    ProviderError,
    ProviderInternalError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
)
from aioacquiring.bank131 import (
    AcquiringWidget,
    Bank131,
    Bank131AuthenticationError,
    Bank131Error,
    Bank131InternalError,
    CardDeclinedError,
    Customer,
    IdempotencyKeyInProgressError,
    IdempotencyKeyNotSupportedError,
    IdempotencyParamsMismatchError,
    InsufficientFundsError,
    OperationRejectedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RefundAmountTooLargeError,
    SessionCancelledError,
    SessionWrongStateError,
    amount,
    card,
    generate_key_pair,
    recipient,
)
from aioacquiring.bank131.errors import error_from_answer
from aioacquiring.bank131.resources import SESSION_STATUS
from aioacquiring.models.bank131 import SessionIdRequest
from aioacquiring.testing.bank131 import Bank131Emulator

from .test_bank131_signing import bank_keys, client_for, emulator, independent_verify, partner_keys

FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_cap=0.05, deadline=10)
PAYOUT = "/api/v2/session/init/payout"
SESSION = {"id": "ps_1", "status": "in_progress"}


def payout_args(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "payout_details": card("4242424242424242"),
        "amount_details": amount(100),
        "participant_details": recipient(full_name="Ivan Ivanov"),
    }
    args.update(overrides)
    return args


class Wire:
    """What went over the wire, through aiohttp's public tracing hooks."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._start)
        self.config.on_request_chunk_sent.append(self._chunk)

    async def _start(self, session: Any, context: SimpleNamespace, params: Any) -> None:
        self.sent.append(
            {
                "method": params.method,
                "url": str(params.url),
                "headers": dict(params.headers),
                "body": b"",
            }
        )

    async def _chunk(self, session: Any, context: SimpleNamespace, params: Any) -> None:
        self.sent[-1]["body"] += bytes(params.chunk)


@pytest.fixture
async def emu() -> AsyncIterator[Bank131Emulator]:
    async with emulator() as server:
        yield server


@asynccontextmanager
async def wired(emu_url: str, **options: Any) -> AsyncIterator[tuple[Bank131, Wire]]:
    wire = Wire()
    async with aiohttp.ClientSession(trace_configs=[wire.config]) as session:
        options.setdefault("project_id", "emulator_project")
        options.setdefault("private_key", partner_keys().private_key_pem)
        options.setdefault("bank_public_key", bank_keys().public_key_pem)
        options.setdefault("retry", FAST)
        async with Bank131(base_url=emu_url, session=session, **options) as client:
            yield client, wire


class Scripted:
    """A loopback server that answers with scripted (status, body, headers) and records requests."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, bytes, dict[str, str]]] = []
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.url = ""

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers.append((status, raw, headers or {}))

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            (request.method, request.path, dict(request.headers), await request.read())
        )
        status, body, headers = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return web.Response(
            status=status, body=body, headers=headers, content_type="application/json"
        )


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    server = Scripted()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield server
    finally:
        await runner.cleanup()


def scripted_client(server: Scripted, **options: Any) -> Bank131:
    options.setdefault("retry", FAST)
    return Bank131(
        project_id="proj",
        private_key=partner_keys().private_key_pem,
        bank_public_key=bank_keys().public_key_pem,
        base_url=server.url,
        **options,
    )


# Signatures and the shape of requests ---------------------------------------------


async def test_every_request_is_signed_over_the_exact_bytes_sent(emu: Bank131Emulator) -> None:
    async with wired(emu.url, submerchant="sub_7") as (client, wire):
        await client.session.init_payout(**payout_args())
        await client.session.create()
    for request in wire.sent:
        headers = request["headers"]
        independent_verify(
            partner_keys().public_key_pem, request["body"], headers["X-PARTNER-SIGN"]
        )
        assert headers["X-PARTNER-PROJECT"] == "emulator_project"
        assert headers["X-PARTNER-SUBMERCHANT"] == "sub_7"
        assert headers["Content-Type"] == "application/json"
    body = json.loads(wire.sent[0]["body"])
    assert body["payout_details"] == {
        "card": {"bank_card": {"number": "4242424242424242"}, "type": "bank_card"},
        "type": "card",
    }
    assert body["amount_details"] == {"amount": 10000, "currency": "rub"}
    assert wire.sent[1]["body"] == b"{}"  # an empty request sends and signs {}


async def test_v1_writes_v1_names_and_v1_only_methods_always_use_v1(emu: Bank131Emulator) -> None:
    async with wired(emu.url, api_version=1) as (client, wire):
        result = await client.session.init_payout(**payout_args())
        assert result.payout is not None  # the v1 answer (payments/payment_method) read back
        await client.session.status(session_id=result.session_id)
    assert wire.sent[0]["url"].endswith("/api/v1/session/init/payout")
    body = json.loads(wire.sent[0]["body"])
    assert "payment_method" in body
    assert "payout_details" not in body
    async with wired(emu.url) as (client, wire):
        token = await client.token.create(
            acquiring_widget=AcquiringWidget(session_id=result.session_id)
        )
        banks = await client.fps.banks()
        balance = await client.wallet.balance()
    assert token.public_token.startswith("pt_")
    assert "pt_" not in repr(token)
    assert banks.banks
    assert balance.wallets
    urls = [(r["method"], r["url"].split(emu.url)[1]) for r in wire.sent]
    assert urls == [
        ("POST", "/api/v1/token"),
        ("GET", "/api/v1/fps/banks"),
        ("POST", "/api/v1/wallet/balance"),
    ]
    assert wire.sent[1]["body"] == b"{}"


async def test_the_emulator_refuses_v2_names_on_v1_and_v1_only_methods_on_v2(
    emu: Bank131Emulator,
) -> None:
    from aioacquiring.bank131 import Signer

    signer = Signer(partner_keys().private_key_pem)

    async def post(path: str, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        body = json.dumps(payload).encode()
        headers = {"X-PARTNER-PROJECT": emu.project_id, "X-PARTNER-SIGN": signer.sign(body)}
        async with (
            aiohttp.ClientSession() as http,
            http.post(emu.url + path, data=body, headers=headers) as r,
        ):
            return r.status, await r.json()

    v2_body = {
        "payout_details": {
            "type": "card",
            "card": {"type": "bank_card", "bank_card": {"number": "4242424242424242"}},
        },
        "amount_details": {"amount": 1, "currency": "rub"},
        "participant_details": {"recipient": {"full_name": "I"}},
    }
    status, answer = await post("/api/v1/session/init/payout", v2_body)
    assert status == 400
    assert "payment_method is required" in answer["error"]["description"]
    status, answer = await post("/api/v2/wallet/balance", {})
    assert status == 404
    assert answer["error"]["code"] == "invalid_request"
    status, answer = await post("/api/v2/session/status", [])  # type: ignore[arg-type]
    assert status == 400
    assert answer["error"]["code"] == "invalid_request"


async def test_answers_can_be_verified_with_the_bank_key(
    emu: Bank131Emulator, scripted: Scripted
) -> None:
    async with client_for(emu, verify_answers=True) as client:
        created = await client.session.create()
        assert created.session_id
    scripted.answer(200, {"status": "ok", "session": SESSION})
    async with scripted_client(scripted, verify_answers=True) as client:
        with pytest.raises(InvalidResponseError, match="not the bank's"):
            await client.session.status(session_id="ps_1")
    with pytest.raises(InvalidInputError, match="bank_public_key"):
        Bank131(project_id="p", private_key=partner_keys().private_key_pem, verify_answers=True)


# Idempotency ------------------------------------------------------------------------


async def test_lost_answer_on_init_payout_is_retried_under_the_same_key_one_payout(
    emu: Bank131Emulator,
) -> None:
    emu.faults.drop_after_next(1, path=PAYOUT)
    async with wired(emu.url) as (client, wire):
        result = await client.session.init_payout(**payout_args())
    assert emu.requests_seen(PAYOUT) == 2
    assert len(emu.payouts) == 1
    assert emu.payouts[0]["id"] == result.payout.id
    assert emu.replayed_requests == 1
    keys = {r["headers"]["X-PARTNER-IDEMPOTENCY-KEY"] for r in wire.sent}
    bodies = {r["body"] for r in wire.sent}
    signatures = {r["headers"]["X-PARTNER-SIGN"] for r in wire.sent}
    assert len(wire.sent) == 2
    assert len(keys) == len(bodies) == len(signatures) == 1
    assert 4 <= len(keys.pop()) <= 64


async def test_caller_key_resumes_the_same_payout_after_a_crash(emu: Bank131Emulator) -> None:
    async with client_for(emu, retry=FAST) as client:
        first = await client.session.init_payout(**payout_args(), idempotency_key="order-1001")
    async with client_for(emu, retry=FAST) as restarted:
        again = await restarted.session.init_payout(**payout_args(), idempotency_key="order-1001")
    assert again.session_id == first.session_id
    assert len(emu.payouts) == 1


async def test_key_reused_for_other_params_raises_and_is_not_retried(emu: Bank131Emulator) -> None:
    async with client_for(emu, retry=FAST) as client:
        await client.session.init_payout(**payout_args(), idempotency_key="order-1002")
        with pytest.raises(IdempotencyParamsMismatchError) as error:
            await client.session.init_payout(
                **payout_args(amount_details=amount(101)), idempotency_key="order-1002"
            )
    assert isinstance(error.value, IdempotencyConflictError)
    assert error.value.attempts == 1
    assert error.value.idempotency_key == "order-1002"
    assert error.value.code == "idempotency_key_params_mismatch"
    assert len(emu.payouts) == 1


async def test_key_still_in_progress_is_retried_later_under_the_same_key(
    emu: Bank131Emulator,
) -> None:
    emu.processing_delay = 0.15
    patient = RetryPolicy(max_retries=20, backoff_base=0.05, backoff_cap=0.05, jitter=False)
    async with client_for(emu, retry=patient) as client:
        first, second = await asyncio.gather(
            client.session.init_payout(**payout_args(), idempotency_key="order-1003"),
            client.session.init_payout(**payout_args(), idempotency_key="order-1003"),
        )
        assert first.session_id == second.session_id
        assert len(emu.payouts) == 1
        with pytest.raises(IdempotencyKeyInProgressError) as error:
            await asyncio.gather(
                client.session.init_payout(**payout_args(), idempotency_key="order-1004"),
                client.session.init_payout(
                    **payout_args(), idempotency_key="order-1004", retry=RetryPolicy(max_retries=0)
                ),
            )
    assert error.value.retryable
    assert error.value.code == "idempotency_key_already_exists"


async def test_key_on_a_method_that_takes_none_raises_and_is_not_retried(
    emu: Bank131Emulator,
) -> None:
    async with wired(emu.url) as (client, wire):
        created = await client.session.create()
        await client.session.status(session_id=created.session_id)
        # session.status offers no idempotency_key; forced through the generic call,
        # the bank's idempotency_key_not_supported becomes a typed error, never retried.
        assert "idempotency_key" not in inspect.signature(client.session.status).parameters
        with pytest.raises(IdempotencyKeyNotSupportedError) as error:
            await client.call(
                SESSION_STATUS,
                SessionIdRequest(session_id=created.session_id),
                idempotency_key="abcd",
            )
    assert isinstance(error.value, InvalidRequestError)
    assert error.value.attempts == 1
    # Keys are made for the methods the bank dedupes, never for the others.
    assert "X-PARTNER-IDEMPOTENCY-KEY" in wire.sent[0]["headers"]
    assert "X-PARTNER-IDEMPOTENCY-KEY" not in wire.sent[1]["headers"]


@pytest.mark.parametrize("key", ["abc", "k" * 65, "ключ-заказа", "bad\nkey", ""])
async def test_bad_keys_are_refused_before_sending(emu: Bank131Emulator, key: str) -> None:
    async with client_for(emu) as client:
        with pytest.raises(InvalidInputError, match="idempotency_key"):
            await client.session.init_payout(**payout_args(), idempotency_key=key)
    assert emu.requests_seen() == 0


async def test_keys_of_4_and_64_characters_are_fine(emu: Bank131Emulator) -> None:
    async with client_for(emu) as client:
        for key in ("abcd", "k" * 64):
            await client.session.init_payout(**payout_args(), idempotency_key=key)
    assert len(emu.payouts) == 2


# Errors -------------------------------------------------------------------------------


async def test_wrong_key_or_project_is_an_authentication_error_not_retried(
    emu: Bank131Emulator,
) -> None:
    stranger = generate_key_pair()
    async with Bank131(
        **{**emu.client_kwargs(), "private_key": stranger.private_key_pem}, retry=FAST
    ) as client:
        with pytest.raises(Bank131AuthenticationError) as error:
            await client.session.create()
    assert isinstance(error.value, AuthenticationError)
    assert (error.value.code, error.value.status, error.value.attempts) == (
        "authentication_error",
        401,
        1,
    )
    assert "PRIVATE" not in str(error.value)
    async with Bank131(**{**emu.client_kwargs(), "project_id": "other"}) as client:
        with pytest.raises(Bank131AuthenticationError, match="Unknown project"):
            await client.session.create()


async def test_status_error_raises_whatever_the_http_status(scripted: Scripted) -> None:
    scripted.answer(
        200, {"status": "error", "error": {"code": "session_wrong_state", "description": "no"}}
    )
    async with scripted_client(scripted) as client:
        with pytest.raises(SessionWrongStateError) as error:
            await client.session.confirm(session_id="ps_1")
    assert (error.value.status, error.value.description) == (200, "no")


async def test_unknown_codes_raise_a_generic_error_with_code_and_description(
    scripted: Scripted,
) -> None:
    scripted.answer(
        422,
        {
            "status": "error",
            "error": {
                "code": "brand_new_code",
                "description": "Something new",
                "reject_reasons": ["x"],
            },
        },
    )
    async with scripted_client(scripted) as client:
        with pytest.raises(Bank131Error) as error:
            await client.session.status(session_id="ps_1")
    assert type(error.value) is Bank131Error
    assert (error.value.code, error.value.message, error.value.reject_reasons) == (
        "brand_new_code",
        "Something new",
        ["x"],
    )


@pytest.mark.parametrize(
    ("code", "cls", "core"),
    [
        ("authentication_error", Bank131AuthenticationError, AuthenticationError),
        ("identification_error", Bank131AuthenticationError, AuthenticationError),
        ("authorization_error", Bank131AuthenticationError, AuthenticationError),
        ("invalid_request", Bank131Error, InvalidRequestError),
        ("internal_error", Bank131InternalError, ProviderInternalError),
        ("session_wrong_state", SessionWrongStateError, InvalidRequestError),
        ("session_cancelled", SessionCancelledError, OperationRejectedError),
        ("confirm_timeout", SessionCancelledError, OperationRejectedError),
        ("operation_rejected", OperationRejectedError, ProviderError),
        ("insufficient_wallet_balance", InsufficientFundsError, OperationRejectedError),
        ("insufficient_funds", InsufficientFundsError, OperationRejectedError),
        ("refund_amount_too_large", RefundAmountTooLargeError, InvalidRequestError),
        ("provider_timeout", ProviderTimeoutError, ProviderUnavailableError),
        ("provider_issuer_unavailable", ProviderUnavailableError, ProviderError),
        ("3DS_error", CardDeclinedError, OperationRejectedError),
        ("declined_by_issuer_bank", CardDeclinedError, OperationRejectedError),
        (
            "idempotency_key_params_mismatch",
            IdempotencyParamsMismatchError,
            IdempotencyConflictError,
        ),
    ],
)
def test_codes_map_to_typed_errors(code: str, cls: type, core: type) -> None:
    error = error_from_answer({"code": code, "description": "d"}, status=400)
    assert isinstance(error, cls)
    assert isinstance(error, core)
    assert isinstance(error, Bank131Error)
    assert error.code == code
    assert error.status == 400


def test_an_error_without_an_error_object_still_reads() -> None:
    error = error_from_answer(None)
    assert type(error) is Bank131Error
    assert error.code is None
    assert "no code" in error.message


async def test_internal_errors_and_5xx_are_retried(scripted: Scripted) -> None:
    scripted.answer(
        500, {"status": "error", "error": {"code": "internal_error", "description": "oops"}}
    )
    scripted.answer(503, b"<html>gateway</html>")
    scripted.answer(200, {"status": "ok", "session": SESSION})
    async with scripted_client(scripted) as client:
        result = await client.session.init_payout(**payout_args())
    assert result.session_id == "ps_1"
    assert len(scripted.requests) == 3
    assert len({r[2]["X-PARTNER-IDEMPOTENCY-KEY"] for r in scripted.requests}) == 1


async def test_emulator_faults_5xx_then_success(emu: Bank131Emulator) -> None:
    emu.faults.fail_next(2, status=503, path=PAYOUT)
    async with client_for(emu, retry=FAST) as client:
        await client.session.init_payout(**payout_args())
    assert emu.requests_seen(PAYOUT) == 3
    assert len(emu.payouts) == 1


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (429, b"", {"Retry-After": "0"}, RateLimitError),
        (408, b"", {}, RequestTimeoutError),
        (200, b"not json", {}, InvalidResponseError),
        (200, b'{"session": {}}', {}, InvalidResponseError),
        (200, b'{"status": "ok"}', {}, InvalidResponseError),
        (
            200,
            b'{"status": "ok", "session": {"created_at": "yesterday"}}',
            {},
            InvalidResponseError,
        ),
        (404, b"<html>no</html>", {}, ProviderError),
        (403, b"", {}, Bank131AuthenticationError),
    ],
)
async def test_answers_that_are_not_the_envelope(
    scripted: Scripted, status: int, body: bytes, headers: dict[str, str], error: type
) -> None:
    scripted.answer(status, body, headers)
    async with scripted_client(
        scripted, retry=RetryPolicy(max_retries=1, backoff_base=0.01)
    ) as client:
        with pytest.raises(error):
            await client.session.status(session_id="ps_1")


# Input checked before anything is sent ----------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"payout_details": card("4242")}, "payout_details.card.bank_card.number"),
        ({"amount_details": amount(0)}, "amount_details.amount"),
        ({"amount_details": amount(1, currency="rubles")}, "amount_details.currency"),
    ],
)
async def test_bad_input_is_refused_before_sending(
    emu: Bank131Emulator, overrides: dict[str, Any], field: str
) -> None:
    async with client_for(emu) as client:
        with pytest.raises(InvalidInputError) as error:
            await client.session.init_payout(**payout_args(**overrides))
    assert error.value.field == field
    assert emu.requests_seen() == 0


@pytest.mark.parametrize("value", [0.1, "1.001", "abc", "NaN"])
def test_amounts_are_exact_minor_units(value: Any) -> None:
    with pytest.raises(InvalidInputError, match="amount"):
        amount(value)


def test_amount_converts_major_units_exactly() -> None:
    assert amount("0.01").amount == 1
    assert amount(100).amount == 10000
    assert amount("19.99", currency="EUR").currency == "eur"


def test_client_properties() -> None:
    client = Bank131(project_id="p", private_key=partner_keys().private_key_pem, api_version=1)
    assert (client.project_id, client.api_version) == ("p", 1)
    assert client.base_url == "https://proxy.bank131.ru"


@pytest.mark.parametrize(
    "options",
    [{"project_id": ""}, {"api_version": 3}, {"api_version": True}, {"submerchant": ""}],
)
def test_constructor_checks_its_arguments(options: dict[str, Any]) -> None:
    kwargs: dict[str, Any] = {"project_id": "p", "private_key": partner_keys().private_key_pem}
    with pytest.raises(InvalidInputError):
        Bank131(**{**kwargs, **options})


async def test_no_secret_reaches_the_logs(
    emu: Bank131Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioacquiring")
    emu.faults.fail_next(1, status=503, path=PAYOUT)
    async with wired(emu.url) as (client, wire):
        result = await client.session.init_payout(
            **payout_args(payout_details=card("4242424242424242", security_code="987")),
            idempotency_key="order-log-1",
        )
        customer = Customer(reference="u")
    signature = wire.sent[0]["headers"]["X-PARTNER-SIGN"]
    text = caplog.text + repr(result) + repr(client) + repr(customer)
    assert "attempt 2" in caplog.text
    assert "order-log-1" in caplog.text
    # The CVV as a value (quoted, as a repr or JSON would show it): bare digits could
    # turn up by chance inside the random session ids the answer carries.
    for secret in ("4242424242424242", "'987'", '"987"', signature, "PRIVATE KEY"):
        assert secret not in text
