"""The reliability harness: every money call of a provider under every scripted fault.

A provider contributes a :class:`Suite`: how to start its emulator, build a
client against a URL, and its money calls, each able to count the effects
(charges, payouts, refunds, ...) the emulator holds for one logical call. The
harness then runs each call under each fault and judges each logical call:

* **double charge** -- the emulator holds more than one effect for it;
* **lost result** -- the work was done but the caller got neither the result
  nor an error carrying the key to resume with (or resuming under that key
  did not give the result back);
* **untyped exception** -- anything but an ``AcquiringError`` reached the caller.

A failure the caller can resume is resumed at once, the way an application
would: the same call again under ``error.idempotency_key``, faults cleared.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import attrs

from aioacquiring import AcquiringError, RetryPolicy, Timeout
from aioacquiring.testing import EmulatorServer, FaultInjector

ATTEMPT_TIMEOUT = 0.25
"""Seconds a client waits for one answer in the harness: short, so timeouts are quick."""

RETRY = RetryPolicy(max_retries=2, backoff_base=0.01, backoff_cap=0.05, deadline=5)
"""The clients' retry policy in the harness: the default's shape, in milliseconds."""


@attrs.frozen
class Fault:
    """One scripted fault: its name and how to script it for a path.

    ``dead_server`` scenarios point the client at a port nobody listens on
    instead (a connection refused before a byte is sent).
    """

    name: str
    script: Callable[[FaultInjector, str], None] = attrs.field(repr=False)
    dead_server: bool = False


FAULTS: Sequence[Fault] = (
    Fault("connection refused", lambda faults, path: None, dead_server=True),
    Fault("reset before the request is read", lambda f, p: f.drop_before_next(1, path=p)),
    Fault("response lost after the work", lambda f, p: f.drop_after_next(1, path=p)),
    Fault("HTTP 500", lambda f, p: f.fail_next(1, status=500, path=p)),
    Fault("HTTP 503", lambda f, p: f.fail_next(1, status=503, path=p)),
    Fault(
        "HTTP 429 + Retry-After", lambda f, p: f.fail_next(1, status=429, retry_after=0.05, path=p)
    ),
    Fault("read timeout", lambda f, p: f.delay_next(1, seconds=ATTEMPT_TIMEOUT * 2, path=p)),
    Fault("slow body", lambda f, p: f.slow_body_next(1, seconds=ATTEMPT_TIMEOUT * 2, path=p)),
    Fault("response lost, every retry", lambda f, p: f.drop_after_next(10, path=p)),
    Fault("HTTP 503, every retry", lambda f, p: f.fail_next(10, status=503, path=p)),
)
"""Every fault each money call is run under."""


@attrs.frozen
class MoneyCall:
    """One money method of a provider, as the harness drives it.

    ``prepare(client, emulator, n)`` sets up what logical call ``n`` needs
    (a hold to confirm, a payment to refund) without faults and returns a
    context; ``invoke(client, context, key)`` makes the call (``key`` None
    for the SDK's own key, else the key to resume with); ``effects(emulator,
    context)`` counts what the emulator holds for it.
    """

    name: str
    path: str
    prepare: Callable[[Any, Any, int], Awaitable[Any]] = attrs.field(repr=False)
    invoke: Callable[[Any, Any, str | None], Awaitable[Any]] = attrs.field(repr=False)
    effects: Callable[[Any, Any], int] = attrs.field(repr=False)
    recover: Callable[[Any, Any], Awaitable[bool]] | None = attrs.field(default=None, repr=False)
    """For a call the provider cannot dedupe (no key): read back whether it happened.

    The SDK does not retry such a call after an unknown outcome; the caller reads
    the object and makes the call again only if it did not happen.
    """


@attrs.frozen
class Suite:
    """A provider's part of the harness."""

    provider: str
    emulator: Callable[[], EmulatorServer] = attrs.field(repr=False)
    client: Callable[[Any, str, Timeout, RetryPolicy], AbstractAsyncContextManager[Any]] = (
        attrs.field(repr=False)
    )
    calls: Sequence[MoneyCall]


