"""CloudPayments fuzzing: notifications (signed, mutated, forged) and malformed answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fuzz import JSON, Answer, FuzzFigures, fuzz_client_answers, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st

from aioacquiring import AcquiringError, RetryPolicy
from aioacquiring.cloudpayments import CloudPayments, webhooks
from aioacquiring.errors import InvalidNotificationError, SignatureVerificationError

SECRET = "fuzz-api-secret"
OTHER_SECRET = "not-the-api-secret"
KINDS = ("Check", "Pay", "Fail", "Confirm", "Refund", "Recurrent", "Cancel")
CYRILLIC = "".join(chr(c) for c in range(0x410, 0x450))
TEXT = st.text(alphabet=st.sampled_from("abcXYZ019 -_.,@+&=%/" + CYRILLIC), max_size=24)


def _sign(message: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


@st.composite
def notification_fields(draw: st.DrawFn) -> dict[str, str]:
    """Fields of a notification as CloudPayments sends them (all text, some empty)."""
    amount = draw(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2))
    fields = {
        "TransactionId": str(draw(st.integers(1, 2**53))),
        "Amount": str(amount),
        "Currency": draw(st.sampled_from(["RUB", "USD", "EUR", "KZT"])),
        "DateTime": draw(st.sampled_from(["2024-05-01 12:30:45", "2023-12-31 23:59:59"])),
        "CardFirstSix": draw(st.from_regex(r"\A0?[0-9]{5}\Z")),
        "CardLastFour": draw(st.from_regex(r"\A[0-9]{4}\Z")),
        "CardType": "Visa",
        "TestMode": draw(st.sampled_from(["0", "1"])),
        "Status": draw(st.sampled_from(["Completed", "Authorized", "Declined", "Active"])),
        "OperationType": draw(st.sampled_from(["Payment", "Refund", "CardPayout"])),
        "InvoiceId": draw(TEXT),
        "AccountId": draw(TEXT),
        "Email": draw(st.sampled_from(["", "payer@example.com"])),
        "Name": draw(TEXT),
        "Data": draw(st.sampled_from(["", '{"order": 5}', "not json"])),
        "Id": "sc_" + draw(st.from_regex(r"\A[0-9a-f]{8}\Z")),
        "SubscriptionId": "sc_1",
        "Reason": "Insufficient funds",
        "ReasonCode": draw(st.sampled_from(["0", "5051"])),
        "PaymentAmount": str(amount),
        "PaymentCurrency": "RUB",
    }
    return fields


@st.composite
def signed_notification(draw: st.DrawFn) -> tuple[str, dict[str, str], bytes, str | None]:
    """A valid notification: type, headers, body (form or JSON, UTF-8 or 1251), query."""
    kind = draw(st.sampled_from(KINDS))
    fields = draw(notification_fields())
    shape = draw(st.sampled_from(["form-utf8", "form-1251", "json", "get"]))
    query = None
    if shape == "json":
        body = json.dumps(fields, ensure_ascii=draw(st.booleans())).encode()
        headers = {"Content-Type": "application/json"}
    else:
        encoding = "windows-1251" if shape == "form-1251" else "utf-8"
        body = urlencode(fields, encoding=encoding).encode("ascii")
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if shape == "get":
        query, body = body.decode("ascii"), b""
    message = body if body else (query or "").encode()
    which = draw(st.sampled_from(["both", "raw", "decoded"]))
    if which in ("both", "raw"):
        headers["Content-HMAC"] = _sign(message, SECRET)
    if which in ("both", "decoded"):
        decoded = webhooks._message_for_decoded_params(message)
        headers["X-Content-HMAC"] = _sign(decoded, SECRET)
    return kind, headers, body, query


MUTATIONS = (
    "none",
    "flip a byte",
    "truncate",
    "append",
    "wrong key",
    "no signature",
    "garbage signature",
    "swap signature to the other header",
    "huge body",
    "random bytes",
    "any text in the query",
    "other type",
)


def fuzz_webhooks(examples: int) -> FuzzFigures:
    """Valid notifications must be accepted; every mutation refused unless it means the same."""
    figures = FuzzFigures("cloudpayments", "notifications")

    @fuzz_settings(examples)
    @given(signed_notification(), st.sampled_from(MUTATIONS), st.data())
    def case(notification: Any, mutation: str, data: st.DataObject) -> None:
        kind, headers, body, query = notification
        figures.cases += 1
        reference = webhooks.parse(kind, body, content_type=headers["Content-Type"], query=query)
        headers = dict(headers)
        if mutation == "flip a byte" and (body or query):
            target = bytearray(body or (query or "").encode())
            index = data.draw(st.integers(0, len(target) - 1))
            target[index] ^= data.draw(st.integers(1, 255))
            if body:
                body = bytes(target)
            else:
                query = target.decode("latin-1")
        elif mutation == "truncate" and (body or query):
            if body:
                body = body[: data.draw(st.integers(0, len(body) - 1))]
            else:
                query = (query or "")[: data.draw(st.integers(0, len(query or "") - 1))]
        elif mutation == "append":
            body = body + data.draw(st.binary(min_size=1, max_size=16))
        elif mutation == "wrong key":
            for name in ("Content-HMAC", "X-Content-HMAC"):
                if name in headers:
                    headers[name] = _sign(body or (query or "").encode(), OTHER_SECRET)
        elif mutation == "no signature":
            headers.pop("Content-HMAC", None)
            headers.pop("X-Content-HMAC", None)
        elif mutation == "garbage signature":
            headers["Content-HMAC"] = data.draw(st.text(max_size=64))
            headers.pop("X-Content-HMAC", None)
        elif mutation == "swap signature to the other header":
            raw, decoded = headers.pop("Content-HMAC", None), headers.pop("X-Content-HMAC", None)
            if raw is not None:
                headers["X-Content-HMAC"] = raw
            if decoded is not None:
                headers["Content-HMAC"] = decoded
        elif mutation == "huge body":
            body = body + b"&Pad=" + b"A" * 1_000_000
        elif mutation == "random bytes":
            body = data.draw(st.binary(max_size=256))
        elif mutation == "any text in the query":
            query = (query or "") + data.draw(st.text(min_size=1, max_size=8))
        elif mutation == "other type":
            kind = data.draw(st.sampled_from([k for k in KINDS if k != kind] + ["Nonsense"]))
        figures.judge(
            mutation,
            lambda: webhooks.verify_and_parse(kind, headers, body, api_secret=SECRET, query=query),
            (SignatureVerificationError, InvalidNotificationError),
            reference,
            may_differ=mutation == "other type",
        )

    case()
    return figures


TRANSACTION_KEYS = ("TransactionId", "Amount", "Currency", "Status", "CreatedDateIso", "Token")


@st.composite
def malformed_answer(draw: st.DrawFn) -> Answer:
    """An answer CloudPayments should never give: wrong types, no envelope, HTML, garbage."""
    status = draw(st.sampled_from([200, 200, 200, 400, 401, 404, 429, 500, 502, 503]))
    shape = draw(st.sampled_from(["json", "envelope", "html", "empty", "bytes", "model"]))
    if shape == "json":
        body = json.dumps(draw(JSON)).encode()
    elif shape == "envelope":
        envelope = {"Success": draw(JSON), "Message": draw(JSON), "Model": draw(JSON)}
        body = json.dumps(envelope).encode()
    elif shape == "model":
        model = {key: draw(JSON) for key in draw(st.sets(st.sampled_from(TRANSACTION_KEYS)))}
        body = json.dumps({"Success": draw(st.booleans()), "Model": model}).encode()
    elif shape == "html":
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    elif shape == "empty":
        body = b""
    else:
        body = draw(st.binary(max_size=64))
    content_type = draw(st.sampled_from(["application/json", "text/html", "text/plain"]))
    return Answer(status=status, body=body, content_type=content_type)


def _client(url: str) -> CloudPayments:
    return CloudPayments(
        public_id="pk_fuzz", api_secret=SECRET, base_url=url, retry=RetryPolicy(max_retries=0)
    )


def fuzz_answers(examples: int) -> FuzzFigures:
    """Whatever the server answers, the caller gets a typed result or a typed error."""
    return fuzz_client_answers(
        "cloudpayments",
        examples,
        malformed_answer(),
        _client,
        (
            lambda client: client.payments.get(transaction_id=1),
            lambda client: client.payments.cards_charge(
                amount=Decimal("1"), ip_address="127.0.0.1", card_cryptogram_packet="x" * 20
            ),
            lambda client: client.subscriptions.find(account_id="a"),
            lambda client: client.payments.tokens_list().collect(),
            lambda client: client.payments.refund(transaction_id=1, amount=Decimal("1")),
        ),
        (AcquiringError,),
    )
