"""The Bank 131 client: signed requests, API versions, idempotency keys, the answer's envelope."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from aiohttp import web

from aioacquiring.bank131 import webhooks
from aioacquiring.bank131.errors import Bank131AuthenticationError, error_from_answer
from aioacquiring.bank131.resources import Bank131API
from aioacquiring.bank131.serde import CONVERTERS
from aioacquiring.bank131.signing import PrivateKeyInput, PublicKeyInput, Signer, load_public_key
from aioacquiring.bank131.signing import verify as verify_signature
from aioacquiring.core.client import retryable_status_error
from aioacquiring.core.config import RetryPolicy, Timeout
from aioacquiring.core.errors import (
    InvalidInputError,
    InvalidResponseError,
    ProviderError,
)
from aioacquiring.core.idempotency import new_idempotency_key
from aioacquiring.core.operation import Operation
from aioacquiring.core.serde import dumps, loads
from aioacquiring.core.transport import HttpResponse
from aioacquiring.core.validation import require_header_text, validate

__all__ = ["DEFAULT_BASE_URL", "DEMO_BASE_URL", "Bank131"]

DEFAULT_BASE_URL = "https://proxy.bank131.ru"
"""Bank 131's live server."""

DEMO_BASE_URL = "https://demo.bank131.ru"
"""Bank 131's test server."""

EMPTY_BODY = b"{}"
"""What a request without fields sends and signs (never an empty body, never ``[]``)."""

V1_ONLY = "v1_only"
BARE_NAMESPACE = "bare_namespace"


