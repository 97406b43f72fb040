"""The CloudPayments emulator itself, driven by a raw aiohttp client over loopback."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from aioacquiring.testing import (
    CloudPaymentsEmulator,
    EmulatorServer,
    FaultInjector,
    test_cryptogram,
)

SUCCESS = "4000000000003055"
EMPTY_CARD = "4000056655665556"
THREE_DS_SUCCESS = "4242424242424242"
THREE_DS_EMPTY = "4012888888881881"
OTHER_GOOD = "5555555555554444"
LUHN_BAD = "4000000000003056"
CHARGE = "/payments/cards/charge"


def basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


class Api:
    """A raw client: POST JSON (or a form), get the status, the raw bytes and the parsed body."""

    def __init__(self, emu: CloudPaymentsEmulator, session: aiohttp.ClientSession) -> None:
        self.emu = emu
        self.session = session
        self.auth = basic(emu.public_id, emu.api_secret)

    async def raw(
        self, path: str, body: Any = None, *, form: bool = False, key: str | None = None
    ) -> tuple[int, bytes]:
        sent = {"Authorization": self.auth}
        if key is not None:
            sent["X-Request-ID"] = key
        if form:
            kwargs: dict[str, Any] = {"data": body}
        else:  # a Decimal goes out as its shortest float text: Decimal("1.001") -> 1.001
            kwargs = {"data": json.dumps(body or {}, default=float)}
            sent.setdefault("Content-Type", "application/json")
        async with self.session.post(self.emu.url + path, headers=sent, **kwargs) as response:
            return response.status, await response.read()

    async def call(self, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
        status, raw = await self.raw(path, body, **kwargs)
        assert status == 200, (status, raw)
        answer = json.loads(raw, parse_float=Decimal)
        assert isinstance(answer, dict)
        return answer

    async def pay(self, card: str, amount: Any = 100, *, path: str = CHARGE, **extra: Any) -> Any:
        body = {
            "Amount": amount,
            "IpAddress": "203.0.113.7",
            "CardCryptogramPacket": test_cryptogram(card),
            **extra,
        }
        return await self.call(path, body)


@pytest.fixture
async def emu() -> AsyncIterator[CloudPaymentsEmulator]:
    async with CloudPaymentsEmulator() as emulator:
        yield emulator


@pytest.fixture
async def api(emu: CloudPaymentsEmulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(emu, session)


def error_only(answer: dict[str, Any], message: str) -> None:
    assert answer == {"Success": False, "Message": message}


# Server, auth, envelope ---------------------------------------------------------


async def test_server_lifecycle_and_url() -> None:
    emu = CloudPaymentsEmulator(api_secret="s3cr3t-value")
    with pytest.raises(RuntimeError):
        _ = emu.url
    await emu.start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", emu.url)
        with pytest.raises(RuntimeError):
            await emu.start()
        assert "s3cr3t-value" not in repr(emu)
        assert isinstance(emu, EmulatorServer)
        assert isinstance(emu.faults, FaultInjector)
    finally:
        await emu.close()
    await emu.close()  # twice is fine


class Echo(EmulatorServer):
    """The smallest emulator: what a future provider's emulator builds on."""

    def routes(self) -> list[web.RouteDef]:
        async def echo(request: web.Request) -> web.Response:
            return web.Response(body=await request.read())

        return [web.post("/echo", echo)]


async def test_the_base_serves_any_app_with_faults_in_front() -> None:
    async with Echo(max_concurrency=None) as server, aiohttp.ClientSession() as session:
        assert repr(server) == f"Echo(url={server.url!r})"
        server.faults.fail_next(status=502)
        async with session.post(server.url + "/echo", data=b"x") as response:
            assert response.status == 502
        async with session.post(server.url + "/echo", data=b"hello") as response:
            assert await response.read() == b"hello"
        assert server.faults.requests_seen("/echo") == 2
    assert repr(server) == "Echo(url='not started')"


