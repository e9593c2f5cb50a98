"""Bounded retries with exponential backoff and full jitter."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``max_attempts`` tries in all; the wait before try n+1 is uniform in [0, min(cap, base * 2**n)]."""

    max_attempts: int = 5
    base_delay_s: float = 0.2
    max_delay_s: float = 10.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (attempt - 1)))
        return (rng or random).uniform(0.0, ceiling)

    @classmethod
    def from_settings(cls, settings: "object") -> "RetryPolicy":
        return cls(
            max_attempts=max(1, int(settings["retry.max_attempts"])),  # type: ignore[index]
            base_delay_s=float(settings["retry.base_delay_s"]),  # type: ignore[index]
            max_delay_s=float(settings["retry.max_delay_s"]),  # type: ignore[index]
        )


def call_with_retries(
    fn: Callable[[], T],
    *,
    policy: RetryPolicy,
    retryable: Callable[[BaseException], bool],
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    deadline: float | None = None,
) -> T:
    """Call ``fn`` until it succeeds, the error is not retryable, attempts run out or the
    ``deadline`` (a ``time.monotonic()`` value) would pass; then the last error propagates."""
    attempt = 1
    while True:
        try:
            return fn()
        except BaseException as exc:  # noqa: BLE001 - filtered by ``retryable``
            if attempt >= policy.max_attempts or not retryable(exc):
                raise
            wait = policy.delay(attempt)
            if deadline is not None and time.monotonic() + wait > deadline:
                raise
            if on_retry is not None:
                on_retry(attempt, exc, wait)
            sleep(wait)
            attempt += 1
