"""Fixtures: a CloudPayments emulator on loopback and a client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from aioacquiring import RetryPolicy
from aioacquiring.cloudpayments import CloudPayments
from aioacquiring.testing import CloudPaymentsEmulator

FAST_RETRY = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_cap=0.05, deadline=10)


@pytest.fixture
async def emulator() -> AsyncIterator[CloudPaymentsEmulator]:
    async with CloudPaymentsEmulator() as emulator:
        yield emulator


def client_for(emulator: CloudPaymentsEmulator, **options: Any) -> CloudPayments:
    """A client with ``emulator``'s credentials and URL; ``options`` go to the constructor."""
    return CloudPayments(
        public_id=emulator.public_id,
        api_secret=emulator.api_secret,
        base_url=emulator.url,
        **options,
    )


@pytest.fixture
async def client(emulator: CloudPaymentsEmulator) -> AsyncIterator[CloudPayments]:
    async with client_for(emulator, retry=FAST_RETRY) as client:
        yield client
