"""CloudPayments notifications: signatures, parsing, and the aiohttp handler over loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_to_bytes, urlencode

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from aioacquiring import InvalidNotificationError, SignatureVerificationError
from aioacquiring.cloudpayments import (
    CheckAnswer,
    CloudPayments,
    FailNotification,
    NotificationType,
    PayNotification,
    RecurrentNotification,
    RefundNotification,
    webhooks,
)

SECRET = "api-secret-for-webhooks"


def sign(message: bytes, secret: str = SECRET) -> str:
    """An independent implementation of CloudPayments' signature."""
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


PAY_FIELDS = {
    "TransactionId": "3000000123",
    "Amount": "10.50",
    "Currency": "RUB",
    "DateTime": "2024-05-01 12:30:45",
    "CardFirstSix": "042424",
    "CardLastFour": "4242",
    "CardType": "Visa",
    "TestMode": "1",
    "Status": "Completed",
    "OperationType": "Payment",
    "InvoiceId": "000123",
    "AccountId": "007",
    "Email": "",
    "Data": '{"order": {"id": 5}}',
    "Token": "tk_secret_token",
    "Name": "Иван Петров",
}


def form(fields: dict[str, str], encoding: str = "utf-8") -> bytes:
    return urlencode(fields, encoding=encoding).encode("ascii")


def test_pay_notification_signed_over_the_raw_body() -> None:
    body = form(PAY_FIELDS)
    note = webhooks.verify_and_parse("Pay", {"Content-HMAC": sign(body)}, body, api_secret=SECRET)
    assert isinstance(note, PayNotification)
    assert note.transaction_id == 3000000123
    assert note.amount == Decimal("10.50")
    assert note.date_time == datetime(2024, 5, 1, 12, 30, 45, tzinfo=timezone.utc)
    assert note.invoice_id == "000123"
    assert note.account_id == "007"
    assert note.card_first_six == "042424"
    assert note.email is None
    assert note.test_mode is True
    assert note.data == {"order": {"id": 5}}
    assert note.name == "Иван Петров"
    assert "tk_secret_token" not in repr(note)


def test_signed_over_the_decoded_parameters_only() -> None:
    body = form(PAY_FIELDS)
    decoded = unquote_to_bytes(body.replace(b"+", b" "))
    note = webhooks.verify_and_parse(
        NotificationType.PAY, {"X-Content-HMAC": sign(decoded)}, body, api_secret=SECRET
    )
    assert isinstance(note, PayNotification)


def test_windows_1251_body() -> None:
    body = form(PAY_FIELDS, encoding="windows-1251")
    note = webhooks.verify_and_parse("Pay", {"Content-HMAC": sign(body)}, body, api_secret=SECRET)
    assert isinstance(note, PayNotification)
    assert note.name == "Иван Петров"


def test_get_delivery_signs_the_query_string() -> None:
    query = form(PAY_FIELDS).decode()
    note = webhooks.verify_and_parse(
        "Pay", {"Content-HMAC": sign(query.encode())}, b"", api_secret=SECRET, query=query
    )
    assert isinstance(note, PayNotification)
    assert note.invoice_id == "000123"


def test_json_body() -> None:
    body = (
        b'{"TransactionId": 5, "Amount": 10.57, "DateTime": "2024-05-01 00:00:00",'
        b' "AccountId": "0042"}'
    )
    note = webhooks.verify_and_parse("Pay", {"Content-HMAC": sign(body)}, body, api_secret=SECRET)
    assert isinstance(note, PayNotification)
    assert note.amount == Decimal("10.57")
    assert note.account_id == "0042"


