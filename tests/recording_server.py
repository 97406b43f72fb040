"""A loopback server that records each request and answers with a chosen envelope.

For checking what goes over the wire (paths, bodies, headers) where the
emulator does not model a method's behaviour.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

from aiohttp import web


class Recorder:
    """Requests seen, and the answers to give (a queue; the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.answers: list[Any] = [{"Success": True, "Message": None, "Model": None}]
        self.url = ""

    def answer(self, *answers: Any) -> None:
        self.answers = list(answers)

    @property
    def last_path(self) -> str:
        return self.requests[-1][0]

    @property
    def last_body(self) -> Any:
        return self.requests[-1][2]

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw, parse_float=Decimal) if raw else None
        self.requests.append((request.path, dict(request.headers), body))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return web.Response(body=json.dumps(answer), content_type="application/json")


@asynccontextmanager
async def recording_server() -> AsyncIterator[Recorder]:
    recorder = Recorder()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", recorder.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    recorder.url = f"http://127.0.0.1:{port}"
    try:
        yield recorder
    finally:
        await runner.cleanup()
