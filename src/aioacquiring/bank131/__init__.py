"""Bank 131: the client, its results, errors, webhooks and models.

``from aioacquiring.bank131 import Bank131, SessionResult, generate_key_pair``
"""

from aioacquiring.bank131.builders import (
    amount,
    card,
    fps_account,
    fps_verification,
    recipient,
    ru_account,
    saved_card,
)
from aioacquiring.bank131.client import DEFAULT_BASE_URL, DEMO_BASE_URL, Bank131
from aioacquiring.bank131.errors import (
    Bank131AuthenticationError,
    Bank131Error,
    Bank131InternalError,
    Bank131InvalidRequestError,
    CardDeclinedError,
    IdempotencyKeyInProgressError,
    IdempotencyKeyNotSupportedError,
    IdempotencyParamsMismatchError,
    InsufficientFundsError,
    OperationRejectedError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RefundAmountTooLargeError,
    SessionCancelledError,
    SessionWrongStateError,
)
from aioacquiring.bank131.results import (
    RawAnswer,
    SessionResult,
    is_final,
    next_action,
    payment_of,
    payout_of,
    refund_of,
)
from aioacquiring.bank131.signing import KeyPair, Signer, generate_key_pair
from aioacquiring.bank131.webhooks import WebhookEvent
from aioacquiring.models.bank131 import *  # noqa: F403
from aioacquiring.models.bank131 import __all__ as _models
from aioacquiring.models.bank131.bank_account import BankAccount
from aioacquiring.models.bank131.card import Card
from aioacquiring.models.bank131.customer_interaction import CustomerInteraction
from aioacquiring.models.bank131.payment_details import InternetBanking, PaymentDetails, SecuredCard
from aioacquiring.models.bank131.payout_details import PayoutDetails
from aioacquiring.models.bank131.wallet import Wallet

__all__ = [
    "DEFAULT_BASE_URL",
    "DEMO_BASE_URL",
    "Bank131",
    "Bank131AuthenticationError",
    "BankAccount",
    "Card",
    "CustomerInteraction",
    "InternetBanking",
    "PaymentDetails",
    "PayoutDetails",
    "SecuredCard",
    "Wallet",
    "Bank131Error",
    "Bank131InternalError",
    "Bank131InvalidRequestError",
    "CardDeclinedError",
    "IdempotencyKeyInProgressError",
    "IdempotencyKeyNotSupportedError",
    "IdempotencyParamsMismatchError",
    "InsufficientFundsError",
    "KeyPair",
    "OperationRejectedError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RawAnswer",
    "RefundAmountTooLargeError",
    "SessionCancelledError",
    "SessionResult",
    "SessionWrongStateError",
    "Signer",
    "WebhookEvent",
    "amount",
    "card",
    "fps_account",
    "fps_verification",
    "generate_key_pair",
    "is_final",
    "next_action",
    "payment_of",
    "payout_of",
    "recipient",
    "refund_of",
    "ru_account",
    "saved_card",
    *_models,
]
