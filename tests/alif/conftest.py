"""Fixtures of the Alif tests: a fresh emulator and a client with fast retries.

A module that needs another emulator (a different OTP threshold, say)
overrides ``emu``; ``alif`` then points at that one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aioacquiring.alif import Alif
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import client_for


@pytest.fixture
async def emu() -> AsyncIterator[AlifEmulator]:
    async with AlifEmulator() as emulator:
        yield emulator


@pytest.fixture
async def alif(emu: AlifEmulator) -> AsyncIterator[Alif]:
    async with client_for(emu) as client:
        yield client
