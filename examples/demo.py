"""`make demo`: every example, run against the local emulators (no credentials, loopback only)."""

from __future__ import annotations

import asyncio

import cloudpayments_payments
import cloudpayments_safe_retries


async def main() -> None:
    """Run each example in turn, with a heading."""
    for title, example in [
        ("CloudPayments: payments", cloudpayments_payments.main),
        ("CloudPayments: a lost answer, retried safely", cloudpayments_safe_retries.main),
    ]:
        print(f"\n=== {title} ===")
        await example()


if __name__ == "__main__":
    asyncio.run(main())
