"""Local in-memory emulators of the providers, for tests and demos.

Each emulator is an aiohttp application served on loopback that behaves like
the provider's API as documented; ``async with`` gives a running server and
its ``url``. :class:`FaultInjector` (every emulator's ``faults``) scripts
failures: HTTP errors, delays, connections dropped before or after the work.

* :class:`CloudPaymentsEmulator` with :func:`test_cryptogram` for its test cards;
* :class:`AlifEmulator`, Alif Acquiring's RPC API, with test cards and a fixed OTP;
* :class:`Bank131Emulator`: RSA-signed Bank 131 sessions, payouts, payments, webhooks;
* :class:`EmulatorServer`, the base to build further emulators on.
"""

from aioacquiring.testing.alif import AlifEmulator
from aioacquiring.testing.bank131 import Bank131Emulator
from aioacquiring.testing.cloudpayments import CloudPaymentsEmulator, test_cryptogram
from aioacquiring.testing.faults import FaultInjector
from aioacquiring.testing.server import EmulatorServer

__all__ = [
    "AlifEmulator",
    "Bank131Emulator",
    "CloudPaymentsEmulator",
    "EmulatorServer",
    "FaultInjector",
    "test_cryptogram",
]
