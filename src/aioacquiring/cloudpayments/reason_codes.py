"""CloudPayments decline codes (``ReasonCode``) as data, with the recurring-retry advice.

The docs tell merchants that charge saved tokens what to do after a decline:
some codes mean the token must not be used again, some block the card for
24 hours after two of them, and the rest may be retried later. Ask a declined
result: ``result.reason.should_retry_token``.
"""

from __future__ import annotations

import enum

import attrs


class TokenAdvice(str, enum.Enum):
    """What a decline means for further charges of the same card token."""

    STOP_USING_TOKEN = "stop_using_token"
    """Do not charge this token again: ask the payer for another card."""
    BLOCKED_AFTER_TWO = "blocked_after_two"
    """Two such declines in a row block the card for 24 hours: wait before retrying."""
    RETRY_LATER = "retry_later"
    """A later retry may succeed."""


@attrs.frozen
class DeclineReason:
    """One ``ReasonCode``: its name, what to tell the payer, and the token advice."""

    code: int
    name: str
    meaning: str
    token_advice: TokenAdvice = TokenAdvice.RETRY_LATER

    @property
    def should_retry_token(self) -> bool:
        """Whether charging the same token again later is reasonable."""
        return self.token_advice is not TokenAdvice.STOP_USING_TOKEN


_STOP = TokenAdvice.STOP_USING_TOKEN
_TWO = TokenAdvice.BLOCKED_AFTER_TWO

_TABLE = [
    DeclineReason(0, "Approved", "Payment approved."),
    DeclineReason(5001, "ReferToCardIssuer", "The issuer declined: contact your bank.", _STOP),
    DeclineReason(5003, "InvalidMerchant", "The issuer declined: contact your bank.", _STOP),
    DeclineReason(5004, "PickUp", "The card is lost or stolen."),
    DeclineReason(5005, "DoNotHonor", "The issuer declined without a reason.", _STOP),
    DeclineReason(5006, "Error", "Network failure: try again."),
    DeclineReason(5012, "InvalidTransaction", "The card does not allow this payment.", _STOP),
    DeclineReason(5013, "AmountError", "The amount is too small or too large.", _TWO),
    DeclineReason(5014, "InvalidCardNumber", "The card number is wrong.", _TWO),
    DeclineReason(5015, "NoSuchIssuer", "Unknown card issuer."),
    DeclineReason(5017, "CustomerCancellation", "The payer cancelled the payment.", _STOP),
    DeclineReason(5019, "TransactionError", "The issuer declined: contact your bank."),
    DeclineReason(5030, "FormatError", "Processing error: try again.", _TWO),
    DeclineReason(5033, "ExpiredCardPickup", "The card has expired.", _STOP),
    DeclineReason(5034, "SuspectedFraud", "Suspected fraud: contact your bank.", _STOP),
    DeclineReason(5036, "RestrictedCard", "The card is restricted: contact your bank."),
    DeclineReason(5041, "LostCard", "The card is lost."),
    DeclineReason(5043, "StolenCard", "The card is stolen."),
    DeclineReason(5051, "InsufficientFunds", "Not enough money on the card.", _TWO),
    DeclineReason(5054, "ExpiredCard", "The card has expired or the expiry is wrong.", _TWO),
    DeclineReason(5055, "InvalidPin", "The issuer declined: contact your bank.", _TWO),
    DeclineReason(5057, "TransactionNotPermitted", "The card does not allow this payment.", _STOP),
    DeclineReason(5059, "SuspectedFraudDecline", "Suspected fraud: contact your bank."),
    DeclineReason(5061, "ExceedsApprovalAmount", "The card's amount limit is exceeded."),
    DeclineReason(5063, "SecurityViolation", "The card is blocked for security reasons.", _TWO),
    DeclineReason(5065, "ExceedWithdrawalFrequency", "The card's payment limit is exceeded.", _TWO),
    DeclineReason(5082, "IncorrectCVV", "The CVV code is wrong."),
    DeclineReason(5091, "Timeout", "The issuer is unavailable: try again later."),
    DeclineReason(5092, "CannotReachNetwork", "The issuer is unavailable: try again later."),
    DeclineReason(5096, "SystemError", "Acquiring bank error: try again later.", _TWO),
    DeclineReason(5204, "UnableToProcess", "The payment cannot be processed: try again later."),
    DeclineReason(5206, "AuthenticationFailed", "3-D Secure authentication failed."),
    DeclineReason(5207, "AuthenticationUnavailable", "3-D Secure is unavailable."),
    DeclineReason(5300, "AntiFraud", "The payment was declined by anti-fraud checks."),
]

REASON_CODES: dict[int, DeclineReason] = {reason.code: reason for reason in _TABLE}
"""Every documented ``ReasonCode``, by code."""


def decline_reason(code: int | None, name: str | None = None) -> DeclineReason:
    """Look a code up; an undocumented one gets a generic entry that may be retried later."""
    if code is not None and code in REASON_CODES:
        return REASON_CODES[code]
    return DeclineReason(
        code if code is not None else -1,
        name or "Unknown",
        "The payment was declined.",
    )
