"""End to end: examples/web_service.py, the shop, against the three emulators over loopback.

The shop runs on a real loopback port (aiohttp's ``TestServer``), so the
emulators post their webhooks to it exactly as the providers would; the test
plays the payer's browser through aiohttp's ``TestClient``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from aioacquiring.alif import Alif
from aioacquiring.bank131 import KeyPair, generate_key_pair
from aioacquiring.cloudpayments import CloudPayments, Declined
from aioacquiring.testing import (
    AlifEmulator,
    Bank131Emulator,
    CloudPaymentsEmulator,
    test_cryptogram,
)
from aioacquiring.testing.cloudpayments import answer_code

from .conftest import FAST_RETRY

NO_3DS = "4000000000003055"
THREE_DS = "4242424242424242"
EMPTY = "4000056655665556"
ALIF_NO_OTP = "4000000000000002"


def _load_example() -> ModuleType:
    path = Path(__file__).parent.parent / "examples" / "web_service.py"
    spec = importlib.util.spec_from_file_location("_example_web_service", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


shop_module = _load_example()


@dataclass
class Shop:
    """The running shop, its emulators, and a browser pointed at it."""

    browser: TestClient[Any, Any]
    cloudpayments: CloudPaymentsEmulator
    bank131: Bank131Emulator
    alif: AlifEmulator

    @property
    def store(self) -> Any:
        return self.browser.app[shop_module.STORE]

    async def new_order(self, price: str, description: str = "Coffee beans") -> str:
        response = await self.browser.post(
            "/orders", json={"amount": price, "description": description}
        )
        assert response.status == 201
        return str((await response.json())["id"])

    async def pay_by_card(self, order_id: str, number: str) -> aiohttp.ClientResponse:
        return await self.browser.post(
            f"/orders/{order_id}/cloudpayments", data={"cryptogram": test_cryptogram(number)}
        )

    async def order(self, order_id: str) -> dict[str, Any]:
        response = await self.browser.get(f"/orders/{order_id}")
        assert response.status == 200
        order: dict[str, Any] = await response.json()
        return order


@pytest.fixture(scope="module")
def bank131_keys() -> tuple[KeyPair, KeyPair]:
    # RSA keys are slow to make: one pair each for the partner and the bank, for every test.
    return generate_key_pair(), generate_key_pair()


@pytest.fixture
async def shop(bank131_keys: tuple[KeyPair, KeyPair]) -> AsyncIterator[Shop]:
    async with (
        CloudPaymentsEmulator() as cp,
        Bank131Emulator(partner_keys=bank131_keys[0], bank_keys=bank131_keys[1]) as b131,
        AlifEmulator() as alif,
    ):
        settings = shop_module.Settings.for_emulators(cp, b131, alif, retry=FAST_RETRY)
        server = TestServer(shop_module.make_app(settings), host="127.0.0.1")
        async with TestClient(server) as browser:
            for kind in ("Check", "Pay", "Fail"):
                cp.notify_url(kind, str(server.make_url(f"/webhooks/cloudpayments/{kind.lower()}")))
            b131.webhook_url = str(server.make_url("/webhooks/bank131"))
            alif.webhook_url = str(server.make_url("/webhooks/alif"))
            yield Shop(browser, cp, b131, alif)


class FirstForm(HTMLParser):
    """The action and fields of a page's first form, as a browser would post them."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and not self.action:
            self.action = values["action"]
        elif tag == "input" and "name" in values:
            self.fields[values["name"]] = values.get("value", "")


def cloudpayments_paid(shop: Shop, order_id: str) -> list[dict[str, Any]]:
    return [t for t in shop.cloudpayments.transactions if t["InvoiceId"] == order_id]


