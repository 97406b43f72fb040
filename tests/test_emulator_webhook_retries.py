"""Webhook delivery of all three emulators through the one shared outbox.

For each provider a shop mounts the SDK's own handler on loopback, behind a
recorder that keeps every request exactly as it arrived. The shop's database
"fails" on purpose (the SDK's handler then answers 500, the provider delivers
again), the outbox is told to duplicate or reorder, and every request the shop
got is verified again with the SDK's verifier.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web

from aioacquiring.alif import Alif
from aioacquiring.bank131 import Bank131, Customer, amount, card
from aioacquiring.cloudpayments import CloudPayments
from aioacquiring.testing import alif as alif_emulator
from aioacquiring.testing import bank131 as bank131_emulator
from aioacquiring.testing._cloudpayments_notify import RETRY_SCHEDULE as CLOUDPAYMENTS_SCHEDULE
from aioacquiring.testing.alif import AlifEmulator
from aioacquiring.testing.bank131 import Bank131Emulator
from aioacquiring.testing.cloudpayments import CloudPaymentsEmulator, test_cryptogram
from aioacquiring.testing.outbox import Delivery

from .conftest import FAST_RETRY
from .test_bank131_signing import bank_keys, partner_keys

SCALE = 1e-3
"""A minute of the providers' schedules takes 60 ms here."""
SLACK = 1.0
"""How much later than scheduled a retry may go on a busy machine (seconds)."""
PROVIDERS = ["cloudpayments", "bank131", "alif"]


@dataclass
class Seen:
    """One request as the shop received it."""

    headers: dict[str, str]
    body: bytes
    query: str | None


