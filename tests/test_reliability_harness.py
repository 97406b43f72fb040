"""The reliability harness can see what it counts: it flags double charges when keys are off."""

from __future__ import annotations

import sys
from pathlib import Path

import attrs
import pytest

from aioacquiring import RetryPolicy, Timeout
from aioacquiring.cloudpayments import CloudPayments
from aioacquiring.testing import CloudPaymentsEmulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reliability"))

import harness
import suite_cloudpayments

LOST = [f for f in harness.FAULTS if f.name == "response lost after the work"]


def keyless_client(
    emulator: CloudPaymentsEmulator, url: str, timeout: Timeout, retry: RetryPolicy
) -> CloudPayments:
    return CloudPayments(
        public_id=emulator.public_id,
        api_secret=emulator.api_secret,
        base_url=url,
        timeout=timeout,
        retry=retry,
        auto_idempotency_keys=False,
    )


async def test_without_idempotency_keys_the_harness_reports_lost_results() -> None:
    suite = attrs.evolve(
        suite_cloudpayments.SUITE,
        client=keyless_client,
        calls=suite_cloudpayments.SUITE.calls[:1],  # payments.cards_charge
    )
    tally = await harness.run_suite(suite, faults=LOST)
    # The SDK refuses to retry a keyless charge whose answer was lost, and says so:
    assert tally.unresumable_failures == 1
    # the "application" that retries anyway, keyless, charges a second time.
    assert tally.double_charges == 1
    assert not tally.clean
    assert "| cloudpayments | 1 | 1 |" in harness.table([tally])


async def test_with_the_sdk_defaults_the_same_scenario_is_clean() -> None:
    suite = attrs.evolve(suite_cloudpayments.SUITE, calls=suite_cloudpayments.SUITE.calls[:1])
    tally = await harness.run_suite(suite, faults=LOST)
    assert tally.clean
    assert tally.scenarios == 1
    assert tally.double_charges == 0


def test_the_fuzzer_counts_forgeries_when_verification_is_switched_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import fuzz_cloudpayments

    from aioacquiring.cloudpayments import webhooks

    clean = fuzz_cloudpayments.fuzz_webhooks(30)
    assert clean.clean
    assert clean.cases >= 30
    monkeypatch.setattr(webhooks, "verify", lambda *args, **kwargs: None)
    # About one mutation in 25 changes what the notification reads as (most flip bytes
    # the parser ignores or refuses): 120 cases found none about once in 150 runs;
    # with 500, that is about once in a billion.
    broken = fuzz_cloudpayments.fuzz_webhooks(500)
    assert broken.forgeries_accepted > 0
    assert not broken.clean


async def test_a_late_duplicate_of_a_partial_alif_refund_is_counted() -> None:
    import suite_alif

    # Alif's refunds carry no external_id: read back after a timeout, a refund the
    # provider still holds cannot be seen, and a second partial refund lands twice.
    suite = attrs.evolve(suite_alif.SUITE, calls=suite_alif.PARTIAL_REFUNDS)
    faults = [f for f in harness.FAULTS if f.name == "read timeout"]
    tally = await harness.run_suite(suite, faults=faults)
    assert tally.double_charges == len(suite_alif.PARTIAL_REFUNDS)
