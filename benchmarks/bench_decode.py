"""`make bench`, second part: what reading one CloudPayments answer costs, without I/O.

``bench_cloudpayments.py`` measures whole calls against a server; this one
takes the network away and times the pieces of one ``payments.get`` answer:
raw's ``json.loads``, the SDK's ``loads`` (money read as ``Decimal``), the
typed read of the 54-field ``Transaction``, and its six timestamps alone.

Each piece is timed twice, interleaved: **warm**, called again and again as in
a tight loop, and **cold**, with a sweep over unrelated objects before every
call, as happens in place, where the event loop runs a few hundred
microseconds of other code between two answers. The cold figure is the one
that explains the ratio at concurrency 50; the warm one is what a profiler in
a loop shows.

Usage: ``python benchmarks/bench_decode.py [--calls N]``
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable

from bench_cloudpayments import TRANSACTION_FIXTURE  # the answer the loopback bench serves

from aioacquiring.cloudpayments.decoders import converter
from aioacquiring.core.serde import loads, parse_datetime
from aioacquiring.models.cloudpayments import Transaction

TIMESTAMP_KEYS = (
    "CreatedDate",
    "CreatedDateIso",
    "AuthDate",
    "AuthDateIso",
    "ConfirmDate",
    "ConfirmDateIso",
)
"""The answer's timestamps: three in the .NET ``/Date(ms)/`` form, three in naive ISO."""

FLUSH_OBJECTS = 60_000
"""Objects the cold sweep picks from: some megabytes, more than the CPU caches hold."""
FLUSH_TOUCHES = 3_000
"""Objects touched before each cold call."""


def pieces(body: bytes) -> dict[str, Callable[[], object]]:
    """The measured pieces of reading ``body`` (a whole CloudPayments answer)."""
    model = loads(body)["Model"]
    timestamps = [model[key] for key in TIMESTAMP_KEYS]

    def read_timestamps() -> None:
        for text in timestamps:
            parse_datetime(text)

    return {
        "raw json.loads": lambda: json.loads(body),
        "SDK loads (Decimal money)": lambda: loads(body),
        "typed Transaction (54 fields)": lambda: converter.structure(model, Transaction),
        f"its {len(timestamps)} timestamps alone": read_timestamps,
    }


def measure(calls: int) -> list[tuple[str, float, float]]:
    """Median µs of each piece, warm and cold, interleaved so both see the same machine."""
    body = TRANSACTION_FIXTURE.read_bytes()
    measured = pieces(body)
    # Unrelated objects standing in for the event loop's work between two answers.
    litter = [(n, str(n), [n]) for n in range(FLUSH_OBJECTS)]
    sample = random.Random(0).sample

    def sweep() -> int:
        return sum(item[0] for item in sample(litter, FLUSH_TOUCHES))

    clock = time.perf_counter_ns
    warm: dict[str, list[int]] = {name: [] for name in measured}
    cold: dict[str, list[int]] = {name: [] for name in measured}
    for _ in range(calls):
        for name, piece in measured.items():
            piece()  # warm: the same call just ran
            started = clock()
            piece()
            warm[name].append(clock() - started)
            sweep()
            started = clock()
            piece()
            cold[name].append(clock() - started)
    return [
        (name, statistics.median(warm[name]) / 1000, statistics.median(cold[name]) / 1000)
        for name in measured
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000, help="calls per piece and state")
    args = parser.parse_args()
    rows = measure(args.calls)
    print(f"\nReading one CloudPayments answer without I/O, median of {args.calls} calls")
    print("| piece | warm µs | cold µs | cold/warm |")
    print("|---|---:|---:|---:|")
    for name, warm, cold in rows:
        print(f"| {name} | {warm:.1f} | {cold:.1f} | {cold / warm:.1f} |")


if __name__ == "__main__":
    main()
