"""CloudPayments: the client, its results and its models.

``from aioacquiring.cloudpayments import CloudPayments, Accepted, Declined, ThreeDSecureRequired``
"""

from aioacquiring.cloudpayments.client import DEFAULT_BASE_URL, CloudPayments
from aioacquiring.cloudpayments.reason_codes import (
    REASON_CODES,
    DeclineReason,
    TokenAdvice,
    decline_reason,
)
from aioacquiring.cloudpayments.results import (
    Accepted,
    Declined,
    PaymentResult,
    ThreeDSecureRequired,
)
from aioacquiring.cloudpayments.three_d_secure import render_3ds_form
from aioacquiring.cloudpayments.webhooks import CheckAnswer, Notification, NotificationType
from aioacquiring.models.cloudpayments import *  # noqa: F403
from aioacquiring.models.cloudpayments import __all__ as _models
from aioacquiring.models.common.currency import Currency

__all__ = [
    "DEFAULT_BASE_URL",
    "REASON_CODES",
    "CheckAnswer",
    "DeclineReason",
    "Notification",
    "NotificationType",
    "TokenAdvice",
    "decline_reason",
    "Accepted",
    "CloudPayments",
    "Currency",
    "Declined",
    "PaymentResult",
    "ThreeDSecureRequired",
    "render_3ds_form",
    *_models,
]
