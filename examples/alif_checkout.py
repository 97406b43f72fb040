"""Alif checkout: a session for an order, paid by card with an OTP, then a partial refund.

Runs against the local emulator (no credentials, loopback only). The OTP is
the emulator's fixed test code; in production the payer types the code Alif
texted to the masked phone shown in the answer.
"""

from __future__ import annotations

import asyncio

from aioacquiring.alif import Alif, PaymentStatus, SessionItem, WrongOtpError
from aioacquiring.testing.alif import AlifEmulator


def label(value: object) -> str:
    """A status as Alif writes it (statuses are open enums: an unknown one arrives as text)."""
    return str(getattr(value, "value", value))


async def main() -> None:
    """Create a session, pay it with the seed's example card, confirm by OTP, refund a part."""
    async with (
        AlifEmulator() as emulator,
        Alif(token=emulator.token, secret_key=emulator.secret_key, base_url=emulator.url) as alif,
    ):
        session = await alif.checkout.session_create(
            items=[SessionItem(name="Green tea", price=1_500_000, amount=2)],  # tiyin
            redirect_url="https://shop.example/thanks",
            meta={"order_id": "1001"},
        )
        print(f"1. session {session.session_ref}: {session.amount} tiyin, {label(session.status)}")
        print(f"   hosted page {session.checkout_url}, open until {session.expires_at:%H:%M} UTC")

        payment = await alif.checkout.payment_create(
            session_ref=session.session_ref, pan="8600140214357387", exp="1230"
        )
        status = label(payment.status)
        print(f"2. card payment {payment.id}: {status}, code sent to {payment.masked_phone}")
        assert payment.status is PaymentStatus.OTP_REQUIRED  # a value to branch on

        try:
            await alif.checkout.payment_confirm(payment_id=payment.id, otp="000000")
        except WrongOtpError as error:
            print(
                f"3. a mistyped code: {error.message} (code {error.code}); the payment still waits"
            )

        paid = await alif.checkout.payment_confirm(payment_id=payment.id, otp=emulator.otp)
        print(f"4. confirmed with the right code: {label(paid.status)}")

        again = await alif.checkout.session_get(session_ref=session.session_ref)
        print(f"5. the session is now {label(again.status)}")

        refund = await alif.checkout.payment_refund(payment_id=payment.id, amount=1_500_000)
        print(
            f"6. refunded {refund.refunded_amount} of {refund.amount} tiyin: {label(refund.status)}"
        )


if __name__ == "__main__":
    asyncio.run(main())
