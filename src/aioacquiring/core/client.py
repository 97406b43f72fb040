"""The provider-neutral client: one logical call, start to end.

A provider client subclasses :class:`BaseClient` and supplies three hooks:
how to encode a request model into body bytes, which headers to send (auth,
signature, idempotency key) and how to open the provider's answer. Everything
else -- the idempotency key fixed before the first attempt, retries with
backoff that resend the same bytes, the overall deadline, logging and error
context -- happens here, once, for every provider.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
import attrs

from aioacquiring.core.config import RetryPolicy, Timeout
from aioacquiring.core.errors import (
    AcquiringError,
    ProviderInternalError,
    RateLimitError,
    RequestTimeoutError,
)
from aioacquiring.core.idempotency import check_idempotency_key, new_idempotency_key
from aioacquiring.core.operation import Operation
from aioacquiring.core.pagination import Paginator
from aioacquiring.core.transport import HttpRequest, HttpResponse, Transport
from aioacquiring.core.validation import require_base_url

ResultT = TypeVar("ResultT")
ItemT = TypeVar("ItemT")
ClientT = TypeVar("ClientT", bound="BaseClient")

logger = logging.getLogger("aioacquiring")


class BaseClient:
    """Shared machinery of the provider clients (not used directly).

    Subclasses implement :meth:`_encode`, :meth:`_headers` and :meth:`_open`.
    """

    provider: str = "provider"
    idempotency_key_length: tuple[int, int] = (1, 255)
    idempotency_key_in_header: bool = True
    """Whether the provider takes the key in a header (then it must be printable ASCII)."""

    def __init__(
        self,
        *,
        base_url: str,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        auto_idempotency_keys: bool = True,
    ) -> None:
        self._base_url = require_base_url(base_url).rstrip("/")
        self._timeout = Timeout.coerce(timeout, Timeout())
        self._retry = retry or RetryPolicy()
        self._auto_keys = auto_idempotency_keys
        self._transport = Transport(session=session, max_concurrency=max_concurrency)
        self._rng = random.Random()

    @property
    def base_url(self) -> str:
        """The provider's base URL this client talks to."""
        return self._base_url

    async def __aenter__(self: ClientT) -> ClientT:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if the client opened it (a session passed in stays open)."""
        await self._transport.close()

    # -- hooks for provider clients -------------------------------------------------

    def _encode(self, operation: Operation[Any], request: Any) -> bytes | None:
        raise NotImplementedError

    def _headers(
        self, operation: Operation[Any], body: bytes | None, idempotency_key: str | None
    ) -> dict[str, str]:
        raise NotImplementedError

    def _open(self, operation: Operation[Any], response: HttpResponse) -> Any:
        raise NotImplementedError

    def _url(self, operation: Operation[Any], request: Any) -> str:
        """The URL of one call (a provider that switches API versions rewrites the path here)."""
        return self._base_url + operation.url_path(request)

    def _with_idempotency_key(
        self, operation: Operation[Any], request: Any, idempotency_key: str | None
    ) -> Any:
        """The request to encode, given the call's key.

        Providers that carry the key in a header keep the request as it is (the
        default); a provider that carries it in the body (Alif's ``external_id``)
        writes it into the request here, before the body is encoded once.
        """
        return request

    # -- one logical call -----------------------------------------------------------

    def _resolve_key(
        self, operation: Operation[Any], request: Any, given: str | None
    ) -> str | None:
        if given is not None:
            low, high = self.idempotency_key_length
            return check_idempotency_key(
                given, min_length=low, max_length=high, header=self.idempotency_key_in_header
            )
        if operation.moves_money and operation.dedupe and self._auto_keys:
            return new_idempotency_key()
        return None

    async def call(
        self,
        operation: Operation[ResultT],
        request: Any,
        *,
        idempotency_key: str | None = None,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> ResultT:
        """Run one logical call of ``operation`` with ``request`` and return its typed result.

        The body is encoded and the idempotency key fixed once, before the first
        attempt; every retry resends the same bytes under the same key.
        """
        key = self._resolve_key(operation, request, idempotency_key)
        request = self._with_idempotency_key(operation, request, key)
        body = self._encode(operation, request)
        http_request = HttpRequest(
            method=operation.http_method,
            url=self._url(operation, request),
            headers=self._headers(operation, body, key),
            body=body,
        )
        timeout = self._timeout if timeout is None else Timeout.coerce(timeout, self._timeout)
        policy = retry or self._retry
        # The attempts run here rather than in a helper coroutine: every await of an
        # aiohttp request resumes through each coroutine frame above it.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + policy.deadline
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise RequestTimeoutError(
                        f"deadline of {policy.deadline} s passed", outcome_unknown=attempt > 1
                    )
                if logger.isEnabledFor(logging.DEBUG):
                    logger.debug(
                        "%s %s attempt %d/%d idempotency_key=%s",
                        self.provider,
                        operation.name,
                        attempt,
                        policy.max_retries + 1,
                        key,
                    )
                attempt_timeout = timeout
                if remaining < timeout.total:
                    attempt_timeout = Timeout(
                        total=remaining, connect=min(timeout.connect, remaining)
                    )
                response = await self._transport.send(http_request, timeout=attempt_timeout)
                return operation.decode(self._open(operation, response))
            except AcquiringError as error:
                error.operation = operation.name
                error.idempotency_key = key
                error.attempts = attempt
                delay = self._retry_delay(operation, error, key, attempt, policy)
                if delay is None or delay > deadline - loop.time():
                    if isinstance(error, RateLimitError) and delay is not None:
                        error.message += (
                            f" (the provider asked to wait {delay:.1f} s, past the call's deadline)"
                        )
                    raise
                logger.debug(
                    "%s %s attempt %d failed (%s); retrying in %.2f s",
                    self.provider,
                    operation.name,
                    attempt,
                    type(error).__name__,
                    delay,
                )
            await asyncio.sleep(delay)

    def _retry_delay(
        self,
        operation: Operation[Any],
        error: AcquiringError,
        key: str | None,
        attempt: int,
        policy: RetryPolicy,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up."""
        if not error.retryable or attempt > policy.max_retries:
            return None
        if operation.moves_money and error.outcome_unknown and not (key and operation.dedupe):
            error.message += (
                "; not retried: the call moves money and carried no idempotency key, so the "
                "provider may have processed it, or may still be processing it -- look the "
                "payment up before trying again"
            )
            return None
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return error.retry_after
        return policy.backoff(attempt, self._rng)

    def paginate(
        self,
        operation: Operation[list[ItemT]],
        request: Any,
        *,
        max_items: int | None = None,
        prefetch: bool = False,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> Paginator[ItemT]:
        """Return an async iterator over the items of a paged list operation."""
        paging = operation.paging
        if paging is None:
            raise TypeError(f"{operation.name} does not page")
        self._encode(operation, request)  # refuse bad input now, not at the first page

        async def fetch(page: int) -> list[ItemT]:
            page_request = attrs.evolve(request, **{paging.page_field: page})
            return await self.call(operation, page_request, timeout=timeout, retry=retry)

        return Paginator(
            fetch,
            page_size=paging.page_size,
            first_page=paging.first_page,
            max_items=max_items,
            prefetch=prefetch,
        )


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Read a ``Retry-After`` header given in seconds (HTTP dates are ignored)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def retryable_status_error(
    provider: str, response: HttpResponse, *, rate_limited: str
) -> AcquiringError | None:
    """The typed error for the HTTP statuses DESIGN.md retries (429, 408, 5xx), else None.

    ``rate_limited`` is the 429 message (each provider limits something of its own);
    408 and 5xx leave the outcome unknown: the provider may have acted.
    """
    status = response.status
    if status == 429:
        return RateLimitError(
            rate_limited, retry_after=retry_after_seconds(response.headers), status=status
        )
    if status == 408:
        return RequestTimeoutError(f"{provider} timed the request out", outcome_unknown=True)
    if status >= 500:
        return ProviderInternalError(
            f"{provider} failed on its side (HTTP {status})", status=status, outcome_unknown=True
        )
    return None
