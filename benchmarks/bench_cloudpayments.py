"""`make bench`: what the SDK costs over raw aiohttp for CloudPayments calls.

A loopback aiohttp server, in its own process so that its work does not share
the client's event loop, answers every ``POST /payments/get`` with the same
CloudPayments transaction (the seed's accepted payment, 38 keys read into a
54-field model) and every ``POST /payments/void`` with an empty envelope. The
same number of calls then goes through:

* **raw** -- ``aiohttp.ClientSession.post`` with the Basic auth header, then
  ``json.loads`` of the body: the least a hand-written client does (for the
  money call, ``void``, also a fresh ``X-Request-ID``, as a safe one must);
* **sdk** -- ``client.payments.get(transaction_id=...)``: input checks,
  encoding, the retry loop, the envelope check and a typed ``Transaction``
  with ``Decimal`` amounts and aware datetimes; and ``client.payments.void``:
  the same machinery plus an idempotency key, with nothing to decode.

Each round runs raw and SDK back to back (alternating which goes first) at
concurrency 1 and 50; the table shows the median microseconds per call over
the rounds, the SDK/raw ratio of those medians (target <= 1.10), the median of
the rounds' own SDK/raw ratios (each pair ran within a second of each other,
so it is the figure least moved by a busy neighbour) and the ratio of the
best rounds. Results are also written as JSON.

Usage: ``python benchmarks/bench_cloudpayments.py [--quick] [--rounds N] [--json PATH]``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import json
import platform
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from aioacquiring import RetryPolicy
from aioacquiring.cloudpayments import CloudPayments

ROOT = Path(__file__).resolve().parents[1]
TRANSACTION_FIXTURE = ROOT / "tests" / "contract" / "cloudpayments_accepted.json"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "cloudpayments.json"
EMPTY_ANSWER = b'{"Success":true,"Message":null}'
PUBLIC_ID = "pk_bench"
API_SECRET = "bench_secret"


# -- the server (child process) --------------------------------------------------------


def serve(port: int) -> None:
    """Answer every POST /payments/get with the fixed transaction until killed."""
    body = TRANSACTION_FIXTURE.read_bytes()

    async def get(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=body, content_type="application/json")

    app = web.Application()

    async def void(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(body=EMPTY_ANSWER, content_type="application/json")

    app.router.add_post("/payments/get", get)
    app.router.add_post("/payments/void", void)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the benchmark server did not start")


# -- the two clients -------------------------------------------------------------------


Call = Callable[[], Awaitable[object]]


MONEY_PATHS = frozenset({"/payments/void"})
"""Paths of money calls: a safe raw client sends these with an idempotency key."""


def raw_call(session: aiohttp.ClientSession, url: str, path: str) -> Call:
    token = base64.b64encode(f"{PUBLIC_ID}:{API_SECRET}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
    payload = json.dumps({"TransactionId": 504}).encode()

    async def call() -> object:
        async with session.post(url + path, data=payload, headers=headers) as answer:
            return json.loads(await answer.read())

    async def call_with_key() -> object:
        # A money call: even a hand-written client must send a fresh X-Request-ID, or a
        # retry after a lost answer could act twice. Both sides then send the same header.
        keyed = {**headers, "X-Request-ID": str(uuid.uuid4())}
        async with session.post(url + path, data=payload, headers=keyed) as answer:
            return json.loads(await answer.read())

    return call_with_key if path in MONEY_PATHS else call


OPERATIONS = {
    "payments.get": "/payments/get",
    "payments.void": "/payments/void",
}
"""What is measured: a read answered by a 54-field transaction, and a money call
answered by an empty envelope (the SDK's call machinery with almost no decoding)."""


def sdk_call(client: CloudPayments, operation: str) -> Call:
    # The SDK method itself is the call, as raw_call's coroutine is: no wrapper frame
    # of the benchmark's own sits on top of the SDK's.
    if operation == "payments.get":
        return functools.partial(client.payments.get, transaction_id=504)
    return functools.partial(client.payments.void, transaction_id=504)


async def run_calls(call: Call, calls: int, concurrency: int) -> float:
    """Run ``calls`` calls, ``concurrency`` at a time; return microseconds per call."""
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            await call()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.perf_counter() - started) / calls * 1e6


