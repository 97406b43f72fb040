"""The emulator's new methods and its notifications, driven by raw HTTP over loopback.

The SDK's client checks its input before sending; these tests send what a
careless client might, and check the API's own error messages, and they receive
notifications with a bare aiohttp app to see exactly what goes over the wire.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

import aiohttp
import pytest
from aiohttp import web
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aioacquiring import SignatureVerificationError
from aioacquiring.cloudpayments import PayNotification, webhooks
from aioacquiring.testing import CloudPaymentsEmulator, test_cryptogram
from aioacquiring.testing._cloudpayments_notify import encode, signature_headers
from aioacquiring.testing.cloudpayments import answer_code

GOOD = "4000000000003055"


class Api:
    """A raw client of the emulator: JSON or form bodies in, the parsed envelope out."""

    def __init__(self, emu: CloudPaymentsEmulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session
        credentials = f"{emu.public_id}:{emu.api_secret}".encode()
        self.auth = "Basic " + base64.b64encode(credentials).decode()

    async def call(self, path: str, body: Any = None, *, form: bool = False) -> dict[str, Any]:
        headers = {"Authorization": self.auth}
        if form:
            kwargs: dict[str, Any] = {"data": body}
        else:
            kwargs = {"data": json.dumps(body or {}, default=str)}
            headers["Content-Type"] = "application/json"
        async with self.session.post(self.emu.url + path, headers=headers, **kwargs) as response:
            assert response.status == 200
            answer = json.loads(await response.read(), parse_float=Decimal)
        assert isinstance(answer, dict)
        return answer

    async def error(self, path: str, body: Any, **kwargs: Any) -> str:
        answer = await self.call(path, body, **kwargs)
        assert answer["Success"] is False
        assert "Model" not in answer
        return str(answer["Message"])


class Receiver:
    """A bare aiohttp app that records each notification and answers as told."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.answers: list[tuple[int, bytes]] = []  # queued; then {"code": 0}
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(
            (request.method, request.path_qs, dict(request.headers), await request.read())
        )
        status, body = self.answers.pop(0) if self.answers else (200, b'{"code":0}')
        return web.Response(status=status, body=body, content_type="application/json")


@pytest.fixture
async def emu() -> AsyncIterator[CloudPaymentsEmulator]:
    async with CloudPaymentsEmulator(notification_schedule=(0.0, 0.0)) as emulator:
        yield emulator


