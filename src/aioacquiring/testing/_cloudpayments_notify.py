"""Notifications the CloudPayments emulator sends: encoded, signed, handed to the outbox.

Each notification goes where its type's settings say (see
``_cloudpayments_settings``), as form fields or JSON, signed as CloudPayments
signs it: ``Content-HMAC`` is base64 HMAC-SHA256 under the API Secret over the
message as sent (the body, or the query string for GET) and ``X-Content-HMAC``
the same over that message URL-decoded. The shared
:class:`~aioacquiring.testing.outbox.WebhookOutbox` delivers it: ``Check`` once,
at once, its answer deciding the payment; every other type in the background,
retried on CloudPayments' schedule until the merchant answers ``{"code": 0}``,
so an API answer never waits for it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode

from aioacquiring.testing._cloudpayments_settings import ENCODINGS, NotificationSettings
from aioacquiring.testing._wire import dumps
from aioacquiring.testing.outbox import Delivery, WebhookOutbox

__all__ = [
    "RETRY_SCHEDULE",
    "Notifier",
    "accepted_answer",
    "answer_code",
    "encode",
    "sign",
    "signature_headers",
]

RETRY_SCHEDULE = (60.0, 120.0, 300.0, 600.0, 1800.0)
"""Seconds before each retry: CloudPayments retries after 1, 2, 5, 10 and 30 minutes
(and on, up to 100 times; the emulator stops after these)."""
_REFUSED = 13  # what a Check that could not be asked counts as: "the payment cannot be accepted"


def sign(secret: str, message: bytes) -> str:
    """base64 HMAC-SHA256 of ``message`` under ``secret``."""
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _form_text(value: Any) -> str:
    """A parameter as CloudPayments writes it in a form: empty for absent, 1/0 for flags."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return value


def _ascii_json(text: str) -> bytes:
    """JSON text with every non-ASCII character escaped (as surrogate pairs beyond the BMP)."""
    out: list[str] = []
    for char in text:
        point = ord(char)
        if point < 0x80:
            out.append(char)
        elif point <= 0xFFFF:
            out.append(f"\\u{point:04x}")
        else:
            point -= 0x10000
            out.append(f"\\u{0xD800 + (point >> 10):04x}\\u{0xDC00 + (point & 0x3FF):04x}")
    return "".join(out).encode("ascii")


def encode(fields: Mapping[str, Any], *, as_json: bool, encoding: str) -> tuple[bytes, str]:
    """The message and its content type: a form in ``encoding``, or a JSON object."""
    if as_json:
        payload = {key: _json_value(value) for key, value in fields.items()}
        if encoding == "utf-8":
            return dumps(payload), "application/json; charset=utf-8"
        # Escaped to ASCII: the same JSON reads right whatever the receiver assumes.
        return _ascii_json(dumps(payload).decode()), f"application/json; charset={encoding}"
    pairs = [(key, _form_text(value)) for key, value in fields.items()]
    body = urlencode(pairs, encoding=encoding, errors="replace").encode("ascii")
    return body, f"application/x-www-form-urlencoded; charset={encoding}"


def signature_headers(secret: str, message: bytes) -> dict[str, str]:
    """Both of CloudPayments' signature headers for a message as sent."""
    decoded = unquote_to_bytes(message.replace(b"+", b" "))
    return {"Content-HMAC": sign(secret, message), "X-Content-HMAC": sign(secret, decoded)}


def _code(raw: bytes) -> int | None:
    try:
        answer = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    code = answer.get("code") if isinstance(answer, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def answer_code(delivery: Delivery) -> int | None:
    """The ``code`` the merchant answered to a delivery's last attempt (None: no such answer)."""
    last = delivery.attempts[-1] if delivery.attempts else None
    if last is None or last.status != 200:
        return None
    return _code(last.body)


def accepted_answer(status: int, body: bytes) -> bool:
    """Whether a merchant's answer ends a delivery: CloudPayments wants HTTP 200 and code 0."""
    return status == 200 and _code(body) == 0


class Notifier:
    """Builds and signs each notification, and hands it to the outbox."""

    def __init__(
        self,
        settings: NotificationSettings,
        secret: Callable[[], str],
        outbox: WebhookOutbox,
    ) -> None:
        self._settings = settings
        self._secret = secret
        self.outbox = outbox

    def _prepare(self, kind: str, fields: Mapping[str, Any]) -> dict[str, Any] | None:
        settings = self._settings[kind]
        if not settings.is_enabled or not settings.address:
            return None
        message, content_type = encode(
            fields, as_json=settings.json, encoding=ENCODINGS[settings.encoding]
        )
        headers = signature_headers(self._secret(), message)
        url, query = settings.address, None
        if settings.http_method == "GET":
            url, _, own_query = settings.address.partition("?")
            query = "&".join(part for part in (own_query, message.decode("ascii")) if part)
            message = b""
        else:
            headers["Content-Type"] = content_type
        return {
            "url": url,
            "label": kind,
            "body": message,
            "headers": headers,
            "method": settings.http_method,
            "query": query,
        }

    async def check(self, fields: Mapping[str, Any]) -> int:
        """Ask the Check URL about a payment: its code, 0 when Check is not configured.

        A Check that cannot be asked (no answer, an HTTP error, no ``code``) refuses.
        """
        request = self._prepare("Check", fields)
        if request is None:
            return 0
        delivery = await self.outbox.ask(**request)
        code = answer_code(delivery)
        delivery.delivered = code is not None
        return _REFUSED if code is None else code

    def send(self, kind: str, fields: Mapping[str, Any]) -> None:
        """Deliver a notification in the background (if the type is configured)."""
        request = self._prepare(kind, fields)
        if request is not None:
            self.outbox.send(**request)
