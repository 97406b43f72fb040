"""The Bank 131 emulator as a product: v1-only methods, refusals, QR payments, webhook delivery."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aioacquiring import InvalidRequestError, RetryPolicy
from aioacquiring.bank131 import (
    AccountBalanceRequest,
    ActionRequiredEvent,
    Bank131,
    Customer,
    FasterPaymentSystemMethod,
    FasterPaymentSystemQr,
    InformInteraction,
    OperationRejectedError,
    PaymentFinishedEvent,
    PaymentOptions,
    ReadyToConfirmEvent,
    RecurrentTokenRef,
    SelfEmployedWidget,
    SessionStatus,
    SessionWrongStateError,
    Signer,
    TokenizedCard,
    TokenizedCardVariant,
    amount,
    card,
    recipient,
    saved_card,
)
from aioacquiring.testing.bank131 import RETRY_SCHEDULE, Bank131Emulator

from .test_bank131_signing import client_for, emulator, partner_keys
from .test_bank131_webhooks import receiver

FAST = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_cap=0.02, deadline=5)
PAYER = Customer(reference="user-7")


@pytest.fixture
async def emu() -> AsyncIterator[Bank131Emulator]:
    async with emulator(confirm_payments=False, confirm_payouts=False) as server:
        yield server


@pytest.fixture
async def client(emu: Bank131Emulator) -> AsyncIterator[Bank131]:
    async with client_for(emu, retry=FAST) as client:
        yield client


async def raw(emu: Bank131Emulator, path: str, payload: Any) -> tuple[int, dict[str, Any]]:
    body = json.dumps(payload).encode()
    headers = {
        "X-PARTNER-PROJECT": emu.project_id,
        "X-PARTNER-SIGN": Signer(partner_keys().private_key_pem).sign(body),
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(emu.url + path, data=body, headers=headers) as r,
    ):
        return r.status, await r.json()


async def test_without_confirmation_settings_payouts_and_payments_finish_at_once(
    emu: Bank131Emulator, client: Bank131
) -> None:
    payout = await client.session.init_payout(
        payout_details=card("4242424242424242"),
        amount_details=amount(1),
        participant_details=recipient(full_name="I"),
    )
    paid = await client.session.init_payment(
        payment_details=card("4242424242424242"), amount_details=amount(2), customer=PAYER
    )
    for session_id in (payout.session_id, paid.session_id):
        status = await client.session.status(session_id=session_id)
        assert status.status is SessionStatus.ACCEPTED
    assert [w.type for w in emu.webhooks] == ["payment_finished", "payment_finished"]


async def test_fps_qr_payment_waits_for_the_customer(emu: Bank131Emulator, client: Bank131) -> None:
    async with receiver(client, emu) as received:
        started = await client.session.init_payment(
            payment_details=FasterPaymentSystemMethod(
                faster_payment_system=FasterPaymentSystemQr()
            ),
            amount_details=amount(300),
            customer=PAYER,
        )
        (action,) = await received.wait_for(ActionRequiredEvent)
        interaction = action.session.payment_list[0].customer_interaction
        assert isinstance(interaction, InformInteraction)
        assert interaction.inform.qr.content.startswith(emu.url)  # type: ignore[union-attr]
        emu.complete_customer_action(started.session_id)
        (finished,) = await received.wait_for(PaymentFinishedEvent)
    assert finished.session.status is SessionStatus.ACCEPTED
    with pytest.raises(ValueError, match="waits for the customer"):
        emu.complete_customer_action(started.session_id)
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(interaction.inform.qr.content) as page,
    ):  # type: ignore[union-attr]
        assert page.status == 404  # the payment no longer waits for the customer


async def test_saved_cards_tokens_and_recurrent_tokens_in_v1(
    emu: Bank131Emulator, client: Bank131
) -> None:
    token = emu.add_card_token("2200000000000004")
    info = await client.token.info(
        card=TokenizedCardVariant(tokenized_card=TokenizedCard(token=token))
    )
    assert info.info is not None
    assert (info.info.brand, info.info.last4) == ("mir", "0004")
    assert token not in repr(info)
    paid = await client.session.init_payment(
        payment_details=saved_card(token),
        amount_details=amount(1),
        customer=PAYER,
        payment_options=PaymentOptions(recurrent=True),
    )
    status = await client.session.status(session_id=paid.session_id)
    recurrent_token = status.payment.recurrent.token  # type: ignore[union-attr]
    state = await client.recurrent.status(recurrent=RecurrentTokenRef(token=recurrent_token))  # type: ignore[arg-type]
    assert state.recurrent is not None
    assert state.recurrent.is_active
    disabled = await client.recurrent.disable(recurrent=RecurrentTokenRef(token=recurrent_token))  # type: ignore[arg-type]
    assert disabled.recurrent.is_active is False
    assert disabled.recurrent.finished_at is not None
    from aioacquiring.bank131 import RecurrentMethod, RecurrentToken

    with pytest.raises(OperationRejectedError, match="disabled"):
        await client.session.init_payment(
            payment_details=RecurrentMethod(recurrent=RecurrentToken(token=recurrent_token)),  # type: ignore[arg-type]
            amount_details=amount(1),
            customer=PAYER,
        )
    with pytest.raises(InvalidRequestError, match="unknown"):
        await client.token.info(
            card=TokenizedCardVariant(tokenized_card=TokenizedCard(token="nope"))
        )
    with pytest.raises(InvalidRequestError, match="unknown"):
        await client.recurrent.status(recurrent=RecurrentTokenRef(token="nope"))
    with pytest.raises(InvalidRequestError, match="unknown"):
        await client.session.init_payment(
            payment_details=saved_card("nope"), amount_details=amount(1), customer=PAYER
        )


async def test_balances_and_reports(emu: Bank131Emulator, client: Bank131) -> None:
    emu.set_balance(5000)
    await client.session.init_payout(
        payout_details=card("4242424242424242"),
        amount_details=amount(10),
        participant_details=recipient(full_name="I"),
    )
    balance = await client.wallet.balance(request_datetime=dt.datetime.now(dt.timezone.utc))
    assert balance.wallets[0].amount_details.amount == 4000  # type: ignore[index,union-attr]
    report = await client.report.account_balance(account_number="40702810000000000131")
    assert report["accounts"][0]["balance"]["amount"] == 4000
    today = dt.datetime.now(dt.timezone.utc).date()
    statement = await client.report.account_statement(date_from=today, date_to=today)
    assert [t["direction"] for t in statement["transactions"]] == ["debit"]
    with pytest.raises(InvalidRequestError, match="date_from"):
        await client.report.account_statement(date_from=today, date_to=today - dt.timedelta(days=1))
    assert AccountBalanceRequest().account_number is None


async def test_payout_over_the_balance_is_refused(emu: Bank131Emulator, client: Bank131) -> None:
    emu.set_balance(50)
    from aioacquiring.bank131 import InsufficientFundsError

    with pytest.raises(InsufficientFundsError):
        await client.session.init_payout(
            payout_details=card("4242424242424242"),
            amount_details=amount(1),
            participant_details=recipient(full_name="I"),
        )
    assert emu.payouts == []


async def test_widget_tokens(emu: Bank131Emulator, client: Bank131) -> None:
    token = await client.token.create(
        self_employed_widget=SelfEmployedWidget(tax_reference="123456789012")
    )
    assert token.public_token.startswith("pt_")
    with pytest.raises(InvalidRequestError, match="one of"):
        await client.token.create()


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        ("/api/v2/session/status", {}, "session_id is required"),
        ("/api/v2/session/status", {"session_id": "ps_nope"}, "not found"),
        (
            "/api/v2/session/init/payout",
            {"payout_details": {"type": "crypto"}},
            "payout_details.type",
        ),
        (
            "/api/v2/session/init/payout",
            {"payout_details": {"type": "card"}},
            "payout_details.card is required",
        ),
        ("/api/v2/session/init/payout", {"payout_details": []}, "must be an object"),
        (
            "/api/v2/session/init/payout",
            {
                "payout_details": {
                    "type": "card",
                    "card": {"type": "bank_card", "bank_card": {"number": "12"}},
                }
            },
            "12 to 19 digits",
        ),
        (
            "/api/v2/session/init/payout",
            {
                "payout_details": {"type": "card", "card": {"type": "tokenized_card"}},
                "amount_details": {"amount": 1.5, "currency": "rub"},
            },
            "positive integer",
        ),
        (
            "/api/v2/session/init/payout",
            {
                "payout_details": {"type": "card", "card": {"type": "tokenized_card"}},
                "amount_details": {"amount": 1, "currency": "rouble"},
            },
            "three-letter",
        ),
        (
            "/api/v2/session/init/payout",
            {
                "payout_details": {"type": "card", "card": "x"},
                "amount_details": {"amount": 1, "currency": "rub"},
            },
            "must be an object",
        ),
        (
            "/api/v2/session/init/payout",
            {
                "payout_details": {"type": "tax", "tax": {}},
                "amount_details": {"amount": 1, "currency": "rub"},
            },
            "recipient is required",
        ),
        ("/api/v2/session/init/payout/fiscalization", {}, "fiscalization_details"),
        ("/api/v2/session/init/payment", {}, "customer is required"),
        (
            "/api/v2/session/init/payment",
            {"customer": {"reference": "r"}},
            "payment_details is required",
        ),
        ("/api/v2/session/multi/init/payment/nominal", {"payment_list": []}, "non-empty list"),
        ("/api/v2/fps/customer_verification", {"session_id": "ps_nope"}, "not found"),
    ],
)
async def test_the_emulator_refuses_what_the_bank_refuses(
    emu: Bank131Emulator, path: str, payload: dict[str, Any], message: str
) -> None:
    status, answer = await raw(emu, path, payload)
    assert status in (400, 404)
    assert answer["status"] == "error"
    assert message in answer["error"]["description"]
    assert emu.payouts == []
    assert emu.payments == []


async def test_flow_specific_fields_are_required(emu: Bank131Emulator, client: Bank131) -> None:
    args = {
        "payout_details": card("4242424242424242"),
        "amount_details": amount(1),
        "participant_details": recipient(full_name="I"),
    }
    with pytest.raises(InvalidRequestError, match="beneficiary_id"):
        await client.session.init_payout_nominal(**args)
    with pytest.raises(InvalidRequestError, match=r"sender\.account"):
        await client.session.init_payout_rko(**args)
    created = await client.session.create()
    with pytest.raises(InvalidRequestError, match="faster_payment_system_verification"):
        await client.fps.customer_verification(
            session_id=created.session_id,
            payout_details=card("4242424242424242"),
            participant_details=recipient(full_name="I"),
        )


async def test_refunds_and_captures_need_the_right_state(
    emu: Bank131Emulator, client: Bank131
) -> None:
    created = await client.session.create()
    with pytest.raises(SessionWrongStateError):
        await client.session.refund(session_id=created.session_id)
    with pytest.raises(SessionWrongStateError):
        await client.session.capture(session_id=created.session_id)
    paid = await client.session.init_payment(
        payment_details=card("4242424242424242"), amount_details=amount(1), customer=PAYER
    )
    with pytest.raises(SessionWrongStateError):
        await client.session.start_payment(
            session_id=paid.session_id,
            payment_details=card("4242424242424242"),
            amount_details=amount(1),
            customer=PAYER,
        )
    with pytest.raises(SessionWrongStateError):
        await client.session.cancel(session_id=paid.session_id)
    with pytest.raises(InvalidRequestError, match="currency"):
        await client.session.refund(
            session_id=paid.session_id, amount_details=amount(1, currency="usd")
        )


async def test_hold_capture_above_the_hold_is_refused(
    emu: Bank131Emulator, client: Bank131
) -> None:
    emu.hold_payments = True
    assert emu.hold_payments
    held = await client.session.init_payment(
        payment_details=card("4242424242424242"), amount_details=amount(1), customer=PAYER
    )
    with pytest.raises(InvalidRequestError, match="held"):
        await client.session.capture(session_id=held.session_id, amount_details=amount(2))
    await client.session.capture(session_id=held.session_id)
    assert (
        await client.session.status(session_id=held.session_id)
    ).status is SessionStatus.ACCEPTED


async def test_expired_card_payout_fails_after_confirmation(client: Bank131) -> None:
    async with emulator() as emu, client_for(emu, retry=FAST) as confirming:
        started = await confirming.session.init_payout(
            payout_details=card("4000000000000069"),
            amount_details=amount(1),
            participant_details=recipient(full_name="I"),
        )
        await confirming.session.confirm(session_id=started.session_id)
        status = await confirming.session.status(session_id=started.session_id)
        assert status.status is SessionStatus.CANCELLED
        assert status.error.code == "bank_card_expired"  # type: ignore[union-attr]
        assert emu.session(started.session_id)["status"] == "cancelled"


async def test_webhooks_to_an_unreachable_url_are_given_up_on(
    emu: Bank131Emulator, client: Bank131
) -> None:
    emu.webhook_url = "http://127.0.0.1:9/nowhere"
    await client.session.init_payment(
        payment_details=card("4242424242424242"), amount_details=amount(1), customer=PAYER
    )
    await emu.wait_for_webhooks()
    # Tried once, then on every step of the (compressed) schedule, then given up on.
    assert emu.webhooks[-1].statuses == [None] * (1 + len(RETRY_SCHEDULE))
    assert all(attempt.error for attempt in emu.webhooks[-1].attempts)
    assert not emu.webhooks[-1].delivered
    emu.webhook_url = None
    with pytest.raises(RuntimeError, match="no webhook URL"):
        await emu.send_webhook({"type": "x"})


async def test_emulator_repr_and_keys() -> None:
    emu = Bank131Emulator()  # makes its own key pairs
    assert "not started" in repr(emu)
    assert "PRIVATE" not in repr(emu)
    assert emu.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    async with emu:
        assert emu.url in repr(emu)
        async with Bank131(**emu.client_kwargs()) as client:
            created = await client.session.create()
        assert emu.session(created.session_id)["status"] == "created"
        assert emu.requests_seen("/api/v2/session/create") == 1


async def test_ready_to_confirm_webhook_in_v1_names() -> None:
    async with (
        emulator(webhook_api_version=1) as emu,
        client_for(emu, retry=FAST) as client,
    ):
        async with receiver(client, emu) as received:
            await client.session.init_payout(
                payout_details=card("4242424242424242"),
                amount_details=amount(1),
                participant_details=recipient(full_name="I"),
            )
            (ready,) = await received.wait_for(ReadyToConfirmEvent)
        body = json.loads(emu.webhooks[0].body)
        assert "payments" in body["session"]
        assert "payment_method" in body["session"]["payments"][0]
        assert ready.session.payout_list[0].payout_details.card.last4 == "4242"  # type: ignore[index,union-attr]
