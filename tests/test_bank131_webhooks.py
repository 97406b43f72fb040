"""Bank 131 webhooks: signed by the emulator's bank key, verified, parsed, served by aiohttp.

Also home of :func:`receiver`, the webhook endpoint the other Bank 131 tests use.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import web

from aioacquiring import InvalidInputError, InvalidNotificationError, SignatureVerificationError
from aioacquiring.bank131 import (
    ActionRequiredEvent,
    Bank131,
    PaymentFinishedEvent,
    PaymentRefundedEvent,
    ReadyToCaptureEvent,
    ReadyToConfirmEvent,
    SessionStatus,
    UnknownEvent,
    payout_of,
)
from aioacquiring.bank131.webhooks import parse, verify_and_parse, verify_signature, webhook_handler
from aioacquiring.testing.bank131 import Bank131Emulator

from .test_bank131_signing import bank_keys, client_for, emulator, independent_verify, partner_keys

SESSION = {
    "id": "ps_1",
    "status": "in_progress",
    "created_at": "2020-05-29T07:01:37.499907Z",
    "updated_at": "2020-05-29T07:01:37.499907Z",
    "next_action": "confirm",
    "payout_list": [
        {
            "id": "po_1",
            "status": "pending",
            "created_at": "2020-06-08T11:10:03.618104Z",
            "payout_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
            "amount_details": {"amount": 1000, "currency": "rub"},
        }
    ],
}


class Received:
    """Events that reached the callback, and a way to wait for them."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.fail_next = 0
        self._arrived = asyncio.Condition()

    async def callback(self, event: Any) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("the shop's database is down")
        async with self._arrived:
            self.events.append(event)
            self._arrived.notify_all()

    async def wait_for(self, kind: type, count: int = 1, timeout: float = 5.0) -> list[Any]:
        async def enough() -> None:
            async with self._arrived:
                await self._arrived.wait_for(
                    lambda: sum(isinstance(e, kind) for e in self.events) >= count
                )

        await asyncio.wait_for(enough(), timeout)
        return [e for e in self.events if isinstance(e, kind)]

    def types(self) -> list[str]:
        return [e.type for e in self.events]


@asynccontextmanager
async def serve(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/bank131/webhooks", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/bank131/webhooks"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def receiver(client: Bank131, emu: Bank131Emulator) -> AsyncIterator[Received]:
    """Serve ``client.webhook_handler`` on loopback and point the emulator at it."""
    received = Received()
    async with serve(client.webhook_handler(received.callback)) as url:
        emu.webhook_url = url
        yield received
        await emu.wait_for_webhooks()


@pytest.fixture
async def emu() -> AsyncIterator[Bank131Emulator]:
    async with emulator() as server:
        yield server


@pytest.fixture
async def client(emu: Bank131Emulator) -> AsyncIterator[Bank131]:
    async with client_for(emu) as client:
        yield client


def signed(emu: Bank131Emulator, payload: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    return {"X-PARTNER-SIGN": emu.sign(body)}, body


@pytest.mark.parametrize(
    ("kind", "cls"),
    [
        ("ready_to_confirm", ReadyToConfirmEvent),
        ("ready_to_capture", ReadyToCaptureEvent),
        ("action_required", ActionRequiredEvent),
        ("payment_finished", PaymentFinishedEvent),
        ("payment_refunded", PaymentRefundedEvent),
    ],
)
async def test_every_documented_type_is_verified_and_typed(
    emu: Bank131Emulator, client: Bank131, kind: str, cls: type
) -> None:
    headers, body = signed(emu, {"type": kind, "session": SESSION})
    event = client.verify_webhook(headers, body)
    assert isinstance(event, cls)
    assert event.type == kind
    assert event.session.id == "ps_1"
    assert payout_of(event.session).amount_details.amount == 1000  # type: ignore[union-attr]


async def test_the_signature_header_is_found_in_any_case(emu: Bank131Emulator) -> None:
    headers, body = signed(emu, {"type": "payment_finished", "session": SESSION})
    lower = {"content-type": "application/json", "x-partner-sign": headers["X-PARTNER-SIGN"]}
    event = verify_and_parse(lower, body, bank_public_key=emu.bank_public_key_pem)
    assert isinstance(event, PaymentFinishedEvent)


async def test_ready_to_confirm_carries_confirm_information(emu: Bank131Emulator) -> None:
    information = {
        "transfer_details": {
            "purpose": "escrow",
            "amount": {"amount": 500, "currency": "rub"},
            "payment_method": {"type": "card", "card": {"brand": "mir", "last4": "0001"}},
        }
    }
    headers, body = signed(
        emu, {"type": "ready_to_confirm", "session": SESSION, "confirm_information": information}
    )
    event = verify_and_parse(headers, body, bank_public_key=emu.bank_public_key_pem)
    assert isinstance(event, ReadyToConfirmEvent)
    transfer = event.confirm_information.transfer_details  # type: ignore[union-attr]
    assert transfer.amount.amount == 500  # type: ignore[union-attr]
    assert transfer.payout_details.card.last4 == "0001"  # type: ignore[union-attr]  # v1 name read


async def test_v1_webhook_names_read_into_the_same_models(emu: Bank131Emulator) -> None:
    v1_session = {**SESSION, "payments": SESSION["payout_list"]}
    del v1_session["payout_list"]
    v1_session["payments"] = [
        {**p, "payment_method": p["payout_details"]}
        for p in SESSION["payout_list"]  # type: ignore[attr-defined]
    ]
    headers, body = signed(emu, {"type": "payment_finished", "session": v1_session})
    event = verify_and_parse(headers, body, bank_public_key=emu.bank_public_key_pem)
    payout = payout_of(event.session)  # type: ignore[union-attr]
    assert payout is not None
    assert payout.payout_details.card.last4 == "4242"


async def test_unknown_type_reads_into_a_generic_event(emu: Bank131Emulator) -> None:
    headers, body = signed(
        emu, {"type": "chargeback_opened", "session": SESSION, "extra": {"a": 1}}
    )
    event = verify_and_parse(headers, body, bank_public_key=emu.bank_public_key_pem)
    assert isinstance(event, UnknownEvent)
    assert event.type == "chargeback_opened"
    assert event.session is not None
    assert event.session.id == "ps_1"
    assert event.data == {"session": SESSION, "extra": {"a": 1}}


async def test_tampered_forged_or_unsigned_bodies_are_refused(emu: Bank131Emulator) -> None:
    headers, body = signed(emu, {"type": "payment_finished", "session": SESSION})
    tampered = body.replace(b"1000", b"9000")
    key = emu.bank_public_key_pem
    with pytest.raises(SignatureVerificationError, match="does not match"):
        verify_signature(headers, tampered, bank_public_key=key)
    with pytest.raises(SignatureVerificationError, match="is missing"):
        verify_signature({}, body, bank_public_key=key)
    # Signed with the partner's key instead of the bank's: a forgery.
    from aioacquiring.bank131 import Signer

    forged = {"X-PARTNER-SIGN": Signer(partner_keys().private_key_pem).sign(body)}
    with pytest.raises(SignatureVerificationError):
        verify_signature(forged, body, bank_public_key=key)


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"no_type": 1}', b'{"type": "payment_finished", "session": 5}'],
)
async def test_malformed_but_signed_bodies_are_invalid_notifications(
    emu: Bank131Emulator, body: bytes
) -> None:
    with pytest.raises(InvalidNotificationError):
        verify_and_parse(
            {"X-PARTNER-SIGN": emu.sign(body)}, body, bank_public_key=emu.bank_public_key_pem
        )
    with pytest.raises(InvalidNotificationError):
        parse(body)


