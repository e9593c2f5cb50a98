"""AIMD control of the invocations in flight: grow by a step per success, halve on a throttle.

The window never exceeds the backend's ceiling (its configured concurrency), never
grows faster than the backend's scale-up rate, and never falls below one. Throttles from calls
started before the last decrease do not decrease it again (one burst of 429s is one signal, as
in TCP). Every change of the in-flight count is sampled for the timeline plot.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from podpac_exec.engine.adaptive import THROTTLE

T = TypeVar("T")


@dataclass(frozen=True)
class AimdPolicy:
    """``initial`` (0: the ceiling), ``increase`` per success, ``decrease`` factor per throttle round.

    The increase is per success, not per round of successes as in TCP: a service's throttles
    are often background noise (other work sharing the account's concurrency), and a window that
    grows back one slot a round stays far below the ceiling under a steady 20% of 429s."""

    ceiling: int
    enabled: bool = True
    initial: int = 0
    increase: float = 1.0
    decrease: float = 0.7
    #: most new slots per second (the platform's scale-up rate); None: no cap
    scale_up_per_s: float | None = None

    @classmethod
    def from_settings(cls, settings: "object", ceiling: int, scale_up_per_s: float | None) -> "AimdPolicy":
        return cls(
            ceiling=max(1, ceiling),
            enabled=bool(settings["concurrency.adaptive"]),  # type: ignore[index]
            initial=int(settings["concurrency.initial"]),  # type: ignore[index]
            increase=float(settings["concurrency.increase"]),  # type: ignore[index]
            decrease=float(settings["concurrency.decrease"]),  # type: ignore[index]
            scale_up_per_s=scale_up_per_s,
        )


class AimdController:
    """Thread-safe window of allowed in-flight calls; ``acquire`` waits for room and gives an
    epoch to hand back to ``release``."""

    def __init__(self, policy: AimdPolicy, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock
        self._lock = threading.Condition()
        start = policy.initial or policy.ceiling
        self.window = float(min(policy.ceiling, max(1, start)) if policy.enabled else policy.ceiling)
        self.in_flight = 0
        self.epoch = 0  # bumped at each decrease
        self.decreases = 0
        self._t0 = clock()
        self._grown_at = self._t0
        #: (seconds since start, in flight, window) at every change
        self.samples: list[tuple[float, int, float]] = [(0.0, 0, self.window)]

    @property
    def limit(self) -> int:
        return max(1, math.floor(self.window + 1e-9))

    def acquire(self) -> int:
        """Wait until the window has room, count one call in flight and return the current epoch."""
        with self._lock:
            while self.in_flight >= self.limit:
                self._lock.wait()
            self.in_flight += 1
            self._sample()
            return self.epoch

    def release(self, epoch: int, outcome: str) -> None:
        """``outcome``: ``"ok"``, ``"throttle"`` or anything else (a failure that says nothing of the rate)."""
        with self._lock:
            self.in_flight -= 1
            if self.policy.enabled:
                if outcome == "ok":
                    self._grow()
                elif outcome == "throttle" and epoch >= self.epoch:
                    self.window = max(1.0, self.window * self.policy.decrease)
                    self.epoch += 1
                    self.decreases += 1
                    self._grown_at = self._clock()
            self._sample()
            self._lock.notify_all()

    def _grow(self) -> None:
        now = self._clock()
        target = min(float(self.policy.ceiling), self.window + self.policy.increase)
        rate = self.policy.scale_up_per_s
        if rate is not None:  # the platform adds at most ``rate`` slots a second
            target = min(target, self.window + rate * max(0.0, now - self._grown_at))
        if target > self.window:
            self.window = target
            self._grown_at = now

    def _sample(self) -> None:
        self.samples.append((self._clock() - self._t0, self.in_flight, round(self.window, 3)))


@dataclass
class FanoutControl:
    """What the adaptive fan-out hands a backend through ``EvaluationOptions.control``."""

    controller: AimdController
    #: the fan-out splits a tile that hit a memory or time limit: the backend should not retry it
    split_on_limit: bool = True
    max_throttle_retries: int = 30


def call_in_window(
    fn: Callable[[], T],
    control: FanoutControl | None,
    failure_kind: Callable[[BaseException], str | None],
    *,
    delay: Callable[[int], float],
    on_throttle: Callable[[], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """One backend call counted in the AIMD window; a throttle (``failure_kind`` says
    ``"throttle"``) shrinks the window and the call waits ``delay(n)`` and runs again, at most
    ``max_throttle_retries`` times. Without ``control`` (no adaptive fan-out) ``fn`` just runs."""
    if control is None:
        return fn()
    throttles = 0
    while True:
        epoch = control.controller.acquire()
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - classified, then re-raised unless a throttle
            throttled = failure_kind(exc) == THROTTLE
            control.controller.release(epoch, "throttle" if throttled else "failed")
            if not throttled or throttles >= control.max_throttle_retries:
                raise
            throttles += 1
            if on_throttle is not None:
                on_throttle()
            sleep(delay(throttles))
            continue
        control.controller.release(epoch, "ok")
        return result
