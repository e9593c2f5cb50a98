"""Retries are bounded, back off exponentially with full jitter, and stop on fatal errors."""

from __future__ import annotations

import random

import pytest

from podpac_exec.engine.retry import RetryPolicy, call_with_retries


class Flaky:
    def __init__(self, failures: int, exc: type[Exception] = ConnectionError):
        self.failures, self.calls, self.exc = failures, 0, exc

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.exc(f"failure {self.calls}")
        return "ok"


def test_succeeds_after_transient_failures_with_jittered_backoff():
    waits = []
    fn = Flaky(3)
    policy = RetryPolicy(max_attempts=5, base_delay_s=0.1, max_delay_s=0.3)
    assert call_with_retries(fn, policy=policy, retryable=lambda e: True, sleep=waits.append) == "ok"
    assert fn.calls == 4 and len(waits) == 3
    for attempt, wait in enumerate(waits, start=1):
        assert 0 <= wait <= min(0.3, 0.1 * 2 ** (attempt - 1))


def test_bounded_then_last_error_propagates():
    fn = Flaky(10)
    with pytest.raises(ConnectionError, match="failure 3"):
        call_with_retries(fn, policy=RetryPolicy(max_attempts=3), retryable=lambda e: True, sleep=lambda s: None)
    assert fn.calls == 3


def test_fatal_errors_are_not_retried():
    fn = Flaky(10, exc=ValueError)
    with pytest.raises(ValueError):
        call_with_retries(fn, policy=RetryPolicy(), retryable=lambda e: isinstance(e, ConnectionError), sleep=lambda s: None)
    assert fn.calls == 1


def test_deadline_stops_retrying():
    import time

    fn = Flaky(10)
    with pytest.raises(ConnectionError):
        call_with_retries(fn, policy=RetryPolicy(max_attempts=100, base_delay_s=5, max_delay_s=5),
                          retryable=lambda e: True, sleep=lambda s: None, deadline=time.monotonic() + 0.0001)


def test_jitter_is_full_range():
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(1)
    samples = [policy.delay(4, rng) for _ in range(2000)]
    assert min(samples) < 0.5 and max(samples) > 7.5 and max(samples) <= 8.0
