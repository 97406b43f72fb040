"""Alif webhooks: verify the signature, parse ``{event, data}``, and an aiohttp handler.

Derived (the seed has no webhooks): Alif POSTs JSON ``{"event": ..., "data":
{...}}`` to the ``webhook_url`` given at creation, with header ``signature`` =
HMAC-SHA256 of the raw body under the merchant's secret key. Alif's live API
sends it base64; lowercase hex (what the API's own requests use) is accepted
too. The comparison runs in constant time on the raw bytes, before anything
parses them; a notification that fails never reaches user code.

Handlers must be idempotent: Alif retries a webhook until it gets HTTP 200, so
the same event may arrive twice. Key your processing on the object's ``id``
and the event name.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeAlias

from aiohttp import web

from aioacquiring.alif.decoders import converter
from aioacquiring.alif.signing import SIGNATURE_HEADER
from aioacquiring.core.errors import InvalidNotificationError, SignatureVerificationError
from aioacquiring.core.serde import loads
from aioacquiring.core.webhooks import header, hmac_sha256, signature_matches
from aioacquiring.core.webhooks import webhook_handler as core_webhook_handler
from aioacquiring.models.alif.webhooks import (
    CardEvent,
    EventType,
    GenericEvent,
    PaymentEvent,
    SubscriptionEvent,
    TransferEvent,
)

__all__ = [
    "Callback",
    "Event",
    "EventType",
    "parse",
    "verify",
    "verify_and_parse",
    "webhook_handler",
]

logger = logging.getLogger("aioacquiring.alif.webhooks")

Event: TypeAlias = PaymentEvent | CardEvent | TransferEvent | SubscriptionEvent | GenericEvent
"""Any parsed Alif webhook; an event this SDK does not know is a :class:`GenericEvent`."""

MODELS: dict[str, type[PaymentEvent | CardEvent | TransferEvent | SubscriptionEvent]] = {
    EventType.PAYMENT_SUCCEEDED.value: PaymentEvent,
    EventType.PAYMENT_FAILED.value: PaymentEvent,
    EventType.PAYMENT_REVERTED.value: PaymentEvent,
    EventType.CARD_BOUND.value: CardEvent,
    EventType.TRANSFER_SUCCEEDED.value: TransferEvent,
    EventType.TRANSFER_FAILED.value: TransferEvent,
    EventType.SUBSCRIPTION_CHARGED.value: SubscriptionEvent,
    EventType.SUBSCRIPTION_FAILED.value: SubscriptionEvent,
}

Callback = Callable[[Event], Awaitable[Any]]
"""What the handler awaits with each verified event; its return value is ignored."""


def verify(headers: Mapping[str, str], raw_body: bytes, *, secret_key: str | bytes) -> None:
    """Raise :class:`SignatureVerificationError` unless ``raw_body`` is signed with ``secret_key``.

    Args:
        headers: The request headers (``signature``: hex or base64 HMAC-SHA256).
        raw_body: The body exactly as received, before anything parsed it.
        secret_key: The merchant's secret key (the one the client signs with).
    """
    key = secret_key.encode() if isinstance(secret_key, str) else secret_key
    given = header(headers, SIGNATURE_HEADER)
    if not signature_matches(hmac_sha256(key, raw_body), given):
        reason = "does not match" if given else "is missing"
        raise SignatureVerificationError(f"the Alif webhook's signature {reason}")


def parse(raw_body: bytes) -> Event:
    """Read a (verified) webhook body into its typed event.

    A known event whose ``data`` does not have the documented shape raises
    :class:`InvalidNotificationError`; an unknown event becomes a
    :class:`GenericEvent` with ``data`` as parsed JSON, so that nothing is lost.
    """
    try:
        document = loads(raw_body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidNotificationError("the Alif webhook is not valid JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("event"), str):
        raise InvalidNotificationError("the Alif webhook has no `event` name")
    model = MODELS.get(document["event"])
    if model is None:
        return GenericEvent(event=document["event"], data=document.get("data"))
    try:
        return converter.structure(document, model)
    except Exception as exc:  # cattrs raises many kinds; all mean "not the documented shape"
        raise InvalidNotificationError(
            f"the Alif {document['event']} webhook could not be read: {type(exc).__name__}"
        ) from exc


def verify_and_parse(
    headers: Mapping[str, str], raw_body: bytes, *, secret_key: str | bytes
) -> Event:
    """Verify the signature, then parse: the one call a handler needs."""
    verify(headers, raw_body, secret_key=secret_key)
    return parse(raw_body)


def webhook_handler(
    callback: Callback, *, secret_key: str | bytes
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Make an aiohttp handler for the ``webhook_url`` given to Alif.

    It verifies and parses the webhook, awaits ``callback(event)`` and answers
    HTTP 200 only after the callback succeeded. A forged webhook gets HTTP 401
    and a malformed one HTTP 400, and neither reaches the callback; a callback
    that raises gets HTTP 500, so Alif delivers the event again.
    """
    return core_webhook_handler(
        lambda request, raw_body: verify_and_parse(
            request.headers, raw_body, secret_key=secret_key
        ),
        callback,
        logger=logger,
        describe=lambda event: f"Alif {event.event} webhook",
        failure=lambda status, message: {"ok": False, "message": message},
        success=lambda event, answer: {"ok": True},
    )
