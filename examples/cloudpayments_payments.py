"""CloudPayments payments, start to end: charge, 3-D Secure, decline, hold, refund, list.

Run against the local emulator with ``make demo`` (no credentials, loopback
only), or point ``base_url``/``public_id``/``api_secret`` at your terminal.
Each step prints what happened.
"""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import aiohttp

from aioacquiring.cloudpayments import (
    Accepted,
    CloudPayments,
    Declined,
    PaymentResult,
    ThreeDSecureRequired,
)
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram


def text(value: object) -> str:
    """An enum member as the provider writes it (``Completed``), anything else as is."""
    return str(getattr(value, "value", value))


TERM_URL = "https://shop.example/3ds/callback"


def describe(result: PaymentResult) -> str:
    """One line per outcome: the three cases a shop has to handle."""
    match result:
        case Accepted():
            return f"accepted: transaction {result.transaction_id}, status {text(result.status)}"
        case Declined():
            return (
                f"declined: transaction {result.transaction_id}, reason {result.reason_code} "
                f"{result.reason.name} -- tell the payer: {result.card_holder_message!r}"
            )
        case ThreeDSecureRequired():
            return f"3-D Secure needed: transaction {result.transaction_id}, ACS {result.acs_url}"


async def pass_3ds_as_the_payer_would(challenge: ThreeDSecureRequired) -> str:
    """Post the form to the ACS the way the payer's browser does; return the bank's PaRes."""
    form = {"MD": str(challenge.transaction_id), "PaReq": challenge.pa_req, "TermUrl": TERM_URL}
    async with (
        aiohttp.ClientSession() as browser,
        browser.post(challenge.acs_url, data=form) as page,
    ):
        html = await page.text()
    found = re.search(r'name="PaRes" value="([^"]*)"', html)
    assert found, "the ACS page carries PaRes back to TermUrl"
    return found[1]


async def run(client: CloudPayments) -> None:
    """The main CloudPayments flows, one after another."""
    print("1. test():", await client.test())

    result = await client.payments.cards_charge(
        amount=Decimal("990.00"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram("4000000000003055"),
        invoice_id="order-1001",
        account_id="user-42",
        description="Coffee beans, 1 kg",
        idempotency_key="order-1001-charge",  # the order id: a retry can never charge twice
    )
    print("2. charge without 3-D Secure ->", describe(result))

    result = await client.payments.cards_charge(
        amount=Decimal("1500.00"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram("4242424242424242"),
        invoice_id="order-1002",
    )
    print("3. charge with 3-D Secure ->", describe(result))
    if isinstance(result, ThreeDSecureRequired):
        html = result.form_html(TERM_URL)
        print(f"   show the payer this auto-submitting form ({len(html)} bytes of HTML)")
        pa_res = await pass_3ds_as_the_payer_would(result)
        finished = await client.payments.cards_post3ds(
            transaction_id=result.transaction_id, pa_res=pa_res
        )
        print("   post3ds ->", describe(finished))

    result = await client.payments.cards_charge(
        amount=Decimal("100.00"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram("4000056655665556"),
        invoice_id="order-1003",
    )
    print("4. charge on an empty card ->", describe(result))

    hold = await client.payments.cards_auth(
        amount=Decimal("5000.00"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram("4000000000003055"),
        invoice_id="order-1004",
    )
    print("5. hold ->", describe(hold))
    if isinstance(hold, Accepted):
        await client.payments.confirm(transaction_id=hold.transaction_id, amount=Decimal("4200.00"))
        confirmed = await client.payments.get(transaction_id=hold.transaction_id)
        print(
            f"   confirmed 4200.00 of it -> status {text(confirmed.status)}, "
            f"amount {confirmed.amount}"
        )

    paid = await client.payments.find(invoice_id="order-1001")
    refund = await client.payments.refund(transaction_id=paid.transaction_id, amount=Decimal("90"))
    print(f"6. refunded 90.00 of order-1001 -> refund transaction {refund.transaction_id}")

    now = datetime.now(timezone.utc)
    print("7. today's operations, fetched page by page:")
    async for transaction in client.payments.list(
        created_date_gte=now - timedelta(days=1), created_date_lte=now + timedelta(minutes=1)
    ):
        print(
            f"   {transaction.transaction_id}  {transaction.invoice_id:<11} "
            f"{transaction.amount:>8} {text(transaction.currency)}  {text(transaction.status)}"
        )


async def main() -> None:
    """Start the emulator, point a client at it, run the flows."""
    async with CloudPaymentsEmulator() as emulator:
        print(f"CloudPayments emulator at {emulator.url}\n")
        async with CloudPayments(
            public_id=emulator.public_id, api_secret=emulator.api_secret, base_url=emulator.url
        ) as client:
            await run(client)


if __name__ == "__main__":
    asyncio.run(main())
