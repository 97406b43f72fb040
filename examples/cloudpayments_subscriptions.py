"""CloudPayments subscriptions, start to end: save a card, subscribe, change, cancel, resume.

Run against the local emulator with ``make demo`` (no credentials, loopback
only), or point ``base_url``/``public_id``/``api_secret`` at your terminal (the
emulator-only steps, marked below, then stand for CloudPayments' own schedule).
Each step prints what happened.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from aioacquiring.cloudpayments import (
    Accepted,
    CloudPayments,
    Declined,
    SubscriptionInterval,
    TrInitiatorCode,
)
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram

PAYER = "user-42"


def text(value: object) -> str:
    """An enum member's value (``Active``, ``Month``, ``RUB``) or the value itself."""
    return str(getattr(value, "value", value))


async def run(client: CloudPayments, emulator: CloudPaymentsEmulator) -> None:
    """The subscription flow, one step after another."""
    first = await client.payments.cards_charge(
        amount=Decimal("1.00"),
        ip_address="203.0.113.7",
        card_cryptogram_packet=test_cryptogram("4000000000003055"),
        account_id=PAYER,  # a successful payment with an AccountId saves the card's token
        description="Card check for the subscription",
        save_card=True,
    )
    assert isinstance(first, Accepted)
    token = first.transaction.token
    assert token is not None  # a secret: store it, never log it
    print(f"1. first payment {first.transaction_id} accepted; the card's token is saved")

    async for saved in client.payments.tokens_list():
        print(f"2. saved token for {saved.account_id}: card {saved.card_mask}")

    start = datetime.now(timezone.utc) + timedelta(days=1)
    subscription = await client.subscriptions.create(
        token=token,
        account_id=PAYER,
        description="Coffee beans, monthly",
        email="payer@example.com",
        amount=Decimal("990.00"),
        currency="RUB",  # type: ignore[arg-type]
        require_confirmation=False,
        start_date=start,  # sent as ISO 8601 in UTC
        interval=SubscriptionInterval.MONTH,
        period=1,
    )
    print(
        f"3. subscription {subscription.id}: {text(subscription.status)}, "
        f"{subscription.amount:.2f} {text(subscription.currency)} every {subscription.period} "
        f"{text(subscription.interval)}, next charge {subscription.next_transaction_date:%Y-%m-%d}"
    )

    changed = await client.subscriptions.update(id=subscription.id, amount=Decimal("1090.00"))
    print(
        f"4. price changed -> {changed.amount:.2f} {text(changed.currency)}, "
        f"status {text(changed.status)}"
    )

    await client.subscriptions.cancel(id=subscription.id)
    cancelled = await client.subscriptions.get(id=subscription.id)
    print(
        f"5. cancelled -> status {text(cancelled.status)}, "
        f"next charge {cancelled.next_transaction_date}"
    )

    resumed = await client.subscriptions.update(
        id=subscription.id, interval=SubscriptionInterval.WEEK, period=2
    )
    print(
        f"6. updated while cancelled -> re-activated: status {text(resumed.status)}, "
        f"every {resumed.period} {text(resumed.interval)}"
    )

    # Emulator only: CloudPayments charges on its schedule; the emulator does it when asked.
    emulator.charge_subscription(subscription.id)
    after = await client.subscriptions.get(id=subscription.id)
    print(
        f"7. the schedule charged it: {after.successful_transactions_number} payment(s), "
        f"next charge {after.next_transaction_date:%Y-%m-%d}"
    )

    extra = await client.payments.tokens_charge(
        amount=Decimal("250.00"),
        account_id=PAYER,
        token=token,
        tr_initiator_code=TrInitiatorCode.MERCHANT,  # the shop starts it, not the payer
        description="One-off extra bag",
    )
    state = text(extra.status) if isinstance(extra, Accepted) else type(extra).__name__
    print(f"8. one-off token charge {extra.transaction_id} -> {state}")

    # Emulator only: a token whose card has no money left, to show the decline advice.
    empty_token = emulator.add_token("4000056655665556", account_id="user-7")
    declined = await client.payments.tokens_charge(
        amount=Decimal("250.00"),
        account_id="user-7",
        token=empty_token,
        tr_initiator_code=TrInitiatorCode.MERCHANT,
    )
    if isinstance(declined, Declined):
        reason = declined.reason
        print(
            f"9. token charge declined: {reason.code} {reason.name}; "
            f"retry this token later? {reason.should_retry_token} ({reason.token_advice.value})"
        )

    found = await client.subscriptions.find(account_id=PAYER)
    statuses = ", ".join(text(s.status) for s in found)
    print(f"10. {PAYER} has {len(found)} subscription(s): {statuses}")


async def main() -> None:
    """Start the emulator, point a client at it, run the flow."""
    async with CloudPaymentsEmulator() as emulator:
        print(f"CloudPayments emulator at {emulator.url}\n")
        async with CloudPayments(
            public_id=emulator.public_id, api_secret=emulator.api_secret, base_url=emulator.url
        ) as client:
            await run(client, emulator)


if __name__ == "__main__":
    asyncio.run(main())
