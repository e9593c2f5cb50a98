"""Lambda REPORT lines -> per-invocation figures, and the cost estimate built from them."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterable, Mapping

_FIELDS = {  # re.search finds the leftmost match: the plain Duration comes before the others
    "duration_ms": r"Duration: ([\d.]+) ms",
    "billed_ms": r"Billed Duration: ([\d.]+) ms",
    "memory_mb": r"Memory Size: (\d+) MB",
    "max_memory_mb": r"Max Memory Used: (\d+) MB",
    "init_ms": r"Init Duration: ([\d.]+) ms",
}


def parse_report(log_result: str | None) -> dict[str, Any]:
    """Figures from the REPORT line of a ``LogType=Tail`` log (base64); {} when absent."""
    if not log_result:
        return {}
    try:
        text = base64.b64decode(log_result).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return {}
    line = next((l for l in reversed(text.splitlines()) if l.startswith("REPORT")), "")
    if not line:
        return {}
    report: dict[str, Any] = {}
    for name, pattern in _FIELDS.items():
        match = re.search(pattern, line)
        if match:
            report[name] = float(match.group(1))
    error = re.search(r"Error Type: (\S+)", line)
    if error:
        report["error_type"] = error.group(1)  # Runtime.OutOfMemory: the exit error does not say so
    report["cold_start"] = "init_ms" in report
    return report


def cost_report(
    invocations: Iterable[Mapping[str, Any]],
    *,
    price_per_gb_second: float,
    price_per_request: float,
    emulated: bool = False,
) -> dict[str, Any]:
    """Invocations, cold starts, billed GB-seconds and the estimated cost at the given prices.

    ``emulated``: the figures come from the offline emulator, whose durations (cold starts above
    all) are this machine's, not Lambda's; the summary says so, and nobody is billed."""
    items = list(invocations)
    gb_seconds = sum(inv.get("billed_ms", 0.0) / 1000.0 * inv.get("memory_mb", 0.0) / 1024.0 for inv in items)
    durations = sorted(inv.get("duration_ms", 0.0) for inv in items)
    cost = gb_seconds * price_per_gb_second + len(items) * price_per_request
    cold_starts = sum(1 for inv in items if inv.get("cold_start"))
    note = " (emulator: durations from this machine, not a bill)" if emulated else ""
    return {
        "summary": (
            f"invocations {len(items)} ({cold_starts} cold starts), "
            f"{gb_seconds:.3f} billed GB-s, estimated ${cost:.6f}{note}"
        ),
        "emulated": emulated,
        "invocations": len(items),
        "cold_starts": cold_starts,
        "billed_gb_seconds": round(gb_seconds, 6),
        "duration_ms_median": durations[len(durations) // 2] if durations else 0.0,
        "duration_ms_max": durations[-1] if durations else 0.0,
        "max_memory_mb": max((inv.get("max_memory_mb", 0.0) for inv in items), default=0.0),
        "estimated_cost_usd": round(cost, 8),
        "price_per_gb_second": price_per_gb_second,
        "price_per_request": price_per_request,
    }
