"""Stage 1, PODPAC's ``Selector``: the source indices each dim keeps for a request."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation.definition import LINEAR, NEAREST, Interpolation, LinearOptions, NearestOptions
from podpac_exec.nodes.interpolation.frames import Frame, Request, SourceDim
from podpac_exec.nodes.interpolation.search import kdtree_query, nearest_1d

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates1d

_EPS = 1e-6  # PODPAC's Selector tolerance, in index units


@dataclass
class DimPlan:
    """Selection and interpolation state of one source dim."""

    dim: SourceDim
    method: str
    options: NearestOptions | LinearOptions
    order: int  # position of its rule in the interpolation definition (PODPAC's queue order)
    udims: tuple[str, ...]  # source udims present in the request, in request order
    frames: dict[str, Frame]
    full: dict[str, np.ndarray]  # numeric source values per udim
    req: dict[str, np.ndarray]  # numeric request values per udim
    selected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    subset: dict[str, np.ndarray] = field(default_factory=dict)
    subset_grid: tuple[float, float] | None = None  # (start, step) when the subset is a uniform slice

    def set_subset(self, index: np.ndarray) -> None:
        self.selected = index
        self.subset = {u: v[index] for u, v in self.full.items()}


def plan_dim(dim: SourceDim, req: Request, interpolation: Interpolation) -> DimPlan:
    udims = tuple(u for u in req.udims if u in dim.udims)
    rules = {interpolation.rule_for(u) for u in udims}
    if len(rules) > 1:
        raise PipelineError(
            f"the stacked source dim {dim.name!r} needs one interpolation method for all of {dim.udims}",
            field="attrs.interpolation",
        )
    (rule,) = rules
    if rule.method == LINEAR and dim.stacked:
        raise PipelineError(
            f"{rule.method} interpolation of a stacked (point) source dim {dim.name!r} is not supported "
            "(PODPAC raises InterpolationException); use 'nearest'",
            field="attrs.interpolation",
        )
    frames, full, rvals = {}, {}, {}
    for c in dim.coords:
        u = c.name
        if u not in udims:
            continue
        rc = req.udims[u].coord
        frames[u] = Frame.build(c.coordinates, rc.coordinates, u)
        full[u] = frames[u].num(c.coordinates)
        rvals[u] = frames[u].num(rc.coordinates)
    plan = DimPlan(dim, rule.method, rule.options, interpolation.rules.index(rule), udims, frames, full, rvals)
    if isinstance(rule.options, NearestOptions) and not rule.options.use_selector:
        plan.selected = np.arange(dim.size, dtype=np.intp)
    elif dim.stacked:
        plan.selected = select_stacked(plan, req)
    else:
        plan.selected = select_1d(plan, req)
    return plan


def uniform_grid(c: "Coordinates1d", frame: Frame) -> tuple[float, float, float] | None:
    """(start, stop, step) as numbers when PODPAC treats ``c`` as uniform, else None."""
    from podpac_exec.coordinates import UniformCoordinates1d

    if isinstance(c, UniformCoordinates1d):
        step = c.step
        if isinstance(step, np.timedelta64) and np.datetime_data(step.dtype)[0] in ("Y", "M"):
            return None  # nominal month/year steps have no fixed length
        start, stop = frame.num(np.array([c.start, c.stop]))
        return float(start), float(stop), frame.delta(step)
    if not c.is_uniform:
        return None
    v = frame.num(c.coordinates)
    return float(v[0]), float(v[-1]), float((v[-1] - v[0]) / (v.size - 1))


def select_1d(plan: DimPlan, req: Request) -> np.ndarray:
    (u,) = plan.udims
    c = plan.dim.coords[0]
    n = plan.dim.size
    grid = uniform_grid(c, plan.frames[u])
    r = plan.req[u]
    if grid is None:
        if plan.method == NEAREST:
            index = nearest_1d(plan.full[u], r)
        else:
            index = kdtree_query(plan.full[u][:, None], r[:, None], k=2)
            index = index[index < n]
        return np.unique(index)
    start, _, step = grid
    rq = req.udims[u]
    rgrid = None if rq.stacked else uniform_grid(rq.coord, plan.frames[u])
    lo_off, hi_off = (0, 0) if plan.method == NEAREST else (-1, 1)
    if rgrid is not None and abs(rgrid[2]) < abs(step):
        # a finer uniform request: the contiguous range it covers
        a = min(max((rgrid[0] - start) / step, 0), n)
        b = min(max((rgrid[1] - start) / step, 0), n)
        first = int(math.floor(max(0, min(a, b) + lo_off - _EPS)))
        stop = int(math.ceil(min(n, max(a, b) + hi_off + 1 + _EPS)))
        return np.arange(first, stop, dtype=np.intp)
    with np.errstate(invalid="ignore"):
        index = (r - start) / step
    if plan.method == NEAREST:
        up = np.round(index - _EPS)
        down = np.round(index + _EPS)
        picked = down.copy()
        if down.size:
            # a tie keeps the upper index unless the lower one lies outside every other pick
            ties = (up != down) & (up >= 0) & (up <= n - 1) & ((up > down.max()) | (up < down.min()))
            picked[ties] = up[ties]
    else:
        picked = np.concatenate([np.floor(index), np.ceil(index)])
    picked = picked[(picked >= 0) & (picked <= n - 1)]
    return np.unique(picked.astype(np.intp))


def request_points(plan: DimPlan, req: Request) -> tuple[np.ndarray, tuple[int, ...]]:
    """The request's points in this stacked dim's udims (as rows) and the request axes they span."""
    axes = sorted({req.udims[u].axis for u in plan.udims})
    shape = [req.shape[a] for a in axes]
    columns = []
    for u in plan.udims:
        vshape = [1] * len(axes)
        vshape[axes.index(req.udims[u].axis)] = -1
        columns.append(np.broadcast_to(plan.req[u].reshape(vshape), shape).ravel())
    return np.stack(columns, axis=1), tuple(axes)


def select_stacked(plan: DimPlan, req: Request) -> np.ndarray:
    points, _ = request_points(plan, req)
    tree_points = np.stack([plan.full[u] for u in plan.udims], axis=1)
    index = kdtree_query(tree_points, points, k=1)
    return np.unique(index[index < plan.dim.size])


def index_with_type(plan: DimPlan, index_type: str) -> np.ndarray:
    """The selected indices as the source's index type reads them ("slice": a regular range)."""
    sel = plan.selected
    if index_type != "slice" or sel.size < 2:
        return sel
    steps = np.diff(sel)
    stride = int(steps[0]) if (steps == steps[0]).all() else 1
    index = np.arange(sel[0], sel[-1] + 1, stride, dtype=np.intp)
    grid = None if plan.dim.stacked else uniform_grid(plan.dim.coords[0], plan.frames[plan.udims[0]])
    if grid is not None and index.size > 1:
        plan.subset_grid = (grid[0] + grid[2] * int(index[0]), grid[2] * stride)
    return index
