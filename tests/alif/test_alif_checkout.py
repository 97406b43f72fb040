"""Checkout sessions and their card payments, OTP included, over loopback against the emulator."""

from __future__ import annotations

import aiohttp
import pytest

from aioacquiring import InvalidInputError, NotFoundError
from aioacquiring.alif import (
    Alif,
    CardExpiredError,
    DeclinedError,
    ObjectNotFoundError,
    OtpAttemptsExhaustedError,
    OtpExpiredError,
    PaymentStatus,
    SessionItem,
    SessionStatus,
    UnprocessableEntityError,
    WrongOtpError,
)
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import DECLINED_CARD, EXP, ITEMS, NO_OTP_CARD, OTP_CARD


async def test_session_create_sums_the_items_and_lives_five_hours(alif: Alif) -> None:
    session = await alif.checkout.session_create(
        items=[
            SessionItem(name="Tea", price=1_500_000, amount=2),
            SessionItem(name="Cup", price=250, amount=1),
        ],
        redirect_url="https://shop.example/done",
        cancel_url="https://shop.example/cancel",
        meta={"order": "1001"},
        epos="epos-1",
    )
    assert session.amount == 3_000_250
    assert session.status is SessionStatus.OPEN
    assert session.expires_at is not None
    assert session.created_at is not None
    assert (session.expires_at - session.created_at).total_seconds() == 5 * 3600
    assert session.meta == {"order": "1001"}
    assert session.checkout_url is not None
    assert session.session_ref in session.checkout_url


async def test_checkout_url_serves_the_hosted_page(alif: Alif) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    assert session.checkout_url is not None
    async with aiohttp.ClientSession() as http, http.get(session.checkout_url) as page:
        assert page.status == 200
        assert "Green tea" in await page.text()
        async with http.get(session.checkout_url + "nope") as missing:
            assert missing.status == 404


async def test_payment_needs_the_otp_then_pays_the_session(alif: Alif, emu: AlifEmulator) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    payment = await alif.checkout.payment_create(
        session_ref=session.session_ref, pan=OTP_CARD, exp=EXP
    )
    assert payment.status is PaymentStatus.OTP_REQUIRED  # a value, not an exception
    assert payment.masked_phone == "998*******67"
    assert payment.masked_pan == "860014******7387"
    assert payment.amount == session.amount
    paid = await alif.checkout.payment_confirm(payment_id=payment.id, otp=emu.otp)
    assert paid.status is PaymentStatus.SUCCEEDED
    again = await alif.checkout.session_get(session_ref=session.session_ref)
    assert again.status is SessionStatus.PAID
    assert again.payment is not None
    assert again.payment.id == payment.id
    read = await alif.checkout.payment_get(payment_id=payment.id)
    assert read == paid
    assert [name for name, _ in emu.events] == ["payment.succeeded"]


async def test_a_card_without_otp_pays_at_once(alif: Alif) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    payment = await alif.checkout.payment_create(
        session_ref=session.session_ref, pan=NO_OTP_CARD, exp=EXP
    )
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.masked_phone is None


async def test_a_session_takes_one_successful_payment(alif: Alif, emu: AlifEmulator) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    first = await alif.checkout.payment_create(
        session_ref=session.session_ref, pan=OTP_CARD, exp=EXP
    )
    second = await alif.checkout.payment_create(
        session_ref=session.session_ref, pan=OTP_CARD, exp=EXP
    )
    await alif.checkout.payment_confirm(payment_id=second.id, otp=emu.otp)
    with pytest.raises(UnprocessableEntityError, match="PAID"):
        await alif.checkout.payment_confirm(payment_id=first.id, otp=emu.otp)
    with pytest.raises(UnprocessableEntityError, match="PAID") as caught:
        await alif.checkout.payment_create(session_ref=session.session_ref, pan=OTP_CARD, exp=EXP)
    assert caught.value.code == 1005


async def test_an_expired_session_refuses_payment(alif: Alif, emu: AlifEmulator) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    emu.advance(5 * 3600)
    assert (await alif.checkout.session_get(session_ref=session.session_ref)).status is (
        SessionStatus.EXPIRED
    )
    with pytest.raises(UnprocessableEntityError, match="EXPIRED"):
        await alif.checkout.payment_create(session_ref=session.session_ref, pan=OTP_CARD, exp=EXP)


async def test_wrong_otp_keeps_the_payment_waiting(alif: Alif, emu: AlifEmulator) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    payment = await alif.checkout.payment_create(
        session_ref=session.session_ref, pan=OTP_CARD, exp=EXP
    )
    with pytest.raises(WrongOtpError) as caught:
        await alif.checkout.payment_confirm(payment_id=payment.id, otp="000000")
    assert caught.value.code == 1100
    assert caught.value.data is not None
    assert caught.value.data["status"] == "OTP_REQUIRED"
    assert "000000" not in str(caught.value)
    paid = await alif.checkout.payment_confirm(payment_id=payment.id, otp=emu.otp)
    assert paid.status is PaymentStatus.SUCCEEDED