def test_fail_refund_and_recurrent_types() -> None:
    fail_body = form({**PAY_FIELDS, "Reason": "InsufficientFunds", "ReasonCode": "5051"})
    fail = webhooks.verify_and_parse(
        "Fail", {"Content-HMAC": sign(fail_body)}, fail_body, api_secret=SECRET
    )
    assert isinstance(fail, FailNotification)
    assert fail.reason_code == 5051
    refund_body = form(
        {
            "TransactionId": "9",
            "PaymentTransactionId": "8",
            "Amount": "1.00",
            "DateTime": "2024-01-01 00:00:00",
        }
    )
    refund = webhooks.verify_and_parse(
        "Refund", {"Content-HMAC": sign(refund_body)}, refund_body, api_secret=SECRET
    )
    assert isinstance(refund, RefundNotification)
    assert refund.payment_transaction_id == 8
    recurrent_body = form(
        {
            "Id": "sc_1",
            "AccountId": "u",
            "Status": "Active",
            "Interval": "Month",
            "Period": "1",
            "NextTransactionDate": "2024-02-01 00:00:00",
        }
    )
    recurrent = webhooks.verify_and_parse(
        "Recurrent", {"Content-HMAC": sign(recurrent_body)}, recurrent_body, api_secret=SECRET
    )
    assert isinstance(recurrent, RecurrentNotification)
    assert recurrent.period == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Content-HMAC": ""},
        {"Content-HMAC": sign(b"something else")},
        {"Content-HMAC": sign(form(PAY_FIELDS), secret="wrong secret")},
        {"X-Content-HMAC": "not base64 !!"},
    ],
)
def test_unsigned_or_forged_notifications_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureVerificationError):
        webhooks.verify_and_parse("Pay", headers, form(PAY_FIELDS), api_secret=SECRET)


def test_tampered_body_is_refused() -> None:
    body = form(PAY_FIELDS)
    tampered = body.replace(b"Amount=10.50", b"Amount=99.50")
    with pytest.raises(SignatureVerificationError):
        webhooks.verify({"Content-HMAC": sign(body)}, tampered, api_secret=SECRET)


@pytest.mark.parametrize(
    "body",
    [
        form({"Amount": "1"}),  # no TransactionId
        form({"TransactionId": "x", "DateTime": "2024-01-01 00:00:00"}),
        form({"TransactionId": "1", "DateTime": "not a date"}),
        form({"TransactionId": "1", "TestMode": "maybe"}),
        b"{not json",
        b"[1, 2]",
        b"%FF%FE=%C0",
    ],
)
def test_signed_but_malformed_is_invalid_notification(body: bytes) -> None:
    with pytest.raises(InvalidNotificationError):
        webhooks.verify_and_parse("Pay", {"Content-HMAC": sign(body)}, body, api_secret=SECRET)


def test_unknown_type() -> None:
    with pytest.raises(InvalidNotificationError):
        webhooks.parse("Teleport", form(PAY_FIELDS))


fields = st.dictionaries(
    st.sampled_from(["InvoiceId", "AccountId", "Email", "Description", "Name", "CardFirstSix"]),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
)


@settings(max_examples=200, deadline=None)
@given(extra=fields, flip=st.integers(min_value=0))
def test_signatures_accept_every_signed_body_and_no_altered_one(
    extra: dict[str, str], flip: int
) -> None:
    body = form({"TransactionId": "1", "Amount": "1.00", **extra})
    note = webhooks.verify_and_parse("Pay", {"Content-HMAC": sign(body)}, body, api_secret=SECRET)
    for key, value in extra.items():
        assert str(_field(note, key) or "") == value
    position = flip % len(body)
    altered = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1 :]
    with pytest.raises(SignatureVerificationError):
        webhooks.verify({"Content-HMAC": sign(body)}, altered, api_secret=SECRET)


def _field(note: Any, key: str) -> Any:
    names = {
        "InvoiceId": "invoice_id",
        "AccountId": "account_id",
        "Email": "email",
        "Description": "description",
        "Name": "name",
        "CardFirstSix": "card_first_six",
    }
    return getattr(note, names[key])


@pytest.fixture
async def shop() -> AsyncIterator[tuple[str, list[Any], dict[str, Any]]]:
    """A shop's aiohttp app with the handlers mounted, on loopback."""
    received: list[Any] = []
    behaviour: dict[str, Any] = {"check": CheckAnswer.ACCEPT, "fail": False}
    client = CloudPayments(public_id="pk", api_secret=SECRET)

    async def on_check(note: Any) -> CheckAnswer:
        received.append(note)
        return behaviour["check"]

    async def on_pay(note: Any) -> None:
        if behaviour["fail"]:
            raise RuntimeError("database is down")
        received.append(note)

    app = web.Application()
    app.router.add_post("/cp/check", client.notification_handler("Check", on_check))
    app.router.add_route("*", "/cp/pay", client.notification_handler(NotificationType.PAY, on_pay))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}", received, behaviour
    await runner.cleanup()
    await client.close()


