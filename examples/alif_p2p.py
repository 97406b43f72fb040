"""Alif card-to-card: check the receiver, send a small transfer, and a large one with an OTP."""

from __future__ import annotations

import asyncio

from aioacquiring.alif import Alif, PaymentStatus
from aioacquiring.testing.alif import AlifEmulator

RECEIVER = "9860000000000018"  # a Humo test card


def label(value: object) -> str:
    """A status as Alif writes it (statuses are open enums: an unknown one arrives as text)."""
    return str(getattr(value, "value", value))


async def main() -> None:
    """Two transfers from a bound card; the emulator asks an OTP from 100,000 UZS up."""
    async with (
        AlifEmulator() as emulator,
        Alif(token=emulator.token, secret_key=emulator.secret_key, base_url=emulator.url) as alif,
    ):
        sender = emulator.add_card("8600140214357387")  # bound as if its OTP was confirmed
        receiver = await alif.p2p.receiver_check(pan=RECEIVER)
        print(f"1. receiver {receiver.masked_pan}: {receiver.holder_name}, {receiver.bank_name}")

        small = await alif.p2p.transfer_create(
            amount=5_000_000, fee=50_000, card_token=sender, receiver_pan=RECEIVER
        )
        sent = f"{small.amount} + fee {small.fee}"
        print(f"2. transfer {small.external_id}: {sent}, {label(small.status)}")

        large = await alif.p2p.transfer_create(
            amount=25_000_000, card_token=sender, receiver_pan=RECEIVER
        )
        print(f"3. a large transfer: {label(large.status)}, code sent to {large.masked_phone}")
        assert large.status is PaymentStatus.OTP_REQUIRED
        done = await alif.p2p.transfer_confirm(transfer_id=large.id, otp=emulator.otp)
        print(f"4. confirmed: {label(done.status)}")
        print(f"5. transfers Alif holds: {len(emulator.transfers)}")


if __name__ == "__main__":
    asyncio.run(main())
