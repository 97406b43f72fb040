"""Why a lost answer cannot charge twice: the same X-Request-ID on every attempt.

The emulator is told to do the work and then drop the connection before
answering -- the worst case for a payment: the card was charged but the shop
never heard. The SDK retries under the idempotency key it fixed before the
first attempt, CloudPayments replays its first answer, and exactly one
transaction exists.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from aioacquiring.cloudpayments import Accepted, CloudPayments
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram


async def main() -> None:
    """Lose the first answer of a charge and watch the retry recover it."""
    async with (
        CloudPaymentsEmulator() as emulator,
        CloudPayments(
            public_id=emulator.public_id, api_secret=emulator.api_secret, base_url=emulator.url
        ) as client,
    ):
        emulator.faults.drop_after_next(1, path="/payments/cards/charge")
        print("1. the next charge will be processed, then its answer lost")
        result = await client.payments.cards_charge(
            amount=Decimal("250.00"),
            ip_address="203.0.113.7",
            card_cryptogram_packet=test_cryptogram("4000000000003055"),
            invoice_id="order-2001",
            idempotency_key="order-2001",
        )
        assert isinstance(result, Accepted)
        attempts = emulator.requests_seen("/payments/cards/charge")
        print(f"2. charge -> accepted, transaction {result.transaction_id}, {attempts} attempts")
        charges = [t for t in emulator.transactions if t["InvoiceId"] == "order-2001"]
        print(f"3. transactions the provider holds for order-2001: {len(charges)}")


if __name__ == "__main__":
    asyncio.run(main())
