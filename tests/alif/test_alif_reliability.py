"""Retries under one external_id, and only where Alif can dedupe them, against scripted faults."""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from aioacquiring import (
    ConnectionFailedError,
    IdempotencyConflictError,
    InvalidInputError,
    RateLimitError,
    RetryPolicy,
)
from aioacquiring.alif import (
    Alif,
    ExternalIdConflictError,
    HttpRefusedError,
    HttpStatusError,
    InternalError,
    PaymentStatus,
    UnprocessableEntityError,
    sign,
)
from aioacquiring.alif.resources import CHECKOUT_PAYMENT_REFUND
from aioacquiring.models.alif import PaymentRefundRequest
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import EXP, ITEMS, NO_OTP_CARD, client_for

DEBIT = "/debit.payment.create"
TRANSFER = "/p2p.transfer.create"
RECEIVER = "9860000000000018"


class WireRecorder:
    """What went over the wire (headers, body per attempt), through aiohttp's tracing hooks."""

    def __init__(self) -> None:
        self.sent: list[tuple[dict[str, str], bytes]] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._start)
        self.config.on_request_chunk_sent.append(self._chunk)

    async def _start(self, session: Any, context: SimpleNamespace, params: Any) -> None:
        self.sent.append((dict(params.headers), b""))

    async def _chunk(self, session: Any, context: SimpleNamespace, params: Any) -> None:
        headers, body = self.sent[-1]
        self.sent[-1] = (headers, body + bytes(params.chunk))


@pytest.fixture
async def wire(emu: AlifEmulator) -> AsyncIterator[tuple[Alif, WireRecorder]]:
    recorder = WireRecorder()
    async with aiohttp.ClientSession(trace_configs=[recorder.config]) as session:
        client = client_for(emu, session=session)
        yield client, recorder
        await client.close()
        assert not session.closed  # a caller's session is never closed by the client


async def test_lost_debit_answer_is_retried_under_the_same_external_id(
    emu: AlifEmulator, wire: tuple[Alif, WireRecorder]
) -> None:
    alif, recorder = wire
    token = emu.add_card()
    emu.faults.drop_after_next(1, path=DEBIT)
    payment = await alif.debit.payment_create(amount=2_500_000, card_token=token)
    assert payment.status is PaymentStatus.SUCCEEDED
    assert emu.requests_seen(DEBIT) == 2
    assert emu.replayed_requests == 1
    assert len(emu.payments) == 1  # exactly one debit
    assert emu.payments[0]["id"] == payment.id
    bodies = {body for _, body in recorder.sent}
    assert len(recorder.sent) == 2
    assert len(bodies) == 1  # byte-identical on every attempt
    external_id = json.loads(bodies.pop())["external_id"]
    assert external_id == payment.external_id
    signatures = {headers["signature"] for headers, _ in recorder.sent}
    assert len(signatures) == 1


async def test_lost_transfer_answer_leaves_exactly_one_transfer(
    emu: AlifEmulator, wire: tuple[Alif, WireRecorder]
) -> None:
    alif, _ = wire
    token = emu.add_card()
    emu.faults.drop_after_next(2, path=TRANSFER)
    transfer = await alif.p2p.transfer_create(amount=100, card_token=token, receiver_pan=RECEIVER)
    assert emu.requests_seen(TRANSFER) == 3
    assert [t["id"] for t in emu.transfers] == [transfer.id]


async def test_a_connection_dropped_before_the_work_is_retried_safely(
    emu: AlifEmulator, wire: tuple[Alif, WireRecorder]
) -> None:
    alif, _ = wire
    token = emu.add_card()
    emu.faults.drop_before_next(1, path="/debit.hold.create")
    hold = await alif.debit.hold_create(card_token=token, amount=10, external_id="hold-9")
    assert hold.external_id == "hold-9"
    assert len(emu.holds) == 1