async def test_an_order_paid_by_a_card_without_3ds(shop: Shop) -> None:
    order_id = await shop.new_order("990.00")

    response = await shop.pay_by_card(order_id, NO_3DS)

    assert response.status == 200  # after the shop's 303 to the order
    assert response.url.path == f"/orders/{order_id}"
    order = await response.json()
    assert order["status"] == "paid"
    [transaction] = cloudpayments_paid(shop, order_id)
    assert (transaction["Status"], transaction["Amount"]) == ("Completed", Decimal("990.00"))
    assert order["transaction_id"] == transaction["TransactionId"]
    [check] = [d for d in shop.cloudpayments.deliveries if d.label == "Check"]
    assert answer_code(check) == 0  # the shop's Check knew the order and its amount


async def test_a_double_click_charges_the_card_once(shop: Shop) -> None:
    order_id = await shop.new_order("990.00")
    # Hold the first charge at the provider so that the second arrives while it is in flight.
    shop.cloudpayments.faults.delay_next(seconds=0.3, path="/payments/cards/charge")

    first, second = await asyncio.gather(
        shop.pay_by_card(order_id, NO_3DS), shop.pay_by_card(order_id, NO_3DS)
    )

    assert [(await r.json())["status"] for r in (first, second)] == ["paid", "paid"]
    assert len(cloudpayments_paid(shop, order_id)) == 1  # the order id was the idempotency key
    assert shop.cloudpayments.replayed_requests == 1
    assert shop.cloudpayments.requests_seen("/payments/cards/charge") == 2


async def test_a_lost_answer_is_a_502_and_paying_again_charges_once(shop: Shop) -> None:
    order_id = await shop.new_order("990.00")
    # The card is charged, but the answer is lost on the SDK's first try and both retries.
    shop.cloudpayments.faults.drop_after_next(3, path="/payments/cards/charge")

    response = await shop.pay_by_card(order_id, NO_3DS)
    assert response.status == 502
    assert shop.cloudpayments.requests_seen("/payments/cards/charge") == 3

    order = await (await shop.pay_by_card(order_id, NO_3DS)).json()  # the payer tries again
    assert order["status"] == "paid"
    assert len(cloudpayments_paid(shop, order_id)) == 1  # same order id, same charge


async def test_an_order_paid_with_3ds_through_the_term_url(shop: Shop) -> None:
    order_id = await shop.new_order("1500.00")

    response = await shop.pay_by_card(order_id, THREE_DS)

    assert response.status == 200
    assert response.content_type == "text/html"
    form = FirstForm(await response.text())
    assert form.action == shop.cloudpayments.url + "/acs"
    assert form.fields["TermUrl"] == str(shop.browser.make_url(f"/orders/{order_id}/3ds"))
    assert (await shop.order(order_id))["status"] == "awaiting_3ds"
    [transaction] = cloudpayments_paid(shop, order_id)
    assert form.fields["MD"] == str(transaction["TransactionId"])

    # The payer's browser: to the bank's ACS, which posts MD and PaRes back to TermUrl.
    async with aiohttp.ClientSession() as browser:
        async with browser.post(form.action, data=form.fields) as acs:
            back = FirstForm(await acs.text())
        assert back.action == form.fields["TermUrl"]
        async with browser.post(back.action, data=back.fields) as landed:
            order = await landed.json()

    assert order["status"] == "paid"
    assert order["transaction_id"] == transaction["TransactionId"]
    [transaction] = cloudpayments_paid(shop, order_id)
    assert transaction["Status"] == "Completed"
    assert shop.cloudpayments.requests_seen("/payments/cards/post3ds") == 1


async def test_the_term_url_refuses_an_answer_for_another_transaction(shop: Shop) -> None:
    order_id = await shop.new_order("1500.00")
    await shop.pay_by_card(order_id, THREE_DS)

    response = await shop.browser.post(
        f"/orders/{order_id}/3ds", data={"MD": "1", "PaRes": "forged"}
    )

    assert response.status == 400
    assert shop.cloudpayments.requests_seen("/payments/cards/post3ds") == 0
    assert (await shop.order(order_id))["status"] == "awaiting_3ds"


