"""A pytest plugin with the emulators as fixtures, for your own test suite.

Installed with the package and loaded by pytest on its own (entry point
``pytest11``); it needs pytest-asyncio. Each test gets a fresh, empty
emulator on a free loopback port and a client pointed at it, closed after the
test::

    async def test_checkout_charges_once(cloudpayments_client, cloudpayments_emulator):
        cloudpayments_emulator.faults.drop_after_next(1, path="/payments/cards/charge")
        await my_shop.checkout(cloudpayments_client, order_id="1001")
        assert len(cloudpayments_emulator.transactions) == 1

Fixtures: ``cloudpayments_emulator``, ``cloudpayments_client``,
``alif_emulator``, ``alif_client``, ``bank131_emulator``, ``bank131_client``.
The clients retry fast (10 ms backoff) so that fault tests stay quick.
"""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("pytest_asyncio") is not None:
    # Without pytest-asyncio the plugin stays inert rather than breaking pytest.
    from aioacquiring.testing._fixtures import *  # noqa: F403
