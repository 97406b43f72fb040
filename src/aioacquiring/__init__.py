"""Asyncio SDK for CloudPayments, Bank 131 and Alif Acquiring.

Provider clients live in their packages (``aioacquiring.cloudpayments``);
errors are re-exported here so that ``except aioacquiring.AcquiringError``
catches everything the SDK raises.
"""

from aioacquiring.core.config import NO_RETRY, RetryPolicy, Timeout
from aioacquiring.errors import (
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

__version__ = "0.1.0"

__all__ = [
    "NO_RETRY",
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
    "RetryPolicy",
    "SignatureVerificationError",
    "Timeout",
    "TransportError",
    "__version__",
]
