"""Fuzzing's shared parts: the figures, and a loopback server that answers what it is told.

Each provider's fuzz module generates inputs with hypothesis and reports a
:class:`FuzzFigures`; a case that raises anything but the SDK's typed errors
is counted (with its first few reprs kept), never allowed to stop the run.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import attrs
from aiohttp import web
from hypothesis import HealthCheck, Phase, settings

KEEP = 5
"""How many offending cases a figure keeps for the report."""


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings for a counted run: no deadline, no shrinking, no database."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.generate],
    )


@attrs.define
class FuzzFigures:
    """What one fuzz target saw."""

    provider: str
    target: str
    cases: int = 0
    accepted: int = 0
    rejected_typed: int = 0
    valid_rejected: int = 0
    forgeries_accepted: int = 0
    untyped_exceptions: int = 0
    examples: list[str] = attrs.Factory(list)

    def note(self, text: str) -> None:
        """Keep an offending case for the report (the first few only)."""
        if len(self.examples) < KEEP:
            self.examples.append(text[:300])

    @property
    def clean(self) -> bool:
        """No forgery accepted, no valid input refused, nothing untyped."""
        return not (self.forgeries_accepted or self.valid_rejected or self.untyped_exceptions)


def fuzz_table(figures: list[FuzzFigures]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| provider | target | cases | accepted | refused with a typed error | valid refused "
        "| forgeries accepted | untyped exceptions |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for f in figures:
        lines.append(
            f"| {f.provider} | {f.target} | {f.cases} | {f.accepted} | {f.rejected_typed} "
            f"| {f.valid_rejected} | {f.forgeries_accepted} | {f.untyped_exceptions} |"
        )
    return "\n".join(lines)


@attrs.define
class Answer:
    """What the scripted server answers next."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"


class ScriptedServer:
    """A loopback aiohttp server on its own event loop, answering :attr:`answer` to anything.

    Used synchronously from hypothesis: :meth:`run` drives a coroutine (a
    client call) on the server's loop.
    """

    def __init__(self) -> None:
        self.answer = Answer()
        self.loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(
            status=self.answer.status,
            body=self.answer.body,
            headers={"Content-Type": self.answer.content_type},
        )

    def __enter__(self) -> ScriptedServer:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        self.loop.run_until_complete(self._runner.setup())
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        self.loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{port}"
        return self

    def run(self, make: Callable[[], Any]) -> Any:
        """Run the coroutine ``make()`` returns on the server's loop."""
        return self.loop.run_until_complete(make())

    def __exit__(self, *_: object) -> None:
        if self._runner is not None:
            self.loop.run_until_complete(self._runner.cleanup())
        self.loop.close()
