"""The catalogue: names by the DESIGN.md rule, signature flags, and the codes mapped to errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from aioacquiring import (
    NO_RETRY,
    AuthenticationError,
    IdempotencyConflictError,
    InvalidRequestError,
    NotFoundError,
    ProviderInternalError,
)
from aioacquiring.alif import (
    ERRORS_BY_CODE,
    Alif,
    AlifError,
    BadRequestError,
    CardBlockedError,
    CardExpiredError,
    DeclinedError,
    DuplicateError,
    InsufficientFundsError,
    InternalError,
    InvalidCardError,
    LimitExceededError,
    ObjectNotFoundError,
    OtpAttemptsExhaustedError,
    OtpExpiredError,
    ResponseCode,
    UnauthorizedError,
    UnprocessableEntityError,
    WrongOtpError,
)
from aioacquiring.testing.alif import AlifEmulator

from .test_alif_support import client_for

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = json.loads((ROOT / "schemas" / "alif" / "operations.json").read_text())
OPERATIONS = CATALOGUE["operations"]

# The reference's table: the methods marked "sig".
SIGNED = {
    "checkout.session.create", "checkout.payment.create", "checkout.payment.confirm",
    "checkout.payment.refund", "card.token.create", "card.token.confirm", "card.token.delete",
    "debit.payment.create", "debit.payment.reverse", "debit.hold.create", "debit.hold.capture",
    "debit.hold.dismiss", "p2p.transfer.create", "p2p.transfer.confirm",
    "recurring.subscription.create", "recurring.subscription.update",
    "recurring.subscription.cancel",
}  # fmt: skip


def test_dotted_paths_become_namespace_and_method() -> None:
    sys.path.insert(0, str(ROOT / "codegen"))
    from catalogue import method_names

    names = method_names(OPERATIONS)
    assert ("checkout", "session_create") in names
    assert ("card", "token_confirm") in names
    assert ("debit", "hold_capture") in names
    assert ("p2p", "transfer_create") in names
    assert ("recurring", "subscription_list") in names
    assert ("recurring", "charge_list") in names
    assert len(set(names)) == len(OPERATIONS) == 31


def test_every_catalogue_method_is_on_the_client_with_a_docstring() -> None:
    client = Alif(token="t", secret_key="s", base_url="http://127.0.0.1:9")
    for op in OPERATIONS:
        namespace, _, rest = op["path"].lstrip("/").partition(".")
        method = getattr(getattr(client, namespace), rest.replace(".", "_"))
        assert method.__doc__
        assert op["summary"].split(".")[0] in method.__doc__


def test_flags_follow_the_reference() -> None:
    for op in OPERATIONS:
        name = op["path"].lstrip("/")
        flags = set(op.get("flags", []))
        assert ("signed" in flags) == (name in SIGNED), name
        assert ("read" in flags) == (name not in SIGNED), name  # every unsigned method reads
        if op.get("dedupe"):
            assert op["moves_money"]
            assert "signed" in flags
        if name.endswith(".list"):
            assert op["paging"]["page_field"] == "page"


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op["path"])
async def test_the_emulator_wants_a_signature_exactly_where_the_catalogue_does(
    emu: AlifEmulator, op: dict[str, Any]
) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(emu.url + op["path"], data=b"{}", headers={"token": emu.token}) as response,
    ):
        assert response.status == 200
        answer = await response.json()
    signed = "signed" in op.get("flags", [])
    assert (answer["code"] == 1002) == signed, answer


def test_every_documented_code_has_an_error() -> None:
    codes = {code.value for code in ResponseCode} - {1000}
    assert codes == set(ERRORS_BY_CODE)


@pytest.mark.parametrize(
    ("code", "error", "kind"),
    [
        (1001, BadRequestError, InvalidRequestError),
        (1002, UnauthorizedError, AuthenticationError),
        (1003, InternalError, ProviderInternalError),
        (1004, ObjectNotFoundError, NotFoundError),
        (1005, UnprocessableEntityError, InvalidRequestError),
        (1007, DeclinedError, AlifError),
        (1100, WrongOtpError, InvalidRequestError),
        (1101, OtpExpiredError, InvalidRequestError),
        (1102, InvalidCardError, DeclinedError),
        (1103, CardExpiredError, DeclinedError),
        (1105, DuplicateError, IdempotencyConflictError),
        (1106, OtpAttemptsExhaustedError, InvalidRequestError),
        (1107, CardBlockedError, DeclinedError),
        (1108, InsufficientFundsError, DeclinedError),
        (1109, LimitExceededError, DeclinedError),
    ],
)
async def test_each_code_raises_its_error(
    emu: AlifEmulator, code: int, error: type[AlifError], kind: type[Exception]
) -> None:
    async with client_for(emu, retry=NO_RETRY) as alif:
        emu.fail_next_code(code, f"scripted {code}")
        with pytest.raises(error) as caught:
            await alif.card.token_get(card_token="ct_1")
    assert isinstance(caught.value, kind)
    assert caught.value.code == code
    assert caught.value.message.startswith(f"scripted {code}")
    assert caught.value.operation == "card.token_get"
    assert caught.value.attempts == 1


async def test_an_unknown_code_is_a_plain_alif_error(emu: AlifEmulator) -> None:
    async with client_for(emu) as alif:
        emu.faults.fail_next(1, status=200, body=b'{"code": 1110}', content_type="application/json")
        with pytest.raises(AlifError) as caught:
            await alif.card.token_get(card_token="ct_1")
    assert type(caught.value) is AlifError
    assert caught.value.code == 1110
    assert "1110" in caught.value.message
