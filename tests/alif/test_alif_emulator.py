"""The emulator as a product: the raw protocol, as any HTTP client would see it."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from aioacquiring.alif import sign
from aioacquiring.testing.alif import RETRY_SCHEDULE, TEST_OTP, AlifEmulator

from .test_alif_support import OTP_CARD


async def call(
    emu: AlifEmulator,
    method: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    verb: str = "POST",
) -> dict[str, Any]:
    data = raw if raw is not None else json.dumps(body or {}).encode()
    headers = {"token": emu.token, "signature": sign(data, emu.secret_key)}
    async with (
        aiohttp.ClientSession() as http,
        http.request(verb, f"{emu.url}/{method}", data=data, headers=headers) as response,
    ):
        assert response.status == 200  # every answer is HTTP 200, failures included
        answer: dict[str, Any] = await response.json()
        return answer


async def test_protocol_errors_are_codes(emu: AlifEmulator) -> None:
    assert (await call(emu, "card.token.list", verb="GET"))["code"] == 1001
    assert (await call(emu, "nothing.here"))["code"] == 1004
    assert (await call(emu, "card.token.list", raw=b"{oops"))["code"] == 1001
    assert (await call(emu, "card.token.list", raw=b"[1]"))["code"] == 1001
    assert await call(emu, "card.token.list", raw=b"") == {"code": 1000, "data": []}
    answer = await call(emu, "debit.payment.create", {"amount": 1, "card_token": "ct"})
    assert answer == {
        "code": 1001,
        "message": "external_id is required and must be a non-empty string",
    }


@pytest.mark.parametrize(
    ("method", "body", "words"),
    [
        ("card.token.create", {"pan": "12", "exp": "1230"}, "pan"),
        ("card.token.create", {"pan": OTP_CARD, "exp": "1330"}, "exp"),
        ("card.token.create", {"pan": OTP_CARD, "exp": "1230", "phone": "+998"}, "phone"),
        ("checkout.session.create", {"items": [], "redirect_url": "x"}, "items"),
        ("checkout.session.create", {"items": [1], "redirect_url": "x"}, "items[0]"),
        (
            "checkout.session.create",
            {"items": [{"name": "a", "price": 1.5, "amount": 1}], "redirect_url": "x"},
            "price",
        ),
        ("card.token.list", {"per_page": 101}, "per_page"),
        ("card.token.list", {"page": 0}, "page"),
        ("debit.payment.list", {"date_from": "yesterday"}, "date_from"),
        ("debit.payment.list", {"date_from": "2031-01-01T00:00:00"}, "offset"),
        ("debit.payment.list", {"status": "LOST"}, "status"),
        (
            "checkout.session.create",
            {"items": [{"name": "a", "price": 1, "amount": 1}], "redirect_url": "x", "meta": 5},
            "meta",
        ),
        (
            "checkout.session.create",
            {
                "items": [{"name": "a", "price": 1, "amount": 1}],
                "redirect_url": "x",
                "cancel_url": 5,
            },
            "cancel_url",
        ),
    ],
)
async def test_bad_fields_are_1001_naming_the_field(
    emu: AlifEmulator, method: str, body: dict[str, Any], words: str
) -> None:
    answer = await call(emu, method, body)
    assert answer["code"] == 1001
    assert words in answer["message"]


async def test_a_luhn_failure_is_bad_card_data(emu: AlifEmulator) -> None:
    answer = await call(emu, "card.token.create", {"pan": "8600140214357388", "exp": "1230"})
    assert answer["code"] == 1102


async def test_external_id_dedupe_on_the_wire(emu: AlifEmulator) -> None:
    token = emu.add_card()
    body = {"external_id": "e-1", "amount": 5, "card_token": token}
    first = await call(emu, "debit.payment.create", body)
    again = await call(emu, "debit.payment.create", body)
    assert first == again
    assert first["code"] == 1000
    other = await call(emu, "debit.payment.create", {**body, "amount": 6})
    assert other["code"] == 1005
    assert "external_id" in other["message"]
    # A request refused as malformed did nothing, so its external_id stays free.
    assert (await call(emu, "debit.payment.create", {**body, "external_id": "e-2", "amount": -1}))[
        "code"
    ] == 1001
    assert (await call(emu, "debit.payment.create", {**body, "external_id": "e-2"}))["code"] == 1000
    assert emu.replayed_requests == 1
    assert len(emu.payments) == 2


async def test_transfer_fee_and_receiver_checks(emu: AlifEmulator) -> None:
    token = emu.add_card()
    base = {"external_id": "t", "amount": 5, "card_token": token}
    both = await call(
        emu, "p2p.transfer.create", {**base, "receiver_pan": OTP_CARD, "receiver_card_token": token}
    )
    assert both["code"] == 1001
    fee = await call(
        emu,
        "p2p.transfer.create",
        {**base, "external_id": "t2", "receiver_pan": OTP_CARD, "fee": -1},
    )
    assert fee["code"] == 1001
    assert "fee" in fee["message"]


async def test_hold_expiry_must_be_in_the_future(emu: AlifEmulator) -> None:
    token = emu.add_card()
    answer = await call(
        emu,
        "debit.hold.create",
        {
            "external_id": "h",
            "amount": 5,
            "card_token": token,
            "expires_at": "2001-01-01T00:00:00+00:00",
        },
    )
    assert answer["code"] == 1001


async def test_state_is_inspectable_over_http(emu: AlifEmulator) -> None:
    emu.add_card()
    async with aiohttp.ClientSession() as http, http.get(emu.url + "/_emulator/state") as response:
        state = await response.json()
    assert len(state["cards"]) == 1
    assert set(state) >= {"sessions", "payments", "holds", "transfers", "subscriptions", "events"}
    assert "not started" in repr(AlifEmulator())
    assert emu.url in repr(emu)


async def test_unreachable_webhook_urls_are_retried_then_given_up(emu: AlifEmulator) -> None:
    emu.webhook_url = "http://127.0.0.1:9/hook"
    token = emu.add_card()
    await call(emu, "debit.payment.create", {"external_id": "w", "amount": 5, "card_token": token})
    await emu.wait_webhooks()
    (delivery,) = emu.deliveries
    # Tried once, then on every step of the (compressed) schedule, then given up on.
    assert delivery.statuses == [None] * (1 + len(RETRY_SCHEDULE))
    assert all(attempt.error for attempt in delivery.attempts)
    assert not delivery.delivered


def test_the_documented_otp() -> None:
    assert TEST_OTP == "123456"
    assert AlifEmulator().otp == TEST_OTP
    assert AlifEmulator(otp="4242").otp == "4242"
    with pytest.raises(ValueError, match="encoding"):
        AlifEmulator(webhook_signature="rot13")
