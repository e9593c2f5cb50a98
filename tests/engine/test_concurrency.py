"""AIMD: additive increase per success, one multiplicative decrease per burst of throttles."""

from __future__ import annotations

import pytest

from podpac_exec.engine.concurrency import AimdController, AimdPolicy, FanoutControl, call_in_window


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_throttles_halve_once_per_round_and_successes_grow_back():
    clock = Clock()
    aimd = AimdController(AimdPolicy(ceiling=16, initial=8, decrease=0.5), clock=clock)
    epochs = [aimd.acquire() for _ in range(8)]
    for epoch in epochs:  # a burst of 429s from calls started together: one decrease
        aimd.release(epoch, "throttle")
    assert aimd.limit == 4 and aimd.decreases == 1
    clock.t += 1
    aimd.release(aimd.acquire(), "ok")
    assert aimd.limit == 5  # +1 per success
    for _ in range(200):
        clock.t += 1
        aimd.release(aimd.acquire(), "ok")
    assert aimd.limit == 16  # the ceiling holds
    assert max(s[1] for s in aimd.samples) <= 8


def test_the_scale_up_rate_caps_growth():
    clock = Clock()
    aimd = AimdController(AimdPolicy(ceiling=100, initial=1, increase=10, scale_up_per_s=1.0), clock=clock)
    for _ in range(50):
        clock.t += 0.1
        aimd.release(aimd.acquire(), "ok")
    assert aimd.window <= 1 + 5.0 + 1e-9  # 5 s at one slot a second


def test_disabled_keeps_the_ceiling():
    aimd = AimdController(AimdPolicy(ceiling=6, enabled=False))
    aimd.release(aimd.acquire(), "throttle")
    assert aimd.limit == 6


class Throttled(Exception):
    pass


def test_call_in_window_retries_throttles_then_gives_up():
    control = FanoutControl(AimdController(AimdPolicy(ceiling=4)), max_throttle_retries=3)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise Throttled()
        return "ok"

    kind = lambda exc: "throttle" if isinstance(exc, Throttled) else None  # noqa: E731
    waits: list[float] = []
    assert call_in_window(flaky, control, kind, delay=lambda n: 0.01 * n, sleep=waits.append) == "ok"
    assert waits == [0.01, 0.02] and control.controller.decreases == 2 and control.controller.in_flight == 0

    def always():
        raise Throttled()

    with pytest.raises(Throttled):
        call_in_window(always, control, kind, delay=lambda n: 0.0, sleep=lambda s: None)
    assert call_in_window(lambda: 5, None, kind, delay=lambda n: 0.0) == 5
