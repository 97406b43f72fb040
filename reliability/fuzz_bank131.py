"""Bank 131 fuzzing: RSA-signed webhooks and malformed answers."""

from __future__ import annotations

import json
from typing import Any

from fuzz import JSON, Answer, FuzzFigures, WebhookTarget, fuzz_client_answers, fuzz_webhooks
from hypothesis import strategies as st

from aioacquiring import AcquiringError, RetryPolicy
from aioacquiring.bank131 import Bank131, amount, card, generate_key_pair, recipient, webhooks
from aioacquiring.bank131.signing import load_private_key, sign

BANK = generate_key_pair()
PARTNER = generate_key_pair()
STRANGER = generate_key_pair()
_BANK_KEY = load_private_key(BANK.private_key_pem)
_STRANGER_KEY = load_private_key(STRANGER.private_key_pem)
TYPES = (
    "ready_to_confirm",
    "ready_to_capture",
    "action_required",
    "payment_finished",
    "payment_refunded",
    "something_new",
)
TEXT = st.text(alphabet="abcdefXYZ0123456789_-", min_size=1, max_size=12)


@st.composite
def webhook_body(draw: st.DrawFn) -> bytes:
    """A webhook as the bank sends it: a type and a session, v1 or v2 spelling."""
    operations = "payments" if draw(st.booleans()) else "payment_list"
    operation = {
        "id": "pm_" + draw(TEXT),
        "status": draw(st.sampled_from(["pending", "succeeded", "failed", "in_progress"])),
        "amount_details": {"amount": draw(st.integers(1, 10**9)), "currency": "rub"},
    }
    session = {
        "id": "ps_" + draw(TEXT),
        "status": draw(st.sampled_from(["in_progress", "accepted", "cancelled", "error"])),
        "created_at": "2024-01-01T00:00:00Z",
        operations: [operation],
        "metadata": draw(st.dictionaries(TEXT, TEXT, max_size=3)),
    }
    payload = {"type": draw(st.sampled_from(TYPES)), "session": session}
    return json.dumps(payload, ensure_ascii=draw(st.booleans())).encode()


def _verify(headers: dict[str, str], body: bytes) -> Any:
    return webhooks.verify_and_parse(headers, body, bank_public_key=BANK.public_key_pem)


TARGET = WebhookTarget(
    provider="bank131",
    valid=webhook_body(),
    sign=lambda body: {webhooks.SIGNATURE_HEADER: sign(body, _BANK_KEY)},
    forge=lambda body: {webhooks.SIGNATURE_HEADER: sign(body, _STRANGER_KEY)},
    verify_and_parse=_verify,
    typed=(AcquiringError,),
)


def fuzz_bank131_webhooks(examples: int) -> FuzzFigures:
    """Forged, mutated and valid Bank 131 webhooks through the SDK's verifier."""
    return fuzz_webhooks(TARGET, examples)


@st.composite
def malformed_answer(draw: st.DrawFn) -> Answer:
    """An answer the bank should never give: wrong types, no status, HTML, garbage."""
    status = draw(st.sampled_from([200, 200, 400, 401, 403, 404, 409, 429, 500, 502, 503]))
    shape = draw(st.sampled_from(["json", "envelope", "error", "html", "empty", "bytes"]))
    if shape == "json":
        body = json.dumps(draw(JSON)).encode()
    elif shape == "envelope":
        envelope = {"status": draw(JSON), "session": draw(JSON)}
        body = json.dumps(envelope).encode()
    elif shape == "error":
        error = {"code": draw(JSON), "description": draw(JSON)}
        body = json.dumps(
            {"status": "error", "error": draw(st.one_of(JSON, st.just(error)))}
        ).encode()
    elif shape == "html":
        body = b"<html><body>502 Bad Gateway</body></html>"
    elif shape == "empty":
        body = b""
    else:
        body = draw(st.binary(max_size=64))
    return Answer(status=status, body=body)


def _client(url: str) -> Bank131:
    return Bank131(
        project_id="fuzz",
        private_key=PARTNER.private_key_pem,
        bank_public_key=BANK.public_key_pem,
        base_url=url,
        retry=RetryPolicy(max_retries=0),
    )


def fuzz_bank131_answers(examples: int) -> FuzzFigures:
    """Malformed answers to a payout, a status read and a v1 read: typed errors only."""
    return fuzz_client_answers(
        "bank131",
        examples,
        malformed_answer(),
        _client,
        (
            lambda client: client.session.init_payout(
                payout_details=card("4242424242424242"),
                amount_details=amount(100),
                participant_details=recipient(full_name="Ivan Ivanov"),
            ),
            lambda client: client.session.status(session_id="ps_1"),
            lambda client: client.fps.banks(),
        ),
        (AcquiringError,),
    )
