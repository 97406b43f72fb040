"""Alif's money calls for the reliability harness: those Alif dedupes by ``external_id``.

Alif's reference gives ``external_id`` only to debits, holds, transfers and
subscriptions; refunds, reversals and captures carry none, so the SDK does not
retry them after an unknown outcome (the caller reads the object back first)
and they are not in this table.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import aiohttp
from harness import MoneyCall, Suite
from load import LoadSuite

from aioacquiring import RetryPolicy, Timeout
from aioacquiring.alif import Alif
from aioacquiring.models.alif import Interval
from aioacquiring.testing import AlifEmulator

PAN = "4000000000000002"  # pays and binds without an OTP in the emulator
AMOUNT = 1_000_000  # 10,000.00 in minor units
P2P_AMOUNT = 500_000  # under the emulator's OTP threshold for transfers


def _client(emulator: AlifEmulator, url: str, timeout: Timeout, retry: RetryPolicy) -> Alif:
    return Alif(
        token=emulator.token,
        secret_key=emulator.secret_key,
        base_url=url,
        timeout=timeout,
        retry=retry,
    )


KINDS = ("payments", "holds", "transfers", "subscriptions")


async def _card(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    """A fresh bound card, and how many records of each kind exist before the call."""
    before = {kind: len(getattr(emulator, kind)) for kind in KINDS}
    return {"card": emulator.add_card(PAN), "before": before}


def _new(kind: str) -> Any:
    # Scenarios run one at a time, so what appeared since prepare() is this call's.
    def effects(emulator: AlifEmulator, context: dict[str, Any]) -> int:
        return len(getattr(emulator, kind)) - int(context["before"][kind])

    return effects


async def _debit(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.debit.payment_create(
        amount=AMOUNT, card_token=context["card"], idempotency_key=key
    )


async def _hold(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.debit.hold_create(
        card_token=context["card"], amount=AMOUNT, idempotency_key=key
    )


async def _transfer(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.p2p.transfer_create(
        amount=P2P_AMOUNT,
        card_token=context["card"],
        receiver_pan="9860000000000018",
        idempotency_key=key,
    )


async def _subscription(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.recurring.subscription_create(
        card_token=context["card"],
        amount=AMOUNT,
        interval=Interval.MONTH,
        start_at=datetime(2031, 1, 1, tzinfo=timezone.utc),
        idempotency_key=key,
    )


SUITE = Suite(
    provider="alif",
    emulator=AlifEmulator,
    client=_client,
    calls=(
        MoneyCall("debit.payment_create", "/debit.payment.create", _card, _debit, _new("payments")),
        MoneyCall("debit.hold_create", "/debit.hold.create", _card, _hold, _new("holds")),
        MoneyCall(
            "p2p.transfer_create", "/p2p.transfer.create", _card, _transfer, _new("transfers")
        ),
        MoneyCall(
            "recurring.subscription_create",
            "/recurring.subscription.create",
            _card,
            _subscription,
            _new("subscriptions"),
        ),
    ),
)
"""Alif: debits, holds, transfers and subscriptions, each under every fault."""


def _load_client(
    emulator: AlifEmulator, session: aiohttp.ClientSession, cap: int, retry: RetryPolicy
) -> Alif:
    return Alif(
        token=emulator.token,
        secret_key=emulator.secret_key,
        base_url=emulator.url,
        session=session,
        max_concurrency=cap,
        retry=retry,
    )


async def _load_prepare(client: Alif, emulator: AlifEmulator) -> str:
    card = emulator.add_card(PAN)
    payment = await client.debit.payment_create(amount=AMOUNT, card_token=card)
    return str(payment.id)


async def _load_call(client: Alif, payment_id: str, n: int) -> Any:
    return await client.debit.payment_get(payment_id=payment_id)


LOAD = LoadSuite(
    provider="alif",
    emulator=lambda cap: AlifEmulator(max_concurrency=cap),
    client=_load_client,
    prepare=_load_prepare,
    call=_load_call,
)
"""Alif under load: signed reads of one debit."""
