"""Bank 131 session flows over loopback against the emulator, in API v2 and v1.

Payouts: init -> ready_to_confirm -> confirm -> payment_finished. Payments:
3-D Secure via action_required, confirmation, holds and capture, declines
(session ``error``, not final: the payment may start again), cancel, refunds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from aioacquiring import RetryPolicy
from aioacquiring.bank131 import (
    ActionRequiredEvent,
    Bank131,
    Customer,
    FiscalizationDetails,
    FiscalizationService,
    InternalTransferMethod,
    NextAction,
    OperationStatus,
    Participant,
    ParticipantDetails,
    PaymentFinishedEvent,
    PaymentItem,
    PaymentOptions,
    PaymentRefundedEvent,
    ProfessionalIncomeTaxpayer,
    QiwiWalletVariant,
    ReadyToCaptureEvent,
    ReadyToConfirmEvent,
    RedirectInteraction,
    RefundAmountTooLargeError,
    RefundStatus,
    SessionStatus,
    SessionWrongStateError,
    WalletAccount,
    WalletMethod,
    amount,
    card,
    recipient,
    ru_account,
)
from aioacquiring.testing.bank131 import Bank131Emulator

from .test_bank131_signing import client_for, emulator
from .test_bank131_webhooks import receiver

FAST = RetryPolicy(max_retries=3, backoff_base=0.01, backoff_cap=0.05, deadline=10)
PAYER = Customer(reference="user-42")
CARD_DATA = {"expiration_month": "12", "expiration_year": "30", "security_code": "123"}


@pytest.fixture(params=[2, 1], ids=["v2", "v1"])
async def setup(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Bank131Emulator, Bank131]]:
    version = request.param
    async with (
        emulator(webhook_api_version=version) as emu,
        client_for(emu, api_version=version, retry=FAST) as client,
    ):
        yield emu, client


async def test_payout_to_a_card_confirmed_on_ready_to_confirm(
    setup: tuple[Bank131Emulator, Bank131],
) -> None:
    emu, client = setup
    before = emu.balance()
    async with receiver(client, emu) as received:
        started = await client.session.init_payout(
            payout_details=card("4242424242424242"),
            amount_details=amount("150.50"),
            participant_details=recipient(full_name="Ivan Ivanov"),
            metadata={"order": "A-1"},
        )
        assert started.session_id.startswith("ps_")
        assert started.status is SessionStatus.IN_PROGRESS
        assert started.payout is not None
        assert started.payout.id.startswith("po_")
        assert started.payout.amount_details.amount == 15050  # type: ignore[union-attr]
        assert started.payout.payout_details.card.last4 == "4242"  # type: ignore[union-attr]
        assert not started.is_final

        (ready,) = await received.wait_for(ReadyToConfirmEvent)
        assert ready.session.id == started.session_id
        assert ready.session.next_action is NextAction.CONFIRM
        status = await client.session.status(session_id=started.session_id)
        assert status.next_action is NextAction.CONFIRM
        assert status.payout.status is OperationStatus.PENDING  # type: ignore[union-attr]

        confirmed = await client.session.confirm(session_id=started.session_id)
        assert confirmed.next_action is None
        (finished,) = await received.wait_for(PaymentFinishedEvent)
    assert finished.session.status is SessionStatus.ACCEPTED
    final = await client.session.status(session_id=started.session_id)
    assert final.is_final
    assert final.payout.status is OperationStatus.SUCCEEDED
    assert final.payout.metadata == {"order": "A-1"}  # type: ignore[union-attr]
    assert emu.balance() == before - 15050
    assert received.types() == ["ready_to_confirm", "payment_finished"]
    assert all(w.delivered for w in emu.webhooks)


async def test_payment_with_3ds_then_confirmation(setup: tuple[Bank131Emulator, Bank131]) -> None:
    emu, client = setup
    async with receiver(client, emu) as received:
        started = await client.session.init_payment(
            payment_details=card("4000000000003220", **CARD_DATA),
            amount_details=amount(990),
            customer=PAYER,
            payment_options=PaymentOptions(return_url="https://shop.example/done"),
        )
        (action,) = await received.wait_for(ActionRequiredEvent)
        interaction = action.session.payment_list[0].customer_interaction
        assert isinstance(interaction, RedirectInteraction)
        # The customer's browser follows the redirect: the emulator's ACS passes them.
        async with (
            aiohttp.ClientSession() as browser,
            browser.get(interaction.redirect.url) as page,
        ):
            assert page.status == 200
        await received.wait_for(ReadyToConfirmEvent)
        await client.session.confirm(session_id=started.session_id)
        (finished,) = await received.wait_for(PaymentFinishedEvent)
    payment = finished.session.payment_list[0]
    assert finished.session.status is SessionStatus.ACCEPTED
    assert payment.status is OperationStatus.SUCCEEDED
    assert payment.amounts.gross.amount == 99000  # type: ignore[union-attr]
    assert received.types() == ["action_required", "ready_to_confirm", "payment_finished"]


async def test_declined_payment_leaves_the_session_in_error_which_is_not_final(
    setup: tuple[Bank131Emulator, Bank131],
) -> None:
    emu, client = setup
    async with receiver(client, emu) as received:
        started = await client.session.init_payment(
            payment_details=card("4000000000009995", **CARD_DATA),
            amount_details=amount(10),
            customer=PAYER,
        )
        (finished,) = await received.wait_for(PaymentFinishedEvent)
        assert finished.session.status is SessionStatus.ERROR
        status = await client.session.status(session_id=started.session_id)
        assert status.status is SessionStatus.ERROR
        assert not status.is_final
        assert status.error is not None
        assert status.error.code == "insufficient_funds"
        # Not final: a payment with another card starts in the same session.
        again = await client.session.start_payment(
            session_id=started.session_id,
            payment_details=card("4242424242424242", **CARD_DATA),
            amount_details=amount(10),
            customer=PAYER,
        )
        assert len(again.session.payment_list or []) == 2
        await received.wait_for(ReadyToConfirmEvent)
        await client.session.confirm(session_id=started.session_id)
        await received.wait_for(PaymentFinishedEvent, count=2)
    final = await client.session.status(session_id=started.session_id)
    assert final.status is SessionStatus.ACCEPTED
    assert final.payment.status is OperationStatus.SUCCEEDED


async def test_hold_then_partial_capture(setup: tuple[Bank131Emulator, Bank131]) -> None:
    emu, client = setup
    emu.hold_payments = True
    async with receiver(client, emu) as received:
        started = await client.session.init_payment(
            payment_details=card("4242424242424242", **CARD_DATA),
            amount_details=amount(500),
            customer=PAYER,
        )
        (ready,) = await received.wait_for(ReadyToCaptureEvent)
        assert ready.session.next_action is NextAction.CAPTURE
        with pytest.raises(SessionWrongStateError):
            await client.session.confirm(session_id=started.session_id)
        await client.session.capture(session_id=started.session_id, amount_details=amount(300))
        await received.wait_for(PaymentFinishedEvent)
    final = await client.session.status(session_id=started.session_id)
    assert final.status is SessionStatus.ACCEPTED
    assert final.payment.amounts.gross.amount == 30000  # type: ignore[union-attr]


async def test_cancel_instead_of_confirming(setup: tuple[Bank131Emulator, Bank131]) -> None:
    emu, client = setup
    async with receiver(client, emu) as received:
        started = await client.session.init_payout(
            payout_details=card("4242424242424242"),
            amount_details=amount(1),
            participant_details=recipient(full_name="Ivan"),
        )
        await received.wait_for(ReadyToConfirmEvent)
        cancelled = await client.session.cancel(session_id=started.session_id)
        assert cancelled.status is SessionStatus.CANCELLED
        assert cancelled.is_final
        assert cancelled.next_action is None
        with pytest.raises(SessionWrongStateError) as error:
            await client.session.confirm(session_id=started.session_id)
        assert error.value.code == "session_wrong_state"
        assert error.value.status == 400
        await received.wait_for(PaymentFinishedEvent)
    assert cancelled.payout.status is OperationStatus.FAILED  # type: ignore[union-attr]
    assert cancelled.error.code == "session_cancelled_by_partner"  # type: ignore[union-attr]


async def test_refunds_partial_full_and_too_large(setup: tuple[Bank131Emulator, Bank131]) -> None:
    emu, client = setup
    async with receiver(client, emu) as received:
        started = await client.session.init_payment(
            payment_details=card("4242424242424242", **CARD_DATA),
            amount_details=amount(100),
            customer=PAYER,
        )
        await received.wait_for(ReadyToConfirmEvent)
        await client.session.confirm(session_id=started.session_id)
        await received.wait_for(PaymentFinishedEvent)
        part = await client.session.refund(
            session_id=started.session_id, amount_details=amount(40), metadata="first"
        )
        assert part.refund is not None
        assert part.refund.status is RefundStatus.IN_PROGRESS
        await received.wait_for(PaymentRefundedEvent)
        with pytest.raises(RefundAmountTooLargeError):
            await client.session.refund(session_id=started.session_id, amount_details=amount(61))
        rest = await client.session.refund(session_id=started.session_id)  # the whole rest
        (_, second) = await received.wait_for(PaymentRefundedEvent, count=2)
    assert rest.refund.amount_details.amount == 6000  # type: ignore[union-attr]
    refunds = second.session.payment_list[0].refunds
    assert [r.status for r in refunds] == [RefundStatus.ACCEPTED, RefundStatus.ACCEPTED]
    assert refunds[0].metadata == "first"


async def test_sync_payment_answers_after_the_checks(
    setup: tuple[Bank131Emulator, Bank131],
) -> None:
    _, client = setup
    result = await client.session.init_payment_sync(
        payment_details=card("4242424242424242", **CARD_DATA),
        amount_details=amount(5),
        customer=PAYER,
    )
    assert result.next_action is NextAction.CONFIRM
    assert result.payment.status is OperationStatus.PENDING  # type: ignore[union-attr]


async def test_created_session_then_start_payout_with_fiscalization_and_wallets(
    setup: tuple[Bank131Emulator, Bank131],
) -> None:
    emu, client = setup
    created = await client.session.create(metadata={"k": "v"})
    assert created.status is SessionStatus.CREATED
    assert created.payout is None
    receipt = FiscalizationDetails(
        professional_income_taxpayer=ProfessionalIncomeTaxpayer(
            services=[FiscalizationService(name="Design", amount_details=amount(700), quantity=1)],
            tax_reference="123456789012",
        )
    )
    started = await client.session.start_payout_fiscalization(
        session_id=created.session_id,
        payout_details=ru_account(
            bik="044525974", account="40817810000000000001", full_name="Ivan", description="work"
        ),
        amount_details=amount(700),
        participant_details=recipient(full_name="Ivan"),
        fiscalization_details=receipt,
    )
    payout = started.payout
    assert payout is not None
    assert payout.fiscalization_details == receipt
    assert payout.payout_details.bank_account.ru.bik == "044525974"  # type: ignore[union-attr]
    fiscal = await client.session.init_payout_fiscalization(
        payout_details=WalletMethod(
            wallet=QiwiWalletVariant(qiwi=WalletAccount(account="79001234567"))
        ),
        amount_details=amount(1),
        participant_details=recipient(full_name="Ivan"),
        fiscalization_details=receipt,
    )
    assert fiscal.payout.payout_details.wallet.qiwi.account == "79001234567"  # type: ignore[union-attr]
    plain = await client.session.create()
    again = await client.session.start_payout(
        session_id=plain.session_id,
        payout_details=card("4000000000000002"),
        amount_details=amount(2),
        participant_details=recipient(full_name="Ivan"),
    )
    await client.session.confirm(session_id=again.session_id)
    failed = await client.session.status(session_id=again.session_id)
    # A failed payout ends its session: cancelled, with the card's error.
    assert failed.status is SessionStatus.CANCELLED
    assert failed.error.code == "declined_by_issuer_bank"
    assert len(emu.payouts) == 3


async def test_payment_by_recurrent_token_and_start_payment(
    setup: tuple[Bank131Emulator, Bank131],
) -> None:
    _emu, client = setup
    first = await client.session.init_payment(
        payment_details=card("4242424242424242", **CARD_DATA),
        amount_details=amount(1),
        customer=PAYER,
        payment_options=PaymentOptions(recurrent=True),
    )
    await client.session.confirm(session_id=first.session_id)
    paid = await client.session.status(session_id=first.session_id)
    token = paid.payment.recurrent.token  # type: ignore[union-attr]
    assert token
    assert "token=" not in repr(paid.payment.recurrent)
    from aioacquiring.bank131 import RecurrentMethod, RecurrentToken

    created = await client.session.create()
    charged = await client.session.start_payment(
        session_id=created.session_id,
        payment_details=RecurrentMethod(
            recurrent=RecurrentToken(token=token, initiator="merchant")
        ),
        amount_details=amount(3),
        customer=PAYER,
    )
    assert charged.payment.payment_details.recurrent.initiator == "merchant"  # type: ignore[union-attr]


async def test_nominal_and_rko_flows_echo_confirm_information(
    setup: tuple[Bank131Emulator, Bank131],
) -> None:
    emu, client = setup
    sender = Participant(
        full_name="Escrow Ltd", beneficiary_id="ben_1", account="40702810000000000001"
    )
    participants = ParticipantDetails(sender=sender, recipient=Participant(full_name="Ivan"))
    async with receiver(client, emu) as received:
        nominal = await client.session.init_payout_nominal(
            payout_details=card("4242424242424242"),
            amount_details=amount(10),
            participant_details=participants,
        )
        (ready,) = await received.wait_for(ReadyToConfirmEvent)
        information = ready.confirm_information
        assert information is not None
        assert information.transfer_details.amount.amount == 1000  # type: ignore[union-attr]
        status = await client.session.status(session_id=nominal.session_id)
        assert status.confirm_information == information
        await client.session.confirm(session_id=nominal.session_id, confirm_information=information)
        await received.wait_for(PaymentFinishedEvent)
        rko = await client.session.init_payout_rko(
            payout_details=card("4242424242424242"),
            amount_details=amount(10),
            participant_details=participants,
        )
        await received.wait_for(ReadyToConfirmEvent, count=2)
        await client.session.confirm(
            session_id=rko.session_id, confirm_information=ready.confirm_information
        )
        transfer = PaymentItem(
            payment_details=InternalTransferMethod(internal_transfer={"beneficiary_id": "ben_1"}),
            amount_details=amount(5),
        )
        multi = await client.session.multi_init_payment_nominal(payment_list=[transfer, transfer])
        assert len(multi.session.payment_list or []) == 2
        await received.wait_for(ReadyToConfirmEvent, count=3)
        for flow in ("nominal", "rko"):
            created = await getattr(client.session, f"multi_create_{flow}")(metadata={"f": flow})
            assert created.status is SessionStatus.CREATED
            started = await getattr(client.session, f"multi_start_payment_{flow}")(
                session_id=created.session_id, payment_list=[transfer]
            )
            assert started.payment.payment_details.internal_transfer == {"beneficiary_id": "ben_1"}
    final = await client.session.status(session_id=rko.session_id)
    assert final.status is SessionStatus.ACCEPTED


async def test_fps_customer_verification(setup: tuple[Bank131Emulator, Bank131]) -> None:
    _, client = setup
    from aioacquiring.bank131 import fps_account, fps_verification

    session = await client.session.create()
    banks = (await client.fps.banks()).banks
    assert banks is not None
    assert banks[0].id
    checked = await client.fps.customer_verification(
        session_id=session.session_id,
        payout_details=fps_verification(phone="79001234567", bank_id=banks[0].id),
        participant_details=recipient(first_name="Ivan", last_name="Ivanov"),
    )
    assert checked.payout.status is OperationStatus.SUCCEEDED  # type: ignore[union-attr]
    unknown_bank = await client.fps.customer_verification(
        session_id=session.session_id,
        payout_details=fps_verification(phone="79001234567", bank_id="999"),
        participant_details=recipient(first_name="Ivan", last_name="Ivanov"),
    )
    assert unknown_bank.payout.error.code == "operation_rejected"  # type: ignore[union-attr]
    paid = await client.session.start_payout(
        session_id=session.session_id,
        payout_details=fps_account(phone="79001234567", bank_id=banks[0].id),
        amount_details=amount(1),
        participant_details=recipient(first_name="Ivan", last_name="Ivanov"),
    )
    assert paid.payout.payout_details.bank_account.faster_payment_system.phone == "79001234567"  # type: ignore[union-attr]


async def test_many_payouts_at_once(setup: tuple[Bank131Emulator, Bank131]) -> None:
    emu, client = setup

    async def one(i: int) -> Any:
        return await client.session.init_payout(
            payout_details=card("4242424242424242"),
            amount_details=amount(i + 1),
            participant_details=recipient(full_name=f"R{i}"),
        )

    results = await asyncio.gather(*(one(i) for i in range(10)))
    assert len({r.session_id for r in results}) == 10
    assert len(emu.payouts) == 10
