"""Retries, idempotency, timeouts and deadlines, against the emulator's scripted faults."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
import tracemalloc
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from aioacquiring import (
    AuthenticationError,
    ConnectionFailedError,
    ProviderInternalError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    Timeout,
)
from aioacquiring.cloudpayments import Accepted, CloudPayments
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram

from .conftest import FAST_RETRY, client_for

CHARGE_PATH = "/payments/cards/charge"


def charge_args(invoice_id: str = "order-1") -> dict[str, Any]:
    return {
        "amount": Decimal("250.00"),
        "ip_address": "203.0.113.7",
        "card_cryptogram_packet": test_cryptogram("4000000000003055"),
        "invoice_id": invoice_id,
    }


class WireRecorder:
    """Records what actually went over the wire, through aiohttp's public tracing hooks."""

    def __init__(self) -> None:
        self.sent: list[tuple[str | None, bytes]] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_chunk_sent.append(self._chunk)
        self.config.on_request_start.append(self._start)
        self._key: str | None = None

    async def _start(self, session: Any, context: SimpleNamespace, params: Any) -> None:
        self._key = params.headers.get("X-Request-ID")

    async def _chunk(self, session: Any, context: SimpleNamespace, params: Any) -> None:
        self.sent.append((self._key, bytes(params.chunk)))


async def test_lost_answer_is_retried_under_the_same_key_and_charges_once(
    emulator: CloudPaymentsEmulator,
) -> None:
    recorder = WireRecorder()
    async with aiohttp.ClientSession(trace_configs=[recorder.config]) as session:
        client = client_for(
            emulator,
            session=session,
            retry=FAST_RETRY,
        )
        emulator.faults.drop_after_next(1, path=CHARGE_PATH)
        result = await client.payments.cards_charge(**charge_args())
        await client.close()
        assert not session.closed  # a caller's session is never closed by the client
    assert isinstance(result, Accepted)
    assert emulator.requests_seen(CHARGE_PATH) == 2
    assert len(emulator.transactions) == 1
    assert emulator.transactions[0]["TransactionId"] == result.transaction_id
    keys = {key for key, _ in recorder.sent}
    bodies = {body for _, body in recorder.sent}
    assert len(recorder.sent) == 2
    assert len(keys) == 1
    assert None not in keys
    assert len(bodies) == 1  # byte-identical bodies on every attempt


async def test_each_logical_call_gets_its_own_uuid4_key(emulator: CloudPaymentsEmulator) -> None:
    recorder = WireRecorder()
    async with (
        aiohttp.ClientSession(trace_configs=[recorder.config]) as session,
        client_for(
            emulator,
            session=session,
        ) as client,
    ):
        for number in range(20):
            await client.payments.cards_charge(**charge_args(f"order-{number}"))
    keys = [key for key, _ in recorder.sent]
    assert len(keys) == 20
    assert len(set(keys)) == 20
    for key in keys:
        assert key is not None
        parsed = uuid.UUID(key)
        assert str(parsed) == key
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


