"""Idempotency keys: made once per logical call, validated before sending."""

from __future__ import annotations

import os

from aioacquiring.core.errors import InvalidInputError
from aioacquiring.core.validation import fits_a_header


def new_idempotency_key() -> str:
    """Make a fresh key: a random UUID4 (36 characters, safe for every provider).

    Written out from 16 random bytes directly: ``str(uuid.uuid4())`` costs twice
    as much, most of it in ``UUID.__init__``.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def check_idempotency_key(
    key: object, *, min_length: int = 1, max_length: int = 255, header: bool = False
) -> str:
    """Return a caller-given key unchanged, or raise :class:`InvalidInputError`.

    ``header``: the key travels in an HTTP header, so it must be printable ASCII.
    aiohttp refuses a line break there only when sending, with a bare ValueError,
    and other text would reach the provider as bytes it may read another way.
    """
    if not isinstance(key, str) or not key.strip():
        raise InvalidInputError("must be a non-empty string", field="idempotency_key")
    if header and not fits_a_header(key):
        raise InvalidInputError(
            "must be printable ASCII (it travels in an HTTP header)", field="idempotency_key"
        )
    if not min_length <= len(key) <= max_length:
        raise InvalidInputError(
            f"must be {min_length} to {max_length} characters long, got {len(key)}",
            field="idempotency_key",
        )
    return key
