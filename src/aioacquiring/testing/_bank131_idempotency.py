"""``X-PARTNER-IDEMPOTENCY-KEY`` as Bank 131 documents it, for the emulator.

A key (4 to 64 characters) is remembered for ``ttl`` seconds (24 hours at the
bank) with the request it came with and the answer given:

* the same key with the same request: the first answer again, nothing redone;
* the same key with another request: ``idempotency_key_params_mismatch``;
* the same key while the first request is still running:
  ``idempotency_key_already_exists`` (retry later under the same key);
* a key on a method that takes none: ``idempotency_key_not_supported``.

Only successful answers are remembered: after a refused request the key is free.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from aioacquiring.testing._bank131_fields import ApiError, invalid
from aioacquiring.testing._wire import dumps

__all__ = ["IdempotencyStore"]


@dataclass
class _Stored:
    fingerprint: str
    expires_at: float
    body: bytes


def fingerprint(method: str, body: Any) -> str:
    """What makes two requests "the same": the method and the parameters, key order aside."""
    return method + "\n" + dumps(_sorted(body)).decode()


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _sorted(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted(item) for item in value]
    return value


class IdempotencyStore:
    """Remembered keys, and the keys whose first request is still running."""

    def __init__(self, *, ttl: float) -> None:
        self.ttl = ttl
        self.replayed = 0
        self._answers: dict[str, _Stored] = {}
        self._running: set[str] = set()

    async def run(
        self,
        key: str,
        *,
        method: str,
        body: Any,
        supported: bool,
        call: Callable[[], Awaitable[web.Response]],
        replay: Callable[[bytes], web.Response],
    ) -> web.Response:
        """Answer a request that carries ``key``: replay, refuse, or ``call`` and remember."""
        if not 4 <= len(key) <= 64:
            raise invalid("X-PARTNER-IDEMPOTENCY-KEY must be 4 to 64 characters")
        if not supported:
            raise ApiError(
                "idempotency_key_not_supported", f"{method} does not take an idempotency key"
            )
        now = time.monotonic()
        self._answers = {k: v for k, v in self._answers.items() if v.expires_at > now}
        request = fingerprint(method, body)
        stored = self._answers.get(key)
        if stored is not None:
            if stored.fingerprint != request:
                raise ApiError(
                    "idempotency_key_params_mismatch",
                    "The idempotency key was used for another request",
                    http_status=409,
                )
            self.replayed += 1
            return replay(stored.body)
        if key in self._running:
            raise ApiError(
                "idempotency_key_already_exists",
                "A request with this idempotency key is still being processed",
                http_status=409,
            )
        self._running.add(key)
        try:
            response = await call()
        finally:
            self._running.discard(key)
        assert isinstance(response.body, bytes)
        self._answers[key] = _Stored(request, time.monotonic() + self.ttl, response.body)
        return response