@pytest.fixture
async def api(emu: CloudPaymentsEmulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(emu, session)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield receiver
    await runner.cleanup()


def sign(message: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


async def pay(api: Api, card: str = GOOD, **extra: Any) -> dict[str, Any]:
    body = {
        "Amount": 10,
        "IpAddress": "203.0.113.7",
        "CardCryptogramPacket": test_cryptogram(card),
        **extra,
    }
    return await api.call("/payments/cards/charge", body)


# What goes over the wire ------------------------------------------------------------------


async def test_form_notification_as_cloudpayments_writes_it(
    api: Api, emu: CloudPaymentsEmulator, receiver: Receiver
) -> None:
    emu.notify_url("Pay", receiver.url + "/pay")
    answer = await pay(api, InvoiceId="000123", Name="Иван Петров", JsonData={"a": 1.5})
    await emu.notifications_delivered()
    [(method, path, headers, body)] = receiver.requests
    assert (method, path) == ("POST", "/pay")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded; charset=utf-8"
    assert headers["Content-HMAC"] == sign(body, emu.api_secret)
    decoded = unquote_to_bytes(body.replace(b"+", b" "))
    assert headers["X-Content-HMAC"] == sign(decoded, emu.api_secret)
    sent = dict(parse_qsl(body.decode(), keep_blank_values=True))
    assert sent["TransactionId"] == str(answer["Model"]["TransactionId"])
    assert (sent["Amount"], sent["Currency"], sent["TestMode"]) == ("10.00", "RUB", "1")
    assert (sent["InvoiceId"], sent["Name"], sent["Email"]) == ("000123", "Иван Петров", "")
    assert json.loads(sent["Data"]) == {"a": 1.5}
    datetime.strptime(sent["DateTime"], "%Y-%m-%d %H:%M:%S")  # CloudPayments' own format
    assert sent["Token"] == answer["Model"]["Token"]


async def test_json_notification_in_windows_1251_is_ascii(
    api: Api, emu: CloudPaymentsEmulator, receiver: Receiver
) -> None:
    emu.notify_url("Pay", receiver.url + "/pay", format="json", encoding="Windows1251")
    await pay(api, Description="Чай \U0001f375")
    await emu.notifications_delivered()
    [(_, _, headers, body)] = receiver.requests
    assert headers["Content-Type"] == "application/json; charset=windows-1251"
    body.decode("ascii")  # every non-ASCII character escaped
    sent = json.loads(body, parse_float=Decimal)
    assert sent["Description"] == "Чай \U0001f375"
    assert (sent["Amount"], sent["TestMode"], sent["Email"]) == (10, True, None)


async def test_get_appends_to_an_address_with_a_query(
    api: Api, emu: CloudPaymentsEmulator, receiver: Receiver
) -> None:
    emu.notify_url("Fail", receiver.url + "/fail?shop=1", http_method="GET")
    await pay(api, "4000056655665556")
    await emu.notifications_delivered()
    [(method, path, headers, body)] = receiver.requests
    assert (method, body) == ("GET", b"")
    assert path.startswith("/fail?shop=1&TransactionId=")
    assert "Content-Type" not in headers
    assert "ReasonCode=5051" in path


async def test_non_zero_answers_and_http_errors_are_retried_then_given_up(
    api: Api, emu: CloudPaymentsEmulator, receiver: Receiver
) -> None:
    emu.notify_url("Pay", receiver.url + "/pay")
    receiver.answers = [(200, b'{"code":13}'), (500, b"oops"), (200, b"not json")]
    await pay(api)
    await emu.notifications_delivered()
    [delivery] = emu.deliveries
    assert [a.status for a in delivery.attempts] == [200, 500, 200]
    assert answer_code(delivery) is None
    assert delivery.delivered is False
    assert len(receiver.requests) == 3
    assert "Token" not in repr(delivery)


async def test_a_check_that_cannot_be_read_refuses(
    api: Api, emu: CloudPaymentsEmulator, receiver: Receiver
) -> None:
    emu.notify_url("Check", receiver.url + "/check")
    receiver.answers = [(500, b"")]
    answer = await pay(api)
    assert answer["Success"] is False
    assert answer["Model"]["ReasonCode"] == 5204
    [check] = emu.deliveries
    assert (check.last_status, answer_code(check), check.delivered) == (500, None, False)
    receiver.answers = [(200, b'{"code": 0}')]
    assert (await pay(api))["Success"] is True


async def test_nothing_is_sent_to_a_type_without_a_url(
    api: Api, emu: CloudPaymentsEmulator, receiver: Receiver
) -> None:
    emu.notify_url("Pay", receiver.url + "/pay")
    emu.notify_url("Pay", None)
    await pay(api)
    await emu.notifications_delivered()
    assert emu.deliveries == []


def test_notification_settings_are_checked_in_python() -> None:
    emu = CloudPaymentsEmulator()
    with pytest.raises(ValueError, match="type"):
        emu.notify_url("Teleport", "http://x")
    with pytest.raises(ValueError, match="format"):
        emu.notify_url("Pay", "http://x", format="xml")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="http_method"):
        emu.notify_url("Pay", "http://x", http_method="PUT")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="encoding"):
        emu.notify_url("Pay", "http://x", encoding="KOI8")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="POST"):
        emu.notify_url("Pay", "http://x", format="json", http_method="GET")
    with pytest.raises(ValueError, match="negative"):
        CloudPaymentsEmulator(notification_schedule=(-1,))


SECRET = "property-secret"
TEXT_FIELDS = {
    "InvoiceId": "invoice_id",
    "AccountId": "account_id",
    "Description": "description",
    "Name": "name",
    "CardFirstSix": "card_first_six",
}


