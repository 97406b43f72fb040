"""The emulators' webhook outbox: retries on a compressed schedule, duplicates, reorders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import attrs
import pytest
from aiohttp import web

from aioacquiring.testing.outbox import Delivery, WebhookOutbox, only_200


class Receiver:
    """A merchant endpoint answering scripted statuses (the last one repeats)."""

    def __init__(self) -> None:
        self.statuses = [200]
        self.received: list[tuple[str, bytes, str]] = []
        self.raw_queries: list[str] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.received.append((request.method, body, request.query_string))
        self.raw_queries.append(request.rel_url.raw_query_string)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return web.Response(status=status, text='{"code": 0}')


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/hook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield receiver
    await runner.cleanup()


@pytest.fixture
async def outbox() -> AsyncIterator[WebhookOutbox]:
    # CloudPayments' documented schedule (1, 2, 5, 10, 30 minutes) at a millionth of the time.
    box = WebhookOutbox(schedule=[60, 120, 300, 600, 1800], time_scale=1e-5)
    yield box
    await box.close()


async def test_a_refused_webhook_is_retried_on_the_schedule_until_accepted(
    receiver: Receiver, outbox: WebhookOutbox
) -> None:
    receiver.statuses = [500, 503, 200]
    delivery = outbox.send(receiver.url, label="Pay", body=b"a=1", headers={"X-Sig": "s"})
    await outbox.drain()
    assert delivery.delivered
    assert [a.status for a in delivery.attempts] == [500, 503, 200]
    assert len(receiver.received) == 3
    assert all(body == b"a=1" for _, body, _ in receiver.received)


async def test_retries_stop_when_the_schedule_is_spent(
    receiver: Receiver, outbox: WebhookOutbox
) -> None:
    receiver.statuses = [500]
    delivery = outbox.send(receiver.url, label="Pay", body=b"x")
    await outbox.drain()
    assert not delivery.delivered
    assert len(delivery.attempts) == 1 + len(outbox.schedule)
    assert delivery.last_status == 500


async def test_an_unreachable_receiver_is_recorded_as_an_error(outbox: WebhookOutbox) -> None:
    delivery = outbox.send("http://127.0.0.1:9/hook", label="Pay", body=b"x")
    await outbox.drain()
    assert not delivery.delivered
    assert delivery.attempts[0].status is None
    assert delivery.attempts[0].error


async def test_a_webhook_can_be_sent_twice(receiver: Receiver, outbox: WebhookOutbox) -> None:
    outbox.duplicate_next()
    outbox.send(receiver.url, label="Pay", body=b"once")
    outbox.send(receiver.url, label="Refund", body=b"other")
    await outbox.drain()
    bodies = sorted(body for _, body, _ in receiver.received)
    assert bodies == [b"once", b"once", b"other"]
    assert [d.copy for d in outbox.deliveries] == [0, 1, 0]


async def test_a_webhook_can_arrive_after_the_next_one(
    receiver: Receiver, outbox: WebhookOutbox
) -> None:
    outbox.reorder_next()
    outbox.send(receiver.url, label="Pay", body=b"first")
    outbox.send(receiver.url, label="Refund", body=b"second")
    await outbox.drain()
    assert [body for _, body, _ in receiver.received] == [b"second", b"first"]


async def test_a_held_webhook_with_nothing_after_it_still_goes(
    receiver: Receiver, outbox: WebhookOutbox
) -> None:
    outbox.reorder_next()
    delivery = outbox.send(receiver.url, label="Pay", body=b"late")
    await outbox.drain()
    assert delivery.delivered


async def test_get_delivery_and_an_answer_that_decides(
    receiver: Receiver, outbox: WebhookOutbox
) -> None:
    delivery = await outbox.ask(
        receiver.url, label="Check", method="GET", query="A=1&B=%D0%AF&C=a%2Bb+c"
    )
    assert delivery.delivered
    assert delivery.attempts[0].body == b'{"code": 0}'
    assert receiver.received[0][:2] == ("GET", b"")
    assert receiver.raw_queries == ["A=1&B=%D0%AF&C=a%2Bb+c"]  # byte for byte, as signed


async def test_close_cancels_what_is_pending(receiver: Receiver) -> None:
    box = WebhookOutbox(schedule=[3600], time_scale=1.0)
    receiver.statuses = [500]
    delivery = box.send(receiver.url, label="Pay", body=b"x")
    with pytest.raises(TimeoutError):
        await box.drain(timeout=0.2)
    await box.close()
    assert len(delivery.attempts) == 1
    assert not delivery.delivered


@pytest.mark.parametrize("count", [0, -1, True])
def test_counts_must_be_positive(count: int) -> None:
    box = WebhookOutbox(schedule=[])
    with pytest.raises(ValueError, match="positive"):
        box.duplicate_next(count)
    with pytest.raises(ValueError, match="positive"):
        box.reorder_next(count)


def test_a_negative_schedule_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        WebhookOutbox(schedule=[-1])


async def test_a_redirect_is_a_failed_delivery(receiver: Receiver, outbox: WebhookOutbox) -> None:
    receiver.statuses = [301, 200]
    delivery = outbox.send(receiver.url, label="Pay", body=b"x")
    await outbox.drain()
    assert [a.status for a in delivery.attempts] == [301, 200]


async def test_only_200_counts_for_providers_that_want_exactly_200(receiver: Receiver) -> None:
    assert only_200(200, b"")
    assert not any(only_200(status, b"{}") for status in (201, 204, 500))
    box = WebhookOutbox(schedule=[1, 1], time_scale=1e-3, accepts=only_200)
    receiver.statuses = [204, 202, 200]  # 2xx but not 200: the bank tries again
    try:
        delivery = box.send(receiver.url, label="payment_finished", body=b"{}")
        await box.drain()
    finally:
        await box.close()
    assert delivery.statuses == [204, 202, 200]
    assert delivery.delivered


class Timeline:
    """A receiver that notes when each request's handling starts and ends."""

    def __init__(self) -> None:
        self.events: list[tuple[str, bytes]] = []
        self.statuses = [200]
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.events.append(("start", body))
        if body == b"slow":
            await asyncio.sleep(0.2)
        self.events.append(("end", body))
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return web.Response(status=status)