async def test_two_emulators_side_by_side_share_nothing(api: Api) -> None:
    async with CloudPaymentsEmulator(public_id="pk_other") as other:
        assert other.url != api.emu.url
        await api.pay(SUCCESS)
        assert len(api.emu.transactions) == 1
        assert other.transactions == []
        status, _ = await api.raw("/test")  # api's credentials are not the other's
        assert status == 200
        async with api.session.post(
            other.url + "/test", headers={"Authorization": api.auth}
        ) as response:
            assert response.status == 401


@pytest.mark.parametrize(
    "header",
    [
        None,
        basic("pk_test_emulator", "wrong"),
        basic("pk_wrong", "emulator_api_secret"),
        "Bearer x",
    ],
)
async def test_missing_or_wrong_credentials_are_401_with_an_empty_body(
    api: Api, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    async with api.session.post(api.emu.url + CHARGE, json={}, headers=headers) as response:
        assert response.status == 401
        assert await response.read() == b""


async def test_connectivity_check_answers_a_guid(api: Api) -> None:
    answer = await api.call("/test")
    assert answer["Success"] is True
    uuid.UUID(answer["Message"])
    assert "Model" not in answer


async def test_invalid_json_body_is_a_message(api: Api) -> None:
    async with api.session.post(
        api.emu.url + CHARGE,
        data=b"{not json",
        headers={"Authorization": api.auth, "Content-Type": "application/json"},
    ) as response:
        answer = await response.json()
    assert answer["Success"] is False
    assert "Model" not in answer


# Cards -----------------------------------------------------------------------------


async def test_charge_success_carries_the_documented_transaction(api: Api) -> None:
    status, raw = await api.raw(
        CHARGE,
        {
            "Amount": Decimal("10.5"),
            "IpAddress": "203.0.113.7",
            "CardCryptogramPacket": test_cryptogram(SUCCESS, expiry="07/31"),
            "InvoiceId": 1234567,
            "AccountId": "user_x",
            "Name": "CARDHOLDER NAME",
            "JsonData": {"order": 1},
        },
    )
    assert status == 200
    assert b'"Amount":10.5,' in raw  # a JSON number with no float artefacts
    answer = json.loads(raw, parse_float=Decimal)
    assert answer["Success"] is True
    assert answer["Message"] is None
    model = answer["Model"]
    assert model["TransactionId"] > 2**31
    assert model["Amount"] == Decimal("10.5")
    assert (model["Currency"], model["CurrencyCode"], model["PaymentCurrency"]) == ("RUB", 0, "RUB")
    assert (model["Status"], model["StatusCode"]) == ("Completed", 3)
    assert (model["Reason"], model["ReasonCode"]) == ("Approved", 0)
    assert model["InvoiceId"] == "1234567"
    assert model["JsonData"] == {"order": 1}
    assert (model["CardFirstSix"], model["CardLastFour"]) == ("400000", "3055")
    assert model["CardExpDate"] == "07/31"
    assert (model["CardType"], model["CardTypeCode"]) == ("Visa", 0)
    assert model["TestMode"] is True
    assert model["Refunded"] is False
    uuid.UUID(model["Token"])
    assert re.fullmatch(r"/Date\(\d{13}\)/", model["CreatedDate"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", model["CreatedDateIso"])
    assert model["AuthDateIso"]
    assert model["ConfirmDateIso"]
    stamp = int(model["CreatedDate"][6:-2]) / 1000
    iso = datetime.fromisoformat(model["CreatedDateIso"]).replace(tzinfo=timezone.utc)
    assert abs(iso.timestamp() - stamp) < 1
    assert api.emu.transactions == [model]


async def test_auth_success_is_authorized(api: Api) -> None:
    answer = await api.pay(SUCCESS, path="/payments/cards/auth")
    assert answer["Success"] is True
    assert (answer["Model"]["Status"], answer["Model"]["StatusCode"]) == ("Authorized", 2)
    assert answer["Model"]["ConfirmDate"] is None


@pytest.mark.parametrize(
    ("card", "code", "name", "expiry"),
    [
        (EMPTY_CARD, 5051, "InsufficientFunds", "12/30"),
        (LUHN_BAD, 5014, "InvalidCardNumber", "12/30"),
        (OTHER_GOOD, 5054, "ExpiredCard", "01/20"),
    ],
)
async def test_declines_are_a_model_with_a_reason(
    api: Api, card: str, code: int, name: str, expiry: str
) -> None:
    body = {
        "Amount": 5,
        "IpAddress": "1.1.1.1",
        "CardCryptogramPacket": test_cryptogram(card, expiry=expiry),
        "CultureName": "en-US",
    }
    answer = await api.call(CHARGE, body)
    assert answer["Success"] is False
    assert answer["Message"] is None
    model = answer["Model"]
    assert (model["Status"], model["StatusCode"]) == ("Declined", 5)
    assert (model["ReasonCode"], model["Reason"]) == (code, name)
    assert model["CardHolderMessage"]
    assert model["Token"] is None


async def test_any_other_valid_card_succeeds_without_3ds(api: Api) -> None:
    answer = await api.pay(OTHER_GOOD, Decimal("0.01"))
    assert answer["Success"] is True
    assert answer["Model"]["CardType"] == "MasterCard"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"IpAddress": "1.1.1.1"}, "Amount is required"),
        ({"Amount": 0}, "Invalid Amount value"),
        ({"Amount": -5}, "Invalid Amount value"),
        ({"Amount": Decimal("1.001")}, "Invalid Amount value"),
        ({"Amount": "abc"}, "Invalid Amount value"),
        ({"Amount": True}, "Invalid Amount value"),
        ({"Amount": 1, "Currency": "XXX"}, "Invalid Currency value"),
        ({"Amount": 1, "CardCryptogramPacket": "x"}, "IpAddress is required"),
        ({"Amount": 1, "IpAddress": "1.1.1.1"}, "CardCryptogramPacket is required"),
        (
            {"Amount": 1, "IpAddress": "1.1.1.1", "CardCryptogramPacket": "EMU1!!!"},
            "Invalid CardCryptogramPacket",
        ),
        (
            {"Amount": 1, "IpAddress": "1.1.1.1", "CardCryptogramPacket": "014242424242"},
            "Invalid CardCryptogramPacket",
        ),
    ],
)
async def test_invalid_requests_are_a_message_without_model(
    api: Api, body: dict[str, Any], message: str
) -> None:
    error_only(await api.call(CHARGE, body), message)
    assert api.emu.transactions == []


