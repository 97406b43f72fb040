"""Webhook building blocks shared by the providers: HMAC and constant-time checks."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
from collections.abc import Mapping


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively even in a plain dict (frameworks differ)."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def hmac_sha256(secret: bytes, message: bytes) -> bytes:
    """The raw HMAC-SHA256 digest of ``message`` under ``secret``."""
    return hmac.new(secret, message, hashlib.sha256).digest()


def _decode_signature(given: str) -> list[bytes]:
    """The byte strings a signature header may stand for: base64 and/or hex."""
    candidates: list[bytes] = []
    text = given.strip()
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(text, validate=True))
    with contextlib.suppress(ValueError):
        candidates.append(bytes.fromhex(text))
    return candidates


def signature_matches(expected: bytes, given: str | None) -> bool:
    """Whether a base64 or hex signature header equals ``expected``, compared in constant time."""
    if not given:
        return False
    # Compare against every reading so the time taken does not depend on which matched.
    matches = [hmac.compare_digest(expected, candidate) for candidate in _decode_signature(given)]
    return any(matches)
