"""The CloudPayments client: credentials, HTTP Basic auth and the answer's HTTP layer."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web

from aioacquiring.cloudpayments import webhooks
from aioacquiring.cloudpayments.decoders import converter
from aioacquiring.cloudpayments.resources import CloudPaymentsAPI
from aioacquiring.cloudpayments.webhooks import Notification, NotificationType
from aioacquiring.core.client import retryable_status_error
from aioacquiring.core.config import RetryPolicy, Timeout
from aioacquiring.core.errors import (
    AcquiringError,
    AuthenticationError,
    InvalidRequestError,
    InvalidResponseError,
)
from aioacquiring.core.operation import Operation
from aioacquiring.core.serde import dumps, loads
from aioacquiring.core.transport import HttpResponse
from aioacquiring.core.validation import require_text, validate

DEFAULT_BASE_URL = "https://api.cloudpayments.ru"
"""CloudPayments' API (other regions: ``https://api.cloudpayments.eu``, ``https://api.cp.kz``)."""

TEST_MODE_CONCURRENCY = 5
"""Requests CloudPayments lets a test terminal run at once (30 for a live one)."""


class CloudPayments(CloudPaymentsAPI):
    """Async client of the CloudPayments API.

    ``async with CloudPayments(public_id=..., api_secret=...) as client:`` then
    ``await client.payments.cards_charge(...)``. Share one client for the life
    of a service: it keeps one connection pool and caps its own concurrency
    under the terminal's limit (``max_concurrency``: 5 suits a test terminal,
    raise it to 30 for a live one).

    Args:
        public_id: The terminal's Public ID (``pk_...``), the Basic auth login.
        api_secret: The API Secret, the Basic auth password (never logged).
        base_url: The API's address; the emulator's ``url`` in tests.
        session: An aiohttp session to use; it is never closed by the client.
        timeout: Per-attempt timeouts (seconds or :class:`Timeout`; 30 s total, 5 s connect).
        retry: The retry policy (2 retries, 0.5 s backoff doubling up to 8 s, 60 s deadline).
        max_concurrency: Most requests in flight at once.
        auto_idempotency_keys: Send a fresh ``X-Request-ID`` with every call that
            moves money when the caller gives none, so that it can be retried
            safely. With ``False`` such calls are not retried after a failure
            that leaves their outcome unknown.
    """

    provider = "cloudpayments"

    def __init__(
        self,
        *,
        public_id: str,
        api_secret: str,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = TEST_MODE_CONCURRENCY,
        auto_idempotency_keys: bool = True,
    ) -> None:
        require_text(public_id, "public_id")
        require_text(api_secret, "api_secret")
        super().__init__(
            base_url=base_url,
            session=session,
            timeout=timeout,
            retry=retry,
            max_concurrency=max_concurrency,
            auto_idempotency_keys=auto_idempotency_keys,
        )
        self._public_id = public_id
        self._api_secret = api_secret
        self._static_headers = {
            "Authorization": _basic_auth(public_id, api_secret),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        self._bind_namespaces()

    @property
    def public_id(self) -> str:
        """The terminal's Public ID."""
        return self._public_id

    def verify_notification(
        self,
        kind: NotificationType | str,
        headers: Mapping[str, str],
        raw_body: bytes,
        *,
        query: str | None = None,
        encoding: str | None = None,
    ) -> Notification:
        """Verify a notification with this client's API Secret and parse it (see ``webhooks``)."""
        return webhooks.verify_and_parse(
            kind, headers, raw_body, api_secret=self._api_secret, query=query, encoding=encoding
        )

    def notification_handler(
        self,
        kind: NotificationType | str,
        callback: webhooks.Callback,
        *,
        encoding: str | None = None,
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler for one notification type's URL (see ``webhooks``)."""
        return webhooks.notification_handler(
            kind, callback, api_secret=self._api_secret, encoding=encoding
        )

    def __repr__(self) -> str:
        return f"CloudPayments(public_id={self._public_id!r}, base_url={self.base_url!r})"

    def _encode(self, operation: Operation[Any], request: Any) -> bytes:
        if request is None:
            return b"{}"
        validate(request)
        payload = converter.unstructure(request)
        for key, _ in operation.path_params:
            payload.pop(key, None)  # it travels in the path
        return dumps(payload)

    def _headers(
        self, operation: Operation[Any], body: bytes | None, idempotency_key: str | None
    ) -> dict[str, str]:
        headers = dict(self._static_headers)
        if idempotency_key is not None:
            headers["X-Request-ID"] = idempotency_key
        return headers

    def _open(self, operation: Operation[Any], response: HttpResponse) -> Any:
        status = response.status
        if status != 200:
            raise _http_error(response)
        try:
            envelope = loads(response.body)
        except ValueError as exc:
            raise InvalidResponseError(
                "CloudPayments answered with a body that is not JSON",
                status=status,
                outcome_unknown=True,
            ) from exc
        if not isinstance(envelope, dict) or "Success" not in envelope:
            raise InvalidResponseError(
                "CloudPayments answered without its Success/Message/Model envelope",
                status=status,
                outcome_unknown=True,
            )
        return envelope


def _basic_auth(login: str, password: str) -> str:
    token = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _http_error(response: HttpResponse) -> AcquiringError:
    status = response.status
    if status == 401:
        return AuthenticationError(
            "CloudPayments refused the credentials: check public_id and api_secret", status=status
        )
    retryable = retryable_status_error(
        "CloudPayments",
        response,
        rate_limited="CloudPayments is over the terminal's concurrency limit",
    )
    if retryable is not None:
        return retryable
    return InvalidRequestError(f"CloudPayments refused the request (HTTP {status})", status=status)
