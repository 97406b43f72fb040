"""The documentation's own example answers, served over loopback, read by the client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from aiohttp import web

from aioacquiring import InvalidRequestError, InvalidResponseError, RetryPolicy
from aioacquiring.cloudpayments import (
    Accepted,
    CloudPayments,
    Currency,
    Declined,
    ThreeDSecureRequired,
    TransactionStatus,
)

CONTRACT = Path(__file__).parent / "contract"


@pytest.fixture
async def answer() -> AsyncIterator[Callable[..., CloudPayments]]:
    """A loopback server answering every POST with the bytes a test chooses."""
    state: dict[str, object] = {"body": b"", "type": "application/json", "status": 200}

    async def handler(request: web.Request) -> web.Response:
        return web.Response(
            body=state["body"],  # type: ignore[arg-type]
            content_type=str(state["type"]),
            status=int(state["status"]),  # type: ignore[call-overload]
        )

    app = web.Application()
    app.router.add_post("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = CloudPayments(
        public_id="pk",
        api_secret="secret",
        base_url=f"http://127.0.0.1:{port}",
        retry=RetryPolicy(max_retries=0),
    )

    def serve(
        body: bytes, content_type: str = "application/json", status: int = 200
    ) -> CloudPayments:
        state.update(body=body, type=content_type, status=status)
        return client

    yield serve
    await client.close()
    await runner.cleanup()


async def pay(client: CloudPayments):  # type: ignore[no-untyped-def]
    return await client.payments.cards_charge(
        amount=Decimal(10),
        ip_address="195.91.194.13",
        card_cryptogram_packet="01492500008719030128SM",
    )


async def test_docs_accepted_example(answer: Callable[..., CloudPayments]) -> None:
    result = await pay(answer((CONTRACT / "cloudpayments_accepted.json").read_bytes()))
    assert isinstance(result, Accepted)
    tx = result.transaction
    assert tx.transaction_id == 504
    assert tx.amount == Decimal("10.00000")
    assert tx.currency is Currency.RUB
    assert tx.status is TransactionStatus.COMPLETED
    assert tx.created_date == datetime(2014, 6, 2, 14, 21, 20, tzinfo=timezone.utc)
    assert tx.created_date_iso == datetime(2014, 8, 9, 11, 49, 41, tzinfo=timezone.utc)
    assert tx.ip_city == "Уфа"
    assert tx.ip_latitude == pytest.approx(54.7355)
    assert tx.card_first_six == "411111"
    assert tx.token == "a4e67841-abb0-42de-a364-d1d8f9f4b3c0"
    assert tx.reason_code == 0


async def test_docs_declined_example(answer: Callable[..., CloudPayments]) -> None:
    result = await pay(answer((CONTRACT / "cloudpayments_declined.json").read_bytes()))
    assert isinstance(result, Declined)
    assert result.reason_code == 5051
    assert result.reason.name == "InsufficientFunds"
    assert result.reason.should_retry_token
    assert result.card_holder_message == "Недостаточно средств на карте"
    assert result.transaction.status is TransactionStatus.DECLINED


async def test_docs_three_d_secure_example(answer: Callable[..., CloudPayments]) -> None:
    result = await pay(answer((CONTRACT / "cloudpayments_three_d_secure.json").read_bytes()))
    assert isinstance(result, ThreeDSecureRequired)
    assert result.transaction_id == 504
    assert result.acs_url == "https://test.paymentgate.ru/acs/auth/start.do"
    assert result.pa_req.startswith("eJxVUdtugkAQ")


async def test_docs_invalid_request_example(answer: Callable[..., CloudPayments]) -> None:
    client = answer((CONTRACT / "cloudpayments_invalid_request.json").read_bytes())
    with pytest.raises(InvalidRequestError, match="Amount is required"):
        await pay(client)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"<html><body>502 Bad Gateway</body></html>", "text/html"),
        (b"", "application/json"),
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b'{"Model": {"TransactionId": 1}}', "application/json"),
        (b'{"Success": true, "Model": {"TransactionId": "not-a-number"}}', "application/json"),
        (b'{"Success": true, "Model": null}', "application/json"),
    ],
)
async def test_malformed_answers_are_typed_errors(
    answer: Callable[..., CloudPayments], body: bytes, content_type: str
) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        await pay(answer(body, content_type))
    assert caught.value.outcome_unknown  # a 200 that cannot be read may still have charged


async def test_list_answers_with_json_data_as_a_string(
    answer: Callable[..., CloudPayments],
) -> None:
    body = b'{"Success":true,"Model":[{"TransactionId":1,"JsonData":"{\\"a\\": 1}"}]}'
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = (
        await answer(body).payments.list(created_date_gte=start, created_date_lte=start).collect()
    )
    assert items[0].json_data == {"a": 1}
