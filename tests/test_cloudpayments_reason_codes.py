"""The ReasonCode table and its recurring-retry advice."""

from __future__ import annotations

import pytest

from aioacquiring.cloudpayments.reason_codes import REASON_CODES, TokenAdvice, decline_reason


@pytest.mark.parametrize("code", [5001, 5003, 5005, 5012, 5017, 5033, 5034, 5057])
def test_codes_that_retire_a_token(code: int) -> None:
    assert REASON_CODES[code].token_advice is TokenAdvice.STOP_USING_TOKEN
    assert not REASON_CODES[code].should_retry_token


@pytest.mark.parametrize("code", [5013, 5014, 5030, 5054, 5055, 5063, 5051, 5065, 5096])
def test_codes_that_block_after_two(code: int) -> None:
    assert REASON_CODES[code].token_advice is TokenAdvice.BLOCKED_AFTER_TWO
    assert REASON_CODES[code].should_retry_token


def test_every_documented_code_is_there() -> None:
    documented = {0, 5001, 5003, 5004, 5005, 5006, 5012, 5013, 5014, 5015, 5017, 5019, 5030,
                  5033, 5034, 5036, 5041, 5043, 5051, 5054, 5055, 5057, 5059, 5061, 5063, 5065,
                  5082, 5091, 5092, 5096, 5204, 5206, 5207, 5300}  # fmt: skip
    assert set(REASON_CODES) == documented
    assert REASON_CODES[5051].name == "InsufficientFunds"


def test_unknown_code_is_generic_and_retryable() -> None:
    reason = decline_reason(5999, "Brand new")
    assert reason.name == "Brand new"
    assert reason.should_retry_token
    assert decline_reason(None).code == -1