async def test_form_encoded_requests_are_accepted(api: Api) -> None:
    form = {
        "Amount": "12.30",
        "Currency": "USD",
        "IpAddress": "1.1.1.1",
        "CardCryptogramPacket": test_cryptogram(SUCCESS),
        "JsonData": '{"a": 1}',
    }
    answer = await api.call(CHARGE, form, form=True)
    assert answer["Success"] is True
    model = answer["Model"]
    assert (model["Amount"], model["Currency"], model["CurrencyCode"]) == (
        Decimal("12.3"),
        "USD",
        2,
    )
    assert model["JsonData"] == {"a": 1}
    got = await api.call("/payments/get", {"TransactionId": str(model["TransactionId"])}, form=True)
    assert got["Model"]["TransactionId"] == model["TransactionId"]


def test_cryptogram_is_opaque_and_checked() -> None:
    packet = test_cryptogram("4242 4242 4242 4242", cvv="999")
    assert packet.startswith("EMU1")
    assert "4242" not in packet
    assert "999" not in packet
    with pytest.raises(ValueError, match="digits"):
        test_cryptogram("not a card")
    with pytest.raises(ValueError, match="expiry"):
        test_cryptogram(SUCCESS, expiry="13/30")


# 3-D Secure ---------------------------------------------------------------------------


async def acs_pa_res(
    api: Api, challenge: dict[str, Any], term_url: str = "https://shop/3ds"
) -> str:
    form = {"MD": str(challenge["TransactionId"]), "PaReq": challenge["PaReq"], "TermUrl": term_url}
    async with api.session.post(challenge["AcsUrl"], data=form) as page:  # no credentials: a bank
        assert page.status == 200
        html = await page.text()
    assert f'name="MD" value="{challenge["TransactionId"]}"' in html
    assert "document.forms[0].submit()" in html
    found = re.search(r'name="PaRes" value="([^"]*)"', html)
    assert found
    return found[1]


