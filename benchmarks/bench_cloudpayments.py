"""`make bench`: what the SDK costs over raw aiohttp for one CloudPayments read.

A loopback aiohttp server, in its own process so that its work does not share
the client's event loop, answers every ``POST /payments/get`` with the same
CloudPayments transaction (the seed's accepted payment). The same number of
calls then goes through:

* **raw** -- ``aiohttp.ClientSession.post`` with the Basic auth header, then
  ``json.loads`` of the body: the least a hand-written client does;
* **sdk** -- ``CloudPayments.payments.get(transaction_id=...)``: input checks,
  encoding, the retry loop, the envelope check and a typed ``Transaction``
  with ``Decimal`` amounts and aware datetimes.

Each round runs raw and SDK back to back at concurrency 1 and 50; the table
shows the median microseconds per call over the rounds and the SDK/raw ratio
(target <= 1.10). Results are also written as JSON.

Usage: ``python benchmarks/bench_cloudpayments.py [--quick] [--rounds N] [--json PATH]``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

from aioacquiring import RetryPolicy
from aioacquiring.cloudpayments import CloudPayments

ROOT = Path(__file__).resolve().parents[1]
TRANSACTION_FIXTURE = ROOT / "tests" / "contract" / "cloudpayments_accepted.json"
DEFAULT_JSON = ROOT / "benchmarks" / "results" / "cloudpayments.json"
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
    app.router.add_post("/payments/get", get)
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


def raw_call(session: aiohttp.ClientSession, url: str) -> Call:
    token = base64.b64encode(f"{PUBLIC_ID}:{API_SECRET}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
    payload = json.dumps({"TransactionId": 504}).encode()

    async def call() -> object:
        async with session.post(url + "/payments/get", data=payload, headers=headers) as answer:
            return json.loads(await answer.read())

    return call


def sdk_call(client: CloudPayments) -> Call:
    async def call() -> object:
        return await client.payments.get(transaction_id=504)

    return call


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


async def measure(
    url: str, *, rounds: int, calls: dict[int, int]
) -> dict[int, dict[str, list[float]]]:
    results: dict[int, dict[str, list[float]]] = {c: {"raw": [], "sdk": []} for c in calls}
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
        raw, sdk = raw_call(session, url), sdk_call(client)
        for concurrency, count in calls.items():  # warm both pools and code paths
            await run_calls(raw, count // 10, concurrency)
            await run_calls(sdk, count // 10, concurrency)
        for _ in range(rounds):
            for concurrency, count in calls.items():
                results[concurrency]["raw"].append(await run_calls(raw, count, concurrency))
                results[concurrency]["sdk"].append(await run_calls(sdk, count, concurrency))
    return results


def summarise(results: dict[int, dict[str, list[float]]]) -> list[dict[str, float]]:
    rows = []
    for concurrency, timings in results.items():
        raw = statistics.median(timings["raw"])
        sdk = statistics.median(timings["sdk"])
        rows.append({"concurrency": concurrency, "raw_us": raw, "sdk_us": sdk, "ratio": sdk / raw})
    return rows


def print_table(rows: list[dict[str, float]], rounds: int) -> None:
    print(f"CloudPayments payments.get vs raw aiohttp, median of {rounds} rounds")
    print("| concurrency | raw aiohttp µs/call | SDK µs/call | SDK/raw |")
    print("|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['concurrency']:.0f} | {row['raw_us']:.0f} | {row['sdk_us']:.0f} "
            f"| {row['ratio']:.2f} |"
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
    rounds = args.rounds or (2 if args.quick else 7)
    calls = {1: 300, 50: 1000} if args.quick else {1: 2000, 50: 10000}
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
        "benchmark": "cloudpayments payments.get vs raw aiohttp POST + json.loads",
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
