"""Webhooks: verification, typed parsing, the aiohttp handler, and the emulator's deliveries."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from aiohttp import web

from aioacquiring import InvalidNotificationError, SignatureVerificationError
from aioacquiring.alif import (
    CardEvent,
    Event,
    EventType,
    GenericEvent,
    PaymentEvent,
    PaymentStatus,
    SubscriptionEvent,
    TransferEvent,
    sign,
    webhooks,
)
from aioacquiring.core.webhooks import hmac_sha256
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import EXP, ITEMS, OTP_CARD, client_for, receiver, serve

KEY = "alif_test_secret_key"
PAYMENT = {
    "id": "pay_1",
    "amount": 3_000_000,
    "status": "SUCCEEDED",
    "masked_pan": "860014******7387",
    "created_at": "2031-01-01T10:00:00+00:00",
}


def body_of(event: str, data: Any) -> bytes:
    return json.dumps({"event": event, "data": data}).encode()


def b64(body: bytes, key: str = KEY) -> str:
    return base64.b64encode(hmac_sha256(key.encode(), body)).decode()


def test_hex_and_base64_signatures_verify() -> None:
    body = body_of("payment.succeeded", PAYMENT)
    for signature in (sign(body, KEY), sign(body, KEY).upper(), b64(body)):
        event = webhooks.verify_and_parse({"Signature": signature}, body, secret_key=KEY)
        assert isinstance(event, PaymentEvent)
    with pytest.raises(SignatureVerificationError, match="missing"):
        webhooks.verify({}, body, secret_key=KEY)
    with pytest.raises(SignatureVerificationError, match="does not match"):
        webhooks.verify({"signature": b64(body, "other")}, body, secret_key=KEY)
    with pytest.raises(SignatureVerificationError):
        webhooks.verify({"signature": "not a signature at all"}, body, secret_key=KEY)


@pytest.mark.parametrize(
    ("event", "data", "model"),
    [
        ("payment.succeeded", PAYMENT, PaymentEvent),
        ("payment.failed", {**PAYMENT, "status": "DECLINED"}, PaymentEvent),
        ("payment.reverted", {**PAYMENT, "status": "REVERTED"}, PaymentEvent),
        ("card.bound", {"card_token": "ct_1", "masked_pan": "860014******7387"}, CardEvent),
        ("transfer.succeeded", {"id": "tr_1", "amount": 5, "status": "SUCCEEDED"}, TransferEvent),
        ("transfer.failed", {"id": "tr_1", "amount": 5, "status": "DECLINED"}, TransferEvent),
        ("subscription.charged", {**PAYMENT, "subscription_id": "sub_1"}, SubscriptionEvent),
        ("subscription.failed", {**PAYMENT, "status": "DECLINED"}, SubscriptionEvent),
    ],
)
def test_known_events_are_typed(event: str, data: dict[str, Any], model: type[Event]) -> None:
    parsed = webhooks.parse(body_of(event, data))
    assert isinstance(parsed, model)
    assert parsed.event == EventType(event)


def test_typed_event_fields() -> None:
    event = webhooks.parse(body_of("payment.succeeded", {**PAYMENT, "future_field": 1}))
    assert isinstance(event, PaymentEvent)
    assert event.data.status is PaymentStatus.SUCCEEDED
    assert event.data.amount == 3_000_000
    assert event.data.created_at is not None
    assert event.data.created_at.year == 2031


def test_unknown_events_are_generic_and_bad_ones_refused() -> None:
    event = webhooks.parse(body_of("payout.done", {"anything": [1, 2.5]}))
    assert isinstance(event, GenericEvent)
    assert event.event == "payout.done"
    assert event.data == {"anything": [1, pytest.approx(2.5)]}
    for bad in (b"not json", b"[]", b'{"data": {}}', body_of("payment.succeeded", {"id": 1})):
        with pytest.raises(InvalidNotificationError):
            webhooks.parse(bad)


async def test_handler_answers_200_only_after_the_callback() -> None:
    seen: list[Event] = []
    failing = {"now": False}

    async def on_event(event: Event) -> None:
        if failing["now"]:
            raise RuntimeError("database down")
        seen.append(event)

    app = web.Application()
    app.router.add_post("/hook", webhooks.webhook_handler(on_event, secret_key=KEY))
    body = body_of("payment.succeeded", PAYMENT)
    import aiohttp

    async with serve(app) as url, aiohttp.ClientSession() as http:

        async def post(data: bytes, signature: str | None) -> int:
            headers = {} if signature is None else {"signature": signature}
            async with http.post(url + "/hook", data=data, headers=headers) as response:
                return response.status

        assert await post(body, b64(body)) == 200
        assert await post(body + b" ", b64(body)) == 401
        assert await post(body, None) == 401
        assert await post(b"{oops", b64(b"{oops")) == 400
        failing["now"] = True
        assert await post(body, sign(body, KEY)) == 500
    assert len(seen) == 1
    assert isinstance(seen[0], PaymentEvent)


async def test_the_emulator_delivers_signed_webhooks_to_the_client_handler() -> None:
    events: list[Event] = []

    async def on_event(event: Event) -> None:
        events.append(event)

    async with AlifEmulator() as emu, client_for(emu) as alif:
        app = web.Application()
        app.router.add_post("/alif", alif.webhook_handler(on_event))
        async with serve(app) as url:
            emu.webhook_url = url + "/alif"
            card = await alif.card.token_create(pan=OTP_CARD, exp=EXP)
            await alif.card.token_confirm(card_token=card.card_token, otp=emu.otp)
            session = await alif.checkout.session_create(
                items=ITEMS, redirect_url="https://x.example", webhook_url=url + "/alif"
            )
            payment = await alif.checkout.payment_create(
                session_ref=session.session_ref, pan=OTP_CARD, exp=EXP
            )
            await alif.checkout.payment_confirm(payment_id=payment.id, otp=emu.otp)
            await emu.wait_webhooks()
    assert [type(e) for e in events] == [CardEvent, PaymentEvent]
    assert isinstance(events[1], PaymentEvent)
    assert events[1].data.id == payment.id
    assert all(d.delivered for d in emu.deliveries)


async def test_the_emulator_retries_until_200_and_can_sign_hex() -> None:
    async with receiver() as sink, AlifEmulator(webhook_signature="hex") as emu:
        emu.webhook_url = sink.url
        sink.statuses = [500, 503]
        token = emu.add_card()
        async with client_for(emu) as alif:
            await alif.debit.payment_create(amount=10, card_token=token)
        await emu.wait_webhooks()
        (delivery,) = emu.deliveries
        assert delivery.statuses == [500, 503, 200]
        assert delivery.delivered
        assert delivery.data["amount"] == 10
        headers, body = sink.bodies[-1]
        assert headers["signature"] == sign(body, emu.secret_key)
        assert len({b for _, b in sink.bodies}) == 1  # the same bytes each time
        event = alif.verify_webhook(headers, body)
        assert isinstance(event, PaymentEvent)


async def test_events_without_a_url_are_kept_but_not_sent() -> None:
    async with AlifEmulator() as emu, client_for(emu) as alif:
        token = emu.add_card()
        await alif.debit.payment_create(amount=10, card_token=token)
        await emu.wait_webhooks()
    assert [name for name, _ in emu.events] == ["payment.succeeded"]
    assert emu.deliveries == []