# Windows-1251 text that is also valid UTF-8: only the declared charset reads it right.
@example(
    values={**dict.fromkeys(TEXT_FIELDS, ""), "Name": "Рџ"},
    amount=Decimal("1.00"),
    as_json=False,
    encoding="windows-1251",
    by_get=False,
)
@settings(max_examples=150, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {key: st.text(st.characters(codec="cp1251"), max_size=12) for key in TEXT_FIELDS}
    ),
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999"), places=2),
    as_json=st.booleans(),
    encoding=st.sampled_from(["utf-8", "windows-1251"]),
    by_get=st.booleans(),
)
def test_every_notification_the_emulator_signs_verifies_and_reads_back(
    values: dict[str, str], amount: Decimal, as_json: bool, encoding: str, by_get: bool
) -> None:
    fields = {
        "TransactionId": 3_000_000_001,
        "Amount": amount,
        "DateTime": datetime(2024, 5, 1, 12, 30, 45, tzinfo=timezone.utc),
        "TestMode": True,
        **values,
    }
    message, content_type = encode(fields, as_json=as_json, encoding=encoding)
    signatures = signature_headers(SECRET, message)
    get = by_get and not as_json
    body, query = (b"", message.decode("ascii")) if get else (message, None)
    for header in ("Content-HMAC", "X-Content-HMAC"):  # either one alone is enough
        headers = {header: signatures[header]}
        if not get:
            headers["Content-Type"] = content_type
        # A GET query carries no charset: the receiver knows it from the site settings.
        setting = ("Windows1251" if encoding == "windows-1251" else "UTF8") if get else None
        note = webhooks.verify_and_parse(
            "Pay", headers, body, api_secret=SECRET, query=query, encoding=setting
        )
        assert isinstance(note, PayNotification)
        assert (note.transaction_id, note.amount, note.test_mode) == (3_000_000_001, amount, True)
        assert note.date_time == fields["DateTime"]
        for key, name in TEXT_FIELDS.items():
            assert getattr(note, name) == (values[key] or None)
    tampered = message.replace(b"3000000001", b"3000000002")
    with pytest.raises(SignatureVerificationError):
        webhooks.verify({"Content-HMAC": signatures["Content-HMAC"]}, tampered, api_secret=SECRET)


def test_form_encoding_replaces_what_windows_1251_cannot_write() -> None:
    body, content_type = encode(
        {"Name": "a\U0001f375b", "Flag": False}, as_json=False, encoding="windows-1251"
    )
    assert body == b"Name=a%3Fb&Flag=0"
    assert content_type.endswith("windows-1251")


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/site/notifications/Check/update", {"IsEnabled": True}, "Invalid Type value"),
        ("/site/notifications/Teleport/get", {}, "Invalid Type value"),
        ("/site/notifications/Pay/update", {"IsEnabled": "maybe"}, "Invalid IsEnabled value"),
        ("/site/notifications/Pay/update", {"Address": "ftp://x"}, "Invalid Address value"),
        ("/site/notifications/Pay/update", {"HttpMethod": "PUT"}, "Invalid HttpMethod value"),
        ("/site/notifications/Pay/update", {"Encoding": "KOI8"}, "Invalid Encoding value"),
        ("/site/notifications/Pay/update", {"IsEnabled": True}, "Address is required"),
    ],
)
async def test_notification_settings_requests_are_checked(
    api: Api, path: str, body: dict[str, Any], message: str
) -> None:
    assert await api.error(path, body) == message


async def test_notification_settings_from_a_form(api: Api) -> None:
    update = {"IsEnabled": "true", "Address": "https://shop/cp", "Format": "QIWI"}
    assert (await api.call("/site/notifications/Refund/update", update, form=True))["Success"]
    settings = (await api.call("/site/notifications/Refund/get"))["Model"]
    assert settings == {
        "IsEnabled": True,
        "Address": "https://shop/cp",
        "HttpMethod": "GET",
        "Encoding": "UTF8",
        "Format": "QIWI",
    }


# Requests the API refuses -----------------------------------------------------------------


