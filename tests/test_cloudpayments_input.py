"""Bad input is refused before anything is sent, with InvalidInputError naming the field.

The client points at a port nobody listens on: had anything been sent, the call
would fail with ConnectionFailedError instead.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from aioacquiring import InvalidInputError, RetryPolicy
from aioacquiring.cloudpayments import CloudPayments, TrInitiatorCode


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def client() -> AsyncIterator[CloudPayments]:
    async with CloudPayments(
        public_id="pk_test",
        api_secret="secret",
        base_url=f"http://127.0.0.1:{closed_port()}",
        retry=RetryPolicy(max_retries=0),
    ) as client:
        yield client


CHARGE: dict[str, Any] = {
    "amount": Decimal("10.00"),
    "ip_address": "127.0.0.1",
    "card_cryptogram_packet": "cryptogram",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": Decimal("0")}, "amount", "greater than 0"),
        ({"amount": Decimal("-5.00")}, "amount", "greater than 0"),
        ({"amount": Decimal("10.001")}, "amount", "at most 2 decimal places"),
        ({"amount": Decimal("Infinity")}, "amount", "finite"),
        ({"amount": 10.5}, "amount", "not a float"),
        ({"card_cryptogram_packet": ""}, "card_cryptogram_packet", "must not be empty"),
        ({"card_cryptogram_packet": "   "}, "card_cryptogram_packet", "must not be empty"),
        ({"ip_address": ""}, "ip_address", "must not be empty"),
    ],
)
async def test_charge_refuses_bad_input(
    client: CloudPayments, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        await client.payments.cards_charge(**{**CHARGE, **changes})
    assert caught.value.field == field
    assert caught.value.attempts == 0


@pytest.mark.parametrize("key", ["", "   ", 42])
async def test_idempotency_key_must_be_a_non_empty_string(client: CloudPayments, key: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await client.payments.cards_charge(**CHARGE, idempotency_key=key)
    assert caught.value.field == "idempotency_key"


@pytest.mark.parametrize("key", ["order-1\r\nX-Evil: 1", "line\nbreak", "заказ-1", "tab\tkey"])
async def test_idempotency_key_must_be_printable_ascii_for_its_header(
    client: CloudPayments, key: str
) -> None:
    # X-Request-ID is a header: a line break there used to reach aiohttp, which refused it
    # only when sending, with a bare ValueError; other text is read differently by servers.
    # (The client's port is closed: anything sent would fail as a connection error.)
    with pytest.raises(InvalidInputError, match="printable ASCII") as caught:
        await client.payments.cards_charge(**CHARGE, idempotency_key=key)
    assert caught.value.field == "idempotency_key"
    assert caught.value.attempts == 0


async def test_token_charge_refuses_an_empty_token(client: CloudPayments) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await client.payments.tokens_charge(
            amount=Decimal("1"),
            account_id="user",
            token="",
            tr_initiator_code=TrInitiatorCode.CARDHOLDER,
        )
    assert caught.value.field == "token"


async def test_bad_input_never_leaks_the_cryptogram(client: CloudPayments) -> None:
    with pytest.raises(InvalidInputError) as caught:
        await client.payments.cards_charge(
            **{**CHARGE, "amount": Decimal("0"), "card_cryptogram_packet": "TOP-SECRET"}
        )
    assert "TOP-SECRET" not in str(caught.value)
    assert "TOP-SECRET" not in repr(caught.value)


def test_credentials_are_required() -> None:
    with pytest.raises(InvalidInputError, match="api_secret"):
        CloudPayments(public_id="pk", api_secret="")
    with pytest.raises(InvalidInputError, match="public_id"):
        CloudPayments(public_id="", api_secret="x")


def test_the_secret_stays_out_of_the_clients_repr() -> None:
    client = CloudPayments(public_id="pk_visible", api_secret="hidden-secret")
    assert "hidden-secret" not in repr(client)
    assert "pk_visible" in repr(client)
