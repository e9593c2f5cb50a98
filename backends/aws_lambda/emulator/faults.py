"""Fault injection for client reliability tests: throttles, crashes, timeouts and added latency."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any, Literal

Fault = Literal["throttle", "crash", "timeout"]


@dataclass(frozen=True)
class Faults:
    """Per-invocation probabilities (0..1) of each fault, and latency added before every invoke."""

    throttle: float = 0.0
    crash: float = 0.0
    timeout: float = 0.0
    latency_s: float = 0.0
    seed: int | None = None
    #: the next ``stragglers`` invocations run ``straggler_s`` longer (a slow container), in its slot
    stragglers: int = 0
    straggler_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("throttle", "crash", "timeout"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"fault probability {name}={p} is outside [0, 1]")
        if self.latency_s < 0 or self.straggler_s < 0 or self.stragglers < 0:
            raise ValueError("latency_s, stragglers and straggler_s must not be negative")

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Faults:
        unknown = set(doc) - {"throttle", "crash", "timeout", "latency_s", "seed", "stragglers", "straggler_s"}
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        return cls(**doc)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Holds the current ``Faults`` and draws at most one fault per invocation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.faults = Faults()
        self._rng = random.Random()
        self._stragglers_left = 0

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)
            self._stragglers_left = faults.stragglers

    def straggle(self) -> float:
        """Seconds this invocation is slowed down by (the next ``stragglers`` ones: ``straggler_s``)."""
        with self._lock:
            if self._stragglers_left <= 0:
                return 0.0
            self._stragglers_left -= 1
            return self.faults.straggler_s

    def draw(self) -> Fault | None:
        """One fault chosen by its probability, checked in the order throttle, crash, timeout."""
        with self._lock:
            f = self.faults
            if not (f.throttle or f.crash or f.timeout):
                return None
            for name in ("throttle", "crash", "timeout"):
                p = getattr(f, name)
                if p and self._rng.random() < p:
                    return name  # type: ignore[return-value]
        return None
