"""Webhook building blocks shared by the providers: HMAC and constant-time checks."""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from aioacquiring.core.errors import InvalidNotificationError, SignatureVerificationError


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, case-insensitively even in a plain dict (frameworks differ)."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


EventT = TypeVar("EventT")
AnswerT = TypeVar("AnswerT")
Handler = Callable[[web.Request], Awaitable[web.Response]]


def webhook_handler(
    read: Callable[[web.Request, bytes], EventT],
    callback: Callable[[EventT], Awaitable[AnswerT]],
    *,
    logger: logging.Logger,
    describe: Callable[[EventT], str],
    failure: Callable[[int, str], dict[str, Any]],
    success: Callable[[EventT, AnswerT], dict[str, Any]],
) -> Handler:
    """The aiohttp handler every provider's webhooks share, its answers in the provider's shape.

    ``read(request, raw_body)`` verifies and parses. A forged webhook
    (:class:`SignatureVerificationError`) gets HTTP 401 and a malformed one
    (:class:`InvalidNotificationError`) HTTP 400, and neither reaches
    ``callback``; a callback that raises gets HTTP 500 (logged with
    ``describe(event)``, never the body: it may hold personal data), so the
    provider delivers again; otherwise HTTP 200 with ``success(event, answer)``.
    ``failure(status, message)`` is the body of the error answers.
    """

    async def handle(request: web.Request) -> web.Response:
        raw_body = await request.read()
        try:
            event = read(request, raw_body)
        except SignatureVerificationError as exc:
            return web.json_response(failure(401, exc.message), status=401)
        except InvalidNotificationError as exc:
            return web.json_response(failure(400, exc.message), status=400)
        try:
            answer = await callback(event)
        except Exception:
            logger.exception("%s handler failed", describe(event))
            return web.json_response(failure(500, "handler failed"), status=500)
        return web.json_response(success(event, answer))

    return handle


def hmac_sha256(secret: bytes, message: bytes) -> bytes:
    """The raw HMAC-SHA256 digest of ``message`` under ``secret``."""
    return hmac.new(secret, message, hashlib.sha256).digest()


def _decode_signature(given: str) -> list[bytes]:
    """The byte strings a signature header may stand for: base64 and/or hex."""
    candidates: list[bytes] = []
    text = given.strip()
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(text, validate=True))
    with contextlib.suppress(ValueError):
        candidates.append(bytes.fromhex(text))
    return candidates


def signature_matches(expected: bytes, given: str | None) -> bool:
    """Whether a base64 or hex signature header equals ``expected``, compared in constant time."""
    if not given:
        return False
    # Compare against every reading so the time taken does not depend on which matched.
    matches = [hmac.compare_digest(expected, candidate) for candidate in _decode_signature(given)]
    return any(matches)
