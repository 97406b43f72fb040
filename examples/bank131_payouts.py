"""Bank 131 end to end against the emulator: a payout, a payment with 3-D Secure, a refund.

Every request is signed with the partner's RSA key; every webhook arrives in
an aiohttp app, is verified with the bank's public key and parsed into a typed
event before the shop's code sees it. The shop confirms on ``ready_to_confirm``
and records the result on ``payment_finished``.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web

from aioacquiring.bank131 import (
    ActionRequiredEvent,
    Bank131,
    Customer,
    PaymentFinishedEvent,
    PaymentRefundedEvent,
    ReadyToConfirmEvent,
    RedirectInteraction,
    amount,
    card,
    payment_of,
    payout_of,
    recipient,
)
from aioacquiring.testing.bank131 import Bank131Emulator


def text(status: Any) -> str:
    """An open-enum status as its wire text (``accepted``), known or not."""
    return str(getattr(status, "value", status))


class Shop:
    """The shop's webhook endpoint: confirms what the bank checked, records what finished."""

    def __init__(self, client: Bank131) -> None:
        self.client = client
        self.finished: asyncio.Queue[Any] = asyncio.Queue()
        self.customer_actions: asyncio.Queue[ActionRequiredEvent] = asyncio.Queue()

    async def on_webhook(self, event: Any) -> None:
        """Called by the SDK's handler with each verified event; HTTP 200 follows its return."""
        print(
            f"   webhook {event.type}: session {event.session.id} is {text(event.session.status)}"
        )
        match event:
            case ReadyToConfirmEvent():
                # The bank checked the operation: go ahead (or session.cancel).
                await self.client.session.confirm(session_id=event.session.id)
            case ActionRequiredEvent():
                await self.customer_actions.put(event)
            case PaymentFinishedEvent() | PaymentRefundedEvent():
                await self.finished.put(event)


async def main() -> None:
    """Pay out to a card, take a payment with 3-D Secure, refund part of it."""
    async with Bank131Emulator() as emulator, Bank131(**emulator.client_kwargs()) as client:
        shop = Shop(client)
        app = web.Application()
        app.router.add_post("/bank131", client.webhook_handler(shop.on_webhook))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        emulator.webhook_url = f"http://127.0.0.1:{runner.addresses[0][1]}/bank131"
        try:
            await payout(client, shop)
            session_id = await payment(client, shop)
            await refund(client, shop, session_id)
        finally:
            await emulator.wait_for_webhooks()
            await runner.cleanup()


async def payout(client: Bank131, shop: Shop) -> None:
    """A payout to a card: init -> ready_to_confirm -> confirm -> payment_finished."""
    result = await client.session.init_payout(
        payout_details=card("4242424242424242"),
        amount_details=amount(Decimal("1500.00")),
        participant_details=recipient(full_name="Ivan Ivanov"),
        metadata={"order": "payout-1"},
        idempotency_key="payout-order-1",
    )
    payout_id = result.payout.id  # type: ignore[union-attr]
    print(
        f"1. session.init_payout -> {result.session_id}: {text(result.status)}, payout {payout_id}"
    )
    finished = await asyncio.wait_for(shop.finished.get(), 5)
    done = payout_of(finished.session)
    print(f"2. payout {done.id}: {text(done.status)}, {done.amount_details.amount} kopecks")  # type: ignore[union-attr]


async def payment(client: Bank131, shop: Shop) -> str:
    """A card payment that asks for 3-D Secure, then waits for confirmation."""
    result = await client.session.init_payment(
        payment_details=card(
            "4000000000003220", expiration_month="12", expiration_year="30", security_code="123"
        ),
        amount_details=amount(990),
        customer=Customer(reference="user-42"),
    )
    print(f"3. session.init_payment -> {result.session_id}: {text(result.status)}")
    action = await asyncio.wait_for(shop.customer_actions.get(), 5)
    interaction = payment_of(action.session).customer_interaction  # type: ignore[union-attr]
    assert isinstance(interaction, RedirectInteraction)
    print(f"4. the customer is sent to {interaction.redirect.base_url} (3-D Secure)")
    async with aiohttp.ClientSession() as browser, browser.get(interaction.redirect.url) as page:
        print(f"   ... and passes it (HTTP {page.status})")
    finished = await asyncio.wait_for(shop.finished.get(), 5)
    paid = payment_of(finished.session)
    print(f"5. payment {paid.id}: {text(paid.status)}, final: {text(finished.session.status)}")  # type: ignore[union-attr]
    return result.session_id


async def refund(client: Bank131, shop: Shop, session_id: str) -> None:
    """Refund part of the payment: in_progress, then payment_refunded."""
    result = await client.session.refund(session_id=session_id, amount_details=amount(100))
    print(f"6. session.refund -> refund {result.refund.id}: {text(result.refund.status)}")  # type: ignore[union-attr]
    event = await asyncio.wait_for(shop.finished.get(), 5)
    refunded = payment_of(event.session).refunds[-1]  # type: ignore[union-attr,index]
    kopecks = refunded.amount_details.amount  # type: ignore[union-attr]
    print(f"7. refund {refunded.id}: {text(refunded.status)}, {kopecks} kopecks")


if __name__ == "__main__":
    asyncio.run(main())
