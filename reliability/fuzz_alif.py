"""Alif fuzzing: HMAC-signed webhooks and malformed answers."""

from __future__ import annotations

import base64
import json
from typing import Any

from fuzz import JSON, Answer, FuzzFigures, WebhookTarget, fuzz_client_answers, fuzz_webhooks
from hypothesis import strategies as st

from aioacquiring import AcquiringError, RetryPolicy
from aioacquiring.alif import Alif, webhooks
from aioacquiring.alif.signing import sign

SECRET = "fuzz-alif-secret"
TEXT = st.text(alphabet="abcdefXYZ0123456789_-", min_size=1, max_size=12)
EVENTS = ("payment.succeeded", "payment.failed", "transfer.succeeded", "something.new")


@st.composite
def webhook_body(draw: st.DrawFn) -> bytes:
    """A webhook as Alif sends it: ``{event, data}``."""
    data = {
        "id": "pay_" + draw(TEXT),
        "status": draw(st.sampled_from(["SUCCEEDED", "FAILED", "OTP_REQUIRED", "NEW_STATUS"])),
        "amount": draw(st.integers(1, 10**9)),
        "external_id": draw(TEXT),
    }
    payload = {"event": draw(st.sampled_from(EVENTS)), "data": data}
    return json.dumps(payload, ensure_ascii=draw(st.booleans())).encode()


def _sign(body: bytes, secret: str) -> dict[str, str]:
    hex_signature = sign(body, secret)
    return {"signature": hex_signature}


def _verify(headers: dict[str, str], body: bytes) -> Any:
    return webhooks.verify_and_parse(headers, body, secret_key=SECRET)


def _base64_sign(body: bytes) -> dict[str, str]:
    raw = bytes.fromhex(sign(body, SECRET))
    return {"signature": base64.b64encode(raw).decode()}


TARGET = WebhookTarget(
    provider="alif",
    valid=webhook_body(),
    sign=lambda body: _sign(body, SECRET),
    forge=lambda body: _sign(body, "not-the-secret"),
    verify_and_parse=_verify,
    typed=(AcquiringError,),
)
TARGET_BASE64 = WebhookTarget(
    provider="alif (base64 signatures)",
    valid=webhook_body(),
    sign=_base64_sign,
    forge=lambda body: _sign(body, "not-the-secret"),
    verify_and_parse=_verify,
    typed=(AcquiringError,),
)


def fuzz_alif_webhooks(examples: int) -> FuzzFigures:
    """Forged, mutated and valid Alif webhooks (hex signatures) through the SDK's verifier."""
    return fuzz_webhooks(TARGET, examples)


def fuzz_alif_webhooks_base64(examples: int) -> FuzzFigures:
    """The same with base64 signatures, which Alif's webhooks may carry too."""
    return fuzz_webhooks(TARGET_BASE64, examples)


@st.composite
def malformed_answer(draw: st.DrawFn) -> Answer:
    """An answer Alif should never give: wrong types, unknown codes, HTML, garbage."""
    status = draw(st.sampled_from([200, 200, 200, 400, 404, 429, 500, 502]))
    shape = draw(st.sampled_from(["json", "envelope", "html", "empty", "bytes"]))
    if shape == "json":
        body = json.dumps(draw(JSON)).encode()
    elif shape == "envelope":
        code = draw(st.one_of(st.sampled_from([1000, 1001, 1003, 1007, 1100, 1999]), JSON))
        body = json.dumps({"code": code, "message": draw(JSON), "data": draw(JSON)}).encode()
    elif shape == "html":
        body = b"<html><body>502 Bad Gateway</body></html>"
    elif shape == "empty":
        body = b""
    else:
        body = draw(st.binary(max_size=64))
    return Answer(status=status, body=body)


def _client(url: str) -> Alif:
    return Alif(token="t", secret_key=SECRET, base_url=url, retry=RetryPolicy(max_retries=0))


def fuzz_alif_answers(examples: int) -> FuzzFigures:
    """Malformed answers to a debit, a read and a list: typed errors only."""
    return fuzz_client_answers(
        "alif",
        examples,
        malformed_answer(),
        _client,
        (
            lambda client: client.debit.payment_create(amount=100, card_token="ct_1"),
            lambda client: client.debit.payment_get(payment_id="pay_1"),
            lambda client: client.debit.payment_list(max_items=5).collect(),
        ),
        (AcquiringError,),
    )