async def test_the_pay_notification_marks_the_order_paid_exactly_once(shop: Shop) -> None:
    shop.cloudpayments.outbox.duplicate_next()  # the Pay notification is delivered twice
    order_id = await shop.new_order("990.00")

    await shop.pay_by_card(order_id, NO_3DS)
    await shop.cloudpayments.notifications_delivered()

    pays = [d for d in shop.cloudpayments.deliveries if d.label == "Pay"]
    assert len(pays) == 2
    assert all(d.delivered and answer_code(d) == 0 for d in pays)  # both acknowledged
    history = (await shop.order(order_id))["history"]
    assert sum(entry.startswith("Pay notification") for entry in history) == 1
    assert sum(entry.startswith("paid") for entry in history) == 1
    assert shop.store.repeats == 1  # the second delivery was recognised and skipped


async def test_a_declined_card_and_its_fail_notification(shop: Shop) -> None:
    order_id = await shop.new_order("100.00")

    order = await (await shop.pay_by_card(order_id, EMPTY)).json()
    await shop.cloudpayments.notifications_delivered()

    assert order["status"] == "declined"
    assert order["message"]  # what to tell the payer
    history = (await shop.order(order_id))["history"]
    assert sum(entry.startswith("Fail notification") for entry in history) == 1


async def test_the_check_refuses_a_payment_for_an_order_the_shop_does_not_have(
    shop: Shop,
) -> None:
    emulator = shop.cloudpayments
    async with CloudPayments(
        public_id=emulator.public_id, api_secret=emulator.api_secret, base_url=emulator.url
    ) as client:
        result = await client.payments.cards_charge(
            amount=Decimal("10.00"),
            ip_address="203.0.113.7",
            card_cryptogram_packet=test_cryptogram(NO_3DS),
            invoice_id="order-nobody-made",
        )

    assert isinstance(result, Declined)
    [check] = [d for d in emulator.deliveries if d.label == "Check"]
    assert answer_code(check) == 10  # CheckAnswer.INVALID_INVOICE_ID


async def test_a_bank131_payout_is_confirmed_on_ready_to_confirm_and_finishes(
    shop: Shop,
) -> None:
    body = {"card": "4242424242424242", "amount": "700.00", "recipient": "Ivan Ivanov"}

    response = await shop.browser.post("/payouts", json=body)
    assert response.status == 202
    payout = await response.json()
    await shop.bank131.wait_for_webhooks()

    payout = await (await shop.browser.get(f"/payouts/{payout['id']}")).json()
    assert payout["status"] == "paid_out"
    assert payout["history"][1:] == [
        "confirmed on ready_to_confirm",
        "payment_finished: session accepted",
    ]
    assert [(w.type, w.delivered) for w in shop.bank131.webhooks] == [
        ("ready_to_confirm", True),
        ("payment_finished", True),
    ]
    [done] = shop.bank131.payouts
    assert (done["status"], done["amount_details"]["amount"]) == ("succeeded", 70000)
    assert shop.bank131.session(payout["session_id"])["status"] == "accepted"

    # The bank sends ready_to_confirm again: acknowledged, not confirmed twice.
    status = await shop.bank131.send_webhook(shop.bank131.webhooks[0].body)
    assert status == 200
    assert shop.bank131.requests_seen("/api/v2/session/confirm") == 1
    assert shop.store.repeats == 1