@attrs.define
class Tally:
    """The figures of one provider's run."""

    provider: str
    scenarios: int = 0
    double_charges: int = 0
    lost_results: int = 0
    untyped_exceptions: int = 0
    resumable_failures: int = 0
    read_back: int = 0
    unresumable_failures: int = 0
    seconds: float = 0.0
    problems: list[str] = attrs.Factory(list)

    @property
    def clean(self) -> bool:
        """Whether nothing went wrong."""
        return not (
            self.double_charges
            or self.lost_results
            or self.untyped_exceptions
            or self.unresumable_failures
        )


def dead_url() -> str:
    """A loopback URL on which nobody listens (the port is bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def run_suite(suite: Suite, *, faults: Sequence[Fault] = FAULTS, repeat: int = 1) -> Tally:
    """Run every money call of ``suite`` under every fault ``repeat`` times."""
    tally = Tally(suite.provider)
    started = time.perf_counter()
    timeout = Timeout(total=ATTEMPT_TIMEOUT, connect=ATTEMPT_TIMEOUT)
    emulator = suite.emulator()
    async with (
        emulator,
        suite.client(emulator, emulator.url, timeout, RETRY) as client,
        suite.client(emulator, dead_url(), timeout, RETRY) as dead_client,
    ):
        number = 0
        for call in suite.calls:
            for fault in faults:
                for _ in range(repeat):
                    number += 1
                    await _scenario(tally, emulator, client, dead_client, call, fault, number)
    tally.seconds = time.perf_counter() - started
    return tally


async def _scenario(
    tally: Tally,
    emulator: Any,
    client: Any,
    dead_client: Any,
    call: MoneyCall,
    fault: Fault,
    number: int,
) -> None:
    tally.scenarios += 1
    label = f"{call.name} / {fault.name}"
    context = await call.prepare(client, emulator, number)
    fault.script(emulator.faults, call.path)
    got_result = False
    resume_key: str | None = None
    must_read_back = False
    try:
        await call.invoke(dead_client if fault.dead_server else client, context, None)
        got_result = True
    except AcquiringError as error:
        resume_key = error.idempotency_key
        if resume_key is None and error.outcome_unknown:
            if call.recover is None:
                tally.unresumable_failures += 1
                tally.problems.append(
                    f"{label}: {type(error).__name__} without a key to resume with"
                )
            else:
                must_read_back = True
    except Exception as error:  # counting these is the point
        tally.untyped_exceptions += 1
        tally.problems.append(f"{label}: untyped {type(error).__name__}: {error}")
        return
    finally:
        emulator.faults.clear()
    if must_read_back and call.recover is not None:
        tally.read_back += 1
        got_result = await call.recover(client, context)
    if not got_result:
        tally.resumable_failures += 1
        try:
            await call.invoke(client, context, resume_key)
            got_result = True
        except AcquiringError as error:
            tally.problems.append(f"{label}: resuming failed: {type(error).__name__}: {error}")
    await _settle(emulator)
    effects = call.effects(emulator, context)
    if effects > 1:
        tally.double_charges += 1
        tally.problems.append(f"{label}: {effects} effects for one logical call")
    if not got_result or effects == 0:
        tally.lost_results += 1
        tally.problems.append(f"{label}: no result (effects held: {effects})")


async def _settle(emulator: Any) -> None:
    """Wait (2 s at most) until the emulator holds no request before effects are counted.

    A request the emulator was still holding when the client gave up ("read
    timeout") is handled later; counting only once it has landed is what lets
    a late duplicate be seen. (The read-back of a keyless call happens before
    this, racing such a request, as a real caller's would.)
    """
    for _ in range(200):  # polled: the emulator signals nothing when it goes idle
        if not emulator.faults.in_flight:
            return
        await asyncio.sleep(0.01)


def table(tallies: Sequence[Tally]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| provider | scenarios | double charges | lost results | untyped exceptions "
        "| failures resumed under their key | keyless calls read back | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in tallies:
        lines.append(
            f"| {t.provider} | {t.scenarios} | {t.double_charges} | {t.lost_results} "
            f"| {t.untyped_exceptions} | {t.resumable_failures} | {t.read_back} "
            f"| {t.seconds:.1f} |"
        )
    return "\n".join(lines)
