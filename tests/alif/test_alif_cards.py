"""Card binding by OTP, bound-card reads, lists and unbinding, over loopback."""

from __future__ import annotations

import pytest

from aioacquiring.alif import (
    Alif,
    CardBlockedError,
    CardError,
    CardExpiredError,
    CardStatus,
    DeclinedError,
    InvalidCardError,
    ObjectNotFoundError,
    UnprocessableEntityError,
    WrongOtpError,
)
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import (
    BLOCKED_CARD,
    EXP,
    EXPIRED_CARD,
    OTP_CARD,
    POOR_CARD,
    UNKNOWN_CARD,
)


async def test_binding_answers_otp_required_then_the_otp_binds(
    alif: Alif, emu: AlifEmulator
) -> None:
    card = await alif.card.token_create(pan=OTP_CARD, exp=EXP, phone="998935551234")
    assert card.status is CardStatus.OTP_REQUIRED
    assert card.masked_phone == "998*******34"
    assert card.card_token not in repr(card)  # the token is a credential
    with pytest.raises(UnprocessableEntityError, match="not bound"):
        await alif.debit.payment_create(amount=100, card_token=card.card_token)
    bound = await alif.card.token_confirm(card_token=card.card_token, otp=emu.otp)
    assert bound.status is CardStatus.ACTIVE
    assert bound.holder_name == "ALISHER NAVOIY"
    assert bound.bank_name == "Test Bank (Uzcard)"
    assert bound.exp == EXP
    assert await alif.card.token_get(card_token=card.card_token) == bound
    assert [name for name, _ in emu.events] == ["card.bound"]


async def test_wrong_otp_does_not_bind(alif: Alif, emu: AlifEmulator) -> None:
    card = await alif.card.token_create(pan=OTP_CARD, exp=EXP)
    with pytest.raises(WrongOtpError):
        await alif.card.token_confirm(card_token=card.card_token, otp="999999")
    assert (await alif.card.token_get(card_token=card.card_token)).status is CardStatus.OTP_REQUIRED


@pytest.mark.parametrize(
    ("pan", "exp", "error", "code"),
    [
        (BLOCKED_CARD, EXP, CardBlockedError, 1107),
        (EXPIRED_CARD, EXP, CardExpiredError, 1103),
        (OTP_CARD, "0101", CardExpiredError, 1103),
        (UNKNOWN_CARD, EXP, InvalidCardError, 1102),
    ],
)
async def test_bad_cards_are_not_bound(
    alif: Alif, pan: str, exp: str, error: type[CardError], code: int
) -> None:
    with pytest.raises(error) as caught:
        await alif.card.token_create(pan=pan, exp=exp)
    assert caught.value.code == code
    assert isinstance(caught.value, DeclinedError)


async def test_a_poor_card_binds(alif: Alif, emu: AlifEmulator) -> None:
    card = await alif.card.token_create(pan=POOR_CARD, exp=EXP)
    assert card.status is CardStatus.OTP_REQUIRED


async def test_list_shows_bound_cards_by_phone_and_delete_unbinds(
    alif: Alif, emu: AlifEmulator
) -> None:
    mine = []
    for phone in ("998900000001", "998900000001", "998900000002"):
        card = await alif.card.token_create(pan=OTP_CARD, exp=EXP, phone=phone)
        mine.append(await alif.card.token_confirm(card_token=card.card_token, otp=emu.otp))
    await alif.card.token_create(pan=OTP_CARD, exp=EXP, phone="998900000001")  # never confirmed
    listed = [c.card_token async for c in alif.card.token_list(phone="998900000001")]
    assert listed == [mine[0].card_token, mine[1].card_token]
    assert len([c async for c in alif.card.token_list()]) == 3
    assert await alif.card.token_delete(card_token=mine[0].card_token) is None
    with pytest.raises(ObjectNotFoundError):
        await alif.card.token_get(card_token=mine[0].card_token)
    with pytest.raises(ObjectNotFoundError):
        await alif.card.token_delete(card_token=mine[0].card_token)
    assert len([c async for c in alif.card.token_list()]) == 2


async def test_emulator_can_bind_a_card_directly(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card(OTP_CARD)
    card = await alif.card.token_get(card_token=token)
    assert card.status is CardStatus.ACTIVE
    assert len(emu.cards) == 1