class Bank131(Bank131API):
    """Async client of the Bank 131 API (sessions, payouts, payments, webhooks).

    ``async with Bank131(project_id=..., private_key=pem, bank_public_key=pem) as client:``
    then ``await client.session.init_payout(...)``. Every request body is
    serialised once and signed over exactly those bytes; calls the bank dedupes
    carry ``X-PARTNER-IDEMPOTENCY-KEY``, made once and reused on every retry.

    Args:
        project_id: The project id the bank gave (``X-PARTNER-PROJECT``).
        private_key: The partner's RSA private key (PEM str or bytes), loaded once.
        bank_public_key: The bank's public key (PEM), for webhooks (and answers
            with ``verify_answers``).
        api_version: 2 (default) or 1: the names written in session requests
            (v1: ``payment_method``, ``payments``, ``acquiring_payments``). Answers
            are read in either spelling. v1-only methods always use v1.
        submerchant: ``X-PARTNER-SUBMERCHANT``, for non-resident financial institutions.
        passphrase: The private key's passphrase, when it is encrypted.
        base_url: The server (live by default; :data:`DEMO_BASE_URL` to test;
            the emulator's ``url`` in tests).
        session: An aiohttp session to use; it is never closed by the client.
        timeout: Per-attempt timeouts (seconds or :class:`Timeout`).
        retry: The retry policy (2 retries, 0.5 s backoff doubling up to 8 s, 60 s deadline).
        max_concurrency: Most requests in flight at once (None: no cap).
        auto_idempotency_keys: Send a fresh key with every call the bank dedupes
            when the caller gives none.
        verify_answers: Refuse answers whose ``X-PARTNER-SIGN`` is not the bank's.
    """

    provider = "bank131"
    idempotency_key_length = (4, 64)

    def __init__(
        self,
        *,
        project_id: str,
        private_key: PrivateKeyInput,
        bank_public_key: PublicKeyInput | None = None,
        api_version: int = 2,
        submerchant: str | None = None,
        passphrase: str | bytes | None = None,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        timeout: float | Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        auto_idempotency_keys: bool = True,
        verify_answers: bool = False,
    ) -> None:
        require_header_text(project_id, "project_id")
        if api_version not in (1, 2) or isinstance(api_version, bool):
            raise InvalidInputError("must be 1 or 2", field="api_version")
        if submerchant is not None:
            require_header_text(submerchant, "submerchant")
        signer = Signer(private_key, passphrase=passphrase)
        bank_key = load_public_key(bank_public_key) if bank_public_key is not None else None
        if verify_answers and bank_key is None:
            raise InvalidInputError("is needed to verify answers", field="bank_public_key")
        super().__init__(
            base_url=base_url,
            session=session,
            timeout=timeout,
            retry=retry,
            max_concurrency=max_concurrency,
            auto_idempotency_keys=auto_idempotency_keys,
        )
        self._project_id = project_id
        self._api_version = api_version
        self._submerchant = submerchant
        self._signer = signer
        self._bank_key = bank_key
        self._verify_answers = verify_answers
        self._bind_namespaces()

    @property
    def project_id(self) -> str:
        """The project id sent as ``X-PARTNER-PROJECT``."""
        return self._project_id

    @property
    def api_version(self) -> int:
        """The API version of session requests (1 or 2)."""
        return self._api_version

    def __repr__(self) -> str:
        return (
            f"Bank131(project_id={self._project_id!r}, api_version={self._api_version}, "
            f"base_url={self.base_url!r})"
        )

    # Webhooks with the key the client holds ------------------------------------

    def _require_bank_key(self) -> Any:
        if self._bank_key is None:
            raise InvalidInputError("the client was made without it", field="bank_public_key")
        return self._bank_key

    def verify_webhook(self, headers: Mapping[str, str], raw_body: bytes) -> webhooks.WebhookEvent:
        """Verify a webhook with the bank's public key and parse it (see ``webhooks``)."""
        return webhooks.verify_and_parse(
            headers, raw_body, bank_public_key=self._require_bank_key()
        )

    def webhook_handler(
        self, callback: webhooks.Callback
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler for the webhook URL (see ``webhooks.webhook_handler``)."""
        return webhooks.webhook_handler(callback, bank_public_key=self._require_bank_key())

    # BaseClient hooks ---------------------------------------------------------------

    def _version(self, operation: Operation[Any]) -> int:
        return 1 if V1_ONLY in operation.flags else self._api_version

    def _url(self, operation: Operation[Any], request: Any) -> str:
        path = operation.path
        if BARE_NAMESPACE in operation.flags:
            path = path.rsplit("/", 1)[0]  # /token/create is the bare /token method
        return f"{self.base_url}/api/v{self._version(operation)}{path}"

    def _resolve_key(
        self, operation: Operation[Any], request: Any, given: str | None
    ) -> str | None:
        if given is not None:
            return super()._resolve_key(operation, request, given)  # checked as core checks it
        # Every method the bank dedupes gets a key, money or not: a retried
        # session/cancel or session/create is then answered once, too.
        if operation.dedupe and self._auto_keys:
            return new_idempotency_key()
        return None

    def _encode(self, operation: Operation[Any], request: Any) -> bytes:
        if request is None:
            return EMPTY_BODY
        validate(request)
        payload = CONVERTERS[self._version(operation)].unstructure(request)
        return dumps(payload) if payload else EMPTY_BODY

    def _headers(
        self, operation: Operation[Any], body: bytes | None, idempotency_key: str | None
    ) -> dict[str, str]:
        signed = body if body else EMPTY_BODY
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "X-PARTNER-PROJECT": self._project_id,
            "X-PARTNER-SIGN": self._signer.sign(signed),
        }
        if self._submerchant is not None:
            headers["X-PARTNER-SUBMERCHANT"] = self._submerchant
        if idempotency_key is not None:
            headers["X-PARTNER-IDEMPOTENCY-KEY"] = idempotency_key
        return headers

    def _open(self, operation: Operation[Any], response: HttpResponse) -> Any:
        status = response.status
        try:
            envelope = loads(response.body) if response.body.strip() else None
        except (ValueError, UnicodeDecodeError):
            envelope = None
        if isinstance(envelope, dict):
            if self._verify_answers and not verify_signature(
                response.body, response.headers.get("X-PARTNER-SIGN"), self._require_bank_key()
            ):
                raise InvalidResponseError(
                    "the answer's X-PARTNER-SIGN is not the bank's", status=status
                )
            if envelope.get("status") == "error" or (
                "error" in envelope and envelope.get("status") != "ok"
            ):
                # status:"error" is an error whatever the HTTP status (2xx included).
                error = error_from_answer(envelope.get("error"), status=status)
                error.outcome_unknown = error.retryable
                raise error
        retryable = retryable_status_error(
            "Bank 131", response, rate_limited="Bank 131 is rate limiting the project"
        )
        if retryable is not None:
            raise retryable
        if status in (401, 403):
            raise Bank131AuthenticationError(
                f"Bank 131 refused the request (HTTP {status}): check project_id and the key",
                status=status,
            )
        if status >= 400:
            raise ProviderError(f"Bank 131 refused the request (HTTP {status})", status=status)
        if not isinstance(envelope, dict) or envelope.get("status") != "ok":
            raise InvalidResponseError(
                "Bank 131 answered without its status/... envelope",
                status=status,
                outcome_unknown=True,
            )
        return envelope