async def deliver(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded", **headers}
        ) as response,
    ):
        return response.status, await response.json()


async def test_handler_answers_code_zero_after_the_callback(shop: Any) -> None:
    url, received, _ = shop
    body = form(PAY_FIELDS)
    assert await deliver(url + "/cp/pay", body, {"Content-HMAC": sign(body)}) == (200, {"code": 0})
    assert isinstance(received[0], PayNotification)


async def test_handler_get_delivery(shop: Any) -> None:
    url, received, _ = shop
    query = form(PAY_FIELDS).decode()
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            URL(f"{url}/cp/pay?{query}", encoded=True),  # verbatim, as CloudPayments sends it
            headers={"Content-HMAC": sign(query.encode())},
        ) as response,
    ):
        assert response.status == 200
    assert received[0].invoice_id == "000123"


async def test_check_can_refuse_a_payment(shop: Any) -> None:
    url, _, behaviour = shop
    behaviour["check"] = CheckAnswer.INVALID_AMOUNT
    body = form(PAY_FIELDS)
    assert await deliver(url + "/cp/check", body, {"Content-HMAC": sign(body)}) == (
        200,
        {"code": 12},
    )


async def test_forgery_never_reaches_the_callback(shop: Any) -> None:
    url, received, _ = shop
    body = form(PAY_FIELDS)
    status, answer = await deliver(url + "/cp/pay", body, {"Content-HMAC": sign(body, "guess")})
    assert status == 401
    assert answer["code"] != 0
    status, _ = await deliver(
        url + "/cp/pay", b"TransactionId=x", {"Content-HMAC": sign(b"TransactionId=x")}
    )
    assert status == 400
    assert received == []


async def test_failing_callback_gets_a_non_zero_answer_so_it_is_retried(shop: Any) -> None:
    url, _, behaviour = shop
    behaviour["fail"] = True
    body = form(PAY_FIELDS)
    status, answer = await deliver(url + "/cp/pay", body, {"Content-HMAC": sign(body)})
    assert status == 500
    assert answer["code"] != 0


@pytest.mark.parametrize("query", ["TransactionId=1&Name=\u042f", "Name=\ud800"])
def test_a_query_string_that_is_not_ascii_is_refused_with_a_typed_error(query: str) -> None:
    with pytest.raises((SignatureVerificationError, InvalidNotificationError)):
        webhooks.verify_and_parse(
            "Pay",
            {"Content-HMAC": sign(query.encode("utf-8", "replace"))},
            b"",
            api_secret="wrong",
            query=query,
        )


def test_a_get_notification_in_windows_1251_needs_the_configured_encoding() -> None:
    # "В\xa0" in Windows-1251 is the bytes C2 A0, which are also valid UTF-8 (for "\xa0"):
    # a query string names no charset, so only the site setting can tell them apart.
    query = urlencode({"TransactionId": "1", "Name": "В\xa0"}, encoding="windows-1251")
    headers = {"Content-HMAC": sign(query.encode())}
    told = webhooks.verify_and_parse(
        "Pay", headers, b"", api_secret=SECRET, query=query, encoding="Windows1251"
    )
    guessed = webhooks.verify_and_parse("Pay", headers, b"", api_secret=SECRET, query=query)
    assert told.name == "В\xa0"
    assert guessed.name == "\xa0"


def test_headers_from_a_plain_dict_are_read_whatever_their_case() -> None:
    # Frameworks other than aiohttp may hand over lowercase keys in a plain dict.
    body = form(PAY_FIELDS)
    headers = {"content-hmac": sign(body), "content-type": "application/x-www-form-urlencoded"}
    note = webhooks.verify_and_parse("Pay", headers, body, api_secret=SECRET)
    assert isinstance(note, PayNotification)
