"""Alif bound-card debit: bind a card with an OTP, debit it, and survive a lost answer.

The debit carries an ``external_id`` (the SDK makes one when you give none);
Alif dedupes by it, so when the emulator does the work and then drops the
connection, the SDK's retry under the same ``external_id`` gets the first
answer back and the card is charged exactly once.
"""

from __future__ import annotations

import asyncio

from aioacquiring.alif import Alif, InsufficientFundsError
from aioacquiring.testing.alif import AlifEmulator


def label(value: object) -> str:
    """A status as Alif writes it (statuses are open enums: an unknown one arrives as text)."""
    return str(getattr(value, "value", value))


async def main() -> None:
    """Bind a card, debit it twice (once through a lost answer), and meet a refusal."""
    async with (
        AlifEmulator() as emulator,
        Alif(token=emulator.token, secret_key=emulator.secret_key, base_url=emulator.url) as alif,
    ):
        card = await alif.card.token_create(pan="8600140214357387", exp="1230")
        print(
            f"1. binding {card.masked_pan}: {label(card.status)}, code sent to {card.masked_phone}"
        )
        card = await alif.card.token_confirm(card_token=card.card_token, otp=emulator.otp)
        print(f"2. bound: {label(card.status)}, {card.holder_name}, {card.bank_name}")

        payment = await alif.debit.payment_create(
            amount=4_900_000, card_token=card.card_token, external_id="order-2001"
        )
        print(f"3. debit {payment.external_id}: {payment.amount} tiyin, {label(payment.status)}")

        emulator.faults.drop_after_next(1, path="/debit.payment.create")
        print("4. the next debit will be processed, then its answer lost")
        second = await alif.debit.payment_create(amount=990_000, card_token=card.card_token)
        attempts = emulator.requests_seen("/debit.payment.create") - 1
        print(f"5. debit {second.external_id}: {label(second.status)} after {attempts} attempts")
        held = [p for p in emulator.payments if p["external_id"] == second.external_id]
        print(f"6. debits Alif holds under that external_id: {len(held)}")

        poor = emulator.add_card("8600000000000023")  # a test card with no money on it
        try:
            await alif.debit.payment_create(amount=100, card_token=poor, external_id="order-2002")
        except InsufficientFundsError as error:
            print(f"7. refused: {error.message} (code {error.code})")
        failed = await alif.debit.payment_get(external_id="order-2002")
        print(f"8. the refused debit is on record: {label(failed.status)}")


if __name__ == "__main__":
    asyncio.run(main())
