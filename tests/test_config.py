"""Timeouts and retry policies: what bounds a call must be a real bound, or it is refused.

NaN, infinity, zero or a negative number of seconds would each have lifted a
bound silently (aiohttp sets no timer for NaN; a NaN deadline never passes).
"""

from __future__ import annotations

import math
import socket
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioacquiring import InvalidInputError, RetryPolicy, Timeout
from aioacquiring.cloudpayments import CloudPayments

BAD_SECONDS = [0, -1, -0.5, math.nan, math.inf, -math.inf, True, "5", None]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("seconds", [s for s in BAD_SECONDS if s is not None])
async def test_a_per_call_timeout_that_bounds_nothing_is_refused_before_sending(
    seconds: Any,
) -> None:
    # The port is closed: anything sent would fail as a connection error instead.
    async with CloudPayments(
        public_id="pk", api_secret="s", base_url=f"http://127.0.0.1:{closed_port()}"
    ) as client:
        with pytest.raises(InvalidInputError) as caught:
            await client.test(timeout=seconds)
    assert caught.value.field == "timeout"


@pytest.mark.parametrize("field", ["total", "connect"])
@pytest.mark.parametrize("seconds", BAD_SECONDS)
def test_timeout_fields_must_be_finite_positive_seconds(field: str, seconds: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        Timeout(**{field: seconds})
    assert caught.value.field == field


@pytest.mark.parametrize("field", ["backoff_base", "backoff_cap", "deadline"])
@pytest.mark.parametrize("seconds", BAD_SECONDS)
def test_retry_policy_seconds_must_be_finite_and_positive(field: str, seconds: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        RetryPolicy(**{field: seconds})
    assert caught.value.field == field


@pytest.mark.parametrize("retries", [-1, True, 1.5, "2", None])
def test_max_retries_must_be_a_whole_number_from_zero(retries: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        RetryPolicy(max_retries=retries)
    assert caught.value.field == "max_retries"


def is_a_real_bound(seconds: float) -> bool:
    try:
        as_float = float(seconds)
    except OverflowError:
        return False
    return math.isfinite(as_float) and as_float > 0


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(),
        st.just(10**400),  # past any float
    )
)
def test_any_number_is_a_real_bound_or_refused(seconds: float) -> None:
    if not is_a_real_bound(seconds):
        with pytest.raises(InvalidInputError) as refused:
            Timeout.coerce(seconds, Timeout())
        assert refused.value.field == "timeout"
        return
    timeout = Timeout.coerce(seconds, Timeout())
    assert math.isfinite(timeout.total)
    assert timeout.total > 0
    assert 0 < timeout.connect <= timeout.total


@pytest.mark.parametrize("cap", [0, -3, True, 2.5, "5"])
def test_max_concurrency_must_be_a_whole_number_from_one(cap: Any) -> None:
    with pytest.raises(InvalidInputError) as caught:
        CloudPayments(public_id="pk", api_secret="s", max_concurrency=cap)
    assert caught.value.field == "max_concurrency"