Results = dict[str, dict[int, dict[str, list[float]]]]


async def measure(url: str, *, rounds: int, calls: dict[int, int]) -> Results:
    results: Results = {op: {c: {"raw": [], "sdk": []} for c in calls} for op in OPERATIONS}
    connector_limit = max(calls) * 2
    # Each side gets its own pool of the same size, and the SDK no concurrency cap
    # of its own, so that both differ only in what they do per call.
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connector_limit)) as session,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connector_limit)) as sdk_pool,
        CloudPayments(
            public_id=PUBLIC_ID,
            api_secret=API_SECRET,
            base_url=url,
            session=sdk_pool,
            max_concurrency=None,
            retry=RetryPolicy(max_retries=0),
        ) as client,
    ):
        for operation, path in OPERATIONS.items():
            raw, sdk = raw_call(session, url, path), sdk_call(client, operation)
            for concurrency, count in calls.items():  # warm both pools and code paths
                await run_calls(raw, count // 10, concurrency)
                await run_calls(sdk, count // 10, concurrency)
            for round_number in range(rounds):
                # Raw and SDK back to back, so both see the same machine; which goes first
                # alternates, so that neither always inherits the other's warm or cold state.
                for concurrency, count in calls.items():
                    timings = results[operation][concurrency]
                    sides = [("raw", raw), ("sdk", sdk)]
                    for side, call in sides if round_number % 2 == 0 else sides[::-1]:
                        timings[side].append(await run_calls(call, count, concurrency))
    return results


def summarise(results: Results) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for operation, by_concurrency in results.items():
        for concurrency, timings in by_concurrency.items():
            raw = statistics.median(timings["raw"])
            sdk = statistics.median(timings["sdk"])
            best = min(timings["sdk"]) / min(timings["raw"])
            pairs = zip(timings["sdk"], timings["raw"], strict=True)
            paired = statistics.median(sdk_us / raw_us for sdk_us, raw_us in pairs)
            rows.append(
                {
                    "operation": operation,
                    "concurrency": concurrency,
                    "raw_us": raw,
                    "sdk_us": sdk,
                    "ratio": sdk / raw,
                    "paired_ratio": paired,
                    "ratio_of_best": best,
                }
            )
    return rows


def print_table(rows: list[dict[str, Any]], rounds: int) -> None:
    print(f"CloudPayments SDK vs raw aiohttp (POST + json.loads), median of {rounds} rounds")
    print(
        "| call | concurrency | raw aiohttp µs/call | SDK µs/call | SDK adds µs/call | SDK/raw "
        "| median of per-round SDK/raw | best SDK/best raw |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['operation']} | {row['concurrency']} | {row['raw_us']:.0f} "
            f"| {row['sdk_us']:.0f} | {row['sdk_us'] - row['raw_us']:.0f} | {row['ratio']:.2f} "
            f"| {row['paired_ratio']:.2f} | {row['ratio_of_best']:.2f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, for a smoke run")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    # Many short rounds rather than a few long ones: this runs on shared machines, where
    # a neighbour's burst then spoils one round's pair instead of a long stretch.
    rounds = args.rounds or (2 if args.quick else 15)
    calls = {1: 300, 50: 1000} if args.quick else {1: 1000, 50: 4000}
    process, url = start_server()
    try:
        results = asyncio.run(measure(url, rounds=rounds, calls=calls))
    finally:
        process.terminate()
        process.wait(timeout=10)
    rows = summarise(results)
    print_table(rows, rounds)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "cloudpayments SDK calls vs raw aiohttp POST + json.loads",
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "rounds": rounds,
        "calls_per_round": calls,
        "rows": rows,
        "raw_timings_us": {str(c): t for c, t in results.items()},
    }
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"written to {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
