"""Webhook delivery shared by the emulators: send, retry on a schedule, record, misbehave.

A provider's emulator builds and signs each webhook as that provider does and
hands it to its :class:`WebhookOutbox`, which delivers it in the background:
an answer the provider counts as accepted ends it, anything else (another
status, a refused connection, a timeout) is retried on the provider's
documented schedule, compressed by ``time_scale`` so that a test waits
milliseconds instead of minutes. Every attempt is recorded for tests to
inspect, and the outbox can be told to misbehave the way real senders do:
deliver a webhook twice, or hold one back until the next has gone (out of
order).

Each emulator builds one with its provider's schedule and what that provider
counts as accepted (:func:`only_200` for Bank 131 and Alif), and exposes it as
``emulator.outbox``; the constructor argument ``webhook_time_scale`` is the
same on all three.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence

import aiohttp
import attrs
from yarl import URL

__all__ = ["Attempt", "Delivery", "WebhookOutbox", "only_200"]

Accepts = Callable[[int, bytes], bool]


def _any_2xx(status: int, body: bytes) -> bool:
    return 200 <= status < 300


def only_200(status: int, body: bytes) -> bool:
    """Accepted when the answer is HTTP 200, whatever its body (Bank 131's and Alif's rule)."""
    return status == 200


@attrs.define
class Attempt:
    """One try at delivering: HTTP status and body, or why no answer came."""

    at: float
    """``time.monotonic()`` when the attempt started."""
    status: int | None = None
    body: bytes = attrs.field(default=b"", repr=False)
    error: str | None = None


@attrs.define
class Delivery:
    """One webhook as the emulator sent it, with every attempt made so far.

    ``body``/``query`` are exactly what was sent; ``headers`` include the
    signature. ``label`` is the provider's name for the event (``Pay``,
    ``payout.succeeded``, ...); ``copy`` is 1 for a duplicate sent on purpose.
    """

    label: str
    url: str
    method: str
    headers: dict[str, str] = attrs.field(repr=False)
    body: bytes = attrs.field(repr=False)
    query: str | None = attrs.field(default=None, repr=False)
    attempts: list[Attempt] = attrs.Factory(list)
    delivered: bool = False
    copy: int = 0
    tried: asyncio.Event = attrs.field(factory=asyncio.Event, repr=False, eq=False)
    """Set once the first attempt has had its answer (or failed)."""

    @property
    def last_status(self) -> int | None:
        """The status of the last attempt (None before the first, or with no answer)."""
        return self.attempts[-1].status if self.attempts else None

    @property
    def statuses(self) -> list[int | None]:
        """Each attempt's HTTP status, in order (None where no answer came)."""
        return [attempt.status for attempt in self.attempts]


