"""The fixtures behind :mod:`aioacquiring.testing.pytest_plugin` (which needs pytest-asyncio)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from aioacquiring.alif import Alif
from aioacquiring.bank131 import Bank131
from aioacquiring.cloudpayments import CloudPayments
from aioacquiring.core.config import RetryPolicy
from aioacquiring.testing.alif import AlifEmulator
from aioacquiring.testing.bank131 import Bank131Emulator
from aioacquiring.testing.cloudpayments import CloudPaymentsEmulator

__all__ = [
    "FAST_RETRY",
    "alif_client",
    "alif_emulator",
    "bank131_client",
    "bank131_emulator",
    "cloudpayments_client",
    "cloudpayments_emulator",
]

FAST_RETRY = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_cap=0.05, deadline=10)
"""The retry policy of the fixtures' clients: the default's shape, in milliseconds."""


@pytest_asyncio.fixture
async def cloudpayments_emulator() -> AsyncIterator[CloudPaymentsEmulator]:
    """A running, empty CloudPayments emulator (test credentials on the object)."""
    async with CloudPaymentsEmulator() as emulator:
        yield emulator


@pytest_asyncio.fixture
async def cloudpayments_client(
    cloudpayments_emulator: CloudPaymentsEmulator,
) -> AsyncIterator[CloudPayments]:
    """A CloudPayments client pointed at ``cloudpayments_emulator``."""
    async with CloudPayments(
        public_id=cloudpayments_emulator.public_id,
        api_secret=cloudpayments_emulator.api_secret,
        base_url=cloudpayments_emulator.url,
        retry=FAST_RETRY,
    ) as client:
        yield client


@pytest_asyncio.fixture
async def alif_emulator() -> AsyncIterator[AlifEmulator]:
    """A running, empty Alif emulator (test credentials on the object)."""
    async with AlifEmulator() as emulator:
        yield emulator


@pytest_asyncio.fixture
async def alif_client(alif_emulator: AlifEmulator) -> AsyncIterator[Alif]:
    """An Alif client pointed at ``alif_emulator``."""
    async with Alif(
        token=alif_emulator.token,
        secret_key=alif_emulator.secret_key,
        base_url=alif_emulator.url,
        retry=FAST_RETRY,
    ) as client:
        yield client


@pytest_asyncio.fixture
async def bank131_emulator() -> AsyncIterator[Bank131Emulator]:
    """A running, empty Bank 131 emulator with fresh key pairs (``client_kwargs()``)."""
    async with Bank131Emulator() as emulator:
        yield emulator


@pytest_asyncio.fixture
async def bank131_client(bank131_emulator: Bank131Emulator) -> AsyncIterator[Bank131]:
    """A Bank 131 client pointed at ``bank131_emulator``, signing with its partner key."""
    async with Bank131(**bank131_emulator.client_kwargs(), retry=FAST_RETRY) as client:
        yield client
