"""The emulators' webhook outbox: retries on a compressed schedule, duplicates, reorders."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from aioacquiring.testing.outbox import WebhookOutbox


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
