"""Subscriptions on a bound card and their charges, over loopback."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from aioacquiring import InvalidInputError
from aioacquiring.alif import (
    Alif,
    Interval,
    ObjectNotFoundError,
    PaymentStatus,
    SubscriptionStatus,
    UnprocessableEntityError,
)
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import POOR_CARD


def soon(hours: float = 1) -> datetime:
    return datetime.now(timezone.utc) + timedelta(hours=hours)


async def test_subscription_charges_on_schedule_until_max(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card()
    start = soon()
    sub = await alif.recurring.subscription_create(
        card_token=token, amount=990_000, interval=Interval.DAY, start_at=start, max_charges=2,
        external_id="sub-1", meta={"plan": "daily"},
    )  # fmt: skip
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.next_charge_at == start
    assert sub.charges_made == 0
    assert emu.charge_subscriptions() == 0  # not due yet
    emu.advance(timedelta(days=3))
    assert emu.charge_subscriptions() == 2
    read = await alif.recurring.subscription_get(subscription_id=sub.id)
    assert read.status is SubscriptionStatus.FINISHED
    assert (read.charges_made, read.next_charge_at) == (2, None)
    charges = [c async for c in alif.recurring.charge_list(subscription_id=sub.id)]
    assert [c.status for c in charges] == [PaymentStatus.SUCCEEDED] * 2
    assert {c.subscription_id for c in charges} == {sub.id}
    assert [name for name, _ in emu.events] == ["subscription.charged"] * 2


async def test_failed_charges_and_end_date(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card(POOR_CARD)
    start = soon()
    sub = await alif.recurring.subscription_create(
        card_token=token, amount=100, interval=Interval.WEEK, start_at=start,
        end_at=start + timedelta(days=8),
    )  # fmt: skip
    emu.advance(timedelta(days=30))
    assert emu.charge_subscriptions() == 2
    read = await alif.recurring.subscription_get(subscription_id=sub.id)
    assert read.status is SubscriptionStatus.FINISHED
    assert read.charges_made == 0
    charges = [c.status async for c in alif.recurring.charge_list(subscription_id=sub.id)]
    assert charges == [PaymentStatus.INSUFFICIENT_FUNDS] * 2
    assert [name for name, _ in emu.events] == ["subscription.failed"] * 2


async def test_monthly_charges_keep_the_day(alif: Alif, emu: AlifEmulator) -> None:
    token = emu.add_card()
    start = datetime(2031, 1, 31, 9, tzinfo=timezone.utc)
    sub = await alif.recurring.subscription_create(
        card_token=token, amount=100, interval=Interval.MONTH, start_at=start, max_charges=3
    )
    emu.advance(datetime(2031, 4, 1, tzinfo=timezone.utc) - datetime.now(timezone.utc))
    assert emu.charge_subscriptions() == 3
    charges = [c async for c in alif.recurring.charge_list(subscription_id=sub.id)]
    assert len(charges) == 3
    read = await alif.recurring.subscription_get(subscription_id=sub.id)
    assert read.status is SubscriptionStatus.FINISHED


def test_months_keep_the_starting_day() -> None:
    from aioacquiring.testing._alif_records import add_interval

    jan = datetime(2031, 1, 31, tzinfo=timezone.utc)
    feb = add_interval(jan, "MONTH")
    assert feb.day == 28
    assert add_interval(feb, "MONTH", jan.day).day == 31
    assert add_interval(datetime(2031, 12, 15, tzinfo=timezone.utc), "MONTH").month == 1


async def test_update_and_cancel(alif: Alif, emu: AlifEmulator) -> None:
    token, other = emu.add_card(), emu.add_card("9860000000000018")
    sub = await alif.recurring.subscription_create(
        card_token=token, amount=100, interval=Interval.MONTH, start_at=soon()
    )
    later = soon(48)
    changed = await alif.recurring.subscription_update(
        subscription_id=sub.id, amount=200, card_token=other, interval=Interval.WEEK,
        next_charge_at=later, max_charges=5, end_at=soon(24 * 90), meta={"v": 2},
    )  # fmt: skip
    assert (changed.amount, changed.interval, changed.max_charges) == (200, Interval.WEEK, 5)
    assert changed.next_charge_at == later
    assert changed.masked_pan == "986000******0018"
    cancelled = await alif.recurring.subscription_cancel(subscription_id=sub.id)
    assert cancelled.status is SubscriptionStatus.CANCELLED
    assert await alif.recurring.subscription_cancel(subscription_id=sub.id) == cancelled
    with pytest.raises(UnprocessableEntityError, match="CANCELLED"):
        await alif.recurring.subscription_update(subscription_id=sub.id, amount=300)
    active = [s async for s in alif.recurring.subscription_list(status=SubscriptionStatus.ACTIVE)]
    assert active == []
    assert [s.id async for s in alif.recurring.subscription_list()] == [sub.id]


async def test_unknown_subscription_and_bad_input(alif: Alif, emu: AlifEmulator) -> None:
    with pytest.raises(ObjectNotFoundError):
        await alif.recurring.subscription_get(subscription_id="sub_missing")
    with pytest.raises(InvalidInputError) as naive:
        await alif.recurring.subscription_create(
            card_token="ct", amount=1, interval=Interval.DAY, start_at=datetime(2031, 1, 1)
        )
    assert "timezone-aware" in str(naive.value)
    with pytest.raises(InvalidInputError) as count:
        await alif.recurring.subscription_create(
            card_token="ct", amount=1, interval=Interval.DAY, start_at=soon(), max_charges=0
        )
    assert count.value.field == "max_charges"
