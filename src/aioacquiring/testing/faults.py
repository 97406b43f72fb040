"""Provider-neutral fault injection for the emulators, as one aiohttp middleware.

A :class:`FaultInjector` scripts what the next requests suffer: an HTTP error
instead of an answer, a delay, a connection dropped before the work is done, or
one dropped after the work is done but before the answer leaves (a "lost
response", the case that makes idempotency keys necessary), or an answer
compressed the way a provider's proxy may compress it. It also counts the
requests each path received and, when given a cap, answers HTTP 429 to requests
over the number allowed in flight at once, the way providers throttle.
"""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from dataclasses import dataclass

from aiohttp import web

from aioacquiring.testing._types import Handler

__all__ = ["ADMIN_PREFIX", "FaultInjector"]

ADMIN_PREFIX = "/_emulator/"
"""The emulators' own admin paths: never counted, throttled or faulted."""


@dataclass
class _Rule:
    """One scripted fault, consumed by the next ``remaining`` matching requests."""

    kind: str  # "fail", "delay", "slow_body", "compress", "drop_before" or "drop_after"
    remaining: int
    path: str | None
    status: int = 500
    body: bytes = b""
    content_type: str | None = None
    retry_after: str | None = None
    seconds: float = 0.0

    def matches(self, path: str) -> bool:
        return self.path is None or self.path == path


def _check_count(count: int) -> None:
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be a positive integer, got {count!r}")


def _format_retry_after(value: float | str) -> str:
    if isinstance(value, str):
        return value  # an HTTP-date, sent as given
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"retry_after must be a non-negative number, got {value!r}")
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _drop_connection(request: web.Request) -> web.StreamResponse:
    """Close the client's connection and return a response that can never be written.

    With the transport closing, aiohttp's attempt to write the response head raises
    ``ConnectionResetError``, which the server takes as a premature client disconnect:
    nothing is sent, nothing is logged as an error, the client sees the connection close.
    """
    transport = request.transport
    if transport is not None:
        transport.close()
    # 444 is nginx's "closed without a response"; only the access log ever shows it.
    return web.Response(status=444, reason="Connection Dropped")


async def _trickle(
    request: web.Request, answer: web.StreamResponse, seconds: float
) -> web.StreamResponse:
    """Send ``answer`` with a pause of ``seconds`` in the middle of its body."""
    if not isinstance(answer, web.Response) or not isinstance(answer.body, bytes):
        return answer  # nothing buffered to trickle
    body = answer.body
    slow = web.StreamResponse(status=answer.status, reason=answer.reason)
    slow.headers.update(answer.headers)
    slow.content_length = len(body)
    await slow.prepare(request)
    half = len(body) // 2
    try:
        await slow.write(body[:half])
        await asyncio.sleep(seconds)
        await slow.write(body[half:])
        await slow.write_eof()
    except ConnectionResetError:
        pass  # the client stopped waiting: what the fault is there to provoke
    return slow