class WebhookOutbox:
    """Background delivery of one emulator's webhooks.

    Args:
        schedule: Seconds to wait before each retry, as the provider documents
            (the first attempt goes at once); its length is the number of retries.
        time_scale: Factor applied to the schedule (``0.001``: a minute becomes 60 ms).
        timeout: Seconds an attempt waits for the receiver's answer.
        accepts: Whether ``(status, body)`` ends the delivery; any 2xx by default
            (:func:`only_200` for HTTP 200 only).
        in_order: Send each webhook's first attempt only once the previous
            one's first attempt has had its answer, so that a receiver sees
            them in the order they happened; retries never hold later ones back.
        record_type: The :class:`Delivery` subclass to record with (a provider's
            own, adding its names for the event, signature, ...).
    """

    def __init__(
        self,
        *,
        schedule: Sequence[float],
        time_scale: float = 1.0,
        timeout: float = 5.0,
        accepts: Accepts = _any_2xx,
        in_order: bool = False,
        record_type: type[Delivery] = Delivery,
    ) -> None:
        if time_scale < 0 or any(delay < 0 for delay in schedule):
            raise ValueError("the schedule and time_scale must not be negative")
        self.schedule = tuple(schedule)
        self.time_scale = time_scale
        self.timeout = timeout
        self._accepts = accepts
        self._in_order = in_order
        self._record = record_type
        self._last_started: Delivery | None = None
        self._deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._duplicates = 0
        self._hold = 0
        self._held: list[Delivery] = []

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook sent or being sent, in the order it was handed over."""
        return list(self._deliveries)

    # Misbehaving on purpose ----------------------------------------------------------

    def duplicate_next(self, count: int = 1) -> None:
        """Deliver each of the next ``count`` webhooks twice (receivers must be idempotent)."""
        self._duplicates += _positive(count)

    def reorder_next(self, count: int = 1) -> None:
        """Hold each of the next ``count`` webhooks back until the one after it has gone."""
        self._hold += _positive(count)

    # Sending -------------------------------------------------------------------------

    def send(
        self,
        url: str,
        *,
        label: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        query: str | None = None,
    ) -> Delivery:
        """Queue a webhook for background delivery and return its record."""
        delivery = self._record(label, url, method.upper(), dict(headers or {}), body, query)
        self._deliveries.append(delivery)
        copies = [delivery]
        if self._duplicates:
            self._duplicates -= 1
            twin = attrs.evolve(delivery, attempts=[], copy=1, tried=asyncio.Event())
            self._deliveries.append(twin)
            copies.append(twin)
        if self._hold:
            self._hold -= 1
            self._held.extend(copies)
            return delivery
        for item in copies:
            self._start(item)
        previous = delivery
        while self._held:  # what was held back goes after this one (in order: one by one)
            held = self._held.pop(0)
            self._start(held, after=previous)
            if self._in_order:
                previous = held
        return delivery

    async def ask(
        self,
        url: str,
        *,
        label: str,
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
        method: str = "POST",
        query: str | None = None,
    ) -> Delivery:
        """Deliver once, now, and return the record with its answer (no retries).

        For webhooks whose answer decides what the provider does next
        (CloudPayments' ``Check``).
        """
        delivery = self._record(label, url, method.upper(), dict(headers or {}), body, query)
        self._deliveries.append(delivery)
        await self._attempt(delivery)
        return delivery

    def _start(self, delivery: Delivery, *, after: Delivery | None = None) -> None:
        if self._in_order:
            after = after or self._last_started
            self._last_started = delivery
        task = asyncio.get_running_loop().create_task(self._deliver(delivery, after))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery, after: Delivery | None) -> None:
        if after is not None:
            await after.tried.wait()  # out of order: only once the later one has been tried
        for delay in (0.0, *self.schedule):
            if delay:
                await asyncio.sleep(delay * self.time_scale)
            if await self._attempt(delivery):
                return

    async def _attempt(self, delivery: Delivery) -> bool:
        attempt = Attempt(at=time.monotonic())
        delivery.attempts.append(attempt)
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = URL(delivery.url)
        if delivery.query is not None:
            # The query is signed as sent: keep its bytes, do not let yarl re-encode them.
            url = URL(f"{url.with_query(None)}?{delivery.query}", encoded=True)
        try:
            async with self._session.request(
                delivery.method,
                url,
                data=delivery.body if delivery.method != "GET" else None,
                headers=delivery.headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                allow_redirects=False,  # providers do not follow them: a redirect is a failure
            ) as answer:
                attempt.status = answer.status
                attempt.body = await answer.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            attempt.error = f"{type(exc).__name__}: {exc}"
            return False
        finally:
            delivery.tried.set()
        delivery.delivered = self._accepts(attempt.status, attempt.body)
        return delivery.delivered

    # Lifecycle -----------------------------------------------------------------------

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queued webhook is delivered or out of retries."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks or self._held:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"webhooks still being delivered after {timeout} s")
            if not self._tasks:
                # Held back for a later webhook that never came: late is all they can be.
                for delivery in self._held:
                    self._start(delivery)
                self._held.clear()
            await asyncio.wait(set(self._tasks), timeout=0.05)

    async def close(self) -> None:
        """Cancel what is still being delivered and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._held.clear()
        self._last_started = None
        if self._session is not None:
            await self._session.close()
            self._session = None


def _positive(count: int) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")
    return count
