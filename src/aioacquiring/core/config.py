"""Per-client and per-call settings: timeouts and the retry policy."""

from __future__ import annotations

import random

import attrs


def _positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value <= 0:
        raise ValueError(f"{attribute.name} must be positive, got {value}")


@attrs.frozen(kw_only=True)
class Timeout:
    """Timeouts of one HTTP attempt, in seconds.

    ``total`` bounds the whole attempt (connect, send, read the answer);
    ``connect`` bounds getting a connection. The overall deadline of a call,
    retries included, is :attr:`RetryPolicy.deadline`.
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
        return cls(total=float(value), connect=min(default.connect, float(value)))


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
    """

    max_retries: int = attrs.field(default=2, validator=attrs.validators.ge(0))
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
