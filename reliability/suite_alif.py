"""Alif's money calls for the reliability harness.

Alif's reference gives ``external_id`` only to debits, holds, transfers and
subscriptions: those are retried under it. Checkout payments and captures carry
none, so the SDK does not retry them after an unknown outcome; the harness then
does what the caller must: read the object back, and pay again only if it did
not happen. (Refunds and reversals are left out: read back after a timeout, a
reversal still in flight at the provider cannot be told from one that never
came, and a second one would refund twice -- the reason they are never retried.)
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import aiohttp
from harness import MoneyCall, Suite
from load import LoadSuite

from aioacquiring import RetryPolicy, Timeout
from aioacquiring.alif import Alif, SessionItem
from aioacquiring.models.alif import HoldStatus, Interval, SessionStatus
from aioacquiring.testing import AlifEmulator
from aioacquiring.testing.alif import TEST_OTP

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


async def _open_session(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    session = await client.checkout.session_create(
        items=[SessionItem(name="Tea", price=AMOUNT, amount=1)],
        redirect_url="https://shop.example/thanks",
    )
    return {"before": {k: len(getattr(emulator, k)) for k in KINDS}, "session": session}


async def _pay_session(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.checkout.payment_create(
        session_ref=context["session"].session_ref, pan=PAN, exp="1230"
    )


async def _session_paid(client: Alif, context: dict[str, Any]) -> bool:
    session = await client.checkout.session_get(session_ref=context["session"].session_ref)
    return session.status == SessionStatus.PAID


async def _open_hold(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    hold = await client.debit.hold_create(card_token=emulator.add_card(PAN), amount=AMOUNT)
    return {"hold": hold.id}


async def _capture(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.debit.hold_capture(hold_id=context["hold"], amount=AMOUNT // 2)


async def _captured(client: Alif, context: dict[str, Any]) -> bool:
    hold = await client.debit.hold_get(hold_id=context["hold"])
    return hold.status == HoldStatus.CAPTURED


def _captures(emulator: AlifEmulator, context: dict[str, Any]) -> int:
    held = [h for h in emulator.holds if h["id"] == context["hold"]]
    return int(bool(held) and held[0]["status"] == "CAPTURED")


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
        # No external_id in the reference: not retried after an unknown outcome; read back.
        MoneyCall(
            "checkout.payment_create",
            "/checkout.payment.create",
            _open_session,
            _pay_session,
            _new("payments"),
            recover=_session_paid,
        ),
        MoneyCall(
            "debit.hold_capture",
            "/debit.hold.capture",
            _open_hold,
            _capture,
            _captures,
            recover=_captured,
        ),
    ),
)
"""Alif: debits, holds, transfers and subscriptions, each under every fault."""


def _load_client(
    credentials: dict[str, Any],
    url: str,
    session: aiohttp.ClientSession,
    cap: int,
    retry: RetryPolicy,
) -> Alif:
    return Alif(**credentials, base_url=url, session=session, max_concurrency=cap, retry=retry)


async def _load_prepare(client: Alif) -> str:
    card = await client.card.token_create(pan=PAN, exp="1230")
    await client.card.token_confirm(card_token=card.card_token, otp=TEST_OTP)
    payment = await client.debit.payment_create(amount=AMOUNT, card_token=card.card_token)
    return str(payment.id)


async def _load_call(client: Alif, payment_id: str, n: int) -> Any:
    return await client.debit.payment_get(payment_id=payment_id)


LOAD = LoadSuite(
    provider="alif",
    client=_load_client,
    prepare=_load_prepare,
    call=_load_call,
)
"""Alif under load: signed reads of one debit."""