async def test_3ds_challenge_then_success_through_the_acs(api: Api) -> None:
    answer = await api.pay(THREE_DS_SUCCESS, InvoiceId="o-1")
    assert answer["Success"] is False
    challenge = answer["Model"]
    assert set(challenge) == {
        "TransactionId",
        "PaReq",
        "AcsUrl",
        "GoReq",
        "ThreeDsSessionData",
        "IFrameIsAllowed",
        "FrameWidth",
        "FrameHeight",
    }
    assert challenge["AcsUrl"] == api.emu.url + "/acs"
    assert challenge["IFrameIsAllowed"] is True
    assert api.emu.transactions[0]["Status"] == "AwaitingAuthentication"
    pa_res = await acs_pa_res(api, challenge)
    assert pa_res == api.emu.pa_res_for(challenge["TransactionId"])
    body = {"TransactionId": challenge["TransactionId"], "PaRes": pa_res}
    done = await api.call("/payments/cards/post3ds", body)
    assert done["Success"] is True
    assert done["Model"]["Status"] == "Completed"
    assert done["Model"]["TransactionId"] == challenge["TransactionId"]
    again = await api.call("/payments/cards/post3ds", body)
    error_only(again, again["Message"])
    assert again["Message"]


async def test_3ds_on_auth_ends_authorized(api: Api) -> None:
    challenge = (await api.pay(THREE_DS_SUCCESS, path="/payments/cards/auth"))["Model"]
    pa_res = api.emu.pa_res_for(challenge["TransactionId"])
    body = {"TransactionId": challenge["TransactionId"], "PaRes": pa_res}
    done = await api.call("/payments/cards/post3ds", body)
    assert done["Model"]["Status"] == "Authorized"


async def test_3ds_then_insufficient_funds(api: Api) -> None:
    challenge = (await api.pay(THREE_DS_EMPTY))["Model"]
    body = {"TransactionId": challenge["TransactionId"], "PaRes": await acs_pa_res(api, challenge)}
    done = await api.call("/payments/cards/post3ds", body)
    assert done["Success"] is False
    assert done["Model"]["ReasonCode"] == 5051


async def test_3ds_wrong_pares_fails_authentication(api: Api) -> None:
    challenge = (await api.pay(THREE_DS_SUCCESS))["Model"]
    body = {"TransactionId": challenge["TransactionId"], "PaRes": "forged"}
    done = await api.call("/payments/cards/post3ds", body)
    assert (done["Success"], done["Model"]["ReasonCode"]) == (False, 5206)
    assert done["Model"]["Reason"] == "AuthenticationFailed"


async def test_post3ds_unknown_transaction_and_acs_errors(api: Api) -> None:
    body = {"TransactionId": 42, "PaRes": "x"}
    error_only(await api.call("/payments/cards/post3ds", body), "Not found")
    error_only(
        await api.call("/payments/cards/post3ds", {"PaRes": "x"}), "TransactionId is required"
    )
    async with api.session.post(api.emu.url + "/acs", data={"MD": "1"}) as page:
        assert page.status == 400
    with pytest.raises(KeyError):
        api.emu.pa_res_for(42)


async def test_acs_escapes_the_term_url(api: Api) -> None:
    challenge = (await api.pay(THREE_DS_SUCCESS))["Model"]
    form = {"MD": str(challenge["TransactionId"]), "PaReq": challenge["PaReq"]}
    form["TermUrl"] = 'https://shop/?a=1&b="<x>'
    async with api.session.post(challenge["AcsUrl"], data=form) as page:
        html = await page.text()
    assert 'action="https://shop/?a=1&amp;b=&quot;&lt;x&gt;"' in html


# Tokens --------------------------------------------------------------------------------


async def test_token_charge_and_auth(api: Api) -> None:
    token = (await api.pay(SUCCESS, AccountId="user-7"))["Model"]["Token"]
    body = {"Amount": 15, "AccountId": "user-7", "Token": token, "TrInitiatorCode": 0}
    charged = await api.call("/payments/tokens/charge", {**body, "PaymentScheduled": 1})
    assert charged["Success"] is True
    assert (charged["Model"]["Status"], charged["Model"]["Token"]) == ("Completed", token)
    held = await api.call("/payments/tokens/auth", {**body, "TrInitiatorCode": 1})
    assert held["Model"]["Status"] == "Authorized"
    assert len(api.emu.transactions) == 3


