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

    def __post_init__(self) -> None:
        for name in ("throttle", "crash", "timeout"):
            p = getattr(self, name)
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"fault probability {name}={p} is outside [0, 1]")
        if self.latency_s < 0:
            raise ValueError(f"latency_s={self.latency_s} is negative")

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Faults:
        unknown = set(doc) - {"throttle", "crash", "timeout", "latency_s", "seed"}
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

    def set(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._rng = random.Random(faults.seed)

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
