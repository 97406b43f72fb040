"""Shared helpers of the Alif tests (no tests here): clients, cards, a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from aioacquiring import RetryPolicy
from aioacquiring.alif import Alif, SessionItem
from aioacquiring.testing.alif import AlifEmulator

FAST_RETRY = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_cap=0.05, deadline=10)

OTP_CARD = "8600140214357387"  # the seed's example card: succeeds after the OTP
NO_OTP_CARD = "4000000000000002"
DECLINED_CARD = "8600000000000015"
POOR_CARD = "8600000000000023"
BLOCKED_CARD = "8600000000000031"
LIMIT_CARD = "8600000000000049"
EXPIRED_CARD = "8600000000000056"
UNKNOWN_CARD = "8600000000000064"
EXP = "1299"

ITEMS = [SessionItem(name="Green tea", price=1_500_000, amount=2)]


def client_for(emulator: AlifEmulator, **options: Any) -> Alif:
    """A client pointed at ``emulator`` with its credentials and fast retries."""
    options.setdefault("retry", FAST_RETRY)
    return Alif(
        token=emulator.token, secret_key=emulator.secret_key, base_url=emulator.url, **options
    )


async def bound_card(alif: Alif, emulator: AlifEmulator, pan: str = OTP_CARD) -> str:
    """Bind ``pan`` through the API (create, then confirm with the OTP); its token."""
    card = await alif.card.token_create(pan=pan, exp=EXP)
    confirmed = await alif.card.token_confirm(card_token=card.card_token, otp=emulator.otp)
    return confirmed.card_token


class Receiver:
    """A loopback aiohttp app that stands for the merchant's webhook endpoint."""

    def __init__(self) -> None:
        self.bodies: list[tuple[dict[str, str], bytes]] = []
        self.url = ""
        self.statuses: list[int] = []  # what to answer next (200 once they run out)

    async def handle(self, request: web.Request) -> web.Response:
        self.bodies.append((dict(request.headers), await request.read()))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    """A :class:`Receiver` serving at ``/hook``."""
    sink = Receiver()
    app = web.Application()
    app.router.add_post("/hook", sink.handle)
    async with serve(app) as url:
        sink.url = url + "/hook"
        yield sink