async def test_token_of_a_3ds_card_is_charged_without_3ds(api: Api) -> None:
    challenge = (await api.pay(THREE_DS_SUCCESS, AccountId="u"))["Model"]
    body = {"TransactionId": challenge["TransactionId"]}
    body["PaRes"] = api.emu.pa_res_for(challenge["TransactionId"])
    token = (await api.call("/payments/cards/post3ds", body))["Model"]["Token"]
    again = {"Amount": 1, "AccountId": "u", "Token": token, "TrInitiatorCode": 0}
    assert (await api.call("/payments/tokens/charge", again))["Success"] is True


async def test_token_of_an_empty_card_declines(api: Api) -> None:
    token = api.emu.add_token(EMPTY_CARD, account_id="user-1")
    body = {"Amount": 1, "AccountId": "user-1", "Token": token, "TrInitiatorCode": 0}
    answer = await api.call("/payments/tokens/charge", body)
    assert answer["Success"] is False
    assert answer["Model"]["ReasonCode"] == 5051


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"TrInitiatorCode": None}, "TrInitiatorCode is required"),
        ({"TrInitiatorCode": 2}, "Invalid TrInitiatorCode value"),
        ({"PaymentScheduled": 5}, "Invalid PaymentScheduled value"),
        ({"Token": "no-such-token"}, "Token not found"),
        ({"AccountId": "someone-else"}, "Token not found"),
        ({"AccountId": None}, "AccountId is required"),
        ({"Amount": None}, "Amount is required"),
    ],
)
async def test_token_requests_are_checked(api: Api, change: dict[str, Any], message: str) -> None:
    token = api.emu.add_token(SUCCESS, account_id="user-1")
    body = {"Amount": 1, "AccountId": "user-1", "Token": token, "TrInitiatorCode": 0, **change}
    error_only(await api.call("/payments/tokens/charge", body), message)


# Confirm, void, refund ---------------------------------------------------------------


async def test_confirm_a_lower_amount(api: Api) -> None:
    held = (await api.pay(SUCCESS, 500, path="/payments/cards/auth"))["Model"]
    tx = held["TransactionId"]
    over = await api.call("/payments/confirm", {"TransactionId": tx, "Amount": 501})
    error_only(over, over["Message"])
    assert over["Message"]
    done = await api.call("/payments/confirm", {"TransactionId": tx, "Amount": Decimal("400.5")})
    assert done == {"Model": None, "Success": True, "Message": None}
    got = (await api.call("/payments/get", {"TransactionId": tx}))["Model"]
    assert (got["Status"], got["Amount"]) == ("Completed", Decimal("400.5"))
    assert got["ConfirmDateIso"]
    again = await api.call("/payments/confirm", {"TransactionId": tx, "Amount": 1})
    error_only(again, again["Message"])


async def test_void_a_hold_and_not_a_completed_payment(api: Api) -> None:
    held = (await api.pay(SUCCESS, path="/payments/cards/auth"))["Model"]["TransactionId"]
    done = await api.call("/payments/void", {"TransactionId": held})
    assert done == {"Model": None, "Success": True, "Message": None}
    assert api.emu.transactions[0]["Status"] == "Cancelled"
    assert api.emu.transactions[0]["StatusCode"] == 4
    paid = (await api.pay(SUCCESS))["Model"]["TransactionId"]
    refused = await api.call("/payments/void", {"TransactionId": paid})
    error_only(refused, refused["Message"])
    assert refused["Message"]
    error_only(await api.call("/payments/void", {"TransactionId": 7}), "Not found")