def subscription(token: str, **change: Any) -> dict[str, Any]:
    start = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S")
    body = {
        "Token": token,
        "AccountId": "u1",
        "Description": "Box",
        "Amount": 10,
        "Currency": "RUB",
        "RequireConfirmation": False,
        "StartDate": start,  # no offset: UTC, as the API takes it
        "Interval": "Week",
        "Period": 2,
        **change,
    }
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Currency": None}, "Currency is required"),
        ({"RequireConfirmation": None}, "RequireConfirmation is required"),
        ({"RequireConfirmation": "perhaps"}, "Invalid RequireConfirmation value"),
        ({"Interval": "Year"}, "Invalid Interval value"),
        ({"Interval": None}, "Interval is required"),
        ({"Period": 0}, "Invalid Period value"),
        ({"MaxPeriods": "x"}, "Invalid MaxPeriods value"),
        ({"StartDate": "tomorrow"}, "Invalid StartDate value"),
        ({"CustomerReceipt": [1]}, "Invalid CustomerReceipt value"),
    ],
)
async def test_subscription_create_is_checked(
    api: Api, emu: CloudPaymentsEmulator, change: dict[str, Any], message: str
) -> None:
    token = emu.add_token(GOOD, account_id="u1")
    assert await api.error("/subscriptions/create", subscription(token, **change)) == message


async def test_subscription_by_form_and_every_update_field(
    api: Api, emu: CloudPaymentsEmulator
) -> None:
    token = emu.add_token(GOOD, account_id="u1")
    form = {k: str(v) for k, v in subscription(token, RequireConfirmation="true").items()}
    created = (await api.call("/subscriptions/create", form, form=True))["Model"]
    assert (created["Interval"], created["IntervalCode"], created["Period"]) == ("Week", 0, 2)
    assert created["RequireConfirmation"] is True
    start = (datetime.now(timezone.utc) + timedelta(days=9)).replace(microsecond=0)
    update = {
        "Id": created["Id"],
        "Description": "Bigger box",
        "Currency": "EUR",
        "RequireConfirmation": False,
        "StartDate": start.isoformat(),
        "MaxPeriods": 4,
        "Email": "a@example.com",
        "CultureName": "en-US",
    }
    updated = (await api.call("/subscriptions/update", update))["Model"]
    assert (updated["Description"], updated["Currency"], updated["CurrencyCode"]) == (
        "Bigger box",
        "EUR",
        1,
    )
    assert (updated["MaxPeriods"], updated["Email"], updated["CultureName"]) == (
        4,
        "a@example.com",
        "en-US",
    )
    assert updated["NextTransactionDateIso"] == start.strftime("%Y-%m-%dT%H:%M:%S")
    found = await api.call("/subscriptions/find", {"AccountId": "u1"})
    assert [s["Id"] for s in found["Model"]] == [created["Id"]]
    assert await api.error("/subscriptions/update", {"Id": "sc_x"}) == "Not found"
    assert await api.error("/subscriptions/cancel", {}) == "Id is required"


async def test_a_reactivated_subscription_resumes_its_schedule() -> None:
    now = [datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)]
    async with (
        CloudPaymentsEmulator(clock=lambda: now[0]) as emu,
        aiohttp.ClientSession() as session,
    ):
        api = Api(emu, session)
        token = emu.add_token(GOOD, account_id="u1")
        body = subscription(token, StartDate="2030-01-02T12:00:00Z", Interval="Week", Period=1)
        created = (await api.call("/subscriptions/create", body))["Model"]
        await api.call("/subscriptions/cancel", {"Id": created["Id"]})
        now[0] += timedelta(days=30)  # a month later, the payer comes back
        again = (await api.call("/subscriptions/update", {"Id": created["Id"]}))["Model"]
        assert again["Status"] == "Active"
        # Weekly from 2 January: the first date not in the past is 6 February.
        assert again["NextTransactionDateIso"] == "2030-02-06T12:00:00"


RUB_1 = {"Amount": 1, "Currency": "RUB"}
SBP = {"PublicId": "pk_test_emulator", "Amount": 1}
LINE = {"label": "x", "price": 1, "amount": 1, "quantity": 1}
ITEM_0 = "CustomerReceipt.Items[0]"
BAD_QUANTITY = "Invalid quantity value"
CRYPTOGRAM = "CardCryptogramPacket"


