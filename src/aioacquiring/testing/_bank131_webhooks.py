"""The Bank 131 emulator's webhooks: signed with the bank's key, handed to the shared outbox.

Every event is recorded; when a URL is set it is also posted there, JSON with
``X-PARTNER-SIGN`` (the bank's RSA signature over the exact body), by the
shared :class:`~aioacquiring.testing.outbox.WebhookOutbox`. The bank counts
only HTTP 200 as delivered and retries anything else "for about 30 minutes";
first attempts go out in the order the events happened.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import attrs

from aioacquiring.testing._wire import dumps
from aioacquiring.testing.outbox import Attempt, WebhookOutbox
from aioacquiring.testing.outbox import Delivery as OutboxDelivery

# Attempt is named here too: the records' inherited annotations mention it (pdoc reads them).
__all__ = ["RETRY_SCHEDULE", "SIGNATURE_HEADER", "Attempt", "Delivery", "WebhookSender"]

SIGNATURE_HEADER = "X-PARTNER-SIGN"

RETRY_SCHEDULE = (60.0, 120.0, 300.0, 600.0, 720.0)
"""Seconds before each retry. Derived: the bank documents only "about 30 minutes"
of retries, so the emulator retries after 1, 2, 5, 10 and 12 minutes (30 in all)."""


@attrs.define
class Delivery(OutboxDelivery):
    """One Bank 131 webhook: ``type`` (the ``label``), the body, and every delivery attempt.

    ``statuses`` lists each attempt's HTTP status (None: no answer); a webhook
    recorded while no URL was set has an empty ``url`` and no attempts.
    """

    @property
    def type(self) -> str:
        """The webhook's ``type`` (``ready_to_confirm``, ``payment_finished``, ...)."""
        return self.label

    @property
    def signature(self) -> str:
        """The ``X-PARTNER-SIGN`` it carries."""
        return self.headers[SIGNATURE_HEADER]


class WebhookSender:
    """Signs each event with the bank's key and hands it to the outbox (when a URL is set)."""

    def __init__(self, *, sign: Callable[[bytes], str], outbox: WebhookOutbox) -> None:
        self.url: str | None = None
        self.outbox = outbox
        self.made: list[Delivery] = []
        """Every webhook made, sent or not (duplicates sent on purpose are in the outbox only)."""
        self._sign = sign

    def headers(self, body: bytes, signature: str | None = None) -> dict[str, str]:
        """The headers of a webhook with ``body``: JSON, signed by the bank (or ``signature``)."""
        return {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: self._sign(body) if signature is None else signature,
        }

    def send(self, payload: dict[str, Any]) -> Delivery:
        """Record the event, and queue it for delivery when a URL is set."""
        kind = str(payload.get("type"))
        body = dumps(payload)
        headers = self.headers(body)
        if self.url is None:
            delivery = Delivery(kind, "", "POST", headers, body)
        else:
            sent = self.outbox.send(self.url, label=kind, body=body, headers=headers)
            assert isinstance(sent, Delivery)
            delivery = sent
        self.made.append(delivery)
        return delivery

    async def post(self, body: bytes, *, signature: str | None) -> int | None:
        """Post ``body`` to the URL once, now, signed (or with ``signature``); the HTTP status.

        Recorded in the outbox, labelled with the body's ``type`` (``"?"`` when it has none).
        """
        if self.url is None:
            raise RuntimeError("no webhook URL is set")
        delivery = await self.outbox.ask(
            self.url, label=_type_of(body), body=body, headers=self.headers(body, signature)
        )
        return delivery.last_status


def _type_of(body: bytes) -> str:
    """The ``type`` of a webhook body; ``"?"`` when it has none (it may be malformed on purpose)."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "?"
    kind = payload.get("type") if isinstance(payload, dict) else None
    return kind if isinstance(kind, str) else "?"
