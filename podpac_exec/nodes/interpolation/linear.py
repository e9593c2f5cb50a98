"""Stage 2, linear (PODPAC's ``XarrayInterpolator``) on the selected subset, and the general
case that mixes it with nearest."""

from __future__ import annotations

import math

import numpy as np

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation.definition import LINEAR, NEAREST
from podpac_exec.nodes.interpolation.frames import Request
from podpac_exec.nodes.interpolation.nearest import nearest_index_1d, nearest_index_stacked, on_request
from podpac_exec.nodes.interpolation.selection import DimPlan
from podpac_exec.nodes.parallel import in_two


class Work:
    """The array being interpolated: the request axes (size 1 until filled), then the linear
    source dims not interpolated yet (``pending``, in order)."""

    def __init__(self, values: np.ndarray, req: Request, pending: list[DimPlan], one_d_source: bool) -> None:
        self.values = values
        self.req = req
        self.pending = pending
        self.one_d_source = one_d_source  # scipy's interp1d then delegates to np.interp

    @property
    def nreq(self) -> int:
        return len(self.req.shape)

    def axis_of(self, plan: DimPlan) -> int:
        return self.nreq + self.pending.index(plan)

    def req_axis(self, plan: DimPlan) -> int:
        return self.req.udims[plan.udims[0]].axis

    def take_single(self, plan: DimPlan) -> None:
        """A dim with one selected point: its value is used for every request point (no bounds)."""
        self.values = np.take(self.values, 0, axis=self.axis_of(plan))
        self.pending.remove(plan)

    def land(self, result: np.ndarray, plans: list[DimPlan], req_axes: list[int]) -> None:
        """``result`` = (new points on ``req_axes``..., the current axes without ``plans``'): put the
        new axes in place of the (size-1) request axes."""
        k = len(req_axes)
        for a in req_axes:
            if result.shape[k + a] != 1:
                raise PipelineError(
                    "mixing interpolation methods within one stacked request dim is not supported",
                    field="attrs.interpolation",
                )
        kept = tuple(size for i, size in enumerate(result.shape[k:]) if i not in req_axes)
        result = result.reshape(result.shape[:k] + kept)
        self.values = np.moveaxis(result, list(range(k)), req_axes)
        for plan in plans:
            self.pending.remove(plan)


def interpolate_subset(data: np.ndarray, plans: list[DimPlan], req: Request, shape: tuple[int, ...]) -> np.ndarray:
    """General case on the subset ``data`` (one axis per source dim): nearest gathers first
    (they commute with the rest), then the linear steps in PODPAC's order."""
    nreq = len(shape)
    lin = [p for p in plans if p.method == LINEAR]
    near = [p for p in plans if p.method == NEAREST]
    values = data.transpose([plans.index(p) for p in near] + [plans.index(p) for p in lin])
    index: list[np.ndarray] = []
    bad = np.zeros((1,) * nreq, dtype=bool)
    for plan in near:
        if plan.dim.stacked:
            local, axes = nearest_index_stacked(plan, req)
        else:
            local, axes = nearest_index_1d(plan), (req.udims[plan.udims[0]].axis,)
        full = [1] * nreq
        for a in axes:
            full[a] = shape[a]
        local = local.reshape(full)
        bad = bad | (local < 0)
        index.append(np.where(local < 0, 0, local))
    if index:
        values = values[tuple(index)]  # the broadcast request axes first, then the linear dims
    else:
        values = values.reshape((1,) * nreq + values.shape)
    if bad.any():
        values = np.where(bad.reshape(bad.shape + (1,) * len(lin)), np.nan, values)
    work = Work(values, req, list(lin), one_d_source=len(plans) == 1)
    for group in linear_groups(lin):
        xarray_interpolator(work, group)
    return on_request(work.values, range(nreq), shape)


def linear_groups(lin: list[DimPlan]) -> list[list[DimPlan]]:
    """Linear dims by interpolation rule (PODPAC's queue order), alphabetical within a rule."""
    groups: dict[int, list[DimPlan]] = {}
    for plan in lin:
        groups.setdefault(plan.order, []).append(plan)
    return [sorted(groups[k], key=lambda p: p.udims[0]) for k in sorted(groups)]


def xarray_interpolator(work: Work, group: list[DimPlan]) -> None:
    """PODPAC's XarrayInterpolator: single points taken as they are, then ``DataArray.interp``,
    which xarray decomposes into 1-D steps unless dims share a request dim."""
    fill = group[0].options.fill_value  # type: ignore[union-attr]
    todo = []
    for plan in group:
        if plan.selected.size == 1:
            work.take_single(plan)
        else:
            todo.append(plan)
    for chunk in _decompose(todo, work):
        if len(chunk) == 1:
            _linear_1d(work, chunk[0], fill)
        else:
            _linear_nd(work, chunk, fill)


