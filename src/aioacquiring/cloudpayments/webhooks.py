"""CloudPayments notifications (webhooks): verify, parse, and an aiohttp handler.

CloudPayments posts each notification type to its own URL, as form fields
(POST body, or the query string for GET), in UTF-8 or Windows-1251, or as JSON
when the merchant asks for it. It signs twice: ``Content-HMAC`` over the raw
body as received and ``X-Content-HMAC`` over the URL-decoded parameters, both
base64 HMAC-SHA256 under the API Secret. A notification is accepted when
either matches; anything else never reaches user code.

Handlers must be idempotent: CloudPayments retries a notification (up to 100
times) until it gets ``{"code": 0}``, and may deliver the same one twice. Key
your processing on ``TransactionId`` (and the type), e.g. insert it into a table
with a unique constraint and skip the work when it is already there.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, unquote_to_bytes

from aiohttp import web

from aioacquiring.cloudpayments.decoders import converter
from aioacquiring.core.errors import InvalidNotificationError, SignatureVerificationError
from aioacquiring.core.webhooks import header, hmac_sha256, signature_matches
from aioacquiring.core.webhooks import webhook_handler as core_webhook_handler
from aioacquiring.models.cloudpayments.notifications import (
    CancelNotification,
    CheckNotification,
    ConfirmNotification,
    FailNotification,
    PayNotification,
    RecurrentNotification,
    RefundNotification,
)

logger = logging.getLogger("aioacquiring.cloudpayments.webhooks")

Notification: TypeAlias = (
    CheckNotification
    | PayNotification
    | FailNotification
    | ConfirmNotification
    | RefundNotification
    | RecurrentNotification
    | CancelNotification
)
"""Any parsed CloudPayments notification."""


class NotificationType(str, enum.Enum):
    """The notification types, each configured with its own URL in CloudPayments."""

    CHECK = "Check"
    PAY = "Pay"
    FAIL = "Fail"
    CONFIRM = "Confirm"
    REFUND = "Refund"
    RECURRENT = "Recurrent"
    CANCEL = "Cancel"


MODELS: dict[NotificationType, type[Notification]] = {
    NotificationType.CHECK: CheckNotification,
    NotificationType.PAY: PayNotification,
    NotificationType.FAIL: FailNotification,
    NotificationType.CONFIRM: ConfirmNotification,
    NotificationType.REFUND: RefundNotification,
    NotificationType.RECURRENT: RecurrentNotification,
    NotificationType.CANCEL: CancelNotification,
}


class CheckAnswer(enum.IntEnum):
    """What a ``Check`` handler may answer: accept, or refuse the payment and why."""

    ACCEPT = 0
    INVALID_INVOICE_ID = 10
    INVALID_ACCOUNT_ID = 11
    INVALID_AMOUNT = 12
    REJECTED = 13
    EXPIRED = 20


def _message_for_decoded_params(raw: bytes) -> bytes:
    return unquote_to_bytes(raw.replace(b"+", b" "))


def _query_bytes(query: str) -> bytes:
    # A query string as received is ASCII (percent-encoded); anything else is read as UTF-8.
    try:
        return query.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidNotificationError("the notification's query string is not text") from exc


def verify(
    headers: Mapping[str, str], raw_body: bytes, *, api_secret: str, query: str | None = None
) -> None:
    """Raise :class:`SignatureVerificationError` unless the notification is signed by CloudPayments.

    Args:
        headers: The request headers (``Content-HMAC`` / ``X-Content-HMAC``).
        raw_body: The body exactly as received, before anything parsed it.
        api_secret: The terminal's API Secret.
        query: For GET notifications, the raw (still URL-encoded) query string:
            it is the signed message.
    """
    message = raw_body if raw_body or query is None else _query_bytes(query)
    secret = api_secret.encode()
    raw_ok = signature_matches(hmac_sha256(secret, message), header(headers, "Content-HMAC"))
    decoded = _message_for_decoded_params(message)
    decoded_ok = signature_matches(hmac_sha256(secret, decoded), header(headers, "X-Content-HMAC"))
    if not (raw_ok or decoded_ok):
        present = [h for h in ("Content-HMAC", "X-Content-HMAC") if header(headers, h)]
        reason = "does not match" if present else "is missing"
        raise SignatureVerificationError(f"the CloudPayments notification's signature {reason}")


_CHARSETS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "windows-1251": "windows-1251",
    "windows1251": "windows-1251",
    "cp1251": "windows-1251",
}


def _declared_charset(content_type: str | None) -> str | None:
    """The ``charset`` of a Content-Type, when it is one CloudPayments uses."""
    for parameter in (content_type or "").split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "charset":
            return _CHARSETS.get(value.strip().strip('"').lower())
    return None


def _form_fields(raw: bytes, charset: str | None = None) -> dict[str, str]:
    # A declared charset goes first: some Windows-1251 text is valid UTF-8 too ("Рџ" reads "П").
    for encoding in dict.fromkeys([charset or "utf-8", "utf-8", "windows-1251"]):
        try:
            text = raw.decode(encoding)
            return dict(parse_qsl(text, keep_blank_values=True, encoding=encoding, errors="strict"))
        except UnicodeDecodeError:
            continue
    raise InvalidNotificationError("the notification is neither UTF-8 nor Windows-1251")


def _fields(
    raw_body: bytes, content_type: str | None, query: str | None, encoding: str | None
) -> dict[str, Any]:
    stripped = raw_body.strip()
    if (content_type or "").startswith("application/json") or stripped.startswith(b"{"):
        try:
            data = json.loads(stripped, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidNotificationError("the notification is not valid JSON") from exc
        if not isinstance(data, dict):
            raise InvalidNotificationError("the notification's JSON is not an object")
        return data
    charset = _declared_charset(content_type) or _CHARSETS.get((encoding or "").lower())
    return _form_fields(raw_body if raw_body else _query_bytes(query or ""), charset)


def parse(
    kind: NotificationType | str,
    raw_body: bytes,
    *,
    content_type: str | None = None,
    query: str | None = None,
    encoding: str | None = None,
) -> Notification:
    """Read a (verified) notification into its typed model.

    Empty strings become None, identifiers stay strings (leading zeros
    survive), ``DateTime`` becomes an aware UTC datetime, amounts Decimal, and
    ``Data`` is decoded from its JSON string.

    ``encoding`` is the one set for this notification type in the site's
    settings (``"UTF8"`` or ``"Windows1251"``). A form body says its charset
    in ``Content-Type``; a GET query string does not, and some Windows-1251
    text is valid UTF-8 too, so set it when GET notifications use Windows-1251.
    Without either, UTF-8 is tried first, then Windows-1251.
    """
    try:
        model = MODELS[NotificationType(kind)]
    except ValueError as exc:
        raise InvalidNotificationError(f"unknown notification type {kind!r}") from exc
    fields = {k: v for k, v in _fields(raw_body, content_type, query, encoding).items() if v != ""}
    data = fields.get("Data")
    if isinstance(data, str):
        # Not JSON: keep the text the merchant sent.
        with contextlib.suppress(ValueError):
            fields["Data"] = json.loads(data, parse_float=Decimal)
    try:
        return converter.structure(fields, model)
    except Exception as exc:  # cattrs raises many kinds; all mean "not the documented shape"
        raise InvalidNotificationError(
            f"the {model.__name__} could not be read: {type(exc).__name__}"
        ) from exc


def verify_and_parse(
    kind: NotificationType | str,
    headers: Mapping[str, str],
    raw_body: bytes,
    *,
    api_secret: str,
    query: str | None = None,
    encoding: str | None = None,
) -> Notification:
    """Verify the signature, then parse: the one call a handler needs (``encoding``: see parse)."""
    verify(headers, raw_body, api_secret=api_secret, query=query)
    return parse(
        kind, raw_body, content_type=header(headers, "Content-Type"), query=query, encoding=encoding
    )


Callback = Callable[[Any], Awaitable[CheckAnswer | int | None]]


def notification_handler(
    kind: NotificationType | str,
    callback: Callback,
    *,
    api_secret: str,
    encoding: str | None = None,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Make an aiohttp handler for one notification type's URL.

    It verifies and parses the notification, awaits ``callback(notification)``
    and answers ``{"code": 0}``; a ``Check`` callback may return a
    :class:`CheckAnswer` to refuse the payment. A forged notification gets HTTP
    401 and a malformed one HTTP 400, and neither reaches the callback; a
    callback that raises gets HTTP 500, so CloudPayments delivers it again.
    ``encoding`` is the type's encoding in the site settings (see :func:`parse`).
    """
    notification_type = NotificationType(kind)

    def read(request: web.Request, raw_body: bytes) -> Notification:
        return verify_and_parse(
            notification_type,
            request.headers,
            raw_body,
            api_secret=api_secret,
            query=request.rel_url.raw_query_string or None,
            encoding=encoding,
        )

    def success(notification: Notification, answer: CheckAnswer | int | None) -> dict[str, Any]:
        code = int(answer) if notification_type is NotificationType.CHECK and answer else 0
        return {"code": code}

    return core_webhook_handler(
        read,
        callback,
        logger=logger,
        describe=lambda _: f"CloudPayments {notification_type.value} notification",
        failure=lambda status, message: {"code": status, "message": message},
        success=success,
    )
