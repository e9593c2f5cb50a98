"""Cost before and after: a plan's figures, the backend's estimate of them, and the cost cap.

The core counts what a plan holds (tiles, cells, result bytes); the backend prices it
(:meth:`Backend.estimate`), from its history of recent runs or from a one-tile calibration run.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from podpac_exec.engine.stats import EvaluationStats
from podpac_exec.errors import LimitExceededError

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates
    from podpac_exec.engine.tiling import TilePlan
    from podpac_exec.nodes.base import Node
    from podpac_exec.plugins.backends import Backend, EvaluationOptions


class CostLimitError(LimitExceededError):
    """A run would cost (or has cost) more than the backend's cost cap."""


@dataclass(frozen=True)
class PlanFigures:
    """What a plan asks of a backend, before any price."""

    node_hash: str
    backend: str
    tiles: int
    eval_cells: int
    out_cells: int
    result_bytes: int
    largest_tile_cells: int
    concurrency: int


@dataclass
class Estimate:
    """A plan's figures and the backend's estimate; ``str()`` is the printed plan."""

    plan: PlanFigures
    backend: dict[str, Any] = field(default_factory=dict)

    @property
    def cost_usd(self) -> float | None:
        cost = self.backend.get("cost_usd")
        return None if cost is None else float(cost)

    def as_dict(self) -> dict[str, Any]:
        return {"plan": asdict(self.plan), **self.backend}

    def __str__(self) -> str:
        p = self.plan
        lines = [
            f"plan: {p.tiles} tiles on {p.backend} ({p.concurrency} at once), {p.eval_cells} cells evaluated "
            f"(largest tile {p.largest_tile_cells}), {p.out_cells} output cells ({p.result_bytes} bytes)",
        ]
        shown = {k: v for k, v in self.backend.items() if k not in ("summary", "cost_usd", "lower_bound")}
        for key, value in shown.items():
            lines.append(f"  {key.replace('_', ' ')}: {value}")
        cost = self.cost_usd
        if cost is None:
            lines.append("estimated cost: none (this backend is not billed)")
        else:
            floor = " at least" if self.backend.get("lower_bound") else ""
            lines.append(f"estimated cost:{floor} ${cost:.6f}")
        return "\n".join(lines)


def plan_figures(node: "Node", coords: "Coordinates", backend: "Backend", plan: "TilePlan") -> PlanFigures:
    cells = [math.prod(tile.eval_shape) for tile in plan]
    out_cells = math.prod(plan.out_shape)
    return PlanFigures(
        node_hash=node.hash,
        backend=backend.name,
        tiles=len(plan),
        eval_cells=sum(cells),
        out_cells=out_cells,
        result_bytes=out_cells * 8,
        largest_tile_cells=max(cells, default=0),
        concurrency=max(1, min(backend.limits().concurrency, len(plan))),
    )


def estimate_plan(
    node: "Node",
    coords: "Coordinates",
    backend: "Backend",
    options: "EvaluationOptions",
    plan: "TilePlan",
    *,
    calibrate: bool,
) -> Estimate:
    """The backend's estimate of ``plan``; with ``calibrate``, when the backend only knows a
    floor, one tile (the largest) is run first and its figures priced."""
    from podpac_exec.engine.dispatch import evaluate_values
    from podpac_exec.plugins.backends import EvaluationOptions

    figures = plan_figures(node, coords, backend, plan)
    found = backend.estimate(figures, None)
    if found is not None and found.get("lower_bound") and calibrate and len(plan):
        tile = max(plan, key=lambda t: math.prod(t.eval_shape))
        stats = EvaluationStats()
        evaluate_values(node, coords[tile.eval_index], backend, EvaluationOptions(options.settings, stats, tile=tile))
        found = backend.estimate(figures, stats) or found
    return Estimate(figures, dict(found or {}))


def check_cost(estimate: Estimate, cap: float | None, setting: str) -> None:
    """Refuse a run whose estimate is above ``cap`` (one line naming the setting)."""
    cost = estimate.cost_usd
    if cap is None or cost is None or cost <= cap:
        return
    floor = "at least " if estimate.backend.get("lower_bound") else ""
    raise CostLimitError(
        f"the run would cost {floor}${cost:.6f} ({estimate.plan.tiles} tiles), above {setting}=${cap:.6f}; "
        "nothing was run (raise the cap, or make the request smaller)",
        field=setting,
    )


def check_spent(spent: float | None, cap: float | None, setting: str, done: int, total: int) -> None:
    """Stop a run whose calls have cost more than ``cap`` so far (from the backend's figures)."""
    if cap is None or spent is None or spent <= cap:
        return
    raise CostLimitError(
        f"stopped after {done} of {total} tiles: the calls so far cost ${spent:.6f}, above {setting}=${cap:.6f}",
        field=setting,
    )


def combine(estimates: "list[Estimate]") -> dict[str, Any]:
    """One estimate of several plans (a batch job's requests): numbers summed, the rest kept once."""
    out: dict[str, Any] = {}
    for found in estimates:
        for key, value in found.as_dict().items():
            if key == "plan":
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                out[key] = round(out.get(key, 0) + value, 8)
            else:
                out.setdefault(key, value)
    if estimates:
        out["tiles"] = sum(e.plan.tiles for e in estimates)
    return out