@pytest.fixture
async def timeline() -> AsyncIterator[Timeline]:
    timeline = Timeline()
    app = web.Application()
    app.router.add_post("/hook", timeline.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    timeline.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    yield timeline
    await runner.cleanup()


@pytest.mark.parametrize("in_order", [True, False])
async def test_in_order_sends_the_next_webhook_after_the_previous_was_answered(
    timeline: Timeline, in_order: bool
) -> None:
    box = WebhookOutbox(schedule=[], in_order=in_order)
    try:
        box.send(timeline.url, label="first", body=b"slow")
        box.send(timeline.url, label="second", body=b"fast")
        await box.drain()
    finally:
        await box.close()
    if in_order:
        assert timeline.events == [
            ("start", b"slow"), ("end", b"slow"), ("start", b"fast"), ("end", b"fast"),
        ]  # fmt: skip
    else:  # both at once: the quick one overtakes the slow one
        assert timeline.events.index(("end", b"fast")) < timeline.events.index(("end", b"slow"))


async def test_in_order_a_retry_does_not_hold_later_webhooks_back(timeline: Timeline) -> None:
    box = WebhookOutbox(schedule=[3600], time_scale=1.0, in_order=True)
    timeline.statuses = [500, 200]  # the first webhook fails, the second is accepted
    try:
        first = box.send(timeline.url, label="first", body=b"a")
        second = box.send(timeline.url, label="second", body=b"b")
        await asyncio.wait_for(second.tried.wait(), 5)
        assert second.delivered
        assert first.statuses == [500]  # waits an hour for its retry; the second did not wait
    finally:
        await box.close()


@pytest.mark.parametrize("in_order", [True, False])
async def test_reorder_and_duplicate_work_in_order_too(receiver: Receiver, in_order: bool) -> None:
    box = WebhookOutbox(schedule=[], in_order=in_order)
    try:
        box.reorder_next()
        box.duplicate_next()
        box.send(receiver.url, label="a", body=b"first")
        box.send(receiver.url, label="b", body=b"second")
        box.send(receiver.url, label="c", body=b"third")
        await box.drain()
    finally:
        await box.close()
    bodies = [body for _, body, _ in receiver.received]
    assert bodies.index(b"second") < bodies.index(b"first")
    assert sorted(bodies) == [b"first", b"first", b"second", b"third"]
    if in_order:
        assert bodies == [b"second", b"first", b"first", b"third"]


@attrs.define
class Labelled(Delivery):
    """A provider's record: its own name for the label."""

    @property
    def event(self) -> str:
        return self.label


async def test_records_are_of_the_type_asked_for(receiver: Receiver) -> None:
    box = WebhookOutbox(schedule=[], record_type=Labelled)
    try:
        box.duplicate_next()
        box.send(receiver.url, label="payment.succeeded", body=b"x")
        asked = await box.ask(receiver.url, label="card.bound", body=b"y")
        await box.drain()
    finally:
        await box.close()
    assert all(isinstance(d, Labelled) for d in box.deliveries)
    assert [d.event for d in box.deliveries] == [  # type: ignore[attr-defined]
        "payment.succeeded", "payment.succeeded", "card.bound",
    ]  # fmt: skip
    assert asked.statuses == [200]
