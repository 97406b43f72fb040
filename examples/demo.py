"""`make demo`: every example, run against the local emulators (no credentials, loopback only)."""

from __future__ import annotations

import asyncio

import alif_checkout
import alif_debit
import alif_list
import alif_p2p
import alif_webhooks
import bank131_payouts
import bank131_safe_retries
import bot
import cloudpayments_notifications
import cloudpayments_payments
import cloudpayments_safe_retries
import cloudpayments_subscriptions
import web_service


async def main() -> None:
    """Run each example in turn, with a heading."""
    for title, example in [
        ("CloudPayments: payments", cloudpayments_payments.main),
        ("CloudPayments: a lost answer, retried safely", cloudpayments_safe_retries.main),
        ("CloudPayments: subscriptions", cloudpayments_subscriptions.main),
        (
            "CloudPayments: notifications received by an aiohttp app",
            cloudpayments_notifications.main,
        ),
        (
            "Bank 131: a payout, a payment with 3-D Secure and a refund, webhooks",
            bank131_payouts.main,
        ),
        ("Bank 131: a lost answer, retried safely", bank131_safe_retries.main),
        ("Alif: a checkout session paid by card with an OTP", alif_checkout.main),
        ("Alif: a bound card, a debit, and a lost answer retried safely", alif_debit.main),
        ("Alif: card-to-card transfers", alif_p2p.main),
        ("Alif: a list, page by page", alif_list.main),
        ("Alif: webhooks into an aiohttp app", alif_webhooks.main),
        ("A web shop on aiohttp: all three providers, 3-D Secure and webhooks", web_service.main),
        (
            "A Telegram bot (aiogram): /pay answers with a link, the webhook tells the chat",
            bot.main,
        ),
    ]:
        print(f"\n=== {title} ===")
        await example()


if __name__ == "__main__":
    asyncio.run(main())
