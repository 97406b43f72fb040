"""Alif lists: an async iterator over page/per_page, fetched page by page as you go."""

from __future__ import annotations

import asyncio

from aioacquiring.alif import Alif
from aioacquiring.testing.alif import AlifEmulator


async def main() -> None:
    """250 debits, listed item by item, then page by page, then only the first 30."""
    async with (
        AlifEmulator() as emulator,
        Alif(token=emulator.token, secret_key=emulator.secret_key, base_url=emulator.url) as alif,
    ):
        card = emulator.add_card()
        for n in range(250):
            await alif.debit.payment_create(amount=1000 + n, card_token=card)
        print("1. made 250 debits")

        total = 0
        async for payment in alif.debit.payment_list():
            total += payment.amount
        requests = emulator.requests_seen("/debit.payment.list")
        print(f"2. listed them all: {total} tiyin in {requests} requests of up to 100")

        sizes = [len(page) async for page in alif.debit.payment_list(per_page=40).pages()]
        print(f"3. pages of 40: {sizes}")

        first = await alif.debit.payment_list(max_items=30).collect()
        print(f"4. the first 30 only: {first[0].amount} .. {first[-1].amount}")


if __name__ == "__main__":
    asyncio.run(main())
