"""Stage 1, PODPAC's ``Selector``: the source indices each dim keeps for a request."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation.definition import (
    LINEAR,
    NEAREST,
    DimRule,
    Interpolation,
    LinearOptions,
    NearestOptions,
)
from podpac_exec.nodes.interpolation.frames import Frame, Request, SourceDim
from podpac_exec.nodes.interpolation.search import kdtree_nearest, kdtree_query, nearest_1d

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates1d

_EPS = 1e-6  # PODPAC's Selector tolerance, in index units

#: PODPAC's Selector offsets per method (``selector.METHOD``).
SELECTOR_OFFSETS = {NEAREST: (0,), LINEAR: (-1, 1), "bilinear": (-1, 1), "cubic": (-2, -1, 1, 2)}


@dataclass
class DimPlan:
    """Selection and interpolation state of one source dim."""

    dim: SourceDim
    method: str
    options: NearestOptions | LinearOptions | None
    order: int  # position of its rule in the interpolation definition (PODPAC's queue order)
    udims: tuple[str, ...]  # source udims present in the request, in request order
    frames: dict[str, Frame]
    full: dict[str, np.ndarray]  # numeric source values per udim
    req: dict[str, np.ndarray]  # numeric request values per udim
    selected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    subset: dict[str, np.ndarray] = field(default_factory=dict)
    subset_grid: tuple[float, float] | None = None  # (start, step) when the subset is a uniform slice
    offsets: tuple[int, ...] = (0,)  # the Selector's offsets (nearest: (0,), linear: (-1, 1), ...)
    rule: DimRule | None = None
    closest: bool = False  # nearest takes the closest subset point, never PODPAC's uniform rounding
    #: a stacked dim's selection query: the request points, and the (distance, index) of each in ``full``
    full_query: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def set_subset(self, index: np.ndarray) -> None:
        self.selected = index
        self.subset = {u: v[index] for u, v in self.full.items()}


def plan_dim(dim: SourceDim, req: Request, interpolation: Interpolation, selection: str | None = None) -> DimPlan:
    """The plan of one source dim. ``selection`` overrides the rule's own: "full" (every index),
    "window:<cells>" (the request's range and that many cells each side), "none" (PODPAC's
    NoneInterpolator: the source points within the request's bounds) or "selector:<method>"."""
    udims = tuple(u for u in req.udims if u in dim.udims)
    rules = {interpolation.rule_for(u) for u in udims}
    if len(rules) > 1:
        raise PipelineError(
            f"the stacked source dim {dim.name!r} needs one interpolation method for all of {dim.udims}",
            field="attrs.interpolation",
        )
    (rule,) = rules
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
    plan.rule = rule
    if selection is None:
        if isinstance(rule.options, NearestOptions) and not rule.options.use_selector:
            selection = "full"
        elif rule.name == "nearest_preview":
            selection = "full" if dim.stacked else "preview"
        else:
            selection = f"selector:{rule.name}"
    kind, _, arg = selection.partition(":")
    if kind == "full":
        plan.selected = np.arange(dim.size, dtype=np.intp)
    elif kind == "window":
        plan.selected = select_window(plan, int(arg))
    elif kind == "none":
        plan.selected = select_within(plan)
    elif kind == "preview":
        plan.selected = select_preview(plan, req.udims[plan.udims[0]].stacked)
    else:
        plan.offsets = SELECTOR_OFFSETS[arg]
        plan.selected = select_stacked(plan, req) if dim.stacked else select_1d(plan, req)
    return plan


def select_window(plan: DimPlan, cells: int) -> np.ndarray:
    """The contiguous source range covering the request plus ``cells`` on each side (a kernel's reach)."""
    (u,) = plan.udims
    v, r = plan.full[u], plan.req[u]
    n = v.size
    if n == 1 or r.size == 0:
        return np.arange(n, dtype=np.intp)
    grid = uniform_grid(plan.dim.coords[0], plan.frames[u])
    start, _, step = grid if grid is not None else (float(v[0]), 0.0, float((v[-1] - v[0]) / (n - 1)))
    with np.errstate(invalid="ignore"):
        a, b = (np.nanmin(r) - start) / step, (np.nanmax(r) - start) / step
    lo = max(0, int(math.floor(min(a, b) - cells)))
    hi = min(n - 1, int(math.ceil(max(a, b) + cells)))
    return np.arange(lo, hi + 1, dtype=np.intp)


def select_within(plan: DimPlan) -> np.ndarray:
    """Source indices within the request's bounds (``intersect(outer=False)``)."""
    lo = np.ones(plan.dim.size, dtype=bool)
    for u in plan.udims:
        r = plan.req[u]
        lo &= (plan.full[u] >= np.nanmin(r)) & (plan.full[u] <= np.nanmax(r))
    return np.flatnonzero(lo).astype(np.intp)


def select_preview(plan: DimPlan, req_stacked: bool) -> np.ndarray:
    """PODPAC's NearestPreview: the request's range (``intersect(outer=True)``) with a stride of
    the request's step in source steps; sets the strided subset's grid."""
    (u,) = plan.udims
    v, r = plan.full[u], plan.req[u]
    n = v.size
    grid = uniform_grid(plan.dim.coords[0], plan.frames[u])
    if grid is None:
        start, step = float(v[0]), float((v[-1] - v[0]) / (n - 1)) if n > 1 else math.nan
    else:
        start, _, step = grid
    first, last = float(np.nanmin(r)), float(np.nanmax(r))
    lo_b, hi_b = float(np.nanmin(v)), float(np.nanmax(v))
    lo, hi = max(first, lo_b), min(last, hi_b)
    if n == 1:
        return np.arange(1, dtype=np.intp) if lo <= hi else np.zeros(0, dtype=np.intp)
    astep = abs(step)
    fmin, fmax = (lo - lo_b) / astep, (hi - lo_b) / astep
    imin, imax = int(math.ceil(fmin)), int(math.floor(fmax))
    if imin != fmin:
        imin -= 1
    if imax != fmax:
        imax += 1
    imax, imin = int(np.clip(imax + 1, 0, n)), int(np.clip(imin, 0, n))
    if imin > imax:
        return np.zeros(0, dtype=np.intp)
    if imax == imin:
        imin, imax = int(np.round(fmin)), int(np.round(fmax)) + 1
        if imin >= (n - 1) | imin < 0:  # sic: PODPAC's precedence
            return np.zeros(0, dtype=np.intp)
    if step < 0:
        imax, imin = n - imin, n - imax
    if req_stacked:
        return np.arange(imin, imax, dtype=np.intp)  # PODPAC strides gridded request dims only
    dst_step = (r[-1] - r[0]) / (r.size - 1) if r.size > 1 else math.nan
    ndelta = int(max(1, np.round(abs(dst_step / step)))) if np.isfinite(dst_step) else 1
    sub_start = start + step * imin
    sub_stop = start + step * (imax - 1)
    test_size = _grid_size(sub_start, sub_stop, ndelta * step)
    stop2 = float(np.clip(sub_stop + ndelta * step / 2, lo_b, hi_b))
    offset = ndelta if _grid_size(sub_start, stop2, ndelta * step) > test_size else 0
    plan.subset_grid = (sub_start, ndelta * step)
    return np.arange(imin, min(imax + offset, n), ndelta, dtype=np.intp)


def _grid_size(start: float, stop: float, step: float) -> int:
    """The size of PODPAC's ``UniformCoordinates1d(start, stop, step)``."""
    return max(0, int(np.floor((stop - start) / step + 1e-10) + 1))


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
        if plan.offsets == (0,):
            index = nearest_1d(plan.full[u], r)
        else:
            index = kdtree_query(plan.full[u][:, None], r[:, None], k=len(plan.offsets))
            index = index[index < n]
        return np.unique(index)
    start, _, step = grid
    rq = req.udims[u]
    rgrid = None if rq.stacked else uniform_grid(rq.coord, plan.frames[u])
    lo_off, hi_off = min(plan.offsets), max(plan.offsets)
    if rgrid is not None and abs(rgrid[2]) < abs(step):
        # a finer uniform request: the contiguous range it covers
        a = min(max((rgrid[0] - start) / step, 0), n)
        b = min(max((rgrid[1] - start) / step, 0), n)
        first = int(math.floor(max(0, min(a, b) + lo_off - _EPS)))
        stop = int(math.ceil(min(n, max(a, b) + hi_off + 1 + _EPS)))
        return np.arange(first, stop, dtype=np.intp)
    with np.errstate(invalid="ignore"):
        index = (r - start) / step
    if plan.offsets == (0,):
        up = np.round(index - _EPS)
        down = np.round(index + _EPS)
        picked = down.copy()
        if down.size:
            # a tie keeps the upper index unless the lower one lies outside every other pick
            ties = (up != down) & (up >= 0) & (up <= n - 1) & ((up > down.max()) | (up < down.min()))
            picked[ties] = up[ties]
    else:
        floor, ceil = np.floor(index), np.ceil(index)
        picked = np.concatenate([(floor if m < 0 else ceil) + np.sign(m) * (abs(m) - 1) for m in plan.offsets])
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
    dist, index = kdtree_nearest(tree_points, points)
    plan.full_query = (points, np.asarray(dist), np.asarray(index, dtype=np.intp))
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
