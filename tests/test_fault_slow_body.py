"""The slow-body fault: the work is done, the answer trickles out slower than the client waits."""

from __future__ import annotations

from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import pytest

from aioacquiring import RetryPolicy, Timeout
from aioacquiring.cloudpayments import Accepted, CloudPayments, PaymentResult
from aioacquiring.errors import RequestTimeoutError
from aioacquiring.testing import CloudPaymentsEmulator, FaultInjector, test_cryptogram

CHARGE = "/payments/cards/charge"


def charge(client: CloudPayments, **extra: Any) -> Awaitable[PaymentResult]:
    return client.payments.cards_charge(
        amount=Decimal("10"),
        ip_address="127.0.0.1",
        card_cryptogram_packet=test_cryptogram("4000000000003055"),
        **extra,
    )


async def test_a_slow_answer_is_retried_under_its_key_and_charged_once(
    emulator: CloudPaymentsEmulator,
) -> None:
    emulator.faults.slow_body_next(1, seconds=0.5, path=CHARGE)
    async with CloudPayments(
        public_id=emulator.public_id,
        api_secret=emulator.api_secret,
        base_url=emulator.url,
        timeout=Timeout(total=0.2, connect=0.2),
        retry=RetryPolicy(max_retries=2, backoff_base=0.01, deadline=5),
    ) as client:
        result = await charge(client)
    assert isinstance(result, Accepted)
    assert emulator.requests_seen(CHARGE) == 2
    assert len(emulator.transactions) == 1


async def test_a_slow_answer_without_retries_is_a_timeout_whose_outcome_is_unknown(
    emulator: CloudPaymentsEmulator,
) -> None:
    emulator.faults.slow_body_next(1, seconds=0.5, path=CHARGE)
    async with CloudPayments(
        public_id=emulator.public_id,
        api_secret=emulator.api_secret,
        base_url=emulator.url,
        timeout=Timeout(total=0.2, connect=0.2),
        retry=RetryPolicy(max_retries=0),
    ) as client:
        with pytest.raises(RequestTimeoutError) as caught:
            await charge(client, idempotency_key="order-77")
        # Resuming under the key the error carries finds the charge already made.
        again = await charge(client, idempotency_key=caught.value.idempotency_key)
    assert caught.value.outcome_unknown
    assert isinstance(again, Accepted)
    assert len(emulator.transactions) == 1


async def test_a_patient_client_reads_the_trickled_answer(emulator: CloudPaymentsEmulator) -> None:
    emulator.faults.slow_body_next(1, seconds=0.05, path=CHARGE)
    async with CloudPayments(
        public_id=emulator.public_id, api_secret=emulator.api_secret, base_url=emulator.url
    ) as client:
        result = await charge(client)
    assert isinstance(result, Accepted)
    assert emulator.requests_seen(CHARGE) == 1


def test_slow_body_needs_a_sane_duration() -> None:
    with pytest.raises(ValueError, match="seconds"):
        FaultInjector().slow_body_next(1, seconds=-1)
