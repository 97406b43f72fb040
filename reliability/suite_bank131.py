"""Bank 131's money calls for the reliability harness: payouts and payments by session."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from harness import MoneyCall, Suite
from load import LoadSuite

from aioacquiring import RetryPolicy, Timeout
from aioacquiring.bank131 import Bank131, Customer, NextAction, amount, card, recipient
from aioacquiring.testing import Bank131Emulator

CARD = "4242424242424242"  # pays out and pays without 3-D Secure in the emulator


def _client(emulator: Bank131Emulator, url: str, timeout: Timeout, retry: RetryPolicy) -> Bank131:
    return Bank131(**{**emulator.client_kwargs(), "base_url": url}, timeout=timeout, retry=retry)


def _counts(emulator: Bank131Emulator) -> dict[str, int]:
    return {"payouts": len(emulator.payouts), "payments": len(emulator.payments)}


async def _before(client: Bank131, emulator: Bank131Emulator, n: int) -> dict[str, Any]:
    """How many payouts and payments exist before the call (scenarios run one at a time)."""
    return {"before": _counts(emulator)}


async def _session(client: Bank131, emulator: Bank131Emulator, n: int) -> dict[str, Any]:
    created = await client.session.create()
    return {"before": _counts(emulator), "session_id": created.session_id}


def _new(kind: str) -> Any:
    def effects(emulator: Bank131Emulator, context: dict[str, Any]) -> int:
        return _counts(emulator)[kind] - int(context["before"][kind])

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


async def _until_confirmable(client: Bank131, session_id: str) -> None:
    for _ in range(200):
        if (await client.session.status(session_id=session_id)).next_action == NextAction.CONFIRM:
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"{session_id} never asked for confirmation")


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
    ),
)  # fmt: skip
"""Bank 131: payouts (in a new or an existing session), card payments, confirmations, refunds."""


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