async def test_refunds_up_to_the_amount(api: Api) -> None:
    paid = (await api.pay(SUCCESS, 300, InvoiceId="r-1"))["Model"]["TransactionId"]
    first = await api.call("/payments/refund", {"TransactionId": paid, "Amount": Decimal("120.5")})
    assert first["Success"] is True
    refund_id = first["Model"]["TransactionId"]
    assert first["Model"] == {"TransactionId": refund_id}
    assert refund_id > paid
    too_much = await api.call("/payments/refund", {"TransactionId": paid, "Amount": 180})
    error_only(too_much, too_much["Message"])
    assert too_much["Message"]
    rest = await api.call("/payments/refund", {"TransactionId": paid, "Amount": Decimal("179.5")})
    assert rest["Success"] is True
    assert [r["Amount"] for r in api.emu.refunds] == [Decimal("120.5"), Decimal("179.5")]
    assert [t["TransactionId"] for t in api.emu.transactions] == [paid]  # refunds are apart
    assert api.emu.transactions[0]["Refunded"] is True
    got = (await api.call("/payments/get", {"TransactionId": refund_id}))["Model"]
    assert (got["Type"], got["OriginalTransactionId"]) == (1, paid)
    held = (await api.pay(SUCCESS, path="/payments/cards/auth"))["Model"]["TransactionId"]
    not_completed = await api.call("/payments/refund", {"TransactionId": held, "Amount": 1})
    assert not_completed["Success"] is False


# Get, find, list -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/payments/find", "/v2/payments/find"])
async def test_find_gives_the_last_operation_of_an_order(api: Api, path: str) -> None:
    await api.pay(EMPTY_CARD, InvoiceId="inv-9")
    last = (await api.pay(SUCCESS, InvoiceId="inv-9"))["Model"]["TransactionId"]
    await api.pay(SUCCESS, InvoiceId="inv-other")
    found = await api.call(path, {"InvoiceId": "inv-9"})
    assert (found["Success"], found["Model"]["TransactionId"]) == (True, last)
    error_only(await api.call(path, {"InvoiceId": "nope"}), "Not found")
    error_only(await api.call(path, {}), "InvoiceId is required")


async def test_get_unknown_is_not_found(api: Api) -> None:
    error_only(await api.call("/payments/get", {"TransactionId": 3_999_999_999}), "Not found")
    error_only(
        await api.call("/payments/get", {"TransactionId": "x"}), "Invalid TransactionId value"
    )


START = datetime(2024, 3, 1, tzinfo=timezone.utc)


def list_body(page: int, **extra: Any) -> dict[str, Any]:
    return {
        "CreatedDateGte": START.isoformat(),
        "CreatedDateLte": (START + timedelta(days=1)).isoformat(),
        "PageNumber": page,
        **extra,
    }


@pytest.mark.parametrize("total", [0, 100, 101])
async def test_list_pages_oldest_first_100_a_page(api: Api, total: int) -> None:
    # Seeded newest first, so the answer's order is the emulator's doing.
    ids = [
        api.emu.add_transaction(amount=i + 1, created_at=START + timedelta(minutes=total - i))
        for i in range(total)
    ][::-1]
    api.emu.add_transaction(amount=1, created_at=START - timedelta(seconds=1))  # outside
    api.emu.add_transaction(amount=1, created_at=START + timedelta(days=2))  # outside
    listed: list[int] = []
    page = 1
    while True:
        answer = await api.call("/v2/payments/list", list_body(page))
        assert answer["Success"] is True
        listed += [t["TransactionId"] for t in answer["Model"]]
        if len(answer["Model"]) < 100:
            break
        page += 1
    assert listed == ids
    assert page == total // 100 + 1
    past_the_end = await api.call("/v2/payments/list", list_body(page + 1))
    assert past_the_end["Model"] == []


async def test_list_filters_statuses_and_offsets(api: Api) -> None:
    for i, status in enumerate(["Completed", "Declined", "Authorized", "Cancelled"]):
        api.emu.add_transaction(amount=1, created_at=START + timedelta(hours=i), status=status)
    body = list_body(1, Statuses=["Declined", "Cancelled"], TimeZone="MSK")
    answer = await api.call("/v2/payments/list", body)
    assert [t["Status"] for t in answer["Model"]] == ["Declined", "Cancelled"]
    # 03:30 at +03:00 is 00:30 UTC: only the first two transactions are at or before it.
    lte = datetime(2024, 3, 1, 4, 30, tzinfo=timezone(timedelta(hours=3)))
    answer = await api.call("/v2/payments/list", list_body(1, CreatedDateLte=lte.isoformat()))
    assert [t["Status"] for t in answer["Model"]] == ["Completed", "Declined"]


