"""Load: many calls at high concurrency through one client, against an emulator.

Checks what a busy service depends on: every call succeeds, the client keeps
under its ``max_concurrency`` (the emulator answers 429 above its own cap set
to the same number, and counts the most requests it ever saw at once), the
connection pool is reused (connections opened are counted through an aiohttp
trace), nothing warns about unclosed sessions or connectors, and the memory
traced by ``tracemalloc`` is back to its starting level after the run.

The emulator runs in a child process (``emulator_process.py``), so that the
memory measured is the client's alone and the emulator does not share the
client's event loop; the test reaches it through its admin endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import sys
import time
import tracemalloc
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import attrs

from aioacquiring import RetryPolicy

MEMORY_SLACK = 512 * 1024
"""Bytes the traced memory may differ by after the run (caches warmed, interned strings)."""


@attrs.frozen
class LoadSuite:
    """A provider's load scenario: a client from the emulator's credentials, one call.

    ``client(credentials, url, session, cap, retry)`` builds the client;
    ``prepare(client)`` makes what the calls need; ``call(client, context, n)``
    is call number ``n``.
    """

    provider: str
    client: Callable[[dict[str, Any], str, aiohttp.ClientSession, int, RetryPolicy], Any] = (
        attrs.field(repr=False)
    )
    prepare: Callable[[Any], Awaitable[Any]] = attrs.field(repr=False)
    call: Callable[[Any, Any, int], Awaitable[Any]] = attrs.field(repr=False)


@attrs.define
class LoadFigures:
    """What one load run measured."""

    provider: str
    calls: int
    concurrency: int
    cap: int
    succeeded: int = 0
    failed: int = 0
    connections_opened: int = 0
    max_in_flight_seen: int = 0
    throttled: int = 0
    resource_warnings: int = 0
    memory_growth_bytes: int = 0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """Whether every check held."""
        return (
            self.failed == 0
            and self.succeeded == self.calls
            and self.throttled == 0
            and self.max_in_flight_seen <= self.cap
            and self.connections_opened <= self.cap
            and self.resource_warnings == 0
            and self.memory_growth_bytes <= MEMORY_SLACK
        )


@contextlib.asynccontextmanager
async def _emulator(provider: str, cap: int) -> AsyncIterator[dict[str, Any]]:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        str(Path(__file__).with_name("emulator_process.py")),
        provider,
        str(cap),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        yield json.loads(await asyncio.wait_for(child.stdout.readline(), 30))
    finally:
        child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 10)
        except asyncio.TimeoutError:
            child.kill()
            await child.wait()


async def _one_run(suite: LoadSuite, figures: LoadFigures) -> None:
    opened = 0

    async def on_connection_create_end(*_: Any) -> None:
        nonlocal opened
        opened += 1

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_connection_create_end)
    retry = RetryPolicy(max_retries=0)  # every call must succeed on its own
    remaining = figures.calls
    async with (
        _emulator(suite.provider, figures.cap) as emulator,
        aiohttp.ClientSession() as admin,
        aiohttp.ClientSession(trace_configs=[trace]) as session,
        suite.client(
            emulator["credentials"], emulator["url"], session, figures.cap, retry
        ) as client,
    ):
        context = await suite.prepare(client)
        # A millisecond of latency per request, so that requests overlap at the
        # emulator and its in-flight count means something.
        fault = {"kind": "delay", "count": figures.calls, "seconds": 0.001}
        await admin.post(emulator["url"] + "/_emulator/faults", json=fault)

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                try:
                    await suite.call(client, context, remaining)
                    figures.succeeded += 1
                except Exception:  # counted, and the run is then not clean
                    figures.failed += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(figures.concurrency)))
        figures.seconds = time.perf_counter() - started
        counts = await (await admin.get(emulator["url"] + "/_emulator/requests")).json()
        figures.max_in_flight_seen = counts["max_in_flight_seen"]
        figures.throttled = counts["throttled"]
    figures.connections_opened = opened


async def run_load(suite: LoadSuite, *, calls: int, concurrency: int, cap: int) -> LoadFigures:
    """Run ``calls`` calls, ``concurrency`` at a time, through one client capped at ``cap``."""
    figures = LoadFigures(suite.provider, calls, concurrency, cap)
    # A first small run warms every cache, so that the measured run shows growth, not warm-up.
    await _one_run(suite, LoadFigures(suite.provider, min(calls, 200), concurrency, cap))
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ResourceWarning)
            await _one_run(suite, figures)
            gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    figures.resource_warnings = sum(1 for w in caught if issubclass(w.category, ResourceWarning))
    figures.memory_growth_bytes = max(0, after - before)
    return figures


def load_table(runs: list[LoadFigures]) -> str:
    """The figures as a Markdown table."""
    lines = [
        "| provider | calls | concurrency | client cap | succeeded | most in flight at the "
        "emulator | 429s | connections opened | unclosed warnings | memory growth | calls/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.provider} | {r.calls} | {r.concurrency} | {r.cap} | {r.succeeded} "
            f"| {r.max_in_flight_seen} | {r.throttled} | {r.connections_opened} "
            f"| {r.resource_warnings} | {r.memory_growth_bytes / 1024:.0f} KiB "
            f"| {r.calls / r.seconds:.0f} |"
        )
    return "\n".join(lines)
