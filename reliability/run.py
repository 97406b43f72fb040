"""`make reliability`: every money call of every provider under every scripted fault.

Prints one table -- scenarios run, double charges, lost results, untyped
exceptions -- and exits 1 unless the last three are all zero.

Usage: ``python reliability/run.py [--quick] [--repeat N] [--provider NAME]``
(``--quick``, one run of each scenario, is what ``make test`` runs).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import suite_cloudpayments
from harness import Suite, Tally, run_suite, table

SUITES: dict[str, Suite] = {"cloudpayments": suite_cloudpayments.SUITE}


async def run(names: list[str], repeat: int) -> list[Tally]:
    """Run the named providers' suites one after the other."""
    return [await run_suite(SUITES[name], repeat=repeat) for name in names]


def main() -> int:
    """Run the harness from the command line; 0 when every figure is clean."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="each scenario once")
    parser.add_argument("--repeat", type=int, default=None, help="runs of each scenario")
    parser.add_argument("--provider", choices=list(SUITES), action="append")
    args = parser.parse_args()
    repeat = args.repeat or (1 if args.quick else 5)
    tallies = asyncio.run(run(args.provider or list(SUITES), repeat))
    print(table(tallies))
    problems = [line for t in tallies for line in t.problems]
    for line in problems:
        print(f"  ! {line}")
    return 0 if all(t.clean for t in tallies) else 1


if __name__ == "__main__":
    raise SystemExit(main())
