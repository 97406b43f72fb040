"""The converter: exact money both ways, provider dates, renames, open enums."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioacquiring import InvalidInputError
from aioacquiring.cloudpayments import (
    CardPaymentRequest,
    ListPaymentsRequest,
    Transaction,
    TransactionStatus,
)
from aioacquiring.cloudpayments.decoders import converter
from aioacquiring.core.serde import decimal_to_json_number, dumps, loads, parse_datetime

amounts = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("9999999999.99"), places=2, allow_nan=False
)


def charge(amount: Decimal) -> CardPaymentRequest:
    return CardPaymentRequest(amount=amount, ip_address="127.0.0.1", card_cryptogram_packet="x")


@given(amounts)
def test_amount_goes_on_the_wire_as_the_exact_number(amount: Decimal) -> None:
    wire = dumps(converter.unstructure(charge(amount)))
    sent = json.loads(wire, parse_float=Decimal)["Amount"]
    assert Decimal(sent) == amount
    text = re.search(rb'"Amount":([0-9.]+)', wire)
    assert text is not None
    _, _, fraction = text[1].partition(b".")
    assert len(fraction) <= 2  # no float artefacts such as 0.09999999
    assert Decimal(text[1].decode()) == amount


@given(amounts)
def test_amount_round_trips_through_an_answer(amount: Decimal) -> None:
    body = dumps({"TransactionId": 1, "Amount": decimal_to_json_number(amount)})
    transaction = converter.structure(loads(body), Transaction)
    assert transaction.amount == amount


def test_ten_cents_is_sent_as_zero_point_one() -> None:
    wire = dumps(converter.unstructure(charge(Decimal("0.10"))))
    assert b'"Amount":0.1,' in wire
    assert b"0.09999" not in wire


def test_answer_amount_becomes_exact_decimal() -> None:
    transaction = converter.structure(loads(b'{"TransactionId":1,"Amount":10.57}'), Transaction)
    assert transaction.amount == Decimal("10.57")
    assert isinstance(transaction.amount, Decimal)


def test_too_many_digits_are_refused_rather_than_rounded() -> None:
    with pytest.raises(InvalidInputError):
        decimal_to_json_number(Decimal("0.12345678901234567890"))
    with pytest.raises(InvalidInputError):
        decimal_to_json_number(Decimal("NaN"))


def test_float_money_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="not a float"):
        converter.unstructure(charge(10.5))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/Date(1401718880000)/", datetime(2014, 6, 2, 14, 21, 20, tzinfo=timezone.utc)),
        ("2014-08-09T11:49:41", datetime(2014, 8, 9, 11, 49, 41, tzinfo=timezone.utc)),
        ("2014-08-09 11:49:41", datetime(2014, 8, 9, 11, 49, 41, tzinfo=timezone.utc)),
        ("2014-08-09T11:49:41Z", datetime(2014, 8, 9, 11, 49, 41, tzinfo=timezone.utc)),
        ("2014-08-09T14:49:41+03:00", datetime(2014, 8, 9, 11, 49, 41, tzinfo=timezone.utc)),
        ("2014-08-09T11:49:41.1234567", datetime(2014, 8, 9, 11, 49, 41, 123456, timezone.utc)),
        # Shapes fromisoformat refuses, read by the fallback parser:
        (" 2014-08-09T11:49:41 ", datetime(2014, 8, 9, 11, 49, 41, tzinfo=timezone.utc)),
        ("2014-08-09 14:49:41 +0300", datetime(2014, 8, 9, 11, 49, 41, tzinfo=timezone.utc)),
        ("2014-08-09T08:49:41.5-0300", datetime(2014, 8, 9, 11, 49, 41, 500000, timezone.utc)),
        ("2014-08-09 11:49 Z", datetime(2014, 8, 9, 11, 49, tzinfo=timezone.utc)),
        ("/Date(1401718880000+0300)/", datetime(2014, 6, 2, 14, 21, 20, tzinfo=timezone.utc)),
    ],
)
def test_provider_dates_become_aware_utc(text: str, expected: datetime) -> None:
    parsed = parse_datetime(text)
    assert parsed == expected
    assert parsed.tzinfo is timezone.utc


@given(st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.replace(microsecond=0)))
def test_dates_round_trip(moment: datetime) -> None:
    millis = int((moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) / timedelta(milliseconds=1))
    assert parse_datetime(f"/Date({millis})/") == moment
    assert parse_datetime(moment.isoformat()) == moment


def test_not_a_date_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a date-time"):
        parse_datetime("yesterday")


def test_request_dates_need_a_timezone() -> None:
    naive = datetime(2024, 1, 1)
    request = ListPaymentsRequest(created_date_gte=naive, created_date_lte=naive, page_number=1)
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        converter.unstructure(request)


def test_renames_and_omits_unset_optionals() -> None:
    wire = converter.unstructure(charge(Decimal("5")))
    assert wire == {"Amount": 5, "IpAddress": "127.0.0.1", "CardCryptogramPacket": "x"}


def test_unknown_keys_and_unknown_statuses_are_tolerated() -> None:
    answer = loads(b'{"TransactionId": 7, "Status": "Teleported", "BrandNewField": [1, 2]}')
    transaction = converter.structure(answer, Transaction)
    assert transaction.status == "Teleported"
    known = converter.structure({"TransactionId": 7, "Status": "Completed"}, Transaction)
    assert known.status is TransactionStatus.COMPLETED
    assert known.status == "Completed"


def test_invoice_id_sent_as_a_number_stays_a_string() -> None:
    transaction = converter.structure({"TransactionId": 1, "InvoiceId": 1234567}, Transaction)
    assert transaction.invoice_id == "1234567"


def test_secrets_stay_out_of_reprs() -> None:
    request = CardPaymentRequest(
        amount=Decimal(1), ip_address="1.2.3.4", card_cryptogram_packet="SECRET-CRYPTOGRAM"
    )
    assert "SECRET-CRYPTOGRAM" not in repr(request)
    transaction = Transaction(transaction_id=1, token="tk_SECRET")
    assert "tk_SECRET" not in repr(transaction)


def test_an_answer_that_does_not_fit_is_a_typed_error_without_its_values() -> None:
    from aioacquiring.core.serde import make_converter, structure_answer
    from aioacquiring.errors import InvalidResponseError
    from aioacquiring.models.cloudpayments import Transaction

    with pytest.raises(InvalidResponseError) as caught:
        structure_answer(
            make_converter(),
            {"TransactionId": "tk_secret_value", "Amount": 1},
            Transaction,
            provider="CloudPayments",
        )
    assert caught.value.outcome_unknown
    assert "Transaction" in caught.value.message
    assert "tk_secret_value" not in str(caught.value)


def test_headers_are_found_whatever_their_case() -> None:
    from aioacquiring.core.webhooks import header

    assert header({"signature": "a"}, "Signature") == "a"
    assert header({"X-PARTNER-SIGN": "b"}, "x-partner-sign") == "b"
    assert header({"Other": "c"}, "signature") is None


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@given(json_values)
def test_request_bodies_are_compact_utf8_json(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    assert dumps(value) == expected
    assert json.loads(dumps(value)) == value


# Readings compare by repr: "NaN" is valid to json and nan != nan.
def _stdlib_reading(text: str) -> str:
    try:
        return repr(json.loads(text, parse_float=Decimal))
    except ValueError as exc:
        return type(exc).__name__


def _our_reading(raw: str | bytes) -> str:
    try:
        return repr(loads(raw))
    except ValueError as exc:
        return type(exc).__name__


json_space = st.text(alphabet=" \t\n\r", max_size=3)


@given(json_values, json_space, json_space, st.sampled_from(["", "x", "{}", "1", "\u00a0", "\x1c"]))
def test_answers_read_exactly_as_the_json_module_reads_them(
    value: object, before: str, after: str, extra: str
) -> None:
    # loads() takes a shortcut past json's decode(); what it reads, and what it refuses,
    # must not change: surrounding JSON whitespace is fine, anything else after is not.
    text = before + json.dumps(value, ensure_ascii=False) + after + extra
    assert _our_reading(text) == _stdlib_reading(text)
    assert _our_reading(text.encode()) == _stdlib_reading(text)


@given(st.text(max_size=12))
def test_any_text_reads_or_fails_as_the_json_module_decides(text: str) -> None:
    assert _our_reading(text) == _stdlib_reading(text)