async def test_an_alif_checkout_session_paid_on_the_hosted_page(shop: Shop) -> None:
    order_id = await shop.new_order("35000.00", "Notebook")

    response = await shop.browser.post(f"/orders/{order_id}/alif", allow_redirects=False)
    again = await shop.browser.post(f"/orders/{order_id}/alif", allow_redirects=False)

    assert response.status == 303
    [session] = shop.alif.sessions  # the second visit reused the order's session
    assert response.headers["Location"] == again.headers["Location"] == session["checkout_url"]
    assert session["amount"] == 3_500_000  # tiyin
    order = await shop.order(order_id)
    assert (order["status"], order["alif_session_ref"]) == (
        "awaiting_payment",
        session["session_ref"],
    )

    # The payer pays on Alif's page (the emulator's page has no form: pay as it would).
    alif = shop.alif
    async with Alif(token=alif.token, secret_key=alif.secret_key, base_url=alif.url) as page:
        await page.checkout.payment_create(
            session_ref=session["session_ref"], pan=ALIF_NO_OTP, exp="1230"
        )
    await alif.wait_webhooks()

    [delivery] = alif.deliveries
    assert (delivery.event, delivery.delivered) == ("payment.succeeded", True)
    assert delivery.url == str(shop.browser.make_url("/webhooks/alif"))  # named by the session
    order = await shop.order(order_id)
    assert order["status"] == "paid"
    assert order["history"][-1] == f"paid (Alif payment {delivery.data['id']})"


async def test_a_forged_webhook_never_reaches_the_shop(shop: Shop) -> None:
    order_id = await shop.new_order("990.00")
    forged = f"InvoiceId={order_id}&TransactionId=1&Amount=990.00".encode()

    response = await shop.browser.post(
        "/webhooks/cloudpayments/pay",
        data=forged,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Content-HMAC": "AAAA"},
    )

    assert response.status == 401
    assert (await shop.order(order_id))["status"] == "new"
    assert (await shop.browser.post("/webhooks/nobody")).status == 404


async def test_bad_requests_are_refused(shop: Shop) -> None:
    for amount in ("-1", "1.001", "lots", None):
        response = await shop.browser.post("/orders", json={"amount": amount})
        assert response.status == 400, amount
    assert (await shop.browser.post("/orders", data=b"[1]")).status == 400
    assert (await shop.browser.get("/orders/order-unknown")).status == 404
    assert (await shop.browser.get("/payouts/payout-unknown")).status == 404
    order_id = await shop.new_order("10.00")
    response = await shop.browser.post(f"/orders/{order_id}/cloudpayments", data={})
    assert response.status == 400
    assert (await shop.browser.post("/payouts", json={"amount": "1.00"})).status == 400


async def test_shutdown_closes_the_provider_clients(bank131_keys: tuple[KeyPair, KeyPair]) -> None:
    async with (
        CloudPaymentsEmulator() as cp,
        Bank131Emulator(partner_keys=bank131_keys[0], bank_keys=bank131_keys[1]) as b131,
        AlifEmulator() as alif,
    ):
        app = shop_module.make_app(shop_module.Settings.for_emulators(cp, b131, alif))
        async with TestClient(TestServer(app, host="127.0.0.1")) as browser:
            order_id = str(
                (await (await browser.post("/orders", json={"amount": "5"})).json())["id"]
            )
            paid = await browser.post(
                f"/orders/{order_id}/cloudpayments", data={"cryptogram": test_cryptogram(NO_3DS)}
            )
            assert (await paid.json())["status"] == "paid"  # the client's session is open
            clients = app[shop_module.CLIENTS]

        # The cleanup context closed them: a closed client refuses to send.
        calls: list[Callable[[], Awaitable[object]]] = [
            lambda: clients.cloudpayments.test(),
            lambda: clients.bank131.session.status(session_id="ps_1"),
            lambda: clients.alif.checkout.session_get(session_ref="cs_1"),
        ]
        for call in calls:
            with pytest.raises(RuntimeError, match="closed"):
                await call()


async def test_the_walk_through_runs(capsys: pytest.CaptureFixture[str]) -> None:
    await shop_module.main()

    out = capsys.readouterr().out
    assert "paid by a card without 3-D Secure: paid" in out
    assert "Pay notification delivered 2 times" in out
    assert "post3ds -> paid" in out
    assert "after the bank's webhooks: paid_out" in out
    assert "after Alif's webhook: paid" in out
    assert "its clients are closed" in out