async def test_callers_external_id_and_idempotency_key_are_the_same_key(
    emu: AlifEmulator, wire: tuple[Alif, WireRecorder]
) -> None:
    alif, recorder = wire
    token = emu.add_card()
    first = await alif.debit.payment_create(amount=10, card_token=token, external_id="order-1")
    second = await alif.debit.payment_create(amount=10, card_token=token, idempotency_key="order-1")
    assert first == second
    assert len(emu.payments) == 1
    assert [json.loads(body)["external_id"] for _, body in recorder.sent] == ["order-1"] * 2
    same = await alif.debit.payment_create(
        amount=10, card_token=token, external_id="order-1", idempotency_key="order-1"
    )
    assert same == first
    with pytest.raises(InvalidInputError) as caught:
        await alif.debit.payment_create(
            amount=10, card_token=token, external_id="order-1", idempotency_key="order-2"
        )
    assert caught.value.field == "idempotency_key"
    with pytest.raises(InvalidInputError) as too_long:
        await alif.debit.payment_create(amount=10, card_token=token, idempotency_key="x" * 65)
    assert too_long.value.field == "idempotency_key"


async def test_each_call_without_an_external_id_gets_its_own(emu: AlifEmulator) -> None:
    async with client_for(emu) as alif:
        token = emu.add_card()
        a = await alif.debit.payment_create(amount=10, card_token=token)
        b = await alif.debit.payment_create(amount=10, card_token=token)
    assert a.external_id
    assert b.external_id
    assert a.external_id != b.external_id
    assert len(emu.payments) == 2


async def test_reused_external_id_with_other_parameters_is_a_conflict(emu: AlifEmulator) -> None:
    async with client_for(emu) as alif:
        token = emu.add_card()
        await alif.debit.payment_create(amount=10, card_token=token, external_id="order-5")
        with pytest.raises(ExternalIdConflictError) as caught:
            await alif.debit.payment_create(amount=11, card_token=token, external_id="order-5")
    assert caught.value.code == 1005
    assert isinstance(caught.value, IdempotencyConflictError)
    assert isinstance(caught.value, UnprocessableEntityError)
    assert caught.value.idempotency_key == "order-5"
    assert len(emu.payments) == 1


async def test_idempotency_key_is_refused_where_alif_cannot_dedupe(emu: AlifEmulator) -> None:
    async with client_for(emu) as alif:
        # The generated method does not offer the keyword at all ...
        assert "idempotency_key" not in inspect.signature(alif.checkout.payment_refund).parameters
        assert "idempotency_key" in inspect.signature(alif.debit.payment_create).parameters
        # ... and a key forced through the generic call is refused before anything is sent.
        request = PaymentRefundRequest(payment_id="pay_1")
        with pytest.raises(InvalidInputError) as caught:
            await alif.call(CHECKOUT_PAYMENT_REFUND, request, idempotency_key="refund-1")
    assert caught.value.field == "idempotency_key"
    assert emu.requests_seen() == 0


async def test_a_money_call_without_external_id_is_not_retried_after_a_lost_answer(
    emu: AlifEmulator,
) -> None:
    async with client_for(emu) as alif:
        session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
        emu.faults.drop_after_next(1, path="/checkout.payment.create")
        with pytest.raises(ConnectionFailedError) as caught:
            await alif.checkout.payment_create(
                session_ref=session.session_ref, pan=NO_OTP_CARD, exp=EXP
            )
        error = caught.value
        assert error.outcome_unknown
        assert error.attempts == 1
        assert "not retried" in str(error)
        assert "external_id" in str(error)
        # The payment went through; reading the session back tells the caller so.
        read = await alif.checkout.session_get(session_ref=session.session_ref)
    assert read.payment is not None
    assert read.payment.status is PaymentStatus.SUCCEEDED
    assert emu.requests_seen("/checkout.payment.create") == 1


async def test_a_write_without_external_id_is_not_retried_after_a_lost_answer(
    emu: AlifEmulator,
) -> None:
    async with client_for(emu) as alif:
        emu.faults.drop_after_next(1, path="/checkout.session.create")
        with pytest.raises(ConnectionFailedError):
            await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    assert emu.requests_seen("/checkout.session.create") == 1
    assert len(emu.sessions) == 1


async def test_read_calls_are_retried_after_a_lost_answer(emu: AlifEmulator) -> None:
    async with client_for(emu) as alif:
        token = emu.add_card()
        emu.faults.drop_after_next(2, path="/card.token.get")
        card = await alif.card.token_get(card_token=token)
    assert card.card_token == token
    assert emu.requests_seen("/card.token.get") == 3


