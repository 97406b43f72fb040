"""A caller's own aiohttp session, set up for the rest of their service, over the emulators.

A web service often shares one ``ClientSession`` across all its outbound calls,
configured for some other API. Whatever that session says for its own requests,
the SDK's must still reach the provider, be read in full and carry only the
SDK's credentials.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

from aioacquiring import InvalidInputError
from aioacquiring.alif import Alif
from aioacquiring.bank131 import Bank131
from aioacquiring.cloudpayments import Accepted
from aioacquiring.testing import Bank131Emulator, CloudPaymentsEmulator
from aioacquiring.testing.alif import AlifEmulator

from .conftest import FAST_RETRY, client_for
from .test_bank131_reliability import payout_args
from .test_cloudpayments_reliability import CHARGE_PATH, charge_args

OTHER_SERVICE = "http://127.0.0.1:9/internal-api/"
"""The base URL of the other service a shared session was made for (nothing listens)."""

SESSION_SECRET = "s3ssion-secret-for-another-service"


class ContentEncodings:
    """The ``Content-Encoding`` of every answer, through aiohttp's public tracing hooks."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_end.append(self._end)

    async def _end(self, session: Any, context: SimpleNamespace, params: Any) -> None:
        self.seen.append(params.response.headers.get("Content-Encoding"))


@pytest.fixture
async def bank131_emu() -> AsyncIterator[Bank131Emulator]:
    async with Bank131Emulator() as emulator:
        yield emulator


@pytest.fixture
async def alif_emu() -> AsyncIterator[AlifEmulator]:
    async with AlifEmulator() as emulator:
        yield emulator


async def test_a_session_with_another_services_base_url_still_reaches_the_provider(
    emulator: CloudPaymentsEmulator, bank131_emu: Bank131Emulator
) -> None:
    # aiohttp 3.11 asserted that every URL on such a session was relative: each SDK call
    # failed with a bare AssertionError. The floor is now 3.12, which lets absolute ones by.
    async with aiohttp.ClientSession(base_url=OTHER_SERVICE) as session:
        cloudpayments = client_for(
            emulator,
            session=session,
            retry=FAST_RETRY,
        )
        result = await cloudpayments.payments.cards_charge(**charge_args())
        assert isinstance(result, Accepted)
        assert len(emulator.transactions) == 1
        bank131 = Bank131(**bank131_emu.client_kwargs(), session=session, retry=FAST_RETRY)
        started = await bank131.session.init_payout(**payout_args())
        assert started.session is not None
        assert started.session.id in [stored["id"] for stored in bank131_emu.sessions]
        await cloudpayments.close()
        await bank131.close()
        assert not session.closed  # the caller's session stays theirs


async def test_a_session_that_does_not_decompress_still_reads_compressed_answers(
    emulator: CloudPaymentsEmulator, alif_emu: AlifEmulator
) -> None:
    encodings = ContentEncodings()
    async with aiohttp.ClientSession(
        auto_decompress=False, trace_configs=[encodings.config]
    ) as session:
        cloudpayments = client_for(
            emulator,
            session=session,
            retry=FAST_RETRY,
        )
        emulator.faults.compress_next(1, path=CHARGE_PATH)
        charged = await cloudpayments.payments.cards_charge(**charge_args())
        assert isinstance(charged, Accepted)
        assert charged.transaction.amount == charge_args()["amount"]
        alif = Alif(
            token=alif_emu.token,
            secret_key=alif_emu.secret_key,
            base_url=alif_emu.url,
            session=session,
            retry=FAST_RETRY,
        )
        alif_emu.faults.compress_next(1)
        assert await alif.card.token_list().collect() == []
    # Both answers really were compressed on the wire, and each was read once.
    assert len(encodings.seen) == 2
    assert set(encodings.seen) <= {"deflate", "gzip"}
    assert emulator.requests_seen(CHARGE_PATH) == 1
    assert len(emulator.transactions) == 1


def session_with_credentials(how: str) -> aiohttp.ClientSession:
    if how == "auth":
        # Deprecated since aiohttp 3.14, still taken by every aiohttp the SDK supports.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return aiohttp.ClientSession(auth=aiohttp.BasicAuth("internal", SESSION_SECRET))
    return aiohttp.ClientSession(headers=CIMultiDict(authorization=f"Bearer {SESSION_SECRET}"))


@pytest.mark.parametrize("credentials", ["auth", "authorization-header"])
async def test_a_session_that_adds_its_own_credentials_is_refused(
    emulator: CloudPaymentsEmulator,
    bank131_emu: Bank131Emulator,
    alif_emu: AlifEmulator,
    credentials: str,
) -> None:
    # Such a session would hand another service's credentials to the payment provider
    # (Bank 131 and Alif send no Authorization of their own), or make aiohttp refuse
    # every CloudPayments call with a bare ValueError.
    async with session_with_credentials(credentials) as session:
        makers = [
            lambda: client_for(
                emulator,
                session=session,
            ),
            lambda: Bank131(**bank131_emu.client_kwargs(), session=session),
            lambda: Alif(
                token=alif_emu.token,
                secret_key=alif_emu.secret_key,
                base_url=alif_emu.url,
                session=session,
            ),
        ]
        for make in makers:
            with pytest.raises(InvalidInputError) as refused:
                make()
            assert refused.value.field == "session"
            assert SESSION_SECRET not in str(refused.value)
    assert emulator.requests_seen() == 0
    assert bank131_emu.faults.requests_seen() == 0
    assert alif_emu.faults.requests_seen() == 0


async def test_a_session_with_other_default_headers_is_used_as_is(
    emulator: CloudPaymentsEmulator,
) -> None:
    async with aiohttp.ClientSession(headers={"X-Tenant": "shop-7"}) as session:
        client = client_for(
            emulator,
            session=session,
        )
        assert await client.test()
