"""The Alif emulator's webhooks: signed POSTs handed to the shared outbox, retried until 200.

Derived (the seed has no webhooks): the body is ``{"event": ..., "data": {...}}``
and header ``signature`` is HMAC-SHA256 of the raw body under the merchant's
secret key, base64 by default as Alif's live API sends it (hex on request).
The shared :class:`~aioacquiring.testing.outbox.WebhookOutbox` delivers them
in the background: Alif says only "answer HTTP 200; the sender retries
otherwise", so anything but 200 is retried on :data:`RETRY_SCHEDULE`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import attrs

from aioacquiring.testing._wire import dumps
from aioacquiring.testing.outbox import Attempt, WebhookOutbox
from aioacquiring.testing.outbox import Delivery as OutboxDelivery

# Attempt is named here too: the records' inherited annotations mention it (pdoc reads them).
__all__ = ["RETRY_SCHEDULE", "SIGNATURE_HEADER", "Attempt", "Delivery", "WebhookSender"]

SIGNATURE_HEADER = "signature"

RETRY_SCHEDULE = (60.0, 300.0, 900.0, 1800.0)
"""Seconds before each retry. Derived: Alif publishes no schedule, so the emulator
retries after 1, 5, 15 and 30 minutes (51 minutes in all), then gives up."""


@attrs.define
class Delivery(OutboxDelivery):
    """One Alif webhook: where it went, what it said, and every delivery attempt.

    ``event`` is the ``label``; ``statuses`` lists each attempt's HTTP status
    (None: the connection failed).
    """

    @property
    def event(self) -> str:
        """The event's name (``payment.succeeded``, ...)."""
        return self.label

    @property
    def signature(self) -> str:
        """The ``signature`` header it carries."""
        return self.headers[SIGNATURE_HEADER]

    @property
    def data(self) -> Any:
        """The event's ``data``, parsed."""
        return json.loads(self.body)["data"]


class WebhookSender:
    """Signs each event with the secret key and hands it to the outbox."""

    def __init__(
        self,
        secret_key: str,
        *,
        outbox: WebhookOutbox,
        default_url: str | None = None,
        encoding: str = "base64",
    ) -> None:
        if encoding not in ("base64", "hex"):
            raise ValueError("encoding must be 'base64' or 'hex'")
        self.secret_key = secret_key
        self.default_url = default_url
        self.encoding = encoding
        self.outbox = outbox

    def sign(self, body: bytes) -> str:
        """The ``signature`` header for ``body``."""
        digest = hmac.new(self.secret_key.encode(), body, hashlib.sha256).digest()
        return base64.b64encode(digest).decode() if self.encoding == "base64" else digest.hex()

    def send(self, url: str | None, event: str, data: dict[str, Any]) -> None:
        """Deliver ``event`` to ``url`` (or the default URL) in the background; no URL, no POST."""
        target = url or self.default_url
        if target is None:
            return
        body = dumps({"event": event, "data": data})
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: self.sign(body)}
        self.outbox.send(target, label=event, body=body, headers=headers)
