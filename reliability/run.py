"""`make reliability`: every money call of every provider under every scripted fault.

Prints two tables -- faults (scenarios run, double charges, lost results,
untyped exceptions) and load (10,000 calls at concurrency 200 through one
client) -- and exits 1 unless every figure is clean.

Usage: ``python reliability/run.py [--quick] [--repeat N] [--calls N] [--provider NAME]``
(``--quick``: each fault scenario once and 1,000 calls; what ``make test`` runs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fuzz_alif
import fuzz_bank131
import fuzz_cloudpayments
import suite_alif
import suite_bank131
import suite_cloudpayments
from fuzz import FuzzFigures, fuzz_table
from harness import Suite, Tally, run_suite, table
from load import LoadFigures, LoadSuite, load_table, run_load

SUITES: dict[str, tuple[Suite, ...]] = {
    "cloudpayments": (suite_cloudpayments.SUITE,),
    "bank131": suite_bank131.SUITES,
    "alif": (suite_alif.SUITE,),
}
LOADS: dict[str, LoadSuite] = {
    "cloudpayments": suite_cloudpayments.LOAD,
    "bank131": suite_bank131.LOAD,
    "alif": suite_alif.LOAD,
}

FUZZERS: dict[str, list[Callable[[int], FuzzFigures]]] = {
    "cloudpayments": [fuzz_cloudpayments.fuzz_webhooks, fuzz_cloudpayments.fuzz_answers],
    "bank131": [fuzz_bank131.fuzz_bank131_webhooks, fuzz_bank131.fuzz_bank131_answers],
    "alif": [
        fuzz_alif.fuzz_alif_webhooks,
        fuzz_alif.fuzz_alif_webhooks_base64,
        fuzz_alif.fuzz_alif_answers,
    ],
}

LOAD_CONCURRENCY = 200
CLIENT_CAP = 30  # a live CloudPayments terminal's limit


async def run(names: list[str], repeat: int) -> list[Tally]:
    """Run the named providers' fault suites one after the other."""
    return [await run_suite(suite, repeat=repeat) for name in names for suite in SUITES[name]]


async def load(names: list[str], calls: int) -> list[LoadFigures]:
    """Run the named providers' load scenarios one after the other."""
    return [
        await run_load(LOADS[name], calls=calls, concurrency=LOAD_CONCURRENCY, cap=CLIENT_CAP)
        for name in names
        if name in LOADS
    ]


def main() -> int:
    """Run the harness from the command line; 0 when every figure is clean."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each scenario once")
    parser.add_argument("--repeat", type=int, default=None, help="runs of each scenario")
    parser.add_argument("--provider", choices=list(SUITES), action="append")
    parser.add_argument("--calls", type=int, default=None, help="calls of the load run")
    parser.add_argument("--examples", type=int, default=None, help="fuzz cases per target")
    args = parser.parse_args()
    names = args.provider or list(SUITES)
    repeat = args.repeat or (1 if args.quick else 5)
    calls = args.calls or (1_000 if args.quick else 10_000)
    tallies = asyncio.run(run(names, repeat))
    print("Faults: each money call under each scripted fault")
    print(table(tallies))
    for line in (line for t in tallies for line in t.problems):
        print(f"  ! {line}")
    examples = args.examples or (300 if args.quick else 10_000)
    fuzzed = [fuzzer(examples) for name in names for fuzzer in FUZZERS.get(name, [])]
    print()
    print(f"Fuzzing: {examples} generated cases per target")
    print(fuzz_table(fuzzed))
    for line in (line for f in fuzzed for line in f.examples):
        print(f"  ! {line}")
    runs = asyncio.run(load(names, calls))
    print()
    print(f"Load: {calls} calls, {LOAD_CONCURRENCY} at a time, through one client")
    print(load_table(runs))
    clean = (
        all(t.clean for t in tallies)
        and all(f.clean for f in fuzzed)
        and all(r.clean for r in runs)
    )
    print("\nclean" if clean else "\nNOT CLEAN")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
