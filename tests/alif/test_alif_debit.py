"""Debits of a bound card, reversals and holds, over loopback."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from aioacquiring import InvalidInputError
from aioacquiring.alif import (
    Alif,
    DeclinedError,
    HoldStatus,
    InsufficientFundsError,
    LimitExceededError,
    ObjectNotFoundError,
    PaymentStatus,
    UnprocessableEntityError,
)
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import DECLINED_CARD, LIMIT_CARD, POOR_CARD, bound_card


async def test_debit_of_a_bound_card(alif: Alif, emu: AlifEmulator) -> None:
    token = await bound_card(alif, emu)
    payment = await alif.debit.payment_create(
        amount=2_500_000, card_token=token, external_id="order-7", description="Box", meta={"a": 1}
    )
    assert payment.status is PaymentStatus.SUCCEEDED
    assert payment.external_id == "order-7"
    assert payment.amount == 2_500_000
    assert payment.meta == {"a": 1}
    assert await alif.debit.payment_get(payment_id=payment.id) == payment
    assert await alif.debit.payment_get(external_id="order-7") == payment


async def test_debit_get_takes_exactly_one_identifier(alif: Alif, emu: AlifEmulator) -> None:
    with pytest.raises(InvalidInputError, match="exactly one"):
        await alif.debit.payment_get()
    with pytest.raises(InvalidInputError, match="exactly one"):
        await alif.debit.payment_get(payment_id="p", external_id="e")
    with pytest.raises(ObjectNotFoundError):
        await alif.debit.payment_get(external_id="nobody")
    assert emu.requests_seen("/debit.payment.get") == 1


@pytest.mark.parametrize(
    ("pan", "error", "status"),
    [
        (DECLINED_CARD, DeclinedError, "DECLINED"),
        (POOR_CARD, InsufficientFundsError, "INSUFFICIENT_FUNDS"),
        (LIMIT_CARD, LimitExceededError, "DECLINED"),
    ],
)
async def test_refused_debits_are_recorded(
    alif: Alif, emu: AlifEmulator, pan: str, error: type[DeclinedError], status: str
) -> None:
    token = emu.add_card(pan)
    with pytest.raises(error) as caught:
        await alif.debit.payment_create(amount=100, card_token=token, external_id="x-1")
    assert caught.value.data is not None
    assert caught.value.data["status"] == status
    read = await alif.debit.payment_get(external_id="x-1")
    assert read.status == status
    # Alif dedupes by external_id: the same call again gets the same answer, nothing new.
    with pytest.raises(error):
        await alif.debit.payment_create(amount=100, card_token=token, external_id="x-1")
    assert len(emu.payments) == 1
    assert [name for name, _ in emu.events] == ["payment.failed"]


async def test_reverse_in_part_then_the_rest(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card()
    payment = await alif.debit.payment_create(amount=1000, card_token=token)
    part = await alif.debit.payment_reverse(payment_id=payment.id, amount=400)
    assert (part.status, part.refunded_amount) == (PaymentStatus.SUCCEEDED, 400)
    rest = await alif.debit.payment_reverse(payment_id=payment.id)
    assert (rest.status, rest.refunded_amount) == (PaymentStatus.REVERTED, 1000)


async def test_debit_list_filters_by_status_and_date(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card()
    start = datetime.now(timezone.utc) - timedelta(seconds=1)
    first = await alif.debit.payment_create(amount=100, card_token=token)
    emu.advance(timedelta(days=2))
    second = await alif.debit.payment_create(amount=200, card_token=token)
    await alif.debit.payment_reverse(payment_id=second.id)
    reverted = [p.id async for p in alif.debit.payment_list(status=PaymentStatus.REVERTED)]
    assert reverted == [second.id]
    early = alif.debit.payment_list(date_from=start, date_to=start + timedelta(days=1))
    assert [p.id async for p in early] == [first.id]
    late = alif.debit.payment_list(date_from=start + timedelta(days=1))
    assert [p.id async for p in late] == [second.id]


async def test_hold_capture_for_less(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card()
    hold = await alif.debit.hold_create(card_token=token, amount=5000, external_id="h-1")
    assert hold.status is HoldStatus.ACTIVE
    assert hold.external_id == "h-1"
    with pytest.raises(UnprocessableEntityError, match="exceeds"):
        await alif.debit.hold_capture(hold_id=hold.id, amount=5001)
    payment = await alif.debit.hold_capture(hold_id=hold.id, amount=4000)
    assert (payment.status, payment.amount) == (PaymentStatus.SUCCEEDED, 4000)
    captured = await alif.debit.hold_get(hold_id=hold.id)
    assert captured.status is HoldStatus.CAPTURED
    assert (captured.captured_amount, captured.payment_id) == (4000, payment.id)
    with pytest.raises(UnprocessableEntityError, match="CAPTURED"):
        await alif.debit.hold_capture(hold_id=hold.id)
    assert [p.id async for p in alif.debit.payment_list()] == [payment.id]


async def test_hold_dismiss_and_expiry(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card()
    hold = await alif.debit.hold_create(card_token=token, amount=5000)
    dismissed = await alif.debit.hold_dismiss(hold_id=hold.id)
    assert dismissed.status is HoldStatus.DISMISSED
    with pytest.raises(UnprocessableEntityError):
        await alif.debit.hold_dismiss(hold_id=hold.id)
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    short = await alif.debit.hold_create(card_token=token, amount=10, expires_at=soon)
    emu.advance(timedelta(hours=2))
    assert (await alif.debit.hold_get(hold_id=short.id)).status is HoldStatus.EXPIRED
    with pytest.raises(UnprocessableEntityError, match="EXPIRED"):
        await alif.debit.hold_capture(hold_id=short.id)
    with pytest.raises(ObjectNotFoundError):
        await alif.debit.hold_get(hold_id="hold_missing")


async def test_a_hold_on_a_poor_card_is_refused(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card(POOR_CARD)
    with pytest.raises(InsufficientFundsError):
        await alif.debit.hold_create(card_token=token, amount=10)
    assert emu.holds == []


async def test_amounts_are_positive_integers(alif: Alif, emu: AlifEmulator) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await alif.debit.payment_create(amount=0, card_token="ct_1")
    assert caught.value.field == "amount"
    with pytest.raises(InvalidInputError):
        await alif.debit.payment_create(amount=10.5, card_token="ct_1")  # type: ignore[arg-type]
    assert emu.requests_seen() == 0
