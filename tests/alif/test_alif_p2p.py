"""Card-to-card transfers: receiver check, transfers with and without OTP, over loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from aioacquiring import InvalidInputError
from aioacquiring.alif import (
    Alif,
    CardBlockedError,
    InsufficientFundsError,
    ObjectNotFoundError,
    OtpExpiredError,
    PaymentStatus,
    UnprocessableEntityError,
)
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import BLOCKED_CARD, NO_OTP_CARD, OTP_CARD, POOR_CARD

RECEIVER = "9860000000000018"


@pytest.fixture
async def emu() -> AsyncIterator[AlifEmulator]:
    async with AlifEmulator(p2p_otp_threshold=1_000_000) as emulator:
        yield emulator


async def test_receiver_check(alif: Alif) -> None:
    receiver = await alif.p2p.receiver_check(pan=RECEIVER)
    assert receiver.masked_pan == "986000******0018"
    assert receiver.holder_name == "BOBUR MIRZO"
    assert receiver.bank_name == "Test Bank (Humo)"
    with pytest.raises(CardBlockedError):
        await alif.p2p.receiver_check(pan=BLOCKED_CARD)


async def test_small_transfer_succeeds_at_once(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card(OTP_CARD)
    transfer = await alif.p2p.transfer_create(
        amount=50_000, card_token=token, receiver_pan=RECEIVER, fee=500, external_id="t-1"
    )
    assert transfer.status is PaymentStatus.SUCCEEDED
    assert (transfer.amount, transfer.fee) == (50_000, 500)
    assert transfer.receiver_masked_pan == "986000******0018"
    assert transfer.sender_masked_pan == "860014******7387"
    assert await alif.p2p.transfer_get(transfer_id=transfer.id) == transfer
    assert await alif.p2p.transfer_get(external_id="t-1") == transfer
    assert [name for name, _ in emu.events] == ["transfer.succeeded"]


async def test_large_transfer_needs_the_otp(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card(OTP_CARD)
    receiver = emu.add_card(NO_OTP_CARD)
    transfer = await alif.p2p.transfer_create(
        amount=1_000_000, card_token=token, receiver_card_token=receiver
    )
    assert transfer.status is PaymentStatus.OTP_REQUIRED
    assert transfer.masked_phone == "998*******67"
    done = await alif.p2p.transfer_confirm(transfer_id=transfer.id, otp=emu.otp)
    assert done.status is PaymentStatus.SUCCEEDED
    assert done.receiver_masked_pan == "400000******0002"
    with pytest.raises(UnprocessableEntityError, match="SUCCEEDED"):
        await alif.p2p.transfer_confirm(transfer_id=transfer.id, otp=emu.otp)


async def test_an_expired_otp_fails_the_transfer(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card(OTP_CARD)
    transfer = await alif.p2p.transfer_create(
        amount=2_000_000, card_token=token, receiver_pan=RECEIVER
    )
    emu.advance(600)
    with pytest.raises(OtpExpiredError):
        await alif.p2p.transfer_confirm(transfer_id=transfer.id, otp=emu.otp)
    assert (
        await alif.p2p.transfer_get(transfer_id=transfer.id)
    ).status is PaymentStatus.EXPIRED_OTP
    assert [name for name, _ in emu.events] == ["transfer.failed"]


async def test_a_poor_sender_is_refused_and_recorded(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card(POOR_CARD)
    with pytest.raises(InsufficientFundsError) as caught:
        await alif.p2p.transfer_create(amount=100, card_token=token, receiver_pan=RECEIVER)
    assert caught.value.data is not None
    transfer = await alif.p2p.transfer_get(transfer_id=caught.value.data["id"])
    assert transfer.status is PaymentStatus.INSUFFICIENT_FUNDS


async def test_exactly_one_receiver(alif: Alif, emu: AlifEmulator) -> None:
    with pytest.raises(InvalidInputError, match="exactly one") as caught:
        await alif.p2p.transfer_create(amount=100, card_token="ct_1")
    assert caught.value.field == "receiver_pan"
    with pytest.raises(InvalidInputError, match="exactly one"):
        await alif.p2p.transfer_create(
            amount=100, card_token="ct_1", receiver_pan=RECEIVER, receiver_card_token="ct_2"
        )
    with pytest.raises(InvalidInputError) as luhn:
        await alif.p2p.transfer_create(
            amount=100, card_token="ct_1", receiver_pan="9860000000000019"
        )
    assert luhn.value.field == "receiver_pan"
    with pytest.raises(InvalidInputError, match="exactly one"):
        await alif.p2p.transfer_get()
    assert emu.requests_seen() == 0


async def test_transfer_list_and_not_found(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card(OTP_CARD)
    made = [
        (await alif.p2p.transfer_create(amount=100 + n, card_token=token, receiver_pan=RECEIVER)).id
        for n in range(3)
    ]
    assert [t.id async for t in alif.p2p.transfer_list()] == made
    pending = alif.p2p.transfer_list(status=PaymentStatus.OTP_REQUIRED)
    assert [t async for t in pending] == []
    with pytest.raises(ObjectNotFoundError):
        await alif.p2p.transfer_get(external_id="nope")
    with pytest.raises(ObjectNotFoundError):
        await alif.p2p.transfer_confirm(transfer_id="tr_missing", otp="123456")