async def test_internal_error_1003_is_retried_where_safe(emu: AlifEmulator) -> None:
    async with client_for(emu) as alif:
        token = emu.add_card()
        emu.fail_next_code(1003, count=2, method="debit.payment.create")
        payment = await alif.debit.payment_create(amount=10, card_token=token)
        assert payment.status is PaymentStatus.SUCCEEDED
        emu.fail_next_code(1003, method="card.token.get")
        assert (await alif.card.token_get(card_token=token)).card_token == token
        emu.fail_next_code(1003, method="debit.payment.reverse")
        with pytest.raises(InternalError) as caught:
            await alif.debit.payment_reverse(payment_id=payment.id)
    assert caught.value.retryable
    assert caught.value.outcome_unknown
    assert caught.value.attempts == 1
    assert emu.requests_seen("/debit.payment.create") == 3


async def test_internal_error_gives_up_after_the_policy(emu: AlifEmulator) -> None:
    async with client_for(emu, retry=RetryPolicy(max_retries=1, backoff_base=0.01)) as alif:
        emu.fail_next_code(1003, count=5)
        with pytest.raises(InternalError) as caught:
            await alif.card.token_get(card_token="ct_1")
    assert caught.value.attempts == 2


async def test_http_statuses_are_transport_errors(emu: AlifEmulator) -> None:
    async with client_for(emu) as alif:
        emu.faults.fail_next(2, status=503)
        assert [c async for c in alif.card.token_list()] == []  # retried through
        emu.faults.fail_next(1, status=502, path="/checkout.payment.refund")
        with pytest.raises(HttpStatusError) as gateway:
            await alif.checkout.payment_refund(payment_id="pay_1")
        assert gateway.value.status == 502
        assert gateway.value.outcome_unknown
        assert gateway.value.attempts == 1  # a money call without external_id: not retried
        emu.faults.fail_next(1, status=404)
        with pytest.raises(HttpRefusedError) as missing:
            await alif.card.token_get(card_token="ct_1")
        assert missing.value.attempts == 1
        assert not missing.value.retryable
        emu.faults.fail_next(1, status=429, retry_after=0)
        assert [c async for c in alif.card.token_list()] == []
        emu.faults.fail_next(1, status=429, retry_after=3600)
        with pytest.raises(RateLimitError) as slow:
            await alif.card.token_get(card_token="ct_1")
        assert isinstance(slow.value, HttpStatusError)
        assert slow.value.retry_after == 3600


async def test_garbage_answers_are_invalid_responses(emu: AlifEmulator) -> None:
    from aioacquiring import InvalidResponseError

    async with client_for(emu, retry=RetryPolicy(max_retries=0)) as alif:
        for body in (b"not json", b"[1, 2]", b'{"data": {}}', b'{"code": "ok"}', b'{"code": 1000}'):
            emu.faults.fail_next(1, status=200, body=body, content_type="application/json")
            with pytest.raises(InvalidResponseError):
                await alif.card.token_get(card_token="ct_1")
        emu.faults.fail_next(1, status=200, body=b'{"code": 1000, "data": {"no": "token"}}')
        with pytest.raises(InvalidResponseError, match="Card"):
            await alif.card.token_get(card_token="ct_1")
        emu.faults.fail_next(1, status=200, body=b'{"code": 1000, "data": {"x": 1}}')
        with pytest.raises(InvalidResponseError, match="list"):
            [c async for c in alif.card.token_list()]


async def test_signature_is_over_the_exact_bytes_sent(
    emu: AlifEmulator, wire: tuple[Alif, WireRecorder]
) -> None:
    alif, recorder = wire
    await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    await alif.checkout.session_list().collect()
    (signed_headers, signed_body), (read_headers, _) = recorder.sent
    assert signed_headers["token"] == emu.token
    assert signed_headers["signature"] == sign(signed_body, emu.secret_key)
    assert signed_headers["signature"] == signed_headers["signature"].lower()
    assert read_headers["token"] == emu.token
    assert "signature" not in read_headers  # read calls carry only the token
