"""Errors raised by aioacquiring (re-exported from the package root).

See :mod:`aioacquiring.core.errors` for what each one carries.
"""

from aioacquiring.core.errors import (
    AcquiringError,
    AuthenticationError,
    ConnectionFailedError,
    IdempotencyConflictError,
    InvalidInputError,
    InvalidNotificationError,
    InvalidRequestError,
    InvalidResponseError,
    NotFoundError,
    ProviderError,
    ProviderInternalError,
    RateLimitError,
    RequestTimeoutError,
    SignatureVerificationError,
    TransportError,
)

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
