"""Alif webhooks: an aiohttp app that receives the emulator's signed events.

The handler verifies the ``signature`` header over the raw body (base64 or hex
HMAC-SHA256 under your secret key), parses the event into a typed object and
answers HTTP 200 only after your callback has finished; a forged webhook gets
HTTP 401 and never reaches the callback.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from aioacquiring.alif import Alif, CardEvent, Event, PaymentEvent, SessionItem
from aioacquiring.testing.alif import AlifEmulator


def label(value: object) -> str:
    """A status as Alif writes it (statuses are open enums: an unknown one arrives as text)."""
    return str(getattr(value, "value", value))


async def main() -> None:
    """Serve a webhook endpoint, pay a session and bind a card, and print what arrives."""
    received: list[Event] = []

    async def on_event(event: Event) -> None:
        received.append(event)
        if isinstance(event, PaymentEvent):
            print(
                f"   webhook: {label(event.event)} for {event.data.id}, {label(event.data.status)}"
            )
        elif isinstance(event, CardEvent):
            print(f"   webhook: {label(event.event)} for {event.data.masked_pan}")

    async with AlifEmulator() as emulator:
        alif = Alif(token=emulator.token, secret_key=emulator.secret_key, base_url=emulator.url)
        app = web.Application()
        app.router.add_post("/alif/webhook", alif.webhook_handler(on_event))
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/alif/webhook"
        print(f"1. the shop's webhook endpoint: {url}")
        try:
            emulator.webhook_url = url  # for events of objects that name no webhook_url
            session = await alif.checkout.session_create(
                items=[SessionItem(name="Notebook", price=3_500_000, amount=1)],
                redirect_url="https://shop.example/thanks",
                webhook_url=url,
            )
            print("2. paying a session with a card that needs no OTP")
            await alif.checkout.payment_create(
                session_ref=session.session_ref, pan="4000000000000002", exp="1230"
            )
            await emulator.wait_webhooks()
            print("3. binding a card")
            card = await alif.card.token_create(pan="9860000000000018", exp="1230")
            await alif.card.token_confirm(card_token=card.card_token, otp=emulator.otp)
            await emulator.wait_webhooks()
            delivered = sum(d.delivered for d in emulator.deliveries)
            print(f"4. {len(received)} events handled, {delivered} answered HTTP 200")
        finally:
            await alif.close()
            await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(main())
