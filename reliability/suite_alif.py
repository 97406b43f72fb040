"""Alif's money calls for the reliability harness.

Alif's reference gives ``external_id`` only to debits, holds, transfers and
subscriptions: those are retried under it. Checkout payments, OTP
confirmations, captures, dismissals, refunds and reversals carry none, so the
SDK does not retry them after an unknown outcome; the harness then does what
the caller must: read the object back, and make the call again only if it did
not happen.

That read-back is safe only where the object's state refuses a repeat: a paid
session, a confirmed payment or transfer, a captured or dismissed hold, a
payment refunded or reversed *in full*. A *partial* refund or reversal has no
such guard: a request the provider is still holding when the read-back comes
lands after the second one and refunds twice (see :data:`PARTIAL_REFUNDS`,
left out of :data:`SUITE` for that reason).

Every call here is *settled* before its effects are counted: once it has a
result, it waits until no request is left in flight at the emulator,
so that a delayed duplicate is counted rather than landing unseen after the
scenario has been judged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any

import aiohttp
from harness import MoneyCall, Suite
from load import LoadSuite

from aioacquiring import RetryPolicy, Timeout
from aioacquiring.alif import Alif, SessionItem
from aioacquiring.models.alif import HoldStatus, Interval, PaymentStatus, SessionStatus
from aioacquiring.testing import AlifEmulator
from aioacquiring.testing.alif import TEST_OTP

PAN = "4000000000000002"  # pays and binds without an OTP in the emulator
OTP_PAN = "8600140214357387"  # pays a checkout session only after the OTP
AMOUNT = 1_000_000  # 10,000.00 in minor units
PART = AMOUNT // 10  # a partial refund
P2P_AMOUNT = 500_000  # under the emulator's OTP threshold for transfers
P2P_OTP_AMOUNT = 10_000_000  # at the emulator's OTP threshold: the sender confirms
RECEIVER = "9860000000000018"

Context = dict[str, Any]
Prepare = Callable[[Alif, AlifEmulator, int], Awaitable[Context]]
Invoke = Callable[[Alif, Context, str | None], Awaitable[Any]]
Effects = Callable[[AlifEmulator, Context], int]
Recover = Callable[[Alif, Context], Awaitable[bool]]


def _client(emulator: AlifEmulator, url: str, timeout: Timeout, retry: RetryPolicy) -> Alif:
    return Alif(
        token=emulator.token,
        secret_key=emulator.secret_key,
        base_url=url,
        timeout=timeout,
        retry=retry,
    )


def _events(name: str, key: str) -> Effects:
    """Effects: how many events ``name`` the emulator raised for the object ``context[key]``."""

    def effects(emulator: AlifEmulator, context: dict[str, Any]) -> int:
        return sum(
            1 for event, data in emulator.events if event == name and data["id"] == context[key]
        )

    return effects


KINDS = ("payments", "holds", "transfers", "subscriptions")


async def _card(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    """A fresh bound card, and how many records of each kind exist before the call."""
    before = {kind: len(getattr(emulator, kind)) for kind in KINDS}
    return {"card": emulator.add_card(PAN), "before": before}


def _new(kind: str) -> Effects:
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
        receiver_pan=RECEIVER,
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


# Checkout: paying a session, confirming its OTP ---------------------------------------


async def _open_session(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    session = await client.checkout.session_create(
        items=[SessionItem(name="Tea", price=AMOUNT, amount=1)],
        redirect_url="https://shop.example/thanks",
    )
    before = {k: len(getattr(emulator, k)) for k in KINDS}
    return {"before": before, "session": session}


async def _pay_session(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.checkout.payment_create(
        session_ref=context["session"].session_ref, pan=PAN, exp="1230"
    )


async def _session_paid(client: Alif, context: dict[str, Any]) -> bool:
    session = await client.checkout.session_get(session_ref=context["session"].session_ref)
    return session.status == SessionStatus.PAID


async def _awaiting_otp(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    """A checkout payment waiting for its OTP (a card the issuer asks one for)."""
    context = await _open_session(client, emulator, n)
    payment = await client.checkout.payment_create(
        session_ref=context["session"].session_ref, pan=OTP_PAN, exp="1230"
    )
    assert payment.status == PaymentStatus.OTP_REQUIRED
    return {**context, "payment": payment.id}


async def _confirm_payment(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.checkout.payment_confirm(payment_id=context["payment"], otp=TEST_OTP)


async def _payment_succeeded(client: Alif, context: dict[str, Any]) -> bool:
    payment = await client.checkout.payment_get(payment_id=context["payment"])
    return payment.status == PaymentStatus.SUCCEEDED


# P2P: confirming a transfer's OTP ---------------------------------------------------------


async def _transfer_awaiting_otp(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    """A transfer large enough that the sender confirms it by OTP."""
    transfer = await client.p2p.transfer_create(
        amount=P2P_OTP_AMOUNT, card_token=emulator.add_card(PAN), receiver_pan=RECEIVER
    )
    assert transfer.status == PaymentStatus.OTP_REQUIRED
    return {"transfer": transfer.id}


async def _confirm_transfer(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.p2p.transfer_confirm(transfer_id=context["transfer"], otp=TEST_OTP)


async def _transfer_succeeded(client: Alif, context: dict[str, Any]) -> bool:
    transfer = await client.p2p.transfer_get(transfer_id=context["transfer"])
    return transfer.status == PaymentStatus.SUCCEEDED


# Holds: capturing and dismissing -------------------------------------------------------------


async def _open_hold(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    hold = await client.debit.hold_create(card_token=emulator.add_card(PAN), amount=AMOUNT)
    return {"hold": hold.id}


async def _capture(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.debit.hold_capture(hold_id=context["hold"], amount=AMOUNT // 2)


async def _dismiss(client: Alif, context: dict[str, Any], key: str | None) -> Any:
    return await client.debit.hold_dismiss(hold_id=context["hold"])


def _hold_is(status: HoldStatus) -> tuple[Recover, Effects]:
    async def recover(client: Alif, context: dict[str, Any]) -> bool:
        hold = await client.debit.hold_get(hold_id=context["hold"])
        return hold.status == status

    def effects(emulator: AlifEmulator, context: dict[str, Any]) -> int:
        held = [h for h in emulator.holds if h["id"] == context["hold"]]
        return int(bool(held) and held[0]["status"] == status.value)

    return recover, effects


_captured, _captures = _hold_is(HoldStatus.CAPTURED)
_dismissed, _dismissals = _hold_is(HoldStatus.DISMISSED)


# Refunds and reversals ------------------------------------------------------------------------


async def _paid_session(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    """A checkout payment, SUCCEEDED (a card that pays without an OTP)."""
    context = await _open_session(client, emulator, n)
    payment = await _pay_session(client, context, None)
    assert payment.status == PaymentStatus.SUCCEEDED
    return {"payment": payment.id}


async def _debited(client: Alif, emulator: AlifEmulator, n: int) -> dict[str, Any]:
    """A debit of a bound card, SUCCEEDED."""
    payment = await client.debit.payment_create(amount=AMOUNT, card_token=emulator.add_card(PAN))
    return {"payment": payment.id}


def _refund(amount: int | None) -> Invoke:
    async def invoke(client: Alif, context: dict[str, Any], key: str | None) -> Any:
        return await client.checkout.payment_refund(payment_id=context["payment"], amount=amount)

    return invoke


def _reverse(amount: int | None) -> Invoke:
    async def invoke(client: Alif, context: dict[str, Any], key: str | None) -> Any:
        return await client.debit.payment_reverse(payment_id=context["payment"], amount=amount)

    return invoke


def _given_back(amount: int, section: str) -> tuple[Recover, Effects]:
    """Read-back and effects of a refund of ``amount`` (a part, or all of ``AMOUNT``).

    The payment is read back through its own section (``checkout`` or ``debit``).
    """

    async def recover(client: Alif, context: dict[str, Any]) -> bool:
        read = getattr(client, section).payment_get
        payment = await read(payment_id=context["payment"])
        return (payment.refunded_amount or 0) >= amount

    def effects(emulator: AlifEmulator, context: dict[str, Any]) -> int:
        [payment] = [p for p in emulator.payments if p["id"] == context["payment"]]
        return int(payment["refunded_amount"]) // amount

    return recover, effects


_refunded_all, _full_refunds = _given_back(AMOUNT, "checkout")
_reversed_all, _full_reversals = _given_back(AMOUNT, "debit")
_refunded_part, _partial_refunds = _given_back(PART, "checkout")
_reversed_part, _partial_reversals = _given_back(PART, "debit")


def _call(
    name: str,
    prepare: Prepare,
    invoke: Invoke,
    effects: Effects,
    recover: Recover | None = None,
) -> MoneyCall:
    """A MoneyCall for Alif method ``name`` (``debit.payment_create``), settled."""
    path = "/" + name.replace("_", ".")
    return MoneyCall(name, path, prepare, invoke, effects, recover=recover)


SUITE = Suite(
    provider="alif",
    emulator=AlifEmulator,
    client=_client,
    calls=(
        # Deduped by external_id, which the SDK fixes before the first attempt.
        _call("debit.payment_create", _card, _debit, _new("payments")),
        _call("debit.hold_create", _card, _hold, _new("holds")),
        _call("p2p.transfer_create", _card, _transfer, _new("transfers")),
        _call("recurring.subscription_create", _card, _subscription, _new("subscriptions")),
        # No external_id in the reference: not retried after an unknown outcome; read back.
        _call(
            "checkout.payment_create",
            _open_session,
            _pay_session,
            _new("payments"),
            _session_paid,
        ),
        _call(
            "checkout.payment_confirm",
            _awaiting_otp,
            _confirm_payment,
            _events("payment.succeeded", "payment"),
            _payment_succeeded,
        ),
        _call(
            "p2p.transfer_confirm",
            _transfer_awaiting_otp,
            _confirm_transfer,
            _events("transfer.succeeded", "transfer"),
            _transfer_succeeded,
        ),
        _call("debit.hold_capture", _open_hold, _capture, _captures, _captured),
        # Moves no money itself, but ends a reservation: the counterpart of
        # CloudPayments' payments.void, counted there too.
        _call("debit.hold_dismiss", _open_hold, _dismiss, _dismissals, _dismissed),
        # In full: a repeat finds nothing left to refund, so reading back is safe.
        _call(
            "checkout.payment_refund", _paid_session, _refund(None), _full_refunds, _refunded_all
        ),
        _call("debit.payment_reverse", _debited, _reverse(None), _full_reversals, _reversed_all),
    ),
)
"""Alif: every money method, each under every fault (refunds and reversals in full)."""

PARTIAL_REFUNDS = (
    _call(
        "checkout.payment_refund",
        _paid_session,
        _refund(PART),
        _partial_refunds,
        _refunded_part,
    ),
    _call("debit.payment_reverse", _debited, _reverse(PART), _partial_reversals, _reversed_part),
)
"""Partial refunds and reversals: NOT in :data:`SUITE`, they are not safe to make again.

Under "read timeout" the provider is still holding the first request when the
caller, having read the payment back (nothing refunded yet), refunds again; the
first request then lands too, and the payment is refunded twice. Alif gives
these calls no ``external_id``, so neither the SDK nor the caller can tell a
request in flight from one that never came. Run them to see it::

    harness.run_suite(attrs.evolve(suite_alif.SUITE, calls=suite_alif.PARTIAL_REFUNDS))
"""


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