async def test_list_carries_json_data_as_text(api: Api) -> None:
    await api.pay(SUCCESS, JsonData={"cart": [1, 2]})
    now = datetime.now(timezone.utc)
    body = {
        "CreatedDateGte": (now - timedelta(minutes=5)).isoformat(),
        "CreatedDateLte": (now + timedelta(minutes=5)).isoformat(),
        "PageNumber": 1,
    }
    (listed,) = (await api.call("/v2/payments/list", body))["Model"]
    assert json.loads(listed["JsonData"]) == {"cart": [1, 2]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CreatedDateGte": None}, "CreatedDateGte is required"),
        ({"CreatedDateLte": "2024-03-01T00:00:00"}, "Invalid CreatedDateLte value"),
        ({"PageNumber": 0}, "Invalid PageNumber value"),
        ({"Statuses": ["Lost"]}, "Invalid Statuses value"),
    ],
)
async def test_list_requests_are_checked(api: Api, change: dict[str, Any], message: str) -> None:
    error_only(await api.call("/v2/payments/list", list_body(1, **change)), message)


def test_seeding_needs_an_aware_date_and_a_known_status() -> None:
    emu = CloudPaymentsEmulator()
    with pytest.raises(ValueError, match="aware"):
        emu.add_transaction(amount=1, created_at=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="status"):
        emu.add_transaction(amount=1, created_at=START, status="Lost")
    with pytest.raises(ValueError, match="Amount"):
        emu.add_transaction(amount="0.001", created_at=START)


# Idempotency ---------------------------------------------------------------------------


async def test_same_request_id_replays_the_first_answer_byte_for_byte(api: Api) -> None:
    body = {"Amount": 10, "IpAddress": "1.1.1.1", "CardCryptogramPacket": test_cryptogram(SUCCESS)}
    first = await api.raw(CHARGE, body, key="order-1")
    second = await api.raw(CHARGE, body, key="order-1")
    assert first == second
    assert len(api.emu.transactions) == 1
    assert api.emu.replayed_requests == 1
    assert api.emu.requests_seen(CHARGE) == 2
    other = await api.raw(CHARGE, body, key="order-2")
    assert other != first
    assert len(api.emu.transactions) == 2


async def test_concurrent_repeats_are_processed_once(api: Api) -> None:
    api.emu.faults.delay_next(1, seconds=0.1, path=CHARGE)
    body = {"Amount": 10, "IpAddress": "1.1.1.1", "CardCryptogramPacket": test_cryptogram(SUCCESS)}
    answers = await asyncio.gather(*(api.raw(CHARGE, body, key="same") for _ in range(3)))
    assert len(set(answers)) == 1
    assert len(api.emu.transactions) == 1


async def test_only_successful_answers_are_stored(api: Api) -> None:
    declined = {
        "Amount": 10,
        "IpAddress": "1.1.1.1",
        "CardCryptogramPacket": test_cryptogram(EMPTY_CARD),
    }
    await api.raw(CHARGE, declined, key="k")
    await api.raw(CHARGE, declined, key="k")
    assert len(api.emu.transactions) == 2
    await api.raw(CHARGE, {}, key="k")  # an error is not stored either
    assert api.emu.replayed_requests == 0


async def test_stored_answers_expire() -> None:
    async with CloudPaymentsEmulator(idempotency_ttl=0.1) as emu, aiohttp.ClientSession() as s:
        api = Api(emu, s)
        first = await api.raw("/test", key="t")
        assert await api.raw("/test", key="t") == first
        await asyncio.sleep(0.15)
        assert await api.raw("/test", key="t") != first
        assert emu.replayed_requests == 1


# Concurrency and faults --------------------------------------------------------------


async def test_over_the_concurrency_cap_is_429() -> None:
    async with CloudPaymentsEmulator(max_concurrency=2) as emu, aiohttp.ClientSession() as s:
        api = Api(emu, s)
        emu.faults.delay_next(10, seconds=0.3, path="/test")
        results = await asyncio.gather(*(api.raw("/test") for _ in range(5)))
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 200, 429, 429, 429]
        assert emu.max_in_flight_seen == 3  # one over the cap, turned away at once
        assert emu.faults.throttled == 3
        assert emu.requests_seen("/test") == 5
        assert emu.faults.in_flight == 0
        assert emu.faults.pending == 8  # requests turned away consume no rule