def receipt(*items: Any) -> dict[str, Any]:
    return {"Type": "Income", "CustomerReceipt": {"Items": list(items)}}


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/payments/cards/topup", {"Amount": 1}, "Currency is required"),
        ("/payments/cards/topup", {**RUB_1, "Payer": 5}, "Invalid Payer value"),
        ("/payments/cards/topup", {**RUB_1, "CardCryptogramPacket": "x"}, f"Invalid {CRYPTOGRAM}"),
        ("/payments/token/topup", {**RUB_1, "AccountId": "a"}, "Token is required"),
        ("/payments/tokens/list", {"PageNumber": 0}, "Invalid PageNumber value"),
        ("/payments/list", {"Date": "2024-13-01"}, "Invalid Date value"),
        ("/payments/list", {"Date": "2024-5-1"}, "Invalid Date value"),
        ("/chargebacks/list", {"PageNumber": 1}, "CreatedDateGte is required"),
        ("/orders/create", {"Amount": 1, "Description": "x", "SendSms": True}, "Phone is required"),
        ("/orders/create", {"Amount": 1}, "Description is required"),
        ("/payments/qr/sbp/link", {**RUB_1, **SBP, "Scheme": "later"}, "Invalid Scheme value"),
        ("/payments/qr/sbp/link", SBP, "Currency is required"),
        ("/kkt/receipt", {"CustomerReceipt": {}}, "Type is required"),
        ("/kkt/receipt", {"Type": "Income"}, "CustomerReceipt is required"),
        ("/kkt/receipt", receipt(), "CustomerReceipt.Items is required"),
        ("/kkt/receipt", receipt(1), f"Invalid {ITEM_0} value"),
        ("/kkt/receipt", receipt({**LINE, "quantity": "lots"}), f"{ITEM_0}: {BAD_QUANTITY}"),
        ("/kkt/receipt", receipt({**LINE, "quantity": True}), f"{ITEM_0}: {BAD_QUANTITY}"),
        ("/kkt/receipt", receipt({**LINE, "price": 0}), f"{ITEM_0}: Invalid price value"),
    ],
)  # fmt: skip
async def test_requests_are_checked(
    api: Api, path: str, body: dict[str, Any], message: str
) -> None:
    assert await api.error(path, body) == message


async def test_nested_objects_may_come_as_json_text_in_a_form(api: Api) -> None:
    receipt = {"Items": [{"label": "Tea", "price": "10", "amount": "20", "quantity": "2"}]}
    form = {"Type": "IncomeReturn", "CustomerReceipt": json.dumps(receipt)}
    answer = await api.call("/kkt/receipt", form, form=True)
    assert answer["Success"] is True
    bad = {"Type": "Income", "CustomerReceipt": "{not json"}
    assert await api.error("/kkt/receipt", bad, form=True) == "Invalid CustomerReceipt value"


async def test_payout_to_an_expired_card_is_declined(api: Api) -> None:
    body = {
        "Amount": 5,
        "Currency": "RUB",
        "CardCryptogramPacket": test_cryptogram(GOOD, expiry="01/20"),
    }
    answer = await api.call("/payments/cards/topup", body)
    assert answer["Success"] is False
    assert (answer["Model"]["ReasonCode"], answer["Model"]["Type"]) == (5054, 2)


async def test_payouts_cannot_be_refunded(api: Api) -> None:
    body = {"Amount": 5, "Currency": "RUB", "CardCryptogramPacket": test_cryptogram(GOOD)}
    payout = (await api.call("/payments/cards/topup", body))["Model"]
    refund = {"TransactionId": payout["TransactionId"], "Amount": 5}
    assert "cannot be refunded" in await api.error("/payments/refund", refund)


def test_python_side_helpers_check_their_arguments() -> None:
    emu = CloudPaymentsEmulator()
    with pytest.raises(KeyError):
        emu.add_chargeback(123)
    payment = emu.add_transaction(amount=1, created_at=datetime.now(timezone.utc))
    with pytest.raises(ValueError, match="aware"):
        emu.add_chargeback(payment, created_at=datetime(2024, 1, 1))
    with pytest.raises(KeyError):
        emu.pay_order("missing")


async def test_a_paid_order_cannot_be_paid_again(api: Api, emu: CloudPaymentsEmulator) -> None:
    order = (await api.call("/orders/create", {"Amount": 5, "Description": "x"}))["Model"]
    declined = emu.pay_order(order["Id"], "4000056655665556")
    assert emu.transactions[-1]["TransactionId"] == declined
    assert emu.orders[0]["Status"] == "Created"  # a declined card leaves it open
    emu.pay_order(order["Id"])
    with pytest.raises(ValueError, match="Paid"):
        emu.pay_order(order["Id"])
    async with aiohttp.ClientSession() as browser, browser.get(emu.url + "/d/unknown") as page:
        assert page.status == 404
