"""Alif's request signature: HMAC-SHA256 of the exact body bytes, lowercase hex.

Seed: "a HMAC SHA-256 hash made from the request body and the secret key", in
header ``signature`` next to ``token``. The encoding is derived (the seed gives
only the algorithm): lowercase hex, what the seed's pseudocode ``hmacsha256``
yields in most libraries. The body is serialized once and these very bytes are
both signed and sent, so no re-serialization can break the signature.
"""

from __future__ import annotations

from aioacquiring.core.webhooks import hmac_sha256

__all__ = ["SIGNATURE_HEADER", "TOKEN_HEADER", "sign"]

TOKEN_HEADER = "token"
"""Seed: the header that carries the merchant's token on every call."""

SIGNATURE_HEADER = "signature"
"""Seed: the header that carries the body's HMAC on signed calls (and on webhooks)."""


def sign(body: bytes, secret_key: str | bytes) -> str:
    """The ``signature`` header for ``body``: lowercase hex HMAC-SHA256 under ``secret_key``."""
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    return hmac_sha256(key, body).hex()