class FaultInjector:
    """Scripted faults, request counts and an in-flight cap, applied as an aiohttp middleware.

    Install :attr:`middleware` first in an application's middleware list. Rules
    are matched in the order they were added; each is consumed by the next
    requests it matches (``path=None`` matches any path) and is gone once its
    count is used up.
    """

    def __init__(self, *, max_concurrency: int | None = None) -> None:
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1 (or None for no cap)")
        self.max_concurrency = max_concurrency
        """Requests allowed in flight at once; more are answered HTTP 429. None: no cap."""
        self.in_flight = 0
        """Requests being handled right now (delayed and faulted ones included)."""
        self.max_in_flight_seen = 0
        """The most requests ever seen in flight at once (those turned away included)."""
        self.throttled = 0
        """Requests answered HTTP 429 because of :attr:`max_concurrency`."""
        self._rules: list[_Rule] = []
        self._seen: Counter[str] = Counter()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(pending={self.pending}, max_concurrency={self.max_concurrency})"
        )

    # Scripting -----------------------------------------------------------------

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        body: bytes = b"",
        retry_after: float | str | None = None,
        path: str | None = None,
        content_type: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` without handling them.

        ``retry_after`` (seconds, or an HTTP-date string) is sent as the
        ``Retry-After`` header when given.
        """
        _check_count(count)
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code, got {status!r}")
        self._rules.append(
            _Rule(
                "fail",
                count,
                path,
                status=status,
                body=bytes(body),
                content_type=content_type,
                retry_after=None if retry_after is None else _format_retry_after(retry_after),
            )
        )

    def delay_next(self, count: int = 1, *, seconds: float, path: str | None = None) -> None:
        """Sleep ``seconds`` before handling each of the next ``count`` matching requests."""
        _check_count(count)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
        self._rules.append(_Rule("delay", count, path, seconds=float(seconds)))

    def slow_body_next(self, count: int = 1, *, seconds: float, path: str | None = None) -> None:
        """Handle the next ``count`` matching requests, then trickle the answer out.

        The status line, headers and the first half of the body leave at once;
        the rest follows ``seconds`` later. A client whose read timeout is
        shorter gives up with the work already done.
        """
        _check_count(count)
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be a non-negative number, got {seconds!r}")
        self._rules.append(_Rule("slow_body", count, path, seconds=float(seconds)))

    def compress_next(self, count: int = 1, *, path: str | None = None) -> None:
        """Handle the next ``count`` matching requests and compress their answers.

        The answer is deflate- or gzip-encoded as the request's
        ``Accept-Encoding`` allows (an aiohttp client offers both),
        the way a proxy in front of a provider may compress JSON: a client that
        does not decompress reads bytes that are not JSON.
        """
        _check_count(count)
        self._rules.append(_Rule("compress", count, path))

    def drop_before_next(self, count: int = 1, *, path: str | None = None) -> None:
        """Close the connection of the next ``count`` matching requests; nothing is processed."""
        _check_count(count)
        self._rules.append(_Rule("drop_before", count, path))

    def drop_after_next(self, count: int = 1, *, path: str | None = None) -> None:
        """Handle the next ``count`` matching requests, then close without answering.

        The work is done (state changes, idempotent answers are stored) but the
        response is lost: the client sees the server disconnect.
        """
        _check_count(count)
        self._rules.append(_Rule("drop_after", count, path))

    def clear(self) -> None:
        """Forget every scripted fault not yet consumed (request counts are kept)."""
        self._rules.clear()

    @property
    def pending(self) -> int:
        """How many scripted faults are left to apply (a rule of count 3 counts as 3)."""
        return sum(rule.remaining for rule in self._rules)

    # Counting ------------------------------------------------------------------

    def requests_seen(self, path: str | None = None) -> int:
        """How many requests arrived for ``path`` (every path when None), whatever the answer."""
        if path is None:
            return sum(self._seen.values())
        return self._seen[path]

    # The middleware ------------------------------------------------------------

    def _take_rule(self, path: str) -> _Rule | None:
        for index, rule in enumerate(self._rules):
            if rule.matches(path):
                rule.remaining -= 1
                if rule.remaining == 0:
                    del self._rules[index]
                return rule
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Count the request, enforce the in-flight cap, then apply the first matching rule."""
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        self._seen[request.path] += 1
        self.in_flight += 1
        self.max_in_flight_seen = max(self.max_in_flight_seen, self.in_flight)
        try:
            if self.max_concurrency is not None and self.in_flight > self.max_concurrency:
                self.throttled += 1
                return web.Response(status=429)
            rule = self._take_rule(request.path)
            if rule is None:
                return await handler(request)
            if rule.kind == "fail":
                headers = {} if rule.retry_after is None else {"Retry-After": rule.retry_after}
                response = web.Response(status=rule.status, body=rule.body, headers=headers)
                if rule.content_type is not None:
                    response.content_type = rule.content_type
                return response
            if rule.kind == "delay":
                # The request has arrived whole; the provider is slow to act on it
                # (read now, so that a client giving up meanwhile does not lose it).
                await request.read()
                await asyncio.sleep(rule.seconds)
                return await handler(request)
            if rule.kind == "drop_before":
                return _drop_connection(request)
            if rule.kind == "slow_body":
                return await _trickle(request, await handler(request), rule.seconds)
            if rule.kind == "compress":
                answer = await handler(request)
                if isinstance(answer, web.Response):
                    answer.enable_compression()  # picks what Accept-Encoding offers, if any
                return answer
            await handler(request)  # drop_after: the work is done ...
            return _drop_connection(request)  # ... and its answer is lost
        finally:
            self.in_flight -= 1