async def test_three_wrong_otps_end_the_payment(alif: Alif, emu: AlifEmulator) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    payment = await alif.checkout.payment_create(
        session_ref=session.session_ref, pan=OTP_CARD, exp=EXP
    )
    for _ in range(2):
        with pytest.raises(WrongOtpError):
            await alif.checkout.payment_confirm(payment_id=payment.id, otp="000000")
    with pytest.raises(OtpAttemptsExhaustedError) as caught:
        await alif.checkout.payment_confirm(payment_id=payment.id, otp="000000")
    assert caught.value.code == 1106
    read = await alif.checkout.payment_get(payment_id=payment.id)
    assert read.status is PaymentStatus.INCORRECT_OTP
    with pytest.raises(UnprocessableEntityError):
        await alif.checkout.payment_confirm(payment_id=payment.id, otp=emu.otp)
    assert [name for name, _ in emu.events] == ["payment.failed"]


async def test_an_expired_otp_ends_the_payment(alif: Alif, emu: AlifEmulator) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    payment = await alif.checkout.payment_create(
        session_ref=session.session_ref, pan=OTP_CARD, exp=EXP
    )
    emu.advance(301)
    with pytest.raises(OtpExpiredError) as caught:
        await alif.checkout.payment_confirm(payment_id=payment.id, otp=emu.otp)
    assert caught.value.code == 1101
    assert (
        await alif.checkout.payment_get(payment_id=payment.id)
    ).status is PaymentStatus.EXPIRED_OTP


async def test_a_declined_card_is_recorded_and_raised(alif: Alif, emu: AlifEmulator) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    with pytest.raises(DeclinedError) as caught:
        await alif.checkout.payment_create(
            session_ref=session.session_ref, pan=DECLINED_CARD, exp=EXP
        )
    assert caught.value.code == 1007
    assert caught.value.data is not None
    read = await alif.checkout.payment_get(payment_id=caught.value.data["id"])
    assert read.status is PaymentStatus.DECLINED
    assert DECLINED_CARD not in str(caught.value)
    assert DECLINED_CARD not in repr(read)


async def test_a_card_past_its_expiry_is_refused(alif: Alif) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    with pytest.raises(CardExpiredError):
        await alif.checkout.payment_create(
            session_ref=session.session_ref, pan=OTP_CARD, exp="0120"
        )


async def test_refund_in_part_then_in_full(alif: Alif, emu: AlifEmulator) -> None:
    session = await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
    payment = await alif.checkout.payment_create(
        session_ref=session.session_ref, pan=NO_OTP_CARD, exp=EXP
    )
    part = await alif.checkout.payment_refund(payment_id=payment.id, amount=1_000_000)
    assert part.status is PaymentStatus.SUCCEEDED
    assert part.refunded_amount == 1_000_000
    with pytest.raises(UnprocessableEntityError, match="left to refund"):
        await alif.checkout.payment_refund(payment_id=payment.id, amount=2_000_001)
    rest = await alif.checkout.payment_refund(payment_id=payment.id)
    assert rest.status is PaymentStatus.REVERTED
    assert rest.refunded_amount == payment.amount
    with pytest.raises(UnprocessableEntityError, match="REVERTED"):
        await alif.checkout.payment_refund(payment_id=payment.id)
    assert [name for name, _ in emu.events] == ["payment.succeeded", "payment.reverted"]


async def test_unknown_objects_are_not_found(alif: Alif) -> None:
    with pytest.raises(ObjectNotFoundError) as caught:
        await alif.checkout.session_get(session_ref="cs_missing")
    assert isinstance(caught.value, NotFoundError)
    assert caught.value.code == 1004
    with pytest.raises(NotFoundError):
        await alif.checkout.payment_get(payment_id="pay_missing")


async def test_card_data_is_checked_before_sending(alif: Alif, emu: AlifEmulator) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await alif.checkout.payment_create(session_ref="cs_1", pan="8600140214357388", exp=EXP)
    assert caught.value.field == "pan"
    assert "8600140214357388" not in str(caught.value)
    with pytest.raises(InvalidInputError) as bad_exp:
        await alif.checkout.payment_create(session_ref="cs_1", pan=OTP_CARD, exp="1324")
    assert bad_exp.value.field == "exp"
    with pytest.raises(InvalidInputError) as no_items:
        await alif.checkout.session_create(items=[], redirect_url="https://x.example")
    assert no_items.value.field == "items"
    with pytest.raises(InvalidInputError) as bad_price:
        await alif.checkout.session_create(
            items=[SessionItem(name="Tea", price=0, amount=1)], redirect_url="https://x.example"
        )
    assert bad_price.value.field == "items[0].price"
    assert emu.requests_seen() == 0


async def test_session_list_filters_by_status(alif: Alif, emu: AlifEmulator) -> None:
    refs = [
        (
            await alif.checkout.session_create(items=ITEMS, redirect_url="https://x.example")
        ).session_ref
        for _ in range(3)
    ]
    await alif.checkout.payment_create(session_ref=refs[1], pan=NO_OTP_CARD, exp=EXP)
    paid = [s.session_ref async for s in alif.checkout.session_list(status=SessionStatus.PAID)]
    everything = [s.session_ref async for s in alif.checkout.session_list()]
    assert paid == [refs[1]]
    assert everything == refs