async def test_fail_next_answers_status_and_retry_after(api: Api) -> None:
    api.emu.faults.fail_next(2, status=503, retry_after=1.5, body=b"busy", path="/test")
    api.emu.faults.fail_next(status=429, retry_after=30)
    async with api.session.post(api.emu.url + "/test", headers={"Authorization": api.auth}) as r:
        assert (r.status, r.headers["Retry-After"], await r.read()) == (503, "1.5", b"busy")
    assert (await api.raw("/payments/get", {"TransactionId": 1}))[0] == 429  # path=None
    assert (await api.raw("/test"))[0] == 503
    assert api.emu.faults.pending == 0
    assert (await api.raw("/test"))[0] == 200
    assert api.emu.requests_seen("/test") == 3
    assert api.emu.requests_seen() == 4


async def test_fail_next_does_not_run_the_handler(api: Api) -> None:
    api.emu.faults.fail_next(status=500, path=CHARGE)
    body = {"Amount": 1, "IpAddress": "1.1.1.1", "CardCryptogramPacket": test_cryptogram(SUCCESS)}
    assert (await api.raw(CHARGE, body))[0] == 500
    assert api.emu.transactions == []


async def test_delay_next_then_handles(api: Api) -> None:
    api.emu.faults.delay_next(seconds=0.2, path="/test")
    started = time.monotonic()
    assert (await api.raw("/test"))[0] == 200
    assert time.monotonic() - started >= 0.2
    started = time.monotonic()
    await api.raw("/test")
    assert time.monotonic() - started < 0.2


async def test_drop_before_processing(api: Api) -> None:
    api.emu.faults.drop_before_next(path=CHARGE)
    body = {"Amount": 1, "IpAddress": "1.1.1.1", "CardCryptogramPacket": test_cryptogram(SUCCESS)}
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.raw(CHARGE, body)
    assert api.emu.transactions == []
    assert api.emu.requests_seen(CHARGE) == 1
    assert (await api.raw(CHARGE, body))[0] == 200  # the next one goes through


async def test_drop_after_processing_loses_the_answer_but_not_the_payment(api: Api) -> None:
    api.emu.faults.drop_after_next(path=CHARGE)
    body = {"Amount": 1, "IpAddress": "1.1.1.1", "CardCryptogramPacket": test_cryptogram(SUCCESS)}
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await api.raw(CHARGE, body, key="lost")
    assert len(api.emu.transactions) == 1  # the work was done
    status, raw = await api.raw(CHARGE, body, key="lost")  # a retry is replayed
    assert status == 200
    assert json.loads(raw)["Model"]["TransactionId"] == api.emu.transactions[0]["TransactionId"]
    assert len(api.emu.transactions) == 1
    assert api.emu.replayed_requests == 1


async def test_rules_match_in_order_and_clear(api: Api) -> None:
    faults = api.emu.faults
    faults.fail_next(status=502, path="/payments/get")
    faults.fail_next(status=503)
    faults.drop_before_next(3, path="/nowhere")
    assert faults.pending == 5
    assert (await api.raw("/test"))[0] == 503  # the first rule is for another path
    assert (await api.raw("/payments/get", {"TransactionId": 1}))[0] == 502
    assert faults.pending == 3
    faults.clear()
    assert faults.pending == 0
    assert (await api.raw("/test"))[0] == 200
    with pytest.raises(ValueError, match="count"):
        faults.fail_next(0)
    with pytest.raises(ValueError, match="status"):
        faults.fail_next(status=42)
    assert "pending=0" in repr(faults)


async def test_close_with_a_request_still_sleeping_is_clean() -> None:
    emu = CloudPaymentsEmulator()
    await emu.start()
    emu.faults.delay_next(seconds=30, path="/test")
    async with aiohttp.ClientSession() as session:
        request = asyncio.ensure_future(Api(emu, session).raw("/test"))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        await emu.close()
        assert time.monotonic() - started < 5
        with pytest.raises(aiohttp.ClientError):
            await request
