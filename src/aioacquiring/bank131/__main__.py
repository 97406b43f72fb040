"""``python -m aioacquiring.bank131 keygen``: make a partner key pair for Bank 131.

The same as the bank's ``openssl genrsa -out private.pem 2048`` followed by
``openssl rsa -in private.pem -pubout > public.pem``: give ``public.pem`` to the
bank, keep ``private.pem`` (written readable by its owner only).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from aioacquiring.bank131.signing import generate_key_pair


def keygen(out: Path, *, bits: int = 2048, passphrase: str | None = None) -> tuple[Path, Path]:
    """Write ``private.pem`` and ``public.pem`` into ``out``; refuse to overwrite."""
    out.mkdir(parents=True, exist_ok=True)
    private_path, public_path = out / "private.pem", out / "public.pem"
    for path in (private_path, public_path):
        if path.exists():
            raise FileExistsError(f"{path} exists; not overwriting a key")
    pair = generate_key_pair(bits, passphrase=passphrase)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as private_file:
        private_file.write(pair.private_key_pem)
    public_path.write_text(pair.public_key_pem)
    return private_path, public_path


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run it."""
    parser = argparse.ArgumentParser(prog="python -m aioacquiring.bank131")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("keygen", help="make a partner RSA key pair (PEM)")
    make.add_argument("--out", type=Path, default=Path("."), help="folder to write the keys into")
    make.add_argument("--bits", type=int, default=2048, help="key size (at least 2048)")
    make.add_argument(
        "--passphrase-env",
        metavar="VAR",
        help="encrypt the private key with the passphrase in this environment variable",
    )
    args = parser.parse_args(argv)
    passphrase = os.environ.get(args.passphrase_env) if args.passphrase_env else None
    if args.passphrase_env and not passphrase:
        print(f"environment variable {args.passphrase_env} is empty", file=sys.stderr)
        return 2
    try:
        private_path, public_path = keygen(args.out, bits=args.bits, passphrase=passphrase)
    except (FileExistsError, ValueError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"private key: {private_path} (keep it secret)")
    print(f"public key:  {public_path} (give it to Bank 131)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