async def test_callers_key_is_sent_as_is_and_replayed(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    first = await client.payments.cards_charge(**charge_args(), idempotency_key="order-1-pay")
    second = await client.payments.cards_charge(**charge_args(), idempotency_key="order-1-pay")
    assert isinstance(first, Accepted)
    assert isinstance(second, Accepted)
    assert first.transaction_id == second.transaction_id
    assert len(emulator.transactions) == 1
    assert emulator.replayed_requests == 1


async def test_money_call_without_key_is_not_retried_after_an_ambiguous_failure(
    emulator: CloudPaymentsEmulator,
) -> None:
    async with client_for(
        emulator,
        retry=FAST_RETRY,
        auto_idempotency_keys=False,
    ) as client:
        emulator.faults.drop_after_next(1, path=CHARGE_PATH)
        with pytest.raises(ConnectionFailedError) as caught:
            await client.payments.cards_charge(**charge_args())
    error = caught.value
    assert error.outcome_unknown
    assert error.attempts == 1
    assert error.idempotency_key is None
    assert "not retried" in str(error)
    assert "idempotency key" in str(error)
    assert emulator.requests_seen(CHARGE_PATH) == 1
    assert len(emulator.transactions) == 1  # processed once, never twice


async def test_refused_connection_is_retried_even_without_a_key() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with CloudPayments(
        public_id="pk",
        api_secret="secret",
        base_url=f"http://127.0.0.1:{port}",
        retry=FAST_RETRY,
        auto_idempotency_keys=False,
    ) as client:
        with pytest.raises(ConnectionFailedError) as caught:
            await client.payments.cards_charge(**charge_args())
    assert caught.value.attempts == 3  # nothing left the machine, so retrying is safe
    assert not caught.value.outcome_unknown


@pytest.mark.parametrize("status", [500, 503])
async def test_server_errors_are_retried(
    client: CloudPayments, emulator: CloudPaymentsEmulator, status: int
) -> None:
    emulator.faults.fail_next(2, status=status, path=CHARGE_PATH)
    result = await client.payments.cards_charge(**charge_args())
    assert isinstance(result, Accepted)
    assert emulator.requests_seen(CHARGE_PATH) == 3
    assert len(emulator.transactions) == 1


async def test_server_errors_past_the_budget_raise_with_context(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    emulator.faults.fail_next(3, status=500, path="/payments/get")
    with pytest.raises(ProviderInternalError) as caught:
        await client.payments.get(transaction_id=1)
    assert caught.value.attempts == 3
    assert caught.value.status == 500
    assert caught.value.operation == "payments.get"


async def test_retry_after_is_honoured(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    emulator.faults.fail_next(1, status=429, retry_after=0.2, path="/test")
    started = time.monotonic()
    assert await client.test()
    assert time.monotonic() - started >= 0.2
    assert emulator.requests_seen("/test") == 2


async def test_retry_after_past_the_deadline_raises_rate_limit(
    emulator: CloudPaymentsEmulator,
) -> None:
    async with client_for(
        emulator,
        retry=RetryPolicy(max_retries=3, deadline=2),
    ) as client:
        emulator.faults.fail_next(1, status=429, retry_after=30, path="/test")
        with pytest.raises(RateLimitError) as caught:
            await client.test()
    assert caught.value.retry_after == 30
    assert caught.value.attempts == 1
    assert emulator.requests_seen("/test") == 1


async def test_timeout_then_retry(client: CloudPayments, emulator: CloudPaymentsEmulator) -> None:
    emulator.faults.delay_next(1, seconds=1.0, path="/test")
    assert await client.test(timeout=0.2)
    assert emulator.requests_seen("/test") == 2


async def test_timeout_without_retries(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    emulator.faults.delay_next(1, seconds=1.0, path="/test")
    with pytest.raises(RequestTimeoutError) as caught:
        await client.test(timeout=Timeout(total=0.2, connect=0.2), retry=RetryPolicy(max_retries=0))
    assert caught.value.outcome_unknown
    assert caught.value.attempts == 1


async def test_the_deadline_bounds_the_call_retries_included(
    client: CloudPayments, emulator: CloudPaymentsEmulator
) -> None:
    emulator.faults.delay_next(20, seconds=3.0, path="/test")
    policy = RetryPolicy(max_retries=10, backoff_base=0.01, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(RequestTimeoutError) as caught:
        await client.test(timeout=0.6, retry=policy)
    # Eleven attempts of 0.6 s would take over 6 s; the deadline stops the call at about 1 s.
    assert time.monotonic() - started < 3.0
    assert caught.value.attempts <= 3


async def test_calls_trimmed_to_their_deadline_do_not_grow_the_clients_memory(
    emulator: CloudPaymentsEmulator,
) -> None:
    # A deadline shorter than the attempt's timeout gives every call a timeout of its own
    # (what is left of its deadline); the client must not keep one per call.
    async with client_for(
        emulator,
        timeout=Timeout(total=30, connect=5),
        retry=RetryPolicy(max_retries=0, deadline=20),
    ) as client:
        for _ in range(50):  # warm every cache first
            await client.test()
        core = [tracemalloc.Filter(True, "*/aioacquiring/core/*")]
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot().filter_traces(core)
            for _ in range(1000):
                await client.test()
            after = tracemalloc.take_snapshot().filter_traces(core)
        finally:
            tracemalloc.stop()
    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert growth < 16 * 1024, f"the client's own code kept {growth} bytes over 1000 calls"


async def test_concurrency_cap_keeps_under_the_providers_limit(
    emulator: CloudPaymentsEmulator,
) -> None:
    async with client_for(
        emulator,
        max_concurrency=3,
        retry=RetryPolicy(max_retries=0),
    ) as client:
        emulator.faults.delay_next(30, seconds=0.02, path="/test")
        results = await asyncio.gather(*(client.test() for _ in range(30)))
    assert len(results) == 30
    assert emulator.max_in_flight_seen <= 3


async def test_waiting_for_a_slot_of_the_clients_cap_counts_towards_the_deadline(
    emulator: CloudPaymentsEmulator,
) -> None:
    # A burst queues calls behind max_concurrency. A queued call has sent nothing: when its
    # deadline passes in the queue it fails at once, safely, and is not sent late.
    async with client_for(
        emulator,
        max_concurrency=1,
        retry=RetryPolicy(max_retries=0),
    ) as client:
        emulator.faults.delay_next(1, seconds=1.5, path="/test")
        slow = asyncio.create_task(client.test())
        while emulator.requests_seen("/test") == 0:  # noqa: ASYNC110 - the emulator's count
            await asyncio.sleep(0.01)
        started = time.monotonic()
        with pytest.raises(RequestTimeoutError) as caught:
            await client.payments.cards_charge(
                **charge_args(), retry=RetryPolicy(max_retries=5, deadline=0.3)
            )
        assert time.monotonic() - started < 1.0  # not the 1.5 s the slot stayed busy
        assert not caught.value.outcome_unknown
        assert "nothing was sent" in str(caught.value)
        assert emulator.requests_seen(CHARGE_PATH) == 0
        with pytest.raises(RequestTimeoutError):
            await client.test(timeout=0.2)  # a per-call timeout bounds the wait as well
        assert await slow
        # The slot the waits gave up on is free again, and a charge now goes through.
        assert isinstance(await client.payments.cards_charge(**charge_args()), Accepted)
    assert emulator.requests_seen(CHARGE_PATH) == 1
    assert len(emulator.transactions) == 1


async def test_over_the_emulators_cap_is_a_429_that_is_retried(
    emulator: CloudPaymentsEmulator,
) -> None:
    async with client_for(
        emulator,
        max_concurrency=None,
        retry=RetryPolicy(max_retries=0),
    ) as client:
        emulator.faults.delay_next(20, seconds=0.2, path="/test")
        outcomes = await asyncio.gather(*(client.test() for _ in range(20)), return_exceptions=True)
    assert any(isinstance(o, RateLimitError) for o in outcomes)


async def test_attempts_are_logged_without_secrets(
    emulator: CloudPaymentsEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="aioacquiring")
    async with client_for(
        emulator,
        retry=FAST_RETRY,
    ) as client:
        emulator.faults.fail_next(1, status=503, path=CHARGE_PATH)
        cryptogram = test_cryptogram("4000000000003055")
        result = await client.payments.cards_charge(
            amount=Decimal("1"), ip_address="1.1.1.1", card_cryptogram_packet=cryptogram
        )
    assert isinstance(result, Accepted)
    text = caplog.text
    assert "attempt 1/3" in text
    assert "attempt 2/3" in text
    token = result.transaction.token
    assert token
    for secret in (emulator.api_secret, cryptogram, token):
        assert secret not in text
    assert token not in repr(result)
    assert cryptogram not in repr(result)


async def test_client_is_usable_after_lazy_session_and_refuses_after_close(
    emulator: CloudPaymentsEmulator,
) -> None:
    client = client_for(emulator)
    assert await client.test()
    await client.close()
    with pytest.raises(RuntimeError, match="closed"):
        await client.test()


async def test_a_callers_session_that_raises_for_status_still_gets_typed_errors(
    emulator: CloudPaymentsEmulator,
) -> None:
    # A web service often shares one session set to raise_for_status=True. The SDK reads
    # statuses itself: a 401 must stay an AuthenticationError (not a broken connection),
    # and a 5xx on a charge must be retried under its key, not given up as unknown.
    async with aiohttp.ClientSession(raise_for_status=True) as session:
        settings = {"base_url": emulator.url, "session": session, "retry": FAST_RETRY}
        wrong = CloudPayments(public_id=emulator.public_id, api_secret="wrong", **settings)
        with pytest.raises(AuthenticationError):
            await wrong.payments.get(transaction_id=1)
        client = client_for(emulator, session=session, retry=FAST_RETRY)
        emulator.faults.fail_next(1, status=503, path=CHARGE_PATH)
        result = await client.payments.cards_charge(**charge_args())
        assert isinstance(result, Accepted)
        assert emulator.requests_seen(CHARGE_PATH) == 2
        assert len(emulator.transactions) == 1
        emulator.faults.fail_next(1, status=429, retry_after=3600, path=CHARGE_PATH)
        with pytest.raises(RateLimitError) as caught:
            await client.payments.cards_charge(**charge_args("order-2"))
        assert caught.value.retry_after == 3600
