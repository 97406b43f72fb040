"""Moving bytes: one HTTP attempt over aiohttp, nothing more.

This is the narrow seam between "build and sign a request" (the provider
client) and "move the bytes": retries, idempotency and decoding live above it.
Each aiohttp failure becomes a typed error that says whether the request may
have reached the provider (``outcome_unknown``), which is what the retry
policy needs to keep money calls safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncGenerator, Mapping

import aiohttp
import attrs
from multidict import CIMultiDictProxy

from aioacquiring.core.config import Timeout
from aioacquiring.core.errors import ConnectionFailedError, InvalidInputError, RequestTimeoutError
from aioacquiring.core.validation import require_count


# Not frozen: a frozen attrs __init__ costs twice as much, on every call; nothing
# changes either object after it is built (the retry loop resends the same one).
@attrs.define(kw_only=True)
class HttpRequest:
    """A fully built request: the body is final bytes, already signed."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None = attrs.field(default=None, repr=False)


@attrs.define(kw_only=True)
class HttpResponse:
    """An answer as received: status, headers and the raw body bytes."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes = attrs.field(repr=False)


_TIMEOUTS_KEPT = 16
"""aiohttp timeouts a transport keeps built: the client's own and a few per-call ones."""


def check_shared_session(session: aiohttp.ClientSession) -> None:
    """Refuse a caller's session that would add credentials of its own to every request.

    A web service often shares one session across its outbound calls. One made
    with ``auth=`` or a default ``Authorization`` header would send those
    credentials, meant for another service, to the payment provider (or, where
    the SDK sends its own ``Authorization``, make aiohttp refuse every call).
    The provider client authenticates itself; such a session is refused up front.
    """
    if session.auth is not None or "Authorization" in session.headers:
        raise InvalidInputError(
            "the session adds credentials of its own to every request (auth= or an "
            "Authorization header), which would go to the payment provider; pass a session "
            "without them, or none",
            field="session",
        )


