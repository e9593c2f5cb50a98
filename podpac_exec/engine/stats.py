"""Per-evaluation statistics, gathered by a wrapper around ``podpac_exec_evaluate_node``."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator

from podpac_exec.plugins.manager import hookimpl

if TYPE_CHECKING:
    from podpac_exec.plugins.backends import Backend, EvaluationOptions
    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node


@dataclass
class TileRecord:
    """One backend call: which tile, how long, whether it failed, backend-specific extras."""

    backend: str
    cells: int
    seconds: float
    started: float
    ok: bool
    tile: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


class EvaluationStats:
    """Thread-safe collector for one ``evaluate()`` call (or a batch job)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: list[TileRecord] = []
        self.retries = 0
        self.started = time.time()
        self.wall_seconds = 0.0
        self.invocations: list[dict[str, Any]] = []
        #: bytes data sources read in this process during the call (remote reads are the backend's)
        self.bytes_read = 0
        #: the backend's own figures for the finished call (:meth:`Backend.report`)
        self.backend_report: dict[str, Any] = {}
        #: the adaptive fan-out's counts: splits, backups, backups_won, throttle_decreases
        self.adaptive: dict[str, int] = {}
        #: (seconds since the fan-out started, calls in flight, AIMD window) at each change
        self.concurrency_samples: list[tuple[float, int, float]] = []
        #: the evaluated node's hash (backends keep per-pipeline history by it)
        self.node_hash = ""
        #: the estimate made before the run (``engine.estimate``), to print against the actual
        self.estimate: dict[str, Any] = {}

    def add(self, record: TileRecord) -> None:
        with self._lock:
            self.records.append(record)

    def add_retry(self, count: int = 1) -> None:
        with self._lock:
            self.retries += count

    def add_adaptive(self, name: str, count: int = 1) -> None:
        """Count an adaptive fan-out event (``splits``, ``backups`` ...)."""
        with self._lock:
            self.adaptive[name] = self.adaptive.get(name, 0) + count

    def add_invocation(self, report: dict[str, Any]) -> None:
        """A remote invocation's REPORT figures (duration, billed, memory, cold start...)."""
        with self._lock:
            self.invocations.append(dict(report))

    def merge(self, other: "EvaluationStats") -> None:
        """Add another collector's records (e.g. one a remote worker filled for its tile)."""
        with self._lock:
            self.records.extend(other.records)
            self.retries += other.retries
            self.invocations.extend(other.invocations)
            self.bytes_read += other.bytes_read
            for name, count in other.adaptive.items():
                self.adaptive[name] = self.adaptive.get(name, 0) + count

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    @property
    def tiles(self) -> int:
        return len(self.records)

    @property
    def failures(self) -> int:
        return sum(1 for r in self.records if not r.ok)

    def summary(self) -> dict[str, Any]:
        seconds = [r.seconds for r in self.records]
        return {
            "tiles": self.tiles,
            "failures": self.failures,
            "retries": self.retries,
            "cells": sum(r.cells for r in self.records),
            "tile_seconds_total": round(sum(seconds), 6),
            "tile_seconds_max": round(max(seconds, default=0.0), 6),
            "wall_seconds": round(self.wall_seconds, 6),
            "invocations": len(self.invocations),
            "bytes_read": self.bytes_read,
            **{name: count for name, count in sorted(self.adaptive.items()) if count},
        }

    def __iter__(self) -> Iterator[TileRecord]:
        return iter(list(self.records))


@hookimpl(wrapper=True)
def podpac_exec_evaluate_node(
    node: "Node", coordinates: "Coordinates", backend: "Backend", options: "EvaluationOptions"
) -> Any:
    """Time every tile evaluation and record it in ``options.stats``, failures included."""
    started = time.time()
    t0 = time.perf_counter()
    ok = False
    try:
        result = yield
        ok = True
        return result
    finally:
        options.stats.add(
            TileRecord(
                backend=backend.name,
                cells=coordinates.size,
                seconds=time.perf_counter() - t0,
                started=started,
                ok=ok,
                tile=options.tile,
            )
        )
