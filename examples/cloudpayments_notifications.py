"""CloudPayments notifications: a shop's aiohttp app receives Check, Pay and Fail.

The emulator plays CloudPayments: after each charge it sends signed
notifications to the shop's URLs. The shop mounts the SDK's handler, which
verifies the signature, parses the typed notification and answers
``{"code": 0}``. Run it with ``make demo`` (loopback only); each step prints
what happened.
"""

from __future__ import annotations

import asyncio
import logging
from decimal import Decimal
from typing import Any

from aiohttp import web

from aioacquiring.cloudpayments import (
    CheckAnswer,
    CheckNotification,
    CloudPayments,
    FailNotification,
    NotificationType,
    PayNotification,
)
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram
from aioacquiring.testing.cloudpayments import answer_code

LIMIT = Decimal("10000.00")


class Shop:
    """The shop's side: what it does with each notification."""

    def __init__(self) -> None:
        self.paid: set[int] = set()  # in a real shop: a table with a unique TransactionId
        self.database_down_once = True

    async def on_check(self, note: CheckNotification) -> CheckAnswer:
        """Accept or refuse a payment before it is made."""
        if note.amount is not None and note.amount > LIMIT:
            print(f"   shop: Check {note.transaction_id} for {note.amount} -> refuse (over limit)")
            return CheckAnswer.INVALID_AMOUNT
        print(f"   shop: Check {note.transaction_id} for {note.amount} -> accept")
        return CheckAnswer.ACCEPT

    async def on_pay(self, note: PayNotification) -> None:
        """Fulfil the order, exactly once, however many times the notification comes."""
        if self.database_down_once:  # fail the first delivery: CloudPayments will retry
            self.database_down_once = False
            print(f"   shop: Pay {note.transaction_id} -> database down, answering an error")
            raise RuntimeError("database is down")
        if note.transaction_id in self.paid:
            print(f"   shop: Pay {note.transaction_id} again -> already done, nothing to do")
            return
        self.paid.add(note.transaction_id)
        print(
            f"   shop: Pay {note.transaction_id} verified: {note.amount} {note.currency}, "
            f"order {note.invoice_id}, card {note.card_first_six}...{note.card_last_four}, "
            f"data {note.data}"
        )

    async def on_fail(self, note: FailNotification) -> None:
        """Tell the payer why the payment failed."""
        print(f"   shop: Fail {note.transaction_id}: {note.reason_code} {note.reason}")


async def start_shop(client: CloudPayments, shop: Shop) -> tuple[web.AppRunner, str]:
    """The shop's aiohttp app on a free loopback port, with the SDK's handlers mounted."""
    callbacks: dict[NotificationType, Any] = {
        NotificationType.CHECK: shop.on_check,
        NotificationType.PAY: shop.on_pay,
        NotificationType.FAIL: shop.on_fail,
    }
    app = web.Application()
    for kind, callback in callbacks.items():
        handler = client.notification_handler(kind, callback)
        app.router.add_post(f"/cloudpayments/{kind.value.lower()}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/cloudpayments"


async def run(client: CloudPayments, emulator: CloudPaymentsEmulator, shop_url: str) -> None:
    """Charges, and the notifications each one brings."""
    for kind in ("Check", "Pay", "Fail"):
        emulator.notify_url(kind, f"{shop_url}/{kind.lower()}")  # in production: the dashboard
    print(f"1. notifications go to {shop_url}/{{check,pay,fail}}")

    result = await client.payments.cards_charge(
        amount=Decimal("990.00"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram("4000000000003055"),
        invoice_id="order-1001",
        json_data={"basket": ["coffee"]},
    )
    print(f"2. charge answered at once: {type(result).__name__} {result.transaction_id}")
    await emulator.notifications_delivered()  # the Pay was retried after the shop's error
    [pay] = [d for d in emulator.deliveries if d.label == "Pay"]
    print(
        f"3. Pay delivered after {len(pay.attempts)} attempts; last answer HTTP {pay.last_status}"
    )

    result = await client.payments.cards_charge(
        amount=Decimal("25000.00"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram("4000000000003055"),
        invoice_id="order-1002",
    )
    print(f"4. a charge the shop's Check refuses -> {type(result).__name__}")
    await emulator.notifications_delivered()

    result = await client.payments.cards_charge(
        amount=Decimal("100.00"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram("4000056655665556"),
        invoice_id="order-1003",
    )
    print(f"5. a charge on an empty card -> {type(result).__name__}")
    await emulator.notifications_delivered()

    print("6. every notification the emulator sent:")
    for delivery in emulator.deliveries:
        print(
            f"   {delivery.label:<5} {delivery.method} {delivery.url}: "
            f"attempts {len(delivery.attempts)}, answered code {answer_code(delivery)}"
        )


async def main() -> None:
    """Start the emulator and the shop, run the charges, stop both."""
    # The shop fails one delivery on purpose; keep the handler's traceback out of the output.
    logging.getLogger("aioacquiring.cloudpayments.webhooks").setLevel(logging.CRITICAL)
    async with CloudPaymentsEmulator() as emulator:
        print(f"CloudPayments emulator at {emulator.url}\n")
        async with CloudPayments(
            public_id=emulator.public_id, api_secret=emulator.api_secret, base_url=emulator.url
        ) as client:
            runner, shop_url = await start_shop(client, Shop())
            try:
                await run(client, emulator, shop_url)
            finally:
                await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
