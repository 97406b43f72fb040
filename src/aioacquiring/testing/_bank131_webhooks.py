"""The Bank 131 emulator's webhooks: signed with the bank's key, delivered in order.

Every event is recorded (:attr:`WebhookSender.events`); when a URL is set it is
also posted there by one background task, in the order the events happened,
with ``X-PARTNER-SIGN`` over the exact body. An answer other than HTTP 200 is
retried a few times (the bank keeps trying for about 30 minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from aioacquiring.testing._wire import dumps

__all__ = ["Delivery", "WebhookSender"]


@dataclass
class Delivery:
    """One webhook: what was sent, and the HTTP status of each delivery attempt."""

    type: str
    body: bytes = field(repr=False)
    statuses: list[int | None] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        """Whether the receiver answered HTTP 200."""
        return bool(self.statuses) and self.statuses[-1] == 200


class WebhookSender:
    """Records events and posts them, signed, to ``url`` (when set)."""

    def __init__(
        self,
        *,
        sign: Callable[[bytes], str],
        attempts: int = 3,
        retry_delay: float = 0.05,
        timeout: float = 5.0,
    ) -> None:
        self.url: str | None = None
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.deliveries: list[Delivery] = []
        self._sign = sign
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._queue: asyncio.Queue[Delivery] | None = None
        self._worker: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def send(self, payload: dict[str, Any]) -> Delivery:
        """Record the event and queue it for delivery when a URL is set."""
        delivery = Delivery(type=str(payload.get("type")), body=dumps(payload))
        self.deliveries.append(delivery)
        if self.url is not None:
            if self._queue is None:
                self._queue = asyncio.Queue()
            if self._worker is None:
                self._worker = asyncio.get_running_loop().create_task(self._deliver_all())
            self._queue.put_nowait(delivery)
        return delivery

    async def post(self, body: bytes, *, signature: str | None) -> int | None:
        """Post ``body`` to the URL now, with ``signature`` (or none); the HTTP status."""
        if self.url is None:
            raise RuntimeError("no webhook URL is set")
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers["X-PARTNER-SIGN"] = signature
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        try:
            async with self._session.post(self.url, data=body, headers=headers) as response:
                await response.read()
                return response.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return None

    async def _deliver_all(self) -> None:
        assert self._queue is not None
        while True:
            delivery = await self._queue.get()
            try:
                for attempt in range(self.attempts):
                    if attempt:
                        await asyncio.sleep(self.retry_delay * 2 ** (attempt - 1))
                    status = await self.post(delivery.body, signature=self._sign(delivery.body))
                    delivery.statuses.append(status)
                    if status == 200:
                        break
            finally:
                self._queue.task_done()

    async def drain(self) -> None:
        """Wait until every queued webhook has been delivered (or given up on)."""
        if self._queue is not None:
            await self._queue.join()

    async def close(self) -> None:
        """Stop delivering and close the HTTP session."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._queue = None
        session, self._session = self._session, None
        if session is not None:
            await session.close()
