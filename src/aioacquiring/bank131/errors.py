"""Bank 131 errors: the bank's error codes as typed errors of the SDK's one hierarchy.

Every failed answer (``{"status": "error", "error": {"code", "description"}}``,
whatever its HTTP status) raises a :class:`Bank131Error`, which is also the
matching core error (``except aioacquiring.InvalidRequestError`` catches
``session_wrong_state``). A code the SDK does not know raises plain
:class:`Bank131Error`, carrying the bank's code and description.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aioacquiring.core.errors import (
    AuthenticationError,
    IdempotencyConflictError,
    InvalidRequestError,
    ProviderError,
    ProviderInternalError,
)

__all__ = [
    "Bank131AuthenticationError",
    "Bank131Error",
    "Bank131InternalError",
    "Bank131InvalidRequestError",
    "CardDeclinedError",
    "IdempotencyKeyInProgressError",
    "IdempotencyKeyNotSupportedError",
    "IdempotencyParamsMismatchError",
    "InsufficientFundsError",
    "OperationRejectedError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RefundAmountTooLargeError",
    "SessionCancelledError",
    "SessionWrongStateError",
    "error_from_answer",
]


class Bank131Error(ProviderError):
    """An error answer of Bank 131: ``code`` and ``description`` are the bank's own.

    Attributes:
        description: The bank's description of the error.
        reject_reasons: Why the operation was rejected, when the bank says.
    """

    def __init__(
        self,
        message: str,
        *,
        description: str | None = None,
        reject_reasons: Sequence[Any] = (),
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.description = description
        self.reject_reasons = list(reject_reasons)


class Bank131AuthenticationError(Bank131Error, AuthenticationError):
    """The bank did not recognise the project or refused the signature or the rights.

    ``authentication_error``: the signature does not match the public key the
    bank holds (wrong private key, or a body changed after signing);
    ``identification_error``: unknown project; ``authorization_error``: the
    project may not call this method.
    """


class Bank131InvalidRequestError(Bank131Error, InvalidRequestError):
    """The bank refused the request as malformed (``invalid_request``)."""


class Bank131InternalError(Bank131Error, ProviderInternalError):
    """The bank failed on its side (``internal_error``); retried like HTTP 5xx."""


class SessionWrongStateError(Bank131Error, InvalidRequestError):
    """The session is not in a state that allows this call (confirming twice, ...)."""


class RefundAmountTooLargeError(Bank131Error, InvalidRequestError):
    """The refund is larger than what is left of the payment."""


class IdempotencyKeyNotSupportedError(Bank131Error, InvalidRequestError):
    """The method does not take ``X-PARTNER-IDEMPOTENCY-KEY``; never retried."""


class IdempotencyParamsMismatchError(Bank131Error, IdempotencyConflictError):
    """The idempotency key was used before for a different request; never retried."""


class IdempotencyKeyInProgressError(Bank131Error):
    """``idempotency_key_already_exists``: the first request with this key is still running.

    Retried later under the same key (the answer is then the first request's).
    """

    retryable = True


class OperationRejectedError(Bank131Error):
    """The bank or the payment network refused the operation."""


class SessionCancelledError(OperationRejectedError):
    """The session was cancelled (by the partner, or as confirmation or capture timed out)."""


class CardDeclinedError(OperationRejectedError):
    """The card was declined (expired, unknown, 3-D Secure failed, refused by the issuer)."""


class InsufficientFundsError(OperationRejectedError):
    """Not enough money: on the customer's card, or on the merchant's balance for payouts."""


class ProviderUnavailableError(Bank131Error):
    """The payment network or the issuer behind the bank failed or is unavailable."""


class ProviderTimeoutError(ProviderUnavailableError):
    """The payment network did not answer the bank in time."""


CODES: Mapping[str, type[Bank131Error]] = {
    "identification_error": Bank131AuthenticationError,
    "authentication_error": Bank131AuthenticationError,
    "authorization_error": Bank131AuthenticationError,
    "invalid_request": Bank131InvalidRequestError,
    "internal_error": Bank131InternalError,
    "session_wrong_state": SessionWrongStateError,
    "session_cancelled": SessionCancelledError,
    "session_cancelled_by_partner": SessionCancelledError,
    "confirm_timeout": SessionCancelledError,
    "capture_timeout": SessionCancelledError,
    "operation_rejected": OperationRejectedError,
    "insufficient_wallet_balance": InsufficientFundsError,
    "insufficient_funds": InsufficientFundsError,
    "refund_amount_too_large": RefundAmountTooLargeError,
    "provider_internal_error": ProviderUnavailableError,
    "provider_issuer_unavailable": ProviderUnavailableError,
    "provider_timeout": ProviderTimeoutError,
    "3DS_error": CardDeclinedError,
    "bank_card_expired": CardDeclinedError,
    "card_number_does_not_exist": CardDeclinedError,
    "declined_by_issuer_bank": CardDeclinedError,
    "not_permitted_by_issuer_bank": CardDeclinedError,
    "idempotency_key_already_exists": IdempotencyKeyInProgressError,
    "idempotency_key_params_mismatch": IdempotencyParamsMismatchError,
    "idempotency_key_not_supported": IdempotencyKeyNotSupportedError,
}
"""Known error codes and the error each raises (an unknown code raises Bank131Error)."""


def error_from_answer(error: Any, *, status: int | None = None) -> Bank131Error:
    """The typed error for the ``error`` object of a failed answer.

    Only the bank's code and description go into the message: never the
    request, which may hold card data.
    """
    fields: Mapping[str, Any] = error if isinstance(error, Mapping) else {}
    code = fields.get("code")
    code_text = str(code) if code is not None else None
    description = fields.get("description")
    description_text = str(description) if description is not None else None
    reasons = fields.get("reject_reasons")
    cls = CODES.get(code_text or "", Bank131Error)
    message = description_text or f"Bank 131 answered with error {code_text or '(no code)'}"
    return cls(
        message,
        code=code_text,
        status=status,
        description=description_text,
        reject_reasons=reasons if isinstance(reasons, list) else (),
    )
