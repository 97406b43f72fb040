"""One emulator in a child process, so that a load run measures the client alone.

``python reliability/emulator_process.py PROVIDER CAP`` starts the provider's
emulator with a concurrency cap of CAP, prints one JSON line -- its URL and the
credentials a client needs -- and serves until its standard input closes.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from aioacquiring.testing import AlifEmulator, Bank131Emulator, CloudPaymentsEmulator


def build(provider: str, cap: int) -> Any:
    """The emulator for ``provider`` with ``cap`` requests allowed in flight."""
    if provider == "cloudpayments":
        return CloudPaymentsEmulator(max_concurrency=cap)
    if provider == "bank131":
        return Bank131Emulator(max_concurrency=cap)
    if provider == "alif":
        return AlifEmulator(max_concurrency=cap)
    raise SystemExit(f"unknown provider {provider!r}")


def credentials(provider: str, emulator: Any) -> dict[str, Any]:
    """What a client of ``provider`` needs besides the URL."""
    if provider == "cloudpayments":
        return {"public_id": emulator.public_id, "api_secret": emulator.api_secret}
    if provider == "bank131":
        kwargs = dict(emulator.client_kwargs())
        kwargs.pop("base_url")
        return kwargs
    return {"token": emulator.token, "secret_key": emulator.secret_key}


async def serve(provider: str, cap: int) -> None:
    """Serve until standard input reaches its end (the parent closed it or went away)."""
    async with build(provider, cap) as emulator:
        line = {"url": emulator.url, "credentials": credentials(provider, emulator)}
        print(json.dumps(line), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], int(sys.argv[2])))
