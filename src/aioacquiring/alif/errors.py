"""Alif's error codes as exceptions, each a subclass of the matching core error.

Alif answers every call with HTTP 200 and a root ``code``; anything but 1000 is
raised as one of the classes below, so a caller can catch by kind
(``except aioacquiring.NotFoundError``) or by Alif's own meaning
(``except InsufficientFundsError``). Every one is an :class:`AlifError` and
carries ``code``, Alif's ``message`` and, where the failed call recorded an
object (a declined debit), that object's raw ``data`` (masked card data only).

Codes 1000-1005 are the seed's; 1007 and 1100-1109 are Alif's live API's
(derived: see ``schemas/alif/envelope.json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aioacquiring.core.errors import (
    AuthenticationError,
    IdempotencyConflictError,
    InvalidRequestError,
    NotFoundError,
    ProviderError,
    ProviderInternalError,
    RateLimitError,
    TransportError,
)

__all__ = [
    "ERRORS_BY_CODE",
    "AlifError",
    "BadRequestError",
    "CardBlockedError",
    "CardError",
    "CardExpiredError",
    "DeclinedError",
    "DuplicateError",
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
    "error_for",
    "http_error",
]


class AlifError(ProviderError):
    """Alif answered a ``code`` other than 1000.

    Attributes:
        data: The answer's ``data`` when the failure recorded an object (for
            example the declined payment, with its ``id`` and status), else None.
    """

    def __init__(
        self, message: str, *, data: Mapping[str, Any] | None = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.data = data


class BadRequestError(AlifError, InvalidRequestError):
    """1001: Alif refused the request as malformed."""


class UnauthorizedError(AlifError, AuthenticationError):
    """1002: the ``token`` or the ``signature`` was refused (check both credentials)."""


class InternalError(AlifError, ProviderInternalError):
    """1003: Alif failed on its side; retried (money calls only under their ``external_id``)."""


class ObjectNotFoundError(AlifError, NotFoundError):
    """1004: no such session, payment, card, hold, transfer or subscription."""


class UnprocessableEntityError(AlifError, InvalidRequestError):
    """1005: the request is well formed but cannot be done now (a paid session, a spent hold)."""


class ExternalIdConflictError(UnprocessableEntityError, IdempotencyConflictError):
    """1005 about ``external_id``: it was used before with different parameters."""


class DeclinedError(AlifError):
    """1007: the payment was declined; the base of every refusal of a card or an amount."""


class CardError(DeclinedError):
    """A refusal because of the card itself (bad data, expired, blocked)."""


class InvalidCardError(CardError):
    """1102: the card data is wrong (number or expiry unknown to the issuer)."""


class CardExpiredError(CardError):
    """1103: the card has expired."""


class CardBlockedError(CardError):
    """1107: the card is blocked by its issuer."""


class InsufficientFundsError(DeclinedError):
    """1108: not enough money on the card."""


class LimitExceededError(DeclinedError):
    """1109: a limit of the card or the merchant was exceeded."""


class OtpError(AlifError, InvalidRequestError):
    """An OTP confirmation failed; the base of the OTP errors."""


class WrongOtpError(OtpError):
    """1100: the code is wrong; the object keeps waiting, ask the payer again."""


class OtpExpiredError(OtpError):
    """1101: the code has expired; start the payment, binding or transfer again."""


class OtpAttemptsExhaustedError(OtpError):
    """1106: too many wrong codes; start the payment, binding or transfer again."""


class DuplicateError(AlifError, IdempotencyConflictError):
    """1105: Alif saw this operation before and refused to repeat it."""


ERRORS_BY_CODE: dict[int, type[AlifError]] = {
    1001: BadRequestError,
    1002: UnauthorizedError,
    1003: InternalError,
    1004: ObjectNotFoundError,
    1005: UnprocessableEntityError,
    1007: DeclinedError,
    1100: WrongOtpError,
    1101: OtpExpiredError,
    1102: InvalidCardError,
    1103: CardExpiredError,
    1105: DuplicateError,
    1106: OtpAttemptsExhaustedError,
    1107: CardBlockedError,
    1108: InsufficientFundsError,
    1109: LimitExceededError,
}
"""The typed error for each code Alif documents or is known to send."""


def error_for(code: int, message: str, data: Mapping[str, Any] | None = None) -> AlifError:
    """The exception for an answer with ``code`` (an unknown code gives a plain AlifError)."""
    cls = ERRORS_BY_CODE.get(code, AlifError)
    if cls is UnprocessableEntityError and "external_id" in message:
        # Alif gives no separate code for a reused external_id; its message names the field.
        cls = ExternalIdConflictError
    # An internal error may have happened after the work was done: the outcome is unknown.
    return cls(message, code=code, data=data, outcome_unknown=cls is InternalError)


class HttpStatusError(TransportError):
    """An HTTP status other than 200: the API itself did not answer (a proxy, an outage).

    Seed: Alif answers every call HTTP 200, business errors included, so any
    other status comes from in front of the API. 408 and 5xx are retried; 500,
    502, 504 and 408 leave the outcome unknown (a gateway may have given up
    while the API worked), so money calls are retried only under their
    ``external_id``.
    """


class HttpRefusedError(HttpStatusError):
    """Any other status (a 404, a redirect) from in front of the API: check ``base_url``; final."""

    retryable = False


class HttpRateLimitError(HttpStatusError, RateLimitError):
    """HTTP 429 from in front of the API; ``retry_after`` is honoured when it fits the deadline."""


_UNKNOWN_OUTCOME_STATUSES = frozenset({408, 500, 502, 504})


def http_error(status: int, retry_after: float | None = None) -> HttpStatusError:
    """The transport error for an HTTP answer whose status is not 200."""
    text = f"Alif's endpoint answered HTTP {status} instead of 200: the API did not answer"
    unknown = status in _UNKNOWN_OUTCOME_STATUSES
    if status == 429:
        return HttpRateLimitError(text, retry_after=retry_after, status=status)
    if status == 408 or status >= 500:
        return HttpStatusError(text, status=status, outcome_unknown=unknown)
    return HttpRefusedError(text + " (check base_url)", status=status)