async def test_handler_answers_200_only_after_the_callback_and_rejects_forgeries(
    emu: Bank131Emulator, client: Bank131
) -> None:
    async with receiver(client, emu) as received:
        ok = await emu.send_webhook({"type": "payment_finished", "session": SESSION})
        forged = await emu.send_webhook(
            {"type": "payment_finished", "session": SESSION}, signature=emu.sign(b"other")
        )
        malformed = await emu.send_webhook(b"{oops")
        unknown = await emu.send_webhook({"type": "brand_new", "session": SESSION})
        received.fail_next = 1
        failing = await emu.send_webhook({"type": "payment_refunded", "session": SESSION})
    assert (ok, forged, malformed, unknown, failing) == (200, 401, 400, 200, 500)
    assert received.types() == ["payment_finished", "brand_new"]


async def test_a_failing_handler_gets_the_webhook_again(
    emu: Bank131Emulator, client: Bank131, caplog: pytest.LogCaptureFixture
) -> None:
    async with receiver(client, emu) as received:
        received.fail_next = 1
        with caplog.at_level(logging.ERROR, logger="aioacquiring.bank131.webhooks"):
            result = await client.session.create()
            await client.session.cancel(session_id=result.session_id)
            events = await received.wait_for(PaymentFinishedEvent)
    assert events[0].session.status is SessionStatus.CANCELLED
    assert emu.webhooks[-1].statuses == [500, 200]
    assert emu.webhooks[-1].delivered
    assert "handler failed" in caplog.text
    assert "X-PARTNER-SIGN" not in caplog.text


async def test_module_handler_takes_the_bank_key_directly(emu: Bank131Emulator) -> None:
    received = Received()
    async with serve(
        webhook_handler(received.callback, bank_public_key=emu.bank_public_key_pem)
    ) as url:
        emu.webhook_url = url
        assert await emu.send_webhook({"type": "action_required", "session": SESSION}) == 200
    assert isinstance(received.events[0], ActionRequiredEvent)


def test_a_client_without_the_bank_key_cannot_verify() -> None:
    client = Bank131(project_id="p", private_key=partner_keys().private_key_pem)
    with pytest.raises(InvalidInputError, match="bank_public_key"):
        client.verify_webhook({}, b"{}")
    with pytest.raises(InvalidInputError, match="bank_public_key"):
        client.webhook_handler(Received().callback)


def test_the_emulator_signature_is_the_bank_key_s(emu: Bank131Emulator) -> None:
    independent_verify(bank_keys().public_key_pem, b"{}", emu.sign(b"{}"))