@dataclass
class Shop:
    """The merchant's endpoint: records each request, then lets the SDK's handler answer."""

    failures: int = 0
    """Callbacks to fail first (the SDK's handler answers 500 for each)."""
    requests: list[Seen] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)

    async def callback(self, event: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the shop's database is down")
        self.events.append(event)

    def recording(
        self, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            body = await request.read()  # aiohttp keeps it: the SDK's handler reads it again
            query = request.rel_url.raw_query_string or None
            self.requests.append(Seen(dict(request.headers), body, query))
            return await handler(request)

        return handle


@dataclass
class World:
    """One provider's emulator, a client and the shop, and how to make one webhook."""

    emulator: CloudPaymentsEmulator | Bank131Emulator | AlifEmulator
    label: str
    schedule: Sequence[float]
    trigger: Callable[[int], Awaitable[Any]]
    """Make one webhook through the API; the id its event will carry."""
    verify: Callable[[Seen], Any]
    """Verify and parse a request with the SDK; raises when it is not genuine."""
    key: Callable[[Any], Any]
    """The id a parsed event carries."""
    shop: Shop


@asynccontextmanager
async def serve(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/hook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def cloudpayments(shop: Shop) -> AsyncIterator[World]:
    async with (
        CloudPaymentsEmulator(webhook_time_scale=SCALE) as emu,
        CloudPayments(
            public_id=emu.public_id, api_secret=emu.api_secret, base_url=emu.url, retry=FAST_RETRY
        ) as client,
        serve(shop.recording(client.notification_handler("Pay", shop.callback))) as url,
    ):
        emu.notify_url("Pay", url)

        async def trigger(n: int) -> int:
            result = await client.payments.cards_charge(
                amount=Decimal(n),
                ip_address="203.0.113.7",
                card_cryptogram_packet=test_cryptogram("4000000000003055"),
                invoice_id=f"order-{n}",
            )
            return int(result.transaction.transaction_id)  # type: ignore[union-attr]

        yield World(
            emulator=emu,
            label="Pay",
            schedule=CLOUDPAYMENTS_SCHEDULE,
            trigger=trigger,
            verify=lambda seen: client.verify_notification(
                "Pay", seen.headers, seen.body, query=seen.query
            ),
            key=lambda note: note.transaction_id,
            shop=shop,
        )


@asynccontextmanager
async def bank131(shop: Shop) -> AsyncIterator[World]:
    async with (
        Bank131Emulator(
            partner_keys=partner_keys(),
            bank_keys=bank_keys(),
            confirm_payments=False,  # a payment finishes at once: one payment_finished
            webhook_time_scale=SCALE,
        ) as emu,
        Bank131(**emu.client_kwargs(), retry=FAST_RETRY) as client,
        serve(shop.recording(client.webhook_handler(shop.callback))) as url,
    ):
        emu.webhook_url = url

        async def trigger(n: int) -> str:
            started = await client.session.init_payment(
                payment_details=card("4242424242424242"),
                amount_details=amount(n),
                customer=Customer(reference="user-7"),
            )
            return started.session_id

        yield World(
            emulator=emu,
            label="payment_finished",
            schedule=bank131_emulator.RETRY_SCHEDULE,
            trigger=trigger,
            verify=lambda seen: client.verify_webhook(seen.headers, seen.body),
            key=lambda event: event.session.id,
            shop=shop,
        )


@asynccontextmanager
async def alif(shop: Shop) -> AsyncIterator[World]:
    async with (
        AlifEmulator(webhook_time_scale=SCALE) as emu,
        Alif(
            token=emu.token, secret_key=emu.secret_key, base_url=emu.url, retry=FAST_RETRY
        ) as client,
        serve(shop.recording(client.webhook_handler(shop.callback))) as url,
    ):
        emu.webhook_url = url
        card_token = emu.add_card()

        async def trigger(n: int) -> str:
            payment = await client.debit.payment_create(amount=1000 * n, card_token=card_token)
            return payment.id

        yield World(
            emulator=emu,
            label="payment.succeeded",
            schedule=alif_emulator.RETRY_SCHEDULE,
            trigger=trigger,
            verify=lambda seen: client.verify_webhook(seen.headers, seen.body),
            key=lambda event: event.data.id,
            shop=shop,
        )


WORLDS = {"cloudpayments": cloudpayments, "bank131": bank131, "alif": alif}


@pytest.fixture(params=PROVIDERS)
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    async with WORLDS[request.param](Shop()) as world:
        yield world


def sent(world: World) -> list[Delivery]:
    return [d for d in world.emulator.deliveries if d.label == world.label]


async def test_a_refused_webhook_comes_again_signed_the_same_on_the_providers_schedule(
    world: World,
) -> None:
    emu, shop = world.emulator, world.shop
    shop.failures = 2  # the SDK's handler answers 500 twice, then 200
    made = await world.trigger(1)
    await emu.webhooks_delivered()

    [delivery] = sent(world)
    assert delivery.statuses == [500, 500, 200]
    assert delivery.delivered
    assert emu.outbox.schedule == tuple(world.schedule)
    assert emu.outbox.time_scale == SCALE
    starts = [attempt.at for attempt in delivery.attempts]
    for step, (before, after) in zip(world.schedule, itertools.pairwise(starts), strict=False):
        assert step * SCALE <= after - before < step * SCALE + SLACK

    assert len(shop.requests) == 3
    assert {r.body for r in shop.requests} == {delivery.body}  # the same bytes each time
    signatures = {
        name: {r.headers[name] for r in shop.requests}
        for name in delivery.headers
        if name.lower() != "content-type"
    }
    assert signatures
    assert all(len(values) == 1 for values in signatures.values())
    assert [world.key(world.verify(r)) for r in shop.requests] == [made] * 3
    assert [world.key(event) for event in shop.events] == [made]  # handled once, in the end


async def test_a_webhook_sent_twice_verifies_twice(world: World) -> None:
    emu, shop = world.emulator, world.shop
    emu.outbox.duplicate_next()
    made = await world.trigger(1)
    await emu.webhooks_delivered()

    assert [d.copy for d in sent(world)] == [0, 1]
    assert all(d.statuses == [200] for d in sent(world))
    assert len(shop.requests) == 2
    assert shop.requests[0].body == shop.requests[1].body
    assert [world.key(world.verify(r)) for r in shop.requests] == [made, made]
    assert [world.key(event) for event in shop.events] == [made, made]  # idempotency is yours


async def test_a_webhook_held_back_arrives_after_the_next_one(world: World) -> None:
    emu, shop = world.emulator, world.shop
    emu.outbox.reorder_next()
    first = await world.trigger(1)
    second = await world.trigger(2)
    await emu.webhooks_delivered()

    assert [world.key(world.verify(r)) for r in shop.requests] == [second, first]
    assert [world.key(event) for event in shop.events] == [second, first]
    assert all(d.delivered for d in sent(world))


async def test_webhooks_arrive_in_the_order_they_happened(world: World) -> None:
    made = [await world.trigger(n) for n in (1, 2, 3)]
    await world.emulator.webhooks_delivered()
    assert [world.key(world.verify(r)) for r in world.shop.requests] == made


@pytest.mark.parametrize("provider", ["bank131", "alif"])
async def test_only_http_200_counts_as_delivered(provider: str) -> None:
    """Bank 131 and Alif want exactly 200: a 204 (or any other 2xx) is retried."""
    answers = [204, 201, 200]

    async def answer(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=answers.pop(0))

    shop = Shop()
    async with WORLDS[provider](shop) as world, serve(answer) as url:
        world.emulator.webhook_url = url  # type: ignore[union-attr]
        await world.trigger(1)
        await world.emulator.webhooks_delivered()
        [delivery] = sent(world)
    assert delivery.statuses == [204, 201, 200]
    assert delivery.delivered


def test_the_three_emulators_take_the_same_arguments() -> None:
    for emulator in (
        CloudPaymentsEmulator(webhook_time_scale=0.5, webhook_schedule=[1, 2], webhook_timeout=3),
        Bank131Emulator(
            partner_keys=partner_keys(),
            bank_keys=bank_keys(),
            webhook_time_scale=0.5,
            webhook_schedule=[1, 2],
            webhook_timeout=3,
        ),
        AlifEmulator(webhook_time_scale=0.5, webhook_schedule=[1, 2], webhook_timeout=3),
    ):
        assert (emulator.outbox.time_scale, emulator.outbox.schedule) == (0.5, (1, 2))
        assert emulator.outbox.timeout == 3
        assert emulator.deliveries == []
    bank = Bank131Emulator(partner_keys=partner_keys(), bank_keys=bank_keys())
    defaults = (CloudPaymentsEmulator(), bank, AlifEmulator())
    assert {emulator.outbox.time_scale for emulator in defaults} == {1e-4}
    assert CloudPaymentsEmulator().outbox.schedule == CLOUDPAYMENTS_SCHEDULE
    assert sum(bank131_emulator.RETRY_SCHEDULE) == 30 * 60  # "about 30 minutes"


def test_cloudpayments_still_takes_its_older_argument_names() -> None:
    older = CloudPaymentsEmulator(
        notification_time_scale=0.25, notification_schedule=[5], notification_timeout=2
    )
    assert (older.outbox.time_scale, older.outbox.schedule, older.outbox.timeout) == (
        0.25, (5,), 2,
    )  # fmt: skip
    both = CloudPaymentsEmulator(webhook_time_scale=0.5, notification_time_scale=0.25)
    assert both.outbox.time_scale == 0.5  # the new name wins


async def test_the_older_waiting_methods_still_wait() -> None:
    async with (
        Bank131Emulator(partner_keys=partner_keys(), bank_keys=bank_keys()) as bank,
        AlifEmulator() as alif_emu,
        CloudPaymentsEmulator() as cloud,
    ):
        await bank.wait_for_webhooks()
        await alif_emu.wait_webhooks()
        await cloud.notifications_delivered()
        assert bank.webhooks == []
        assert alif_emu.deliveries == []
        assert cloud.deliveries == []
