"""Idempotent replay by ``X-Request-ID``, as CloudPayments documents it.

A repeat of a key within ``ttl`` seconds gets the first answer, byte for byte,
without being processed again; only successful answers are kept. Two requests
with the same key at once are handled one after the other, so the second one
replays the first.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from aioacquiring.testing._types import Handler
from aioacquiring.testing._wire import loads

__all__ = ["Replay"]


@dataclass
class _Stored:
    expires_at: float
    body: bytes


@dataclass
class _KeyLock:
    lock: asyncio.Lock
    users: int = 0


def _succeeded(body: bytes) -> bool:
    try:
        answer = loads(body)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("Success") is True


class Replay:
    """The answers kept by ``X-Request-ID``, served by :meth:`middleware`."""

    def __init__(self, ttl: Callable[[], float], exempt: Callable[[web.Request], bool]) -> None:
        self._ttl = ttl
        self._exempt = exempt
        self.replayed = 0
        """Requests answered from the store instead of being processed."""
        self._answers: dict[str, _Stored] = {}
        self._key_locks: dict[str, _KeyLock] = {}

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Replay a kept answer, or handle the request and keep its answer if it succeeded."""
        key = request.headers.get("X-Request-ID", "")
        if not key or self._exempt(request):
            return await handler(request)
        entry = self._key_locks.setdefault(key, _KeyLock(asyncio.Lock()))
        entry.users += 1
        try:
            async with entry.lock:  # the same key twice at once: the second waits and replays
                now = time.monotonic()
                self._answers = {k: v for k, v in self._answers.items() if v.expires_at > now}
                stored = self._answers.get(key)
                if stored is not None:
                    self.replayed += 1
                    return web.Response(
                        body=stored.body, content_type="application/json", charset="utf-8"
                    )
                response = await handler(request)
                body = response.body if isinstance(response, web.Response) else None
                # Only successful answers are kept, as the API documents.
                if isinstance(body, bytes) and response.status == 200 and _succeeded(body):
                    self._answers[key] = _Stored(now + self._ttl(), body)
                return response
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._key_locks[key]
