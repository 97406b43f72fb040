"""Why a lost answer cannot pay out twice: the same X-PARTNER-IDEMPOTENCY-KEY on every attempt.

The emulator does the payout, then drops the connection before answering. The
SDK made the key (and the signed body) once, before the first attempt, and
resends both; the bank answers the retry with its first answer. Reusing the
key for another payout is refused with a typed error, never retried.
"""

from __future__ import annotations

import asyncio

from aioacquiring.bank131 import Bank131, IdempotencyParamsMismatchError, amount, card, recipient
from aioacquiring.testing.bank131 import Bank131Emulator

PATH = "/api/v2/session/init/payout"


async def main() -> None:
    """Lose the first answer of a payout and watch the retry recover it."""
    async with Bank131Emulator() as emulator, Bank131(**emulator.client_kwargs()) as client:
        emulator.faults.drop_after_next(1, path=PATH)
        print("1. the next payout will be made, then its answer lost")
        result = await client.session.init_payout(
            payout_details=card("4242424242424242"),
            amount_details=amount(700),
            participant_details=recipient(full_name="Ivan Ivanov"),
            idempotency_key="payout-order-7",
        )
        print(
            f"2. init_payout -> {result.session_id} after {emulator.requests_seen(PATH)} attempts"
        )
        print(f"3. payouts the bank holds: {len(emulator.payouts)}")
        try:
            await client.session.init_payout(
                payout_details=card("4242424242424242"),
                amount_details=amount(701),
                participant_details=recipient(full_name="Ivan Ivanov"),
                idempotency_key="payout-order-7",
            )
        except IdempotencyParamsMismatchError as error:
            print(f"4. the same key for another amount: {error.code} ({error.attempts} attempt)")


if __name__ == "__main__":
    asyncio.run(main())
