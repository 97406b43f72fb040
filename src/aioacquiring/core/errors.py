"""The SDK's one error hierarchy, rooted at :class:`AcquiringError`.

Every error says which operation failed, the provider's code and message when
there is one, the idempotency key the call used (so a caller can retry the same
logical call later without charging twice) and how many attempts were made.
None of them ever carries a secret: messages are built from provider answers
and SDK text, never from request bodies or credentials.
"""

from __future__ import annotations

from typing import ClassVar


class AcquiringError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        message: What went wrong, in plain words.
        code: The provider's error code, when it gave one.
        operation: The SDK operation name (``payments.cards_charge``).
        idempotency_key: The key the call was sent with; retry under the same
            key to resume the same logical call.
        attempts: How many HTTP attempts were made (0: nothing was sent).
        status: The HTTP status of the last answer, when there was one.
        outcome_unknown: True when the provider may have done the work even
            though the call failed (a lost answer): look the result up, or
            retry under the same idempotency key, before trying anew.
    """

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        operation: str | None = None,
        idempotency_key: str | None = None,
        attempts: int = 0,
        status: int | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.operation = operation
        self.idempotency_key = idempotency_key
        self.attempts = attempts
        self.status = status
        self.outcome_unknown = outcome_unknown

    def __str__(self) -> str:
        context = [
            f"{name}={value}"
            for name, value in (
                ("operation", self.operation),
                ("code", self.code),
                ("status", self.status),
                ("idempotency_key", self.idempotency_key),
                ("attempts", self.attempts or None),
            )
            if value is not None
        ]
        return f"{self.message} [{', '.join(context)}]" if context else self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class InvalidInputError(AcquiringError, ValueError):
    """Bad input caught before anything was sent; ``field`` names the argument."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field


class TransportError(AcquiringError):
    """The HTTP exchange itself failed (no usable answer from the provider)."""

    retryable = True


class ConnectionFailedError(TransportError):
    """The connection could not be made, or broke before an answer arrived."""


class RequestTimeoutError(TransportError):
    """No answer within the timeout, or the call's overall deadline passed."""


class ProviderError(AcquiringError):
    """The provider answered with an error; ``code`` and ``message`` are its own."""


class AuthenticationError(ProviderError):
    """The provider refused the credentials or the request signature."""


class InvalidRequestError(ProviderError):
    """The provider refused the request as malformed or not allowed."""


class NotFoundError(ProviderError):
    """The object asked for does not exist at the provider."""


class IdempotencyConflictError(ProviderError):
    """The idempotency key was already used for a different request."""


class RateLimitError(ProviderError):
    """Too many requests; ``retry_after`` says how long the provider asked to wait."""

    retryable = True

    def __init__(
        self, message: str, *, retry_after: float | None = None, **context: object
    ) -> None:
        super().__init__(message, **context)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ProviderInternalError(ProviderError):
    """The provider failed on its side (HTTP 5xx or an internal-error code)."""

    retryable = True


class InvalidResponseError(ProviderError):
    """The provider's answer could not be read (not JSON, wrong shape)."""


class SignatureVerificationError(AcquiringError):
    """A webhook's signature is missing or does not match: the body is not trusted."""


class InvalidNotificationError(AcquiringError):
    """A webhook is signed correctly but its content cannot be read."""


__all__ = [
    "AcquiringError",
    "AuthenticationError",
    "ConnectionFailedError",
    "IdempotencyConflictError",
    "InvalidInputError",
    "InvalidNotificationError",
    "InvalidRequestError",
    "InvalidResponseError",
    "NotFoundError",
    "ProviderError",
    "ProviderInternalError",
    "RateLimitError",
    "RequestTimeoutError",
    "SignatureVerificationError",
    "TransportError",
]