def _decompose(todo: list[DimPlan], work: Work) -> list[list[DimPlan]]:
    """xarray's decompose_interp: a run of dims whose request dims overlap the later ones' is joint."""
    groups: list[list[DimPlan]] = []
    current: list[DimPlan] = []
    for i, plan in enumerate(todo):
        current.append(plan)
        mine = {work.req_axis(p) for p in current}
        rest = {work.req_axis(p) for p in todo[i + 1 :]}
        if not mine & rest:
            groups.append(current)
            current = []
    return groups


def _sorted_subset(plan: DimPlan, y: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The subset's coordinates ascending (xarray sorts before interpolating) and ``y`` to match."""
    x = plan.subset[plan.udims[0]]
    steps = np.diff(x)
    if (steps > 0).all():
        return x, y
    if (steps < 0).all():
        return x[::-1], np.flip(y, axis=axis)  # a view: no copy of a descending (north-up) grid
    order = np.argsort(x, kind="stable")
    return x[order], np.take(y, order, axis=axis)


def _linear_1d(work: Work, plan: DimPlan, fill: float) -> None:
    """scipy ``interp1d`` (kind linear, NaN outside) along one dim, as xarray calls it.

    For a 1-D source scipy delegates to ``np.interp``; otherwise it computes
    ``(x - x_lo)/(x_hi - x_lo) * y_hi + (x_hi - x)/(x_hi - x_lo) * y_lo`` (scipy 1.18) with the
    bracketing pair from ``searchsorted`` clipped to [1, n-1].
    """
    axis = work.axis_of(plan)
    x, y = _sorted_subset(plan, work.values, axis)
    xnew = plan.req[plan.udims[0]]
    if work.one_d_source:
        out = np.interp(xnew, x, y.reshape(-1)).reshape(xnew.shape + y.shape[:axis] + y.shape[axis + 1 :])
    else:
        out = np.moveaxis(_linear_along(y, axis, x, xnew), axis, 0)
    outside = (xnew < x[0]) | (xnew > x[-1])
    if outside.any():
        out[outside] = fill
    work.land(out, [plan], [work.req_axis(plan)])


#: Output cells from which :func:`_linear_along` shares its work with the helper thread.
_SPLIT_CELLS = 200_000


def _linear_along(y: np.ndarray, axis: int, x: np.ndarray, xnew: np.ndarray) -> np.ndarray:
    """scipy's linear formula along ``axis`` of ``y`` at ``xnew`` (``x`` ascending), with the same
    operations in the same order as scipy, along the dim's own axis (no transposed copies).
    Large outputs are split along another axis between two threads: each cell takes the same
    steps either way."""
    hi = np.searchsorted(x, xnew).clip(1, x.size - 1)
    lo = hi - 1
    width = x[hi] - x[lo]
    shape = [1] * y.ndim
    shape[axis] = -1
    w_hi = ((xnew - x[lo]) / width).reshape(shape)
    w_lo = ((x[hi] - xnew) / width).reshape(shape)
    out = np.empty(y.shape[:axis] + xnew.shape + y.shape[axis + 1 :], dtype=y.dtype)

    def cells(at: tuple[slice, ...]) -> None:
        o = out[at]
        np.take(y[at], hi, axis=axis, out=o, mode="clip")  # in range: "clip" skips numpy's buffering
        o *= w_hi
        low = np.take(y[at], lo, axis=axis)
        low *= w_lo
        o += low

    if y.ndim < 2 or out.size < _SPLIT_CELLS:
        cells(())
    else:
        split = 0 if axis else 1
        in_two(lambda start, stop: cells((slice(None),) * split + (slice(start, stop),)), out.shape[split])
    return out


def _linear_nd(work: Work, chunk: list[DimPlan], fill: float) -> None:
    """scipy ``interpn`` (linear; extrapolates unless a fill value is set) over dims sharing
    request dims (a stacked request), as xarray calls it."""
    from scipy.interpolate import interpn

    k = len(chunk)
    y = np.moveaxis(work.values, [work.axis_of(p) for p in chunk], list(range(k)))
    grids = []
    for i, plan in enumerate(chunk):
        x, y = _sorted_subset(plan, y, i)
        grids.append(x)
    req_axes = sorted({work.req_axis(p) for p in chunk})
    shape = [work.req.shape[a] for a in req_axes]
    columns = []
    for plan in chunk:
        vshape = [1] * len(req_axes)
        vshape[req_axes.index(work.req_axis(plan))] = -1
        columns.append(np.broadcast_to(plan.req[plan.udims[0]].reshape(vshape), shape).ravel())
    rest = y.shape[k:]
    result = interpn(
        grids,
        y.reshape(y.shape[:k] + (-1,)),
        np.stack(columns, axis=-1),
        method="linear",
        bounds_error=False,
        fill_value=None if math.isnan(fill) else fill,
    )
    work.land(result.reshape(tuple(shape) + rest), chunk, req_axes)
