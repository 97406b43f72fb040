"""Alif Acquiring: the client, its errors, webhooks and models.

``from aioacquiring.alif import Alif, Payment, PaymentStatus, WrongOtpError``

The seed fixes the protocol (HTTP RPC, ``code`` envelope, ``page``/``per_page``,
``token`` + HMAC ``signature``) and names five sections; most methods and
objects are our design ("derived" in their schemas' descriptions).
"""

from aioacquiring.alif import webhooks
from aioacquiring.alif.client import MAX_PER_PAGE, Alif
from aioacquiring.alif.errors import (
    ERRORS_BY_CODE,
    AlifError,
    BadRequestError,
    CardBlockedError,
    CardError,
    CardExpiredError,
    DeclinedError,
    DuplicateError,
    ExternalIdConflictError,
    HttpRateLimitError,
    HttpRefusedError,
    HttpStatusError,
    InsufficientFundsError,
    InternalError,
    InvalidCardError,
    LimitExceededError,
    ObjectNotFoundError,
    OtpAttemptsExhaustedError,
    OtpError,
    OtpExpiredError,
    UnauthorizedError,
    UnprocessableEntityError,
    WrongOtpError,
)
from aioacquiring.alif.signing import sign
from aioacquiring.alif.validation import luhn_ok
from aioacquiring.alif.webhooks import Event
from aioacquiring.models.alif import *  # noqa: F403
from aioacquiring.models.alif import __all__ as _models

__all__ = [
    "ERRORS_BY_CODE",
    "MAX_PER_PAGE",
    "Alif",
    "AlifError",
    "BadRequestError",
    "CardBlockedError",
    "CardError",
    "CardExpiredError",
    "DeclinedError",
    "DuplicateError",
    "Event",
    "ExternalIdConflictError",
    "HttpRateLimitError",
    "HttpRefusedError",
    "HttpStatusError",
    "InsufficientFundsError",
    "InternalError",
    "InvalidCardError",
    "LimitExceededError",
    "ObjectNotFoundError",
    "OtpAttemptsExhaustedError",
    "OtpError",
    "OtpExpiredError",
    "UnauthorizedError",
    "UnprocessableEntityError",
    "WrongOtpError",
    "luhn_ok",
    "sign",
    "webhooks",
    *_models,
]
