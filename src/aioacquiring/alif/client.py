"""The Alif Acquiring client: token and signature, ``external_id`` as the retry key, paging.

Seed: HTTP RPC, ``POST <base_url>/<method>`` with a JSON body, header ``token``
on every call and ``signature`` (HMAC-SHA256 of the body) on the calls that
need it, HTTP 200 with a ``code`` for every answer, ``page``/``per_page`` at the
root of list requests. Alif publishes no base URL, so there is no default.

Alif has no idempotency header; its money calls carry a merchant
``external_id`` in the body, which Alif dedupes (derived). The client fixes that
``external_id`` before the first attempt -- the caller's, or a fresh one -- and
the body holding it is encoded once, so every retry resends the same bytes with
the same signature. Only those calls and read calls are retried after a failure
that leaves the outcome unknown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import attrs
from aiohttp import web

from aioacquiring.alif import webhooks
from aioacquiring.alif.decoders import converter, open_envelope
from aioacquiring.alif.errors import http_error
from aioacquiring.alif.resources import AlifAPI
from aioacquiring.alif.signing import SIGNATURE_HEADER, TOKEN_HEADER, sign
from aioacquiring.alif.validation import validate_request
from aioacquiring.core.client import retry_after_seconds
from aioacquiring.core.config import RetryPolicy, Timeout
from aioacquiring.core.errors import AcquiringError, InvalidInputError
from aioacquiring.core.idempotency import check_idempotency_key, new_idempotency_key
from aioacquiring.core.operation import Operation
from aioacquiring.core.pagination import Paginator
from aioacquiring.core.serde import dumps
from aioacquiring.core.transport import HttpResponse
from aioacquiring.core.validation import require_header_text, require_text

__all__ = ["MAX_PER_PAGE", "READ", "SIGNED", "Alif"]

SIGNED = "signed"
"""Catalogue flag: the call carries the ``signature`` header."""

READ = "read"
"""Catalogue flag: a read call, safe to retry whatever happened to the last attempt."""

MAX_PER_PAGE = 100
"""Seed: the default page size; derived: the most the SDK asks for in one page."""

_EXTERNAL_ID = "external_id"


class Alif(AlifAPI):
    """Async client of the Alif Acquiring API.

    ``async with Alif(token=..., secret_key=..., base_url=...) as client:`` then
    ``await client.checkout.session_create(...)``. Share one client for the life
    of a service; it keeps one connection pool.

    Args:
        token: The merchant's token, sent in header ``token`` on every call.
        secret_key: The merchant's secret key: signs requests and verifies
            webhooks (never sent, logged or shown in a repr).
        base_url: The API's address (Alif publishes none; the emulator's ``url`` in tests).
        session: An aiohttp session to use; it is never closed by the client.
        timeout: Per-attempt timeouts (seconds or :class:`Timeout`; 30 s total, 5 s connect).
        retry: The retry policy (2 retries, 0.5 s backoff doubling up to 8 s, 60 s deadline).
        max_concurrency: Most requests in flight at once (no cap by default).
        per_page: Items asked for per page by the list methods (1-100, default 100);
            a list method's own ``per_page=`` overrides it.
    """

    provider = "alif"
    idempotency_key_length = (1, 64)
    idempotency_key_in_header = False  # it is the body's external_id

    def __init__(
        self,
        *,
        token: str,
        secret_key: str,
        base_url: str,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        per_page: int = MAX_PER_PAGE,
    ) -> None:
        require_header_text(token, "token")
        require_text(secret_key, "secret_key")  # base_url: core checks it
        if isinstance(per_page, bool) or not isinstance(per_page, int):
            raise InvalidInputError("must be an integer", field="per_page")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise InvalidInputError(f"must be from 1 to {MAX_PER_PAGE}", field="per_page")
        super().__init__(
            base_url=base_url,
            session=session,
            timeout=timeout,
            retry=retry,
            max_concurrency=max_concurrency,
        )
        self._secret_key = secret_key.encode()
        self._per_page = per_page
        self._static_headers = {
            TOKEN_HEADER: token,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._bind_namespaces()

    def __repr__(self) -> str:
        return f"Alif(base_url={self.base_url!r})"

    @property
    def per_page(self) -> int:
        """Items asked for per page by the list methods."""
        return self._per_page

    # Webhooks, with the key this client already holds ------------------------------

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> webhooks.Event:
        """Verify a webhook with this client's secret key and parse it (see ``webhooks``)."""
        return webhooks.verify_and_parse(headers, raw_body, secret_key=self._secret_key)

    def webhook_handler(
        self, callback: webhooks.Callback
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler for the ``webhook_url`` (see ``webhooks.webhook_handler``)."""
        return webhooks.webhook_handler(callback, secret_key=self._secret_key)

    # BaseClient hooks -----------------------------------------------------------------

    def _encode(self, operation: Operation[Any], request: Any) -> bytes:
        if request is None:
            return b"{}"
        validate_request(request)
        return dumps(converter.unstructure(request))

    def _headers(
        self, operation: Operation[Any], body: bytes | None, idempotency_key: str | None
    ) -> dict[str, str]:
        headers = dict(self._static_headers)
        if SIGNED in operation.flags:
            headers[SIGNATURE_HEADER] = sign(body or b"", self._secret_key)
        return headers

    def _open(self, operation: Operation[Any], response: HttpResponse) -> Any:
        if response.status != 200:
            raise http_error(response.status, retry_after_seconds(response.headers))
        return open_envelope(response.body)

    def _resolve_key(
        self, operation: Operation[Any], request: Any, given: str | None
    ) -> str | None:
        """The call's ``external_id``: the caller's (either argument), or a fresh one."""
        if not operation.dedupe:
            if given is not None:
                raise InvalidInputError(
                    f"{operation.name} carries no external_id, so Alif cannot dedupe it "
                    "and an idempotency key has nowhere to go",
                    field="idempotency_key",
                )
            return None
        carried: str | None = getattr(request, _EXTERNAL_ID)
        if given is not None:
            low, high = self.idempotency_key_length
            given = check_idempotency_key(given, min_length=low, max_length=high)
            if carried is not None and carried != given:
                raise InvalidInputError(
                    "differs from external_id: give one of them (they are the same key)",
                    field="idempotency_key",
                )
            return given
        return carried if carried is not None else new_idempotency_key()

    def _with_idempotency_key(
        self, operation: Operation[Any], request: Any, idempotency_key: str | None
    ) -> Any:
        if idempotency_key is None or getattr(request, _EXTERNAL_ID) == idempotency_key:
            return request
        return attrs.evolve(request, **{_EXTERNAL_ID: idempotency_key})

    def _retry_delay(
        self,
        operation: Operation[Any],
        error: AcquiringError,
        key: str | None,
        attempt: int,
        policy: RetryPolicy,
    ) -> float | None:
        would_retry = error.retryable and attempt <= policy.max_retries
        safe = READ in operation.flags or bool(key and operation.dedupe)
        if would_retry and error.outcome_unknown and not safe:
            error.message += (
                "; not retried: Alif may have done it, or may still be doing it, and the call "
                "carries no external_id for Alif to dedupe a repeat -- read the object back, "
                "and repeat a partial refund or reversal only once no request can still be in "
                "flight (or refund the remainder in full, which cannot land twice)"
            )
            return None
        return super()._retry_delay(operation, error, key, attempt, policy)

    def paginate(
        self,
        operation: Operation[list[Any]],
        request: Any,
        *,
        max_items: int | None = None,
        prefetch: bool = False,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
    ) -> Paginator[Any]:
        """Iterate a list method page by page, ``per_page`` items a page (a short page ends it)."""
        if operation.paging is not None:
            per_page = request.per_page if request.per_page is not None else self._per_page
            request = attrs.evolve(request, per_page=per_page)
            paging = attrs.evolve(operation.paging, page_size=per_page)
            operation = attrs.evolve(operation, paging=paging)
        return super().paginate(
            operation, request, max_items=max_items, prefetch=prefetch, timeout=timeout, retry=retry
        )
