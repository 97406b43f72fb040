"""Bank 131 webhooks: verify the bank's signature over the raw body, parse, and serve.

The bank posts every event to the partner's one URL as JSON, signed in
``X-PARTNER-SIGN`` (base64 RSA-SHA256 over the raw body, by the bank's key).
Verify with the bank's public key over the bytes exactly as received, before
anything parses them; a forged or malformed body never reaches user code.

Events are typed (``match event: case ReadyToConfirmEvent(): ...``); a type this
SDK does not know yet reads into :class:`UnknownEvent` instead of failing.

The bank repeats a webhook for about 30 minutes until it gets HTTP 200, so
handlers must be idempotent: key the work on the session id and the event type
(a unique constraint in a table is enough).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, TypeAlias

from aiohttp import web

from aioacquiring.bank131.decoders import structure
from aioacquiring.bank131.signing import PublicKeyInput, load_public_key, verify
from aioacquiring.core.errors import (
    InvalidNotificationError,
    InvalidResponseError,
    SignatureVerificationError,
)
from aioacquiring.core.webhooks import header
from aioacquiring.core.webhooks import webhook_handler as core_webhook_handler
from aioacquiring.models.bank131.webhooks import (
    ActionRequiredEvent,
    PaymentFinishedEvent,
    PaymentRefundedEvent,
    ReadyToCaptureEvent,
    ReadyToConfirmEvent,
    UnknownEvent,
)
from aioacquiring.models.bank131.webhooks import WebhookEvent as _WebhookEvent

__all__ = [
    "SIGNATURE_HEADER",
    "ActionRequiredEvent",
    "Callback",
    "PaymentFinishedEvent",
    "PaymentRefundedEvent",
    "ReadyToCaptureEvent",
    "ReadyToConfirmEvent",
    "UnknownEvent",
    "WebhookEvent",
    "parse",
    "verify_and_parse",
    "verify_signature",
    "webhook_handler",
]

logger = logging.getLogger("aioacquiring.bank131.webhooks")

SIGNATURE_HEADER = "X-PARTNER-SIGN"
"""The header that carries the bank's signature of the raw body."""

WebhookEvent: TypeAlias = _WebhookEvent
"""Any Bank 131 webhook: one of the five documented events, or :class:`UnknownEvent`."""

Callback = Callable[[Any], Awaitable[object]]
"""What the handler awaits with each verified event; raising makes the bank deliver again."""


def verify_signature(
    headers: Mapping[str, str], raw_body: bytes, *, bank_public_key: PublicKeyInput
) -> None:
    """Raise :class:`SignatureVerificationError` unless the bank signed exactly ``raw_body``."""
    key = load_public_key(bank_public_key)
    signature = header(headers, SIGNATURE_HEADER)
    if not verify(raw_body, signature, key):
        reason = "does not match the body" if signature else "is missing"
        raise SignatureVerificationError(f"the Bank 131 webhook's {SIGNATURE_HEADER} {reason}")


def parse(raw_body: bytes) -> WebhookEvent:
    """Read a (verified) webhook body into its typed event.

    Amounts stay integers, other numbers exact; v1 and v2 spellings read alike.
    """
    try:
        data = json.loads(raw_body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidNotificationError("the Bank 131 webhook is not valid JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise InvalidNotificationError("the Bank 131 webhook is not an object with a type")
    try:
        event: WebhookEvent = structure(data, WebhookEvent)
    except InvalidResponseError as exc:
        raise InvalidNotificationError(
            f"the Bank 131 {data['type']!r} webhook could not be read"
        ) from exc
    return event


def verify_and_parse(
    headers: Mapping[str, str], raw_body: bytes, *, bank_public_key: PublicKeyInput
) -> WebhookEvent:
    """Verify the signature, then parse: the one call a handler needs."""
    verify_signature(headers, raw_body, bank_public_key=bank_public_key)
    return parse(raw_body)


def webhook_handler(
    callback: Callback, *, bank_public_key: PublicKeyInput
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Make an aiohttp handler for the partner's webhook URL.

    It verifies and parses each webhook, awaits ``callback(event)`` and only then
    answers HTTP 200. A forged webhook gets 401 and a malformed one 400, and
    neither reaches the callback; a callback that raises gets 500, so the bank
    delivers the webhook again later.
    """
    key = load_public_key(bank_public_key)  # once, not per webhook

    return core_webhook_handler(
        lambda request, raw_body: verify_and_parse(request.headers, raw_body, bank_public_key=key),
        callback,
        logger=logger,
        describe=lambda event: f"Bank 131 {type(event).__name__} webhook",
        failure=lambda status, message: {"status": "error", "message": message},
        success=lambda event, answer: {"status": "ok"},
    )
