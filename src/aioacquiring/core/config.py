"""Per-client and per-call settings: timeouts and the retry policy."""

from __future__ import annotations

import math
import random

import attrs

from aioacquiring.core.errors import InvalidInputError
from aioacquiring.core.validation import require_count


def _seconds(value: object, field: str) -> float:
    """``value`` as seconds: a finite positive number (NaN or infinity would lift the bound)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(f"must be a number of seconds, got {value!r}", field=field)
    try:
        seconds = float(value)
    except OverflowError:  # an int past any float
        seconds = math.inf
    if not math.isfinite(seconds) or seconds <= 0:
        raise InvalidInputError(f"must be a finite positive number, got {value!r}", field=field)
    return seconds


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    _seconds(value, attribute.name)


def _retries(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    require_count(value, attribute.name, minimum=0)


@attrs.frozen(kw_only=True)
class Timeout:
    """Timeouts of one HTTP attempt, in seconds.

    ``total`` bounds the whole attempt (connect, send, read the answer);
    ``connect`` bounds getting a connection. The overall deadline of a call,
    retries included, is :attr:`RetryPolicy.deadline`. Each is a finite
    positive number of seconds; anything else raises :class:`InvalidInputError`.
    """

    total: float = attrs.field(default=30.0, validator=_positive)
    connect: float = attrs.field(default=5.0, validator=_positive)

    @classmethod
    def coerce(cls, value: float | Timeout | None, default: Timeout) -> Timeout:
        """Accept a bare number of seconds as the total timeout."""
        if value is None:
            return default
        if isinstance(value, Timeout):
            return value
        seconds = _seconds(value, "timeout")
        return cls(total=seconds, connect=min(default.connect, seconds))


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """How a failed call is retried.

    Retried: connection failures, timeouts, HTTP 408/429/5xx and provider
    answers that mean "try again". A call that moves money is retried only
    when the provider dedupes it by the idempotency key the call carries, or
    when the failure proves the request never reached the provider.

    Attributes:
        max_retries: Retries after the first attempt (0 disables retrying).
        backoff_base: First backoff delay; doubles with every retry.
        backoff_cap: Longest backoff delay.
        jitter: Spread delays randomly over [delay/2, delay] so that many
            clients do not retry in step.
        deadline: Bound on the whole call, retries and waits included. A wait
            (``Retry-After`` included) that would pass it is not taken.

    Seconds must be finite and positive, and ``max_retries`` a whole number
    from 0; anything else raises :class:`InvalidInputError`.
    """

    max_retries: int = attrs.field(default=2, validator=_retries)
    backoff_base: float = attrs.field(default=0.5, validator=_positive)
    backoff_cap: float = attrs.field(default=8.0, validator=_positive)
    jitter: bool = True
    deadline: float = attrs.field(default=60.0, validator=_positive)

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Delay before retry number ``retry_number`` (1 for the first retry)."""
        delay: float = min(self.backoff_cap, self.backoff_base * 2 ** (retry_number - 1))
        if self.jitter:
            delay = rng.uniform(delay / 2, delay)
        return delay


NO_RETRY = RetryPolicy(max_retries=0)
"""A policy that never retries (one attempt, default deadline)."""
