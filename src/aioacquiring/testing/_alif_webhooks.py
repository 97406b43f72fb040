"""The Alif emulator's webhook sender: signed POSTs to a URL, retried until HTTP 200.

Derived (the seed has no webhooks): the body is ``{"event": ..., "data": {...}}``
and header ``signature`` is HMAC-SHA256 of the raw body under the merchant's
secret key, base64 by default as Alif's live API sends it (hex on request).
Deliveries run in the background; :meth:`WebhookSender.drain` waits for them.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from aioacquiring.testing._wire import dumps

__all__ = ["Delivery", "WebhookSender"]


@dataclass
class Delivery:
    """One webhook: where it went, what it said, and the HTTP status of each attempt."""

    event: str
    url: str
    body: bytes = field(repr=False)
    signature: str = field(repr=False)
    statuses: list[int | None] = field(default_factory=list)
    """One entry per attempt: the HTTP status, or None when the connection failed."""

    @property
    def delivered(self) -> bool:
        """Whether the receiver answered HTTP 200."""
        return bool(self.statuses) and self.statuses[-1] == 200

    @property
    def data(self) -> Any:
        """The event's ``data``, parsed."""
        return json.loads(self.body)["data"]


class WebhookSender:
    """Signs and POSTs events; a non-200 answer is retried ``attempts`` times in all."""

    def __init__(
        self,
        secret_key: str,
        *,
        default_url: str | None = None,
        encoding: str = "base64",
        attempts: int = 3,
        retry_delay: float = 0.05,
    ) -> None:
        if encoding not in ("base64", "hex"):
            raise ValueError("encoding must be 'base64' or 'hex'")
        self.secret_key = secret_key
        self.default_url = default_url
        self.encoding = encoding
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None

    def sign(self, body: bytes) -> str:
        """The ``signature`` header for ``body``."""
        digest = hmac.new(self.secret_key.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode() if self.encoding == "base64" else digest.hex()

    def send(self, url: str | None, event: str, data: dict[str, Any]) -> None:
        """Deliver ``event`` to ``url`` (or the default URL) in the background; no URL, no POST."""
        target = url or self.default_url
        if target is None:
            return
        body = dumps({"event": event, "data": data})
        delivery = Delivery(event=event, url=target, body=body, signature=self.sign(body))
        self.deliveries.append(delivery)
        task = asyncio.ensure_future(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        headers = {"Content-Type": "application/json", "signature": delivery.signature}
        for attempt in range(self.attempts):
            if attempt:
                await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
            try:
                async with self._session.post(
                    delivery.url, data=delivery.body, headers=headers
                ) as response:
                    await response.read()
                    delivery.statuses.append(response.status)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                delivery.statuses.append(None)
                continue
            if response.status == 200:
                return

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait until every delivery so far has succeeded or used up its attempts."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    async def close(self) -> None:
        """Give pending deliveries a moment, cancel the rest, close the HTTP session."""
        await self.drain(timeout=1.0)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None
