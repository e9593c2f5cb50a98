"""Shared timing helpers for benchmark modules."""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable


def median_seconds(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def record(
    benchmark: str,
    metric: str,
    value: float,
    unit: str,
    target: str | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """One benchmark figure in the format of DESIGN.md section 10."""
    return {
        "benchmark": benchmark,
        "metric": metric,
        "value": round(float(value), 6),
        "unit": unit,
        "target": target,
        "detail": detail,
    }
