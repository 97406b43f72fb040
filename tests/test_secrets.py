"""No secret ever reaches a log line, a repr() or an exception's text.

Each provider's flows run with DEBUG logging captured from every logger
(ours and aiohttp's), failures included; every result, request model, client
and error met on the way is rendered with repr() and str(); then none of the
secrets used may appear anywhere in what was collected: API secrets and
credentials, PANs, CVVs, cryptograms, card tokens, OTPs, PaRes and signatures.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from aioacquiring import AcquiringError, RetryPolicy
from aioacquiring.alif import Alif
from aioacquiring.alif.signing import sign as alif_sign
from aioacquiring.bank131 import (
    Bank131,
    Customer,
    amount,
    card,
    generate_key_pair,
    recipient,
    saved_card,
)
from aioacquiring.bank131 import webhooks as bank131_webhooks
from aioacquiring.cloudpayments import (
    Accepted,
    CloudPayments,
    SubscriptionInterval,
    ThreeDSecureRequired,
    TrInitiatorCode,
    webhooks,
)
from aioacquiring.models.common import Currency
from aioacquiring.testing import (
    AlifEmulator,
    Bank131Emulator,
    CloudPaymentsEmulator,
    test_cryptogram,
)

FAST = RetryPolicy(max_retries=1, backoff_base=0.01, backoff_cap=0.02, deadline=5)


class Exposure:
    """Everything an operator could read: rendered objects and captured log text."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def show(self, *objects: Any) -> None:
        for obj in objects:
            self.texts.append(repr(obj))
            self.texts.append(str(obj))

    async def attempt(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """Run a call; show its result, or its error (whose text is what gets logged)."""
        try:
            result = await call()
        except AcquiringError as error:
            self.show(error, error.args, error.__cause__)
            return None
        self.show(result)
        return result

    def assert_hides(self, log_text: str, secrets: dict[str, str]) -> None:
        everything = "\n".join([*self.texts, log_text])
        assert log_text, "nothing was logged: the test would prove nothing"
        for name, secret in secrets.items():
            assert secret, name
            assert secret not in everything, f"the {name} leaked"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # every logger, aiohttp's included
    return caplog


async def test_cloudpayments_keeps_its_secrets(debug_logs: pytest.LogCaptureFixture) -> None:
    seen = Exposure()
    pan, cvv = "4242424242424242", "987"
    cryptogram = test_cryptogram(pan, cvv=cvv)
    async with CloudPaymentsEmulator() as emulator:
        client = CloudPayments(
            public_id=emulator.public_id,
            api_secret=emulator.api_secret,
            base_url=emulator.url,
            retry=FAST,
        )
        wrong = CloudPayments(
            public_id=emulator.public_id, api_secret="wrong-secret-123", base_url=emulator.url
        )
        async with client, wrong:
            seen.show(client, wrong)
            challenge = await seen.attempt(
                lambda: client.payments.cards_charge(
                    amount=Decimal("10"),
                    ip_address="127.0.0.1",
                    card_cryptogram_packet=cryptogram,
                    account_id="user-1",
                )
            )
            assert isinstance(challenge, ThreeDSecureRequired)
            pa_res = emulator.pa_res_for(challenge.transaction_id)
            paid = await seen.attempt(
                lambda: client.payments.cards_post3ds(
                    transaction_id=challenge.transaction_id, pa_res=pa_res
                )
            )
            assert isinstance(paid, Accepted)
            token = paid.transaction.token
            assert token
            emulator.faults.fail_next(1, status=503, path="/payments/tokens/charge")
            await seen.attempt(
                lambda: client.payments.tokens_charge(
                    amount=Decimal("5"),
                    token=token,
                    account_id="user-1",
                    tr_initiator_code=TrInitiatorCode.MERCHANT,
                )
            )
            await seen.attempt(
                lambda: client.payments.token_topup(
                    token=token, amount=Decimal("1"), account_id="user-1", currency=Currency.RUB
                )
            )
            await seen.attempt(
                lambda: client.subscriptions.create(
                    token=token,
                    account_id="user-1",
                    description="box",
                    amount=Decimal("3"),
                    currency=Currency.RUB,
                    require_confirmation=False,
                    start_date=datetime(2031, 1, 1, tzinfo=timezone.utc),
                    interval=SubscriptionInterval.MONTH,
                    period=1,
                )
            )
            await seen.attempt(lambda: client.payments.tokens_list().collect())
            # Failures: refused before sending, refused credentials, a dead server.
            await seen.attempt(
                lambda: client.payments.cards_charge(
                    amount=Decimal("-1"), ip_address="1.1.1.1", card_cryptogram_packet=cryptogram
                )
            )
            await seen.attempt(
                lambda: wrong.payments.cards_charge(
                    amount=Decimal("1"), ip_address="1.1.1.1", card_cryptogram_packet=cryptogram
                )
            )
            emulator.faults.drop_after_next(5, path="/payments/cards/charge")
            await seen.attempt(
                lambda: client.payments.cards_charge(
                    amount=Decimal("2"),
                    ip_address="1.1.1.1",
                    card_cryptogram_packet=test_cryptogram("4000000000003055", cvv=cvv),
                )
            )
    body = b"TransactionId=1&Amount=1.00&Token=" + token.encode()
    signature = base64.b64encode(b"x" * 32).decode()
    try:
        webhooks.verify_and_parse(
            "Pay", {"Content-HMAC": signature}, body, api_secret=emulator.api_secret
        )
    except AcquiringError as error:
        seen.show(error)
    basic = base64.b64encode(f"{emulator.public_id}:{emulator.api_secret}".encode()).decode()
    seen.assert_hides(
        debug_logs.text,
        {
            "API secret": emulator.api_secret,
            "wrong API secret": "wrong-secret-123",
            "Basic auth header": basic,
            "cryptogram": cryptogram,
            "PAN": pan,
            "CVV in the cryptogram": f'"Cvv":"{cvv}"',
            "card token": token,
            "PaRes": pa_res,
            "notification signature": signature,
        },
    )


async def test_alif_keeps_its_secrets(debug_logs: pytest.LogCaptureFixture) -> None:
    seen = Exposure()
    pan, exp = "8600140214357387", "1230"
    async with AlifEmulator() as emulator:
        client = Alif(
            token=emulator.token,
            secret_key=emulator.secret_key,
            base_url=emulator.url,
            retry=FAST,
        )
        async with client:
            seen.show(client)
            card = await seen.attempt(lambda: client.card.token_create(pan=pan, exp=exp))
            card = await seen.attempt(
                lambda: client.card.token_confirm(card_token=card.card_token, otp=emulator.otp)
            )
            card_token = card.card_token
            emulator.faults.drop_after_next(1, path="/debit.payment.create")
            await seen.attempt(
                lambda: client.debit.payment_create(amount=1_000, card_token=card_token)
            )
            await seen.attempt(lambda: client.card.token_list().collect())
            await seen.attempt(lambda: client.card.token_create(pan="1234", exp=exp))
            await seen.attempt(lambda: client.card.token_create(pan=pan, exp="1399"))
            await seen.attempt(
                lambda: client.debit.payment_create(amount=1, card_token="ct_not_a_real_token")
            )
    body = b'{"event": "payment.succeeded", "data": {}}'
    good_signature = alif_sign(body, emulator.secret_key)
    try:
        client.verify_webhook({"signature": good_signature[::-1]}, body)
    except AcquiringError as error:
        seen.show(error)
    seen.assert_hides(
        debug_logs.text,
        {
            "secret key": emulator.secret_key,
            "merchant token": emulator.token,
            "PAN": pan,
            "expiry": f'"exp":"{exp}"',
            "card token": card_token,
            "OTP": f'"otp":"{emulator.otp}"',
            "webhook signature": good_signature,
        },
    )


async def test_bank131_keeps_its_secrets(debug_logs: pytest.LogCaptureFixture) -> None:
    seen = Exposure()
    pan, cvv = "4000000000003220", "739"
    async with Bank131Emulator() as emulator:
        kwargs = emulator.client_kwargs()
        client = Bank131(**kwargs, retry=FAST)
        stranger = generate_key_pair()
        forged = Bank131(**{**kwargs, "private_key": stranger.private_key_pem}, retry=FAST)
        async with client, forged:
            seen.show(client, forged)
            emulator.faults.drop_after_next(1, path="/api/v2/session/init/payment")
            paying = await seen.attempt(
                lambda: client.session.init_payment(
                    payment_details=card(
                        pan, expiration_month="12", expiration_year="30", security_code=cvv
                    ),
                    amount_details=amount(990),
                    customer=Customer(reference="user-1"),
                )
            )
            assert paying is not None
            token = emulator.add_card_token("4242424242424242")
            await seen.attempt(
                lambda: client.session.init_payout(
                    payout_details=saved_card(token),
                    amount_details=amount(100),
                    participant_details=recipient(full_name="Ivan Ivanov"),
                )
            )
            await seen.attempt(lambda: client.session.status(session_id=paying.session_id))
            await seen.attempt(lambda: forged.session.status(session_id=paying.session_id))
            await seen.attempt(
                lambda: client.session.init_payout(
                    payout_details=card(pan),
                    amount_details=amount(100),
                    participant_details=recipient(full_name="Ivan Ivanov"),
                    idempotency_key="no",  # too short: refused before sending
                )
            )
    body = b'{"type": "payment_finished", "session": {"id": "ps_1", "status": "accepted"}}'
    signature = emulator.sign(body)
    try:
        bank131_webhooks.verify_and_parse(
            {"X-PARTNER-SIGN": signature}, body + b" ", bank_public_key=kwargs["bank_public_key"]
        )
    except AcquiringError as error:
        seen.show(error)
    private_body = "".join(str(kwargs["private_key"]).splitlines()[1:-1])
    seen.assert_hides(
        debug_logs.text,
        {
            "partner private key": private_body[:64],
            "stranger's private key": "".join(stranger.private_key_pem.splitlines()[1:3]),
            "PAN": pan,
            "CVV": f'"security_code":"{cvv}"',
            "card token": token,
            "webhook signature": signature,
        },
    )
