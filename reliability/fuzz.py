"""Fuzzing's shared parts: the figures, and a loopback server that answers what it is told.

Each provider's fuzz module generates inputs with hypothesis and reports a
:class:`FuzzFigures`; a case that raises anything but the SDK's typed errors
is counted (with its first few reprs kept), never allowed to stop the run.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Sequence
from typing import Any

import attrs
from aiohttp import web
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
"""Any JSON value: what a malformed answer may hold where the provider promised structure."""

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

    def judge(
        self,
        mutation: str,
        verify: Callable[[], Any],
        typed: tuple[type[BaseException], ...],
        reference: Any,
        *,
        may_differ: bool = False,
    ) -> None:
        """Run one webhook through ``verify`` and count what happened to it.

        ``mutation`` "none" means a valid webhook, which must be accepted; any
        other must be refused with a typed error, or accepted only when it reads
        the same as ``reference`` (``may_differ``: when a different reading is
        expected, e.g. a valid body read as another type).
        """
        try:
            got = verify()
        except typed:
            self.rejected_typed += 1
            if mutation == "none":
                self.valid_rejected += 1
                self.note(f"a valid webhook refused: {reference!r}")
            return
        except Exception as error:  # counting these is the point
            self.untyped_exceptions += 1
            self.note(f"{mutation}: {type(error).__name__}: {error}")
            return
        self.accepted += 1
        if mutation != "none" and got != reference and not may_differ:
            self.forgeries_accepted += 1
            self.note(f"{mutation}: accepted a changed webhook, read as {got!r}")

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


GENERIC_MUTATIONS = (
    "none",
    "flip a byte",
    "truncate",
    "append",
    "wrong key",
    "no signature",
    "garbage signature",
    "huge body",
    "random bytes",
    "signature of another body",
)
"""What the generic webhook fuzzer does to a validly signed webhook."""


@attrs.frozen
class WebhookTarget:
    """One provider's webhooks, as the generic fuzzer needs them.

    ``valid`` draws a raw body the provider could send; ``sign`` and ``forge``
    give the headers signed with the right key and with a wrong one;
    ``verify_and_parse`` is the SDK's entry point; ``typed`` the errors it may raise.
    """

    provider: str
    valid: Any
    sign: Callable[[bytes], dict[str, str]]
    forge: Callable[[bytes], dict[str, str]]
    verify_and_parse: Callable[[dict[str, str], bytes], Any]
    typed: tuple[type[BaseException], ...]


def fuzz_webhooks(target: WebhookTarget, examples: int) -> FuzzFigures:
    """Valid webhooks must be accepted; every mutation refused unless it means the same."""
    from hypothesis import given

    figures = FuzzFigures(target.provider, "webhooks")

    @fuzz_settings(examples)
    @given(target.valid, st.sampled_from(GENERIC_MUTATIONS), st.data())
    def case(body: bytes, mutation: str, data: st.DataObject) -> None:
        figures.cases += 1
        headers = target.sign(body)
        reference = target.verify_and_parse(headers, body)
        if mutation == "flip a byte":
            index = data.draw(st.integers(0, len(body) - 1))
            mutated = bytearray(body)
            mutated[index] ^= data.draw(st.integers(1, 255))
            body = bytes(mutated)
        elif mutation == "truncate":
            body = body[: data.draw(st.integers(0, len(body) - 1))]
        elif mutation == "append":
            body = body + data.draw(st.binary(min_size=1, max_size=16))
        elif mutation == "wrong key":
            headers = target.forge(body)
        elif mutation == "no signature":
            headers = {}
        elif mutation == "garbage signature":
            headers = {name: data.draw(st.text(max_size=64)) for name in headers}
        elif mutation == "huge body":
            body = body + b" " * 1_000_000 + b"x"
        elif mutation == "random bytes":
            body = data.draw(st.binary(max_size=256))
        elif mutation == "signature of another body":
            other = data.draw(target.valid)
            headers = target.sign(other)
            if other == body:
                return
        figures.judge(
            mutation, lambda: target.verify_and_parse(headers, body), target.typed, reference
        )

    case()
    return figures


def fuzz_client_answers(
    provider: str,
    examples: int,
    answers: Any,
    make_client: Callable[[str], Any],
    calls: Sequence[Callable[[Any], Any]],
    typed: tuple[type[BaseException], ...],
) -> FuzzFigures:
    """Whatever the server answers, each call gives a typed result or a typed error."""
    from hypothesis import given

    figures = FuzzFigures(provider, "malformed answers")
    with ScriptedServer() as server:
        client = make_client(server.url)

        @fuzz_settings(examples)
        @given(answers, st.sampled_from(range(len(calls))))
        def case(answer: Answer, which: int) -> None:
            figures.cases += 1
            server.answer = answer
            try:
                server.run(lambda: calls[which](client))
            except typed:
                figures.rejected_typed += 1
            except Exception as error:  # counting these is the point
                figures.untyped_exceptions += 1
                figures.note(f"{answer!r}: {type(error).__name__}: {error}")
            else:
                figures.accepted += 1

        try:
            case()
        finally:
            server.run(client.close)
    return figures