class Transport:
    """Sends :class:`HttpRequest` objects over an aiohttp session.

    The session is created lazily inside the running loop (a client may be
    built at import time); a session passed in is used as is and never closed
    here, except that it may not bring credentials of its own (see
    :func:`check_shared_session`). ``max_concurrency`` caps the requests in
    flight at once.
    """

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession | None = None,
        max_concurrency: int | None = None,
        user_agent: str = "aioacquiring",
    ) -> None:
        if max_concurrency is not None:
            require_count(max_concurrency, "max_concurrency", minimum=1)
        if session is not None:
            check_shared_session(session)
        self._session = session
        self._max_concurrency = max_concurrency
        self._semaphore: asyncio.Semaphore | None = None
        self._user_agent = user_agent
        self._closed = False
        self._timeouts: dict[Timeout, aiohttp.ClientTimeout] = {}
        self._loop_end: AsyncGenerator[None, None] | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The aiohttp session, created on first use inside the running loop.

        A session this transport made is closed as its event loop ends, and the
        next loop gets a new one: sync code that runs each job with
        ``asyncio.run`` can keep one client made at import time.
        """
        if self._closed:
            raise RuntimeError("the client is closed")
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_concurrency or 100)
            session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self._user_agent}
            )
            self._loop_end = _close_as_the_loop_ends(self, session)
            self._session = session
        return self._session

    def _forget(self, session: aiohttp.ClientSession) -> None:
        """Drop ``session`` and what was bound to its loop, if it is still the current one."""
        if self._session is session:
            self._session = None
            self._semaphore = None  # an asyncio.Semaphore belongs to the loop it waited in

    def _client_timeout(self, timeout: Timeout) -> aiohttp.ClientTimeout:
        cached = self._timeouts.get(timeout)
        if cached is None:
            # sock_connect bounds opening a socket (and its TLS handshake) only; a `connect`
            # timeout would also wrap taking a pooled connection, a timer on every call.
            cached = aiohttp.ClientTimeout(total=timeout.total, sock_connect=timeout.connect)
            if len(self._timeouts) >= _TIMEOUTS_KEPT:
                # An attempt trimmed to what is left of its call's deadline has a timeout
                # of its own, seen once: kept for ever, they would grow without bound.
                self._timeouts.clear()
            self._timeouts[timeout] = cached
        return cached

    async def send(self, request: HttpRequest, *, timeout: Timeout) -> HttpResponse:
        """Make one attempt; failures raise ConnectionFailedError or RequestTimeoutError."""
        # One coroutine whether capped or not: each frame between the caller and aiohttp
        # is passed through again every time the request resumes.
        semaphore = self._semaphore
        if semaphore is None and self._max_concurrency is not None:
            semaphore = self._semaphore = asyncio.Semaphore(self._max_concurrency)
        session = self.session
        client_timeout = self._client_timeout(timeout)
        if semaphore is not None:
            if semaphore.locked():
                client_timeout = await self._wait_for_slot(semaphore, timeout)
            else:
                await semaphore.acquire()  # a slot is free: taken at once
        try:
            # Awaited rather than entered: aiohttp's context managers put two more coroutine
            # frames on every resume and three more on the way out. The finally does what
            # their __aexit__ does: free the connection, once any body writer is done.
            response = await session.request(
                request.method,
                request.url,
                data=request.body,
                headers=request.headers,
                timeout=client_timeout,
                allow_redirects=False,
                # The provider client reads every status itself, into typed errors; a
                # caller's session set to raise_for_status would turn a 401 or a 503
                # into what looks like a broken connection.
                raise_for_status=False,
                # Likewise a session set not to decompress: aiohttp still offers gzip and
                # deflate, and a compressed answer would read as a body that is not JSON.
                auto_decompress=True,
            )
            try:
                body = await response.read()
            finally:
                response.release()
                await response.wait_for_close()
            return HttpResponse(status=response.status, headers=response.headers, body=body)
        except aiohttp.ConnectionTimeoutError as exc:
            raise RequestTimeoutError(
                f"could not connect within {timeout.connect} s", outcome_unknown=False
            ) from exc
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError) as exc:
            raise RequestTimeoutError(
                f"no answer within {timeout.total} s", outcome_unknown=True
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            # The TCP connection was never made, so not a byte of the request left.
            raise ConnectionFailedError(
                f"could not connect to {exc.host}:{exc.port}: {exc.os_error.strerror or exc}",
                outcome_unknown=False,
            ) from exc
        except aiohttp.ClientError as exc:
            raise ConnectionFailedError(
                f"connection broke before the answer arrived ({type(exc).__name__})",
                outcome_unknown=True,
            ) from exc
        finally:
            if semaphore is not None:
                semaphore.release()

    async def _wait_for_slot(
        self, semaphore: asyncio.Semaphore, timeout: Timeout
    ) -> aiohttp.ClientTimeout:
        """Take a ``max_concurrency`` slot within the attempt's timeout; the rest is the request's.

        Waiting in the client's own queue counts towards the attempt's total (and
        so towards the call's deadline, which trims it): under a burst, a call
        must not wait past its deadline for a slot. Nothing has been sent while
        it waits, so running out of time here is a safe failure.
        """
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(timeout.total):  # a timer, not wait_for's task
                    await semaphore.acquire()
            else:
                await asyncio.wait_for(semaphore.acquire(), timeout.total)
        except asyncio.TimeoutError:
            raise RequestTimeoutError(
                f"the client's {self._max_concurrency} request slots (max_concurrency) stayed "
                f"busy for {timeout.total:g} s; nothing was sent",
                outcome_unknown=False,
            ) from None
        # The rest of the attempt's time is the request's; a sliver at least, since a
        # total of 0 would mean no limit at all to aiohttp.
        left = max(timeout.total - (loop.time() - started), 0.001)
        return aiohttp.ClientTimeout(total=left, sock_connect=min(timeout.connect, left))

    async def close(self) -> None:
        """Close the session if this transport opened it."""
        self._closed = True
        loop_end, self._loop_end = self._loop_end, None
        if loop_end is not None:
            await loop_end.aclose()  # closes the session it watches, if still open
        self._session = None


async def _session_watch(
    transport: Transport, session: aiohttp.ClientSession
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        transport._forget(session)
        await session.close()


def _close_as_the_loop_ends(
    transport: Transport, session: aiohttp.ClientSession
) -> AsyncGenerator[None, None]:
    """Arrange for ``session`` to be closed inside the running loop as that loop ends.

    asyncio has no "loop ending" callback, but every way of running a loop to
    its end (``asyncio.run``, ``asyncio.Runner``, pytest-asyncio, aiohttp's
    ``run_app``) finalizes the async generators still suspended in it, while it
    still runs. So this starts one, suspended at its ``yield``, whose
    ``finally`` closes the session: the connections close cleanly in their own
    loop, and the transport makes a new session in the next. The transport keeps
    the generator (the loop holds it only weakly); ``close()`` finishes it.
    """
    watch = _session_watch(transport, session)
    with contextlib.suppress(StopIteration):
        watch.asend(None).send(None)  # runs it to its yield, in the running loop
    return watch
