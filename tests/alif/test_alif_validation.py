"""Card data and envelope decoding, checked without the network (pure functions)."""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioacquiring import InvalidInputError
from aioacquiring.alif import Card, DebitPaymentCreateRequest, Payment, PaymentStatus, luhn_ok
from aioacquiring.alif.decoders import converter, decode_list, decode_nothing, open_envelope
from aioacquiring.alif.validation import check_exp, check_pan

digits = st.text(alphabet="0123456789", min_size=15, max_size=18)


def with_check_digit(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@given(body=digits)
def test_a_luhn_valid_number_passes_and_one_changed_digit_fails(body: str) -> None:
    pan = with_check_digit(body)
    assert check_pan(pan) == pan
    last = str((int(pan[-1]) + 1) % 10)
    with pytest.raises(InvalidInputError) as caught:
        check_pan(pan[:-1] + last)
    assert caught.value.field == "pan"
    assert pan[:-1] not in str(caught.value)  # card data never in a message


@pytest.mark.parametrize("pan", ["", "4000 0000 0000 0002", "400000000000002", "4" * 20, "٤" * 16])
def test_pan_must_be_16_to_19_ascii_digits(pan: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_pan(pan, field="receiver_pan")
    assert caught.value.field == "receiver_pan"


@given(month=st.integers(min_value=1, max_value=12), year=st.integers(min_value=0, max_value=99))
def test_every_month_01_to_12_passes(month: int, year: int) -> None:
    exp = f"{month:02d}{year:02d}"
    assert check_exp(exp) == exp


@pytest.mark.parametrize("exp", ["0025", "1325", "9925", "125", "12/25", "12255", "ab25", None])
def test_bad_expiries_fail(exp: object) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_exp(exp)
    assert caught.value.field == "exp"


def test_envelope_edge_cases() -> None:
    assert open_envelope(b'{"code": "1000", "data": 5}') == 5  # a code sent as text
    items = [{"card_token": "ct_1"}]
    assert decode_list(Card)({"items": items}) == [Card(card_token="ct_1")]
    assert decode_list(Card)(None) == []
    assert decode_nothing({}) is None


statuses = st.one_of(
    st.sampled_from([s.value for s in PaymentStatus]), st.text(min_size=1, max_size=12)
)
payments = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=20),
        "amount": st.integers(min_value=0, max_value=10**15),
        "status": statuses,
    },
    optional={
        "external_id": st.text(max_size=64),
        "refunded_amount": st.integers(min_value=0, max_value=10**15),
        "masked_pan": st.text(max_size=19),
        "created_at": st.datetimes(timezones=st.just(timezone.utc)).map(lambda d: d.isoformat()),
        "meta": st.dictionaries(
            st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3
        ),
    },
)


@given(data=payments)
def test_payment_round_trips_through_the_converter(data: dict[str, Any]) -> None:
    payment = converter.structure(data, Payment)
    assert isinstance(payment.amount, int)
    known = {s.value for s in PaymentStatus}
    assert isinstance(payment.status, PaymentStatus) == (data["status"] in known)
    back = converter.unstructure(payment)
    assert back == data


@given(amount=st.integers(min_value=1, max_value=10**15), text=st.text(max_size=40))
def test_requests_encode_to_the_providers_keys(amount: int, text: str) -> None:
    request = DebitPaymentCreateRequest(amount=amount, card_token="ct_1", description=text)
    body = json.loads(json.dumps(converter.unstructure(request)))
    assert body == {"amount": amount, "card_token": "ct_1", "description": text}
