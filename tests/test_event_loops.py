"""One client, one event loop after another: sync code that calls the SDK through asyncio.run.

A Django view, a Celery task or a script often makes one client at import time
and runs each job with ``asyncio.run``. The session the client made in one loop
dies with it; the client closes it as that loop ends and makes a new one in the
next, without a warning about anything left open.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from aioacquiring.cloudpayments import Accepted, CloudPayments
from aioacquiring.testing import CloudPaymentsEmulator

from .test_cloudpayments_reliability import CHARGE_PATH, charge_args


@contextmanager
def emulator_in_its_own_thread() -> Iterator[CloudPaymentsEmulator]:
    """The emulator served from a thread of its own, so that the test's loops can come and go."""
    started = threading.Event()
    stop: dict[str, asyncio.Event | asyncio.AbstractEventLoop] = {}
    box: list[CloudPaymentsEmulator] = []

    async def serve() -> None:
        stop["event"], stop["loop"] = asyncio.Event(), asyncio.get_running_loop()
        async with CloudPaymentsEmulator() as emulator:
            box.append(emulator)
            started.set()
            await stop["event"].wait()  # type: ignore[union-attr]

    thread = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    thread.start()
    assert started.wait(10), "the emulator did not start"
    try:
        yield box[0]
    finally:
        stop["loop"].call_soon_threadsafe(stop["event"].set)  # type: ignore[union-attr]
        thread.join(10)


def test_one_client_serves_one_asyncio_run_after_another() -> None:
    with emulator_in_its_own_thread() as emulator:
        client = CloudPayments(
            public_id=emulator.public_id,
            api_secret=emulator.api_secret,
            base_url=emulator.url,
            max_concurrency=2,
        )

        async def burst() -> list[str]:
            # More calls than max_concurrency: some wait for a slot in this loop.
            return list(await asyncio.gather(*(client.test() for _ in range(6))))

        first = asyncio.run(burst())
        second = asyncio.run(burst())
        charged = asyncio.run(client.payments.cards_charge(**charge_args()))
        assert len(set(first + second)) == 12
        assert isinstance(charged, Accepted)
        assert emulator.requests_seen(CHARGE_PATH) == 1
        assert emulator.requests_seen("/test") == 12
        asyncio.run(client.close())
    gc.collect()  # a session left open by an ended loop would warn here (an error in this suite)


def test_a_closed_client_stays_closed_in_the_next_loop() -> None:
    with emulator_in_its_own_thread() as emulator:
        client = CloudPayments(
            public_id=emulator.public_id, api_secret=emulator.api_secret, base_url=emulator.url
        )
        asyncio.run(client.test())
        asyncio.run(client.close())
        with pytest.raises(RuntimeError, match="closed"):
            asyncio.run(client.test())
