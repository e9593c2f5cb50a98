"""Tiles planned by ``tiling.plan_tiles`` against the fewest any plan could use, for real requests.

The lower bound of a request is ``ceil(result bytes / tile budget)`` (``tiling.lower_bound_tiles``,
encoding overhead included), raised to ``ceil(cells evaluated / max_eval_cells)`` where the
evaluated cells bind (reductions evaluate dims they drop). Plans are made as the executor makes
them (``plan_request``'s parameters for each backend) with concurrency 1: splitting for
parallelism adds tiles on purpose and is not packing loss. A plan with a tile over its budget
cannot meet the bound honestly: such plans are counted by ``plans_over_budget`` and left out of
the ratios, with the oversized tile in ``detail``. Pure arithmetic: no timing.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Iterator

from benchmarks.harness import record

NAME = "planner_efficiency"
TARGET = "<= 1.25"

#: The Lambda backend's budget: the synchronous response minus the envelope, base64 on the wire.
LAMBDA = {"max_result_bytes": 6 * 2**20 - 16 * 2**10, "overhead": 4 / 3}
#: The local backend under the default ``tiling.max_tile_bytes`` (64 MB).
LOCAL = {"max_result_bytes": 64 * 2**20, "overhead": 1.0}
#: ``limits.max_tile_cells``: what one tile may evaluate, reduced dims and halo included.
MAX_EVAL_CELLS = 2**27


@dataclass(frozen=True)
class Case:
    name: str
    shape: tuple[int, ...]
    dims: tuple[str, ...]
    budget: dict[str, Any]
    reduce_dims: frozenset[str] = frozenset()
    chunks: dict[str, int] = field(default_factory=dict)


CASES = (
    Case("lambda_20000x20000", (20000, 20000), ("lat", "lon"), LAMBDA),
    Case("lambda_4096x4096", (4096, 4096), ("lat", "lon"), LAMBDA),
    Case("local_4096x4096", (4096, 4096), ("lat", "lon"), LOCAL),
    Case("local_4096x4096_16MB", (4096, 4096), ("lat", "lon"), {"max_result_bytes": 16 * 2**20, "overhead": 1.0}),
    Case("lambda_daily_year_kept", (365, 1000, 1000), ("time", "lat", "lon"), LAMBDA),
    Case("lambda_monthly_mean_over_time", (120, 2000, 2000), ("time", "lat", "lon"), LAMBDA, frozenset({"time"})),
    Case("local_daily_mean_over_time", (365, 1024, 1024), ("time", "lat", "lon"), LOCAL, frozenset({"time"})),
    Case("lambda_daily_mean_over_space", (365, 2000, 2000), ("time", "lat", "lon"), LAMBDA, frozenset({"lat", "lon"})),
    Case("lambda_points_5M", (5_000_000,), ("lat_lon",), LAMBDA),
    Case("lambda_points_1M_x_hourly_day", (1_000_000, 24), ("lat_lon", "time"), LAMBDA),
    Case("local_points_1M_x_daily_mean", (1_000_000, 365), ("lat_lon", "time"), LOCAL, frozenset({"time"})),
    Case("local_4096x4096_zarr_512", (4096, 4096), ("lat", "lon"), LOCAL, chunks={"lat": 512, "lon": 512}),
    Case("local_20000x20000_zarr_256", (20000, 20000), ("lat", "lon"), LOCAL, chunks={"lat": 256, "lon": 256}),
    Case("lambda_4096x4096_zarr_256", (4096, 4096), ("lat", "lon"), LAMBDA, chunks={"lat": 256, "lon": 256}),
    Case("lambda_20000x20000_zarr_256", (20000, 20000), ("lat", "lon"), LAMBDA, chunks={"lat": 256, "lon": 256}),
)


def evaluate_case(case: Case) -> dict[str, Any]:
    from podpac_exec.engine.tiling import lower_bound_tiles, plan_tiles

    plan = plan_tiles(
        case.shape,
        case.dims,
        itemsize=8,
        concurrency=1,
        reduce_dims=case.reduce_dims,
        chunks=case.chunks or None,
        max_eval_cells=MAX_EVAL_CELLS,
        **case.budget,
    )
    byte_bound = lower_bound_tiles(plan.out_shape, 8, case.budget["max_result_bytes"], case.budget["overhead"])
    eval_bound = math.ceil(math.prod(case.shape) / MAX_EVAL_CELLS)
    bound = max(byte_bound, eval_bound)
    largest = max(plan, key=lambda tile: math.prod(tile.out_shape))
    encoded = math.prod(largest.out_shape) * 8 * case.budget["overhead"]
    evaluated = math.prod(largest.eval_shape)
    return {
        "tiles": len(plan),
        "lower_bound": bound,
        "bound_from": "result bytes" if byte_bound >= eval_bound else "evaluated cells",
        "ratio": round(len(plan) / bound, 4),
        "over_budget": encoded > case.budget["max_result_bytes"] or evaluated > MAX_EVAL_CELLS,
        "largest_tile": list(largest.out_shape),
        "result_budget_fill": round(encoded / case.budget["max_result_bytes"], 4),
    }


def run() -> Iterator[dict[str, Any]]:
    results = {case.name: evaluate_case(case) for case in CASES}
    feasible = {name: r for name, r in results.items() if not r["over_budget"]}
    ratios = {name: r["ratio"] for name, r in feasible.items()}
    worst = max(ratios, key=ratios.__getitem__)
    cases = {name: {k: v for k, v in r.items() if k != "over_budget"} for name, r in results.items()}
    yield record(
        NAME,
        "tiles_vs_lower_bound_worst",
        ratios[worst],
        "ratio",
        TARGET,
        worst_case=worst,
        mean=round(statistics.mean(ratios.values()), 4),
        cases=cases,
        concurrency=1,
        max_eval_cells=MAX_EVAL_CELLS,
    )
    yield record(
        NAME,
        "tiles_vs_lower_bound_mean",
        statistics.mean(ratios.values()),
        "ratio",
        TARGET,
        worst=ratios[worst],
        ratios=ratios,
    )
    over = sorted(name for name, r in results.items() if r["over_budget"])
    yield record(
        NAME,
        "plans_over_budget",
        len(over),
        "plans",
        "<= 0",
        cases=over,
        largest_tile={name: results[name]["largest_tile"] for name in over},
        result_budget_fill={name: results[name]["result_budget_fill"] for name in over},
        note="chunk-aligned plans round a tile's rows up to a whole chunk row even when that row is over the budget",
    )
