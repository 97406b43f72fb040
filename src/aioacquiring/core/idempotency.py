"""Idempotency keys: made once per logical call, validated before sending."""

from __future__ import annotations

import uuid

from aioacquiring.core.errors import InvalidInputError


def new_idempotency_key() -> str:
    """Make a fresh key: a random UUID4 (36 characters, safe for every provider)."""
    return str(uuid.uuid4())


def check_idempotency_key(key: object, *, min_length: int = 1, max_length: int = 255) -> str:
    """Return a caller-given key unchanged, or raise :class:`InvalidInputError`."""
    if not isinstance(key, str) or not key.strip():
        raise InvalidInputError("must be a non-empty string", field="idempotency_key")
    if not min_length <= len(key) <= max_length:
        raise InvalidInputError(
            f"must be {min_length} to {max_length} characters long, got {len(key)}",
            field="idempotency_key",
        )
    return key
