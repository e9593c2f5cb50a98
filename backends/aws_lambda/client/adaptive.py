"""Lambda's signals for the adaptive fan-out: which failures are limits or throttles, and the
cost estimate learned from REPORT figures (or a one-tile calibration run).

The history is per process: the REPORTs of recent runs of a pipeline (by node hash) on a function
at a memory size. A cold start's extra billed time counts only when no run of the function is
recent enough (:data:`WARM_FOR_S`) to have left its containers warm.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from podpac_exec.engine.adaptive import MEMORY, THROTTLE, TIME
from podpac_exec.errors import RemoteEvaluationError

if TYPE_CHECKING:
    from podpac_exec.engine.estimate import PlanFigures
    from podpac_exec.engine.stats import EvaluationStats

#: Lambda adds up to 1000 concurrent executions per function every 10 seconds.
SCALE_UP_PER_S = 100.0
#: How long Lambda (and the emulator's default idle timeout) keeps an idle container.
WARM_FOR_S = 300.0
MEMORY_ERRORS = ("Runtime.OutOfMemory", "MemoryError")


def failure_kind(exc: BaseException) -> str | None:
    """``throttle`` for 429s, ``memory`` for Runtime.OutOfMemory, ``time`` for Sandbox.Timedout."""
    if getattr(exc, "kind", None) == THROTTLE:
        return THROTTLE
    if isinstance(exc, RemoteEvaluationError):
        if exc.remote_type in MEMORY_ERRORS:
            return MEMORY
        if exc.remote_type == "Sandbox.Timedout" or "Task timed out" in exc.remote_message:
            return TIME
    return None


@dataclass(frozen=True)
class Learned:
    """Billed figures of a pipeline on one function: warm ms per cell, a cold start's extra ms."""

    ms_per_cell: float
    cold_extra_ms: float
    invocations: int
    at: float


def learn(invocations: Iterable[Mapping[str, Any]], at: float | None = None) -> Learned | None:
    """What a run's REPORTs (each with the ``cells`` it evaluated) say; None without a successful one."""
    ok = [inv for inv in invocations if inv.get("cells") and not inv.get("error_type") and inv.get("billed_ms")]
    warm = [inv for inv in ok if not inv.get("cold_start")] or ok
    if not warm:
        return None
    ms_per_cell = sum(inv["billed_ms"] for inv in warm) / sum(inv["cells"] for inv in warm)
    cold = [inv for inv in ok if inv.get("cold_start")]
    extras = [max(0.0, inv["billed_ms"] - ms_per_cell * inv["cells"]) for inv in cold]
    cold_extra = sum(extras) / len(extras) if extras and len(warm) < len(ok) else 0.0
    return Learned(ms_per_cell, cold_extra, len(ok), time.time() if at is None else at)


class History:
    """Recent REPORT figures by (function, memory size, node hash); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[tuple[str, int, str], Learned] = {}
        self._last_run: dict[str, float] = {}

    def record(self, function: str, memory_mb: int, node_hash: str, invocations: list[Mapping[str, Any]]) -> None:
        learned = learn(invocations)
        with self._lock:
            if invocations:
                self._last_run[function] = time.time()
            if learned is None or not node_hash:
                return
            old = self._items.get((function, memory_mb, node_hash))
            if old is not None and learned.cold_extra_ms == 0.0:  # a warm run says nothing of cold starts
                learned = Learned(learned.ms_per_cell, old.cold_extra_ms, learned.invocations, learned.at)
            self._items[(function, memory_mb, node_hash)] = learned

    def get(self, function: str, memory_mb: int, node_hash: str) -> Learned | None:
        with self._lock:
            return self._items.get((function, memory_mb, node_hash))

    def warm(self, function: str, now: float | None = None) -> bool:
        """Whether the function ran recently enough for its containers to be warm."""
        with self._lock:
            last = self._last_run.get(function)
        return last is not None and (time.time() if now is None else now) - last < WARM_FOR_S

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._last_run.clear()


HISTORY = History()


def estimate(
    figures: "PlanFigures",
    config: Mapping[str, Any],
    calibration: "EvaluationStats | None",
) -> dict[str, Any]:
    """GB-seconds, requests, S3 traffic and cost of a plan, from history or the calibration run."""
    function, memory_mb = str(config["function_name"]), int(config["memory_mb"])
    price_gbs, price_req = float(config["price_per_gb_second"]), float(config["price_per_request"])
    learned = HISTORY.get(function, memory_mb, figures.node_hash)
    basis = "REPORT history of recent runs"
    if calibration is not None:
        learned = learn(calibration.invocations) or learned
        basis = "a calibration run of one tile"
    requests = figures.tiles
    spilled = figures.result_bytes if figures.result_bytes / max(1, figures.tiles) > int(config["s3_threshold_bytes"]) else 0
    s3 = {"s3_requests": 3 * figures.tiles if spilled else 0, "s3_bytes": spilled}  # put, get, delete per tile
    if learned is None:  # a floor: every call billed its first millisecond
        gb_seconds = figures.tiles * 0.001 * memory_mb / 1024
        return {
            "basis": "no REPORT history of this pipeline (a floor: 1 ms per call)",
            "lower_bound": True,
            "expected_invocations": requests,
            "gb_seconds": round(gb_seconds, 6),
            "requests": requests,
            **s3,
            "cost_usd": round(gb_seconds * price_gbs + requests * price_req, 8),
        }
    cold_starts = 0 if HISTORY.warm(function) else min(figures.tiles, figures.concurrency)
    billed_ms = learned.ms_per_cell * figures.eval_cells + cold_starts * learned.cold_extra_ms
    gb_seconds = billed_ms / 1000.0 * memory_mb / 1024
    return {
        "basis": basis,
        "expected_invocations": requests,
        "expected_cold_starts": cold_starts,
        "gb_seconds": round(gb_seconds, 6),
        "requests": requests,
        **s3,
        "cost_usd": round(gb_seconds * price_gbs + requests * price_req + s3["s3_requests"] * S3_PRICE_PER_REQUEST, 8),
    }


#: S3 standard GET/PUT averaged, USD per request, for spilled results (a small part of any bill)
S3_PRICE_PER_REQUEST = 0.000003


def estimate_vs_actual(estimate: Mapping[str, Any], report: Mapping[str, Any]) -> str:
    """``estimated 1.2 GB-s $0.00002 (basis), actual 1.1 GB-s $0.00002``: one line for summaries."""
    floor = "at least " if estimate.get("lower_bound") else ""
    return (
        f"estimated {floor}{estimate.get('gb_seconds', 0):.3f} GB-s ${estimate.get('cost_usd', 0):.6f} "
        f"({estimate.get('basis', '')}), actual {report.get('billed_gb_seconds', 0):.3f} GB-s "
        f"${report.get('estimated_cost_usd', 0):.6f}"
    )
