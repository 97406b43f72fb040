"""``python -m aioacquiring emulate``: the emulators as a standalone server.

Starts the chosen emulators, one port each, prints their URLs and the test
credentials they accept, and serves until Ctrl-C (or SIGTERM). It binds to
loopback unless ``--host`` says otherwise: the emulators accept well-known
test credentials and must not be reachable from a network by accident.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

import attrs

from aioacquiring.testing.alif import AlifEmulator
from aioacquiring.testing.bank131 import Bank131Emulator
from aioacquiring.testing.cloudpayments import CloudPaymentsEmulator
from aioacquiring.testing.faults import ADMIN_PREFIX
from aioacquiring.testing.server import EmulatorServer

__all__ = ["PROVIDERS", "EmulatorEntry", "main"]


@attrs.frozen
class EmulatorEntry:
    """How the command line builds one provider's emulator and tells what it accepts."""

    build: Callable[[str, int], EmulatorServer]
    credentials: Callable[[EmulatorServer, Path], dict[str, str]]
    """What a client needs, as text; files (keys) are written into the folder given."""


def _cloudpayments_credentials(emulator: EmulatorServer, folder: Path) -> dict[str, str]:
    assert isinstance(emulator, CloudPaymentsEmulator)
    return {"public_id": emulator.public_id, "api_secret": emulator.api_secret}


def _alif_credentials(emulator: EmulatorServer, folder: Path) -> dict[str, str]:
    assert isinstance(emulator, AlifEmulator)
    return {"token": emulator.token, "secret_key": emulator.secret_key, "otp": emulator.otp}


def _bank131_credentials(emulator: EmulatorServer, folder: Path) -> dict[str, str]:
    assert isinstance(emulator, Bank131Emulator)
    private = folder / "bank131_partner_private.pem"
    public = folder / "bank131_bank_public.pem"
    private.write_text(emulator.private_key_pem)
    private.chmod(0o600)
    public.write_text(emulator.bank_public_key_pem)
    return {
        "project_id": emulator.project_id,
        "private_key": f"{private} (PEM)",
        "bank_public_key": f"{public} (PEM)",
    }


PROVIDERS: dict[str, EmulatorEntry] = {
    "cloudpayments": EmulatorEntry(
        build=lambda host, port: CloudPaymentsEmulator(host=host, port=port),
        credentials=_cloudpayments_credentials,
    ),
    "bank131": EmulatorEntry(
        build=lambda host, port: Bank131Emulator(host=host, port=port),
        credentials=_bank131_credentials,
    ),
    "alif": EmulatorEntry(
        build=lambda host, port: AlifEmulator(host=host, port=port),
        credentials=_alif_credentials,
    ),
}
"""The emulators the command can start, by provider name."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m aioacquiring",
        description="aioacquiring's command line: local emulators of the providers.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    emulate = commands.add_parser(
        "emulate",
        help="serve the providers' emulators until Ctrl-C",
        description="Serve in-memory emulators of the providers' APIs on loopback.",
    )
    emulate.add_argument(
        "--provider",
        choices=[*PROVIDERS, "all"],
        default="all",
        help="which emulator to start (default: all, one port each)",
    )
    emulate.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback)"
    )
    emulate.add_argument(
        "--port",
        type=int,
        default=0,
        help="port of the first emulator, the next ones on the following ports "
        "(default: 0, free ports chosen by the system)",
    )
    return parser


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def serve(
    names: Sequence[str],
    *,
    host: str,
    port: int,
    out: TextIO,
    stop: asyncio.Event | None = None,
) -> None:
    """Start the named emulators, print where they are, and serve until ``stop`` is set."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with contextlib.AsyncExitStack() as stack:
        # Keys are written here for the run and removed when the command stops.
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="aioacquiring-")))
        for offset, name in enumerate(names):
            entry = PROVIDERS[name]
            emulator = entry.build(host, port + offset if port else 0)
            await stack.enter_async_context(emulator)
            print(f"{name:<14} {emulator.url}", file=out)
            for key, value in entry.credentials(emulator, folder).items():
                print(f"  {key:<18} {value}", file=out)
            print(
                f"  {'admin':<18} POST {emulator.url}{ADMIN_PREFIX}faults, "
                f"GET {emulator.url}{ADMIN_PREFIX}state",
                file=out,
            )
        print("Serving; press Ctrl-C to stop.", file=out, flush=True)
        await stop.wait()
    print("Stopped.", file=out, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status."""
    args = _parser().parse_args(argv)
    names = list(PROVIDERS) if args.provider == "all" else [args.provider]
    if not _is_loopback(args.host):
        print(
            f"warning: binding to {args.host}: the emulators accept public test "
            "credentials; anyone who can reach this address can use them",
            file=sys.stderr,
        )
    try:
        asyncio.run(serve(names, host=args.host, port=args.port, out=sys.stdout))
    except OSError as exc:
        print(f"error: could not start the emulators: {exc}", file=sys.stderr)
        return 1
    return 0
