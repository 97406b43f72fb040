"""Bank 131's money calls for the reliability harness: every session method that moves money.

Two suites: :data:`SUITE` against the bank's default project (payments wait
for ``session/confirm``) and :data:`SUITE_HOLDS` against a project whose card
payments are holds, for ``session/capture`` and for ``session/cancel`` voiding
a hold. Each call counts what the emulator holds for it since ``prepare``
(scenarios run one at a time, so "new since prepare" is this call's).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from harness import MoneyCall, Suite
from load import LoadSuite

from aioacquiring import RetryPolicy, Timeout
from aioacquiring.bank131 import (
    Bank131,
    Customer,
    FiscalizationDetails,
    FiscalizationService,
    InternalTransferMethod,
    NextAction,
    Participant,
    ParticipantDetails,
    PaymentItem,
    ProfessionalIncomeTaxpayer,
    amount,
    card,
    recipient,
)
from aioacquiring.testing import Bank131Emulator

CARD = "4242424242424242"  # pays out and pays without 3-D Secure in the emulator
HOLD = amount(990)
CAPTURED = amount(500)  # a partial capture: the amount says how many times it was charged
RECEIPT = FiscalizationDetails(
    professional_income_taxpayer=ProfessionalIncomeTaxpayer(
        services=[FiscalizationService(name="Design", amount_details=amount(100), quantity=1)],
        tax_reference="123456789012",
    )
)
ESCROW = ParticipantDetails(  # nominal flows name the sender's beneficiary
    sender=Participant(full_name="Escrow Ltd", beneficiary_id="ben_1"),
    recipient=Participant(full_name="Ivan Ivanov"),
)
SETTLEMENT = ParticipantDetails(  # RKO flows name the sender's settlement account
    sender=Participant(full_name="Merchant Ltd", account="40702810000000000001"),
    recipient=Participant(full_name="Ivan Ivanov"),
)
TRANSFERS = [
    PaymentItem(
        payment_details=InternalTransferMethod(internal_transfer={"beneficiary_id": "ben_1"}),
        amount_details=amount(5),
    ),
    PaymentItem(
        payment_details=InternalTransferMethod(internal_transfer={"beneficiary_id": "ben_2"}),
        amount_details=amount(7),
    ),
]
"""The payments of one multi-payment call: one logical call, two payments."""


def _client(emulator: Bank131Emulator, url: str, timeout: Timeout, retry: RetryPolicy) -> Bank131:
    return Bank131(**{**emulator.client_kwargs(), "base_url": url}, timeout=timeout, retry=retry)


def _counts(emulator: Bank131Emulator) -> dict[str, int]:
    return {
        "payouts": len(emulator.payouts),
        "payments": len(emulator.payments),
        "sessions": len(emulator.sessions),
    }


async def _before(client: Bank131, emulator: Bank131Emulator, n: int) -> dict[str, Any]:
    """How many payouts, payments and sessions exist before the call (one scenario at a time)."""
    return {"before": _counts(emulator)}


async def _session(client: Bank131, emulator: Bank131Emulator, n: int) -> dict[str, Any]:
    created = await client.session.create()
    return {"before": _counts(emulator), "session_id": created.session_id}


def _new(kind: str) -> Any:
    def effects(emulator: Bank131Emulator, context: dict[str, Any]) -> int:
        return _counts(emulator)[kind] - int(context["before"][kind])

    return effects


def _new_batches(kind: str, size: int) -> Any:
    """Effects of a call that makes ``size`` operations at once: how many such sets appeared."""

    def effects(emulator: Bank131Emulator, context: dict[str, Any]) -> int:
        made = _counts(emulator)[kind] - int(context["before"][kind])
        sets, rest = divmod(made, size)
        # A set made in part is as wrong as one made twice: count it so the harness flags it.
        return sets if rest == 0 else sets + size

    return effects


async def _init_payout(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.init_payout(
        payout_details=card(CARD),
        amount_details=amount(100),
        participant_details=recipient(full_name="Ivan Ivanov"),
        idempotency_key=key,
    )


async def _start_payout(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.start_payout(
        session_id=context["session_id"],
        payout_details=card(CARD),
        amount_details=amount(100),
        participant_details=recipient(full_name="Ivan Ivanov"),
        idempotency_key=key,
    )


async def _init_payment(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.init_payment(
        payment_details=card(
            CARD, expiration_month="12", expiration_year="30", security_code="123"
        ),
        amount_details=amount(990),
        customer=Customer(reference="user-42"),
        idempotency_key=key,
    )


async def _until(client: Bank131, session_id: str, action: NextAction) -> None:
    for _ in range(200):
        if (await client.session.status(session_id=session_id)).next_action == action:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{session_id} never asked to {action.value}")


async def _until_confirmable(client: Bank131, session_id: str) -> None:
    await _until(client, session_id, NextAction.CONFIRM)


async def _payout_to_confirm(client: Bank131, emulator: Bank131Emulator, n: int) -> str:
    started = await _init_payout(client, {}, None)
    await _until_confirmable(client, started.session_id)
    return str(started.session_id)


async def _confirm(client: Bank131, session_id: str, key: str | None) -> Any:
    return await client.session.confirm(session_id=session_id, idempotency_key=key)


def _succeeded_payouts(emulator: Bank131Emulator, session_id: str) -> int:
    payouts = emulator.session(session_id).get("payout_list") or []
    return sum(1 for payout in payouts if payout["status"] == "succeeded")


async def _paid_session(client: Bank131, emulator: Bank131Emulator, n: int) -> str:
    started = await _init_payment(client, {}, None)
    await _until_confirmable(client, started.session_id)
    await client.session.confirm(session_id=started.session_id)
    return str(started.session_id)


async def _refund(client: Bank131, session_id: str, key: str | None) -> Any:
    return await client.session.refund(
        session_id=session_id, amount_details=amount(10), idempotency_key=key
    )


def _refunds(emulator: Bank131Emulator, session_id: str) -> int:
    payments = emulator.session(session_id).get("payment_list") or []
    return sum(len(payment.get("refunds") or []) for payment in payments)


async def _init_payment_sync(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.init_payment_sync(
        payment_details=card(
            CARD, expiration_month="12", expiration_year="30", security_code="123"
        ),
        amount_details=amount(990),
        customer=Customer(reference="user-42"),
        idempotency_key=key,
    )


async def _start_payment(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.start_payment(
        session_id=context["session_id"],
        payment_details=card(
            CARD, expiration_month="12", expiration_year="30", security_code="123"
        ),
        amount_details=amount(990),
        customer=Customer(reference="user-42"),
        idempotency_key=key,
    )


async def _init_payout_fiscalization(
    client: Bank131, context: dict[str, Any], key: str | None
) -> Any:
    return await client.session.init_payout_fiscalization(
        payout_details=card(CARD),
        amount_details=amount(100),
        participant_details=recipient(full_name="Ivan Ivanov"),
        fiscalization_details=RECEIPT,
        idempotency_key=key,
    )


async def _start_payout_fiscalization(
    client: Bank131, context: dict[str, Any], key: str | None
) -> Any:
    return await client.session.start_payout_fiscalization(
        session_id=context["session_id"],
        payout_details=card(CARD),
        amount_details=amount(100),
        participant_details=recipient(full_name="Ivan Ivanov"),
        fiscalization_details=RECEIPT,
        idempotency_key=key,
    )


async def _init_payout_nominal(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.init_payout_nominal(
        payout_details=card(CARD),
        amount_details=amount(100),
        participant_details=ESCROW,
        idempotency_key=key,
    )


async def _init_payout_rko(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.init_payout_rko(
        payout_details=card(CARD),
        amount_details=amount(100),
        participant_details=SETTLEMENT,
        idempotency_key=key,
    )


# A multi/create session only holds the payments to start later; no money moves yet, but a
# second session made by a retry is a second set of payments waiting to be started: count sessions.
async def _multi_create_nominal(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.multi_create_nominal(
        payment_list=TRANSFERS, metadata={"order": "escrow-1"}, idempotency_key=key
    )


async def _multi_create_rko(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.multi_create_rko(
        payment_list=TRANSFERS, metadata={"order": "rko-1"}, idempotency_key=key
    )


async def _multi_init_payment_nominal(
    client: Bank131, context: dict[str, Any], key: str | None
) -> Any:
    return await client.session.multi_init_payment_nominal(
        payment_list=TRANSFERS, idempotency_key=key
    )


def _multi_session(flow: str) -> Any:
    async def prepare(client: Bank131, emulator: Bank131Emulator, n: int) -> dict[str, Any]:
        created = await getattr(client.session, f"multi_create_{flow}")()
        return {"before": _counts(emulator), "session_id": created.session_id}

    return prepare


def _multi_start(flow: str) -> Any:
    async def invoke(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
        start = getattr(client.session, f"multi_start_payment_{flow}")
        return await start(
            session_id=context["session_id"], payment_list=TRANSFERS, idempotency_key=key
        )

    return invoke


# Holds (an emulator with hold_payments=True) -------------------------------------------------


async def _held(client: Bank131, emulator: Bank131Emulator, n: int) -> dict[str, Any]:
    """A card payment authorised and held (``ready_to_capture``), and the balance before."""
    started = await client.session.init_payment(
        payment_details=card(
            CARD, expiration_month="12", expiration_year="30", security_code="123"
        ),
        amount_details=HOLD,
        customer=Customer(reference="user-42"),
    )
    await _until(client, started.session_id, NextAction.CAPTURE)
    return {"session_id": started.session_id, "balance": emulator.balance(HOLD.currency)}


async def _capture(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.capture(
        session_id=context["session_id"], amount_details=CAPTURED, idempotency_key=key
    )


def _captures(emulator: Bank131Emulator, context: dict[str, Any]) -> int:
    """How many times the captured amount reached the balance (one capture: once)."""
    gained = emulator.balance(CAPTURED.currency) - int(context["balance"])
    times, rest = divmod(gained, CAPTURED.amount)
    return times if rest == 0 else times + 2  # any other sum is wrong: flag it


async def _cancel(client: Bank131, context: dict[str, Any], key: str | None) -> Any:
    return await client.session.cancel(session_id=context["session_id"], idempotency_key=key)


def _voided(emulator: Bank131Emulator, context: dict[str, Any]) -> int:
    """The holds the cancel released, or more than one if money moved anyway."""
    session = emulator.session(context["session_id"])
    payments = session.get("payment_list") or []
    voided = sum(
        1
        for payment in payments
        if payment["status"] == "failed"
        and (payment.get("error") or {}).get("code") == "session_cancelled_by_partner"
    )
    moved = emulator.balance(HOLD.currency) != int(context["balance"])
    return voided + (2 if moved else 0)  # a hold charged after all is never a clean cancel


SUITE = Suite(
    provider="bank131",
    emulator=Bank131Emulator,
    client=_client,
    calls=(
        MoneyCall(
            "session.init_payout", "/api/v2/session/init/payout", _before, _init_payout,
            _new("payouts"),
        ),
        MoneyCall(
            "session.start_payout", "/api/v2/session/start/payout", _session, _start_payout,
            _new("payouts"),
        ),
        MoneyCall(
            "session.init_payment", "/api/v2/session/init/payment", _before, _init_payment,
            _new("payments"),
        ),
        MoneyCall(
            "session.init_payment_sync", "/api/v2/session/init/payment/sync", _before,
            _init_payment_sync, _new("payments"),
        ),
        MoneyCall(
            "session.start_payment", "/api/v2/session/start/payment", _session, _start_payment,
            _new("payments"),
        ),
        MoneyCall(
            "session.confirm", "/api/v2/session/confirm", _payout_to_confirm, _confirm,
            _succeeded_payouts,
        ),
        MoneyCall("session.refund", "/api/v2/session/refund", _paid_session, _refund, _refunds),
        MoneyCall(
            "session.init_payout_fiscalization", "/api/v2/session/init/payout/fiscalization",
            _before, _init_payout_fiscalization, _new("payouts"),
        ),
        MoneyCall(
            "session.start_payout_fiscalization", "/api/v2/session/start/payout/fiscalization",
            _session, _start_payout_fiscalization, _new("payouts"),
        ),
        MoneyCall(
            "session.init_payout_nominal", "/api/v2/session/init/payout/nominal", _before,
            _init_payout_nominal, _new("payouts"),
        ),
        MoneyCall(
            "session.multi_create_nominal", "/api/v2/session/multi/create/nominal", _before,
            _multi_create_nominal, _new("sessions"),
        ),
        MoneyCall(
            "session.multi_init_payment_nominal", "/api/v2/session/multi/init/payment/nominal",
            _before, _multi_init_payment_nominal, _new_batches("payments", len(TRANSFERS)),
        ),
        MoneyCall(
            "session.multi_start_payment_nominal", "/api/v2/session/multi/start/payment/nominal",
            _multi_session("nominal"), _multi_start("nominal"),
            _new_batches("payments", len(TRANSFERS)),
        ),
        MoneyCall(
            "session.init_payout_rko", "/api/v2/session/init/payout/rko", _before,
            _init_payout_rko, _new("payouts"),
        ),
        MoneyCall(
            "session.multi_create_rko", "/api/v2/session/multi/create/rko", _before,
            _multi_create_rko, _new("sessions"),
        ),
        MoneyCall(
            "session.multi_start_payment_rko", "/api/v2/session/multi/start/payment/rko",
            _multi_session("rko"), _multi_start("rko"), _new_batches("payments", len(TRANSFERS)),
        ),
    ),
)  # fmt: skip
"""Bank 131: payouts (plain, with a tax receipt, escrow, RKO; in a new or an existing
session), card and multi-payment sessions, confirmations, refunds."""

SUITE_HOLDS = Suite(
    provider="bank131 (holds)",
    emulator=lambda: Bank131Emulator(hold_payments=True),
    client=_client,
    calls=(
        MoneyCall("session.capture", "/api/v2/session/capture", _held, _capture, _captures),
        MoneyCall("session.cancel (a hold)", "/api/v2/session/cancel", _held, _cancel, _voided),
    ),
)
"""Bank 131 with card payments as holds: capturing one in part, and voiding one."""

SUITES = (SUITE, SUITE_HOLDS)
"""Both Bank 131 suites, for ``run.py``."""


def _load_client(
    credentials: dict[str, Any],
    url: str,
    session: aiohttp.ClientSession,
    cap: int,
    retry: RetryPolicy,
) -> Bank131:
    return Bank131(**credentials, base_url=url, session=session, max_concurrency=cap, retry=retry)


async def _load_prepare(client: Bank131) -> str:
    result = await _init_payout(client, {}, None)
    return str(result.session_id)


async def _load_call(client: Bank131, session_id: str, n: int) -> Any:
    return await client.session.status(session_id=session_id)


LOAD = LoadSuite(
    provider="bank131",
    client=_load_client,
    prepare=_load_prepare,
    call=_load_call,
)
"""Bank 131 under load: signed status reads of one session (RSA on every call)."""
