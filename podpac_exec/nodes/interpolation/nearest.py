"""Stage 2, nearest (PODPAC's ``NearestNeighbor``) on the selected subset."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Sequence

import numpy as np

from podpac_exec.nodes.interpolation.definition import NearestOptions
from podpac_exec.nodes.interpolation.frames import Frame, Request, compact_index
from podpac_exec.nodes.interpolation.search import kdtree_nearest, nearest_1d_dist
from podpac_exec.nodes.interpolation.selection import DimPlan, request_points

if TYPE_CHECKING:
    from podpac_exec.nodes.interpolation.source import NativeSource

_SPATIAL = ("lat", "lon")


def _tolerance(udim: str, options: NearestOptions, frame: Frame) -> float:
    if udim in _SPATIAL:
        return options.spatial_tolerance
    if udim == "alt":
        return options.alt_tolerance
    if udim == "time":
        return frame.delta(options.time_tolerance)
    return options.other_dim_tolerance


def _scale(udim: str, options: NearestOptions, frame: Frame) -> float:
    if udim in _SPATIAL:
        return 1.0 / options.spatial_scale
    if udim == "alt":
        return 1.0 / options.alt_scale
    if udim == "time":
        return 1.0 if options.time_scale is None else 1.0 / frame.delta(options.time_scale)
    return options.other_dim_scale  # sic: PODPAC does not invert this one


def subset_grid(plan: DimPlan, v: np.ndarray) -> tuple[float, float] | None:
    """(start, step) when PODPAC reads the subset as uniform coordinates."""
    if plan.closest:
        return None
    if plan.subset_grid is not None:
        return plan.subset_grid
    if v.size < 2:
        return None
    deltas = np.diff(v) * np.sign(v[1] - v[0])
    if not (deltas > 0).all() or not np.allclose(deltas, deltas[0]):
        return None
    return float(v[0]), float((v[-1] - v[0]) / (v.size - 1))


def nearest_index_1d(plan: DimPlan) -> np.ndarray:
    """Per request point: index into the subset, or -1 (NaN)."""
    (u,) = plan.udims
    options: NearestOptions = plan.options  # type: ignore[assignment]
    v, r, frame = plan.subset[u], plan.req[u], plan.frames[u]
    m = v.size
    tol = _tolerance(u, options, frame)
    grid = subset_grid(plan, v)
    if grid is not None:
        start, step = grid
        index = (r - start) / step
        rindex = np.around(index)
        if options.ambiguous_rounding != "unbiased":
            half = (index % 0.5) == 0
            rindex[half] = (np.floor if options.ambiguous_rounding == "-infinity" else np.ceil)(index[half])
        bad = ~np.isfinite(rindex)
        rindex = np.where(bad, -1, rindex).astype(np.intp)
        if options.respect_bounds:
            bad |= (rindex < 0) | (rindex >= m)
        else:
            rindex = rindex.clip(0, m - 1)
        if tol != math.inf:
            bad |= np.abs(index - rindex) * abs(step) > tol
        rindex[bad] = -1
        return rindex
    index, dist = nearest_1d_dist(v, r)
    bad = np.zeros(r.size, dtype=bool)
    if options.respect_bounds:
        lo, hi = np.nanmin(plan.full[u]), np.nanmax(plan.full[u])  # the FULL source's bounds
        bad |= (r > hi) | (r < lo)
    if tol != math.inf:
        bad |= dist > tol
    index[bad] = -1
    return index


def _selection_answered(plan: DimPlan, points: np.ndarray, scales: np.ndarray) -> bool:
    """Whether the selection's query was this one: the same points, unscaled, in a subset that
    is the whole source (so the same tree and the same cKDTree answers)."""
    query = plan.full_query
    return (query is not None and plan.selected.size == plan.dim.size and bool((scales == 1).all())
            and np.array_equal(query[0], points))


def nearest_index_stacked(plan: DimPlan, req: Request) -> tuple[np.ndarray, tuple[int, ...]]:
    """Per request point of the axes spanned: index into the stacked subset, or -1."""
    options: NearestOptions = plan.options  # type: ignore[assignment]
    scales = np.array([_scale(u, options, plan.frames[u]) for u in plan.udims])
    tols = np.array([_tolerance(u, options, plan.frames[u]) for u in plan.udims])
    tol = float(np.linalg.norm(tols * scales))
    points, axes = request_points(plan, req)
    if _selection_answered(plan, points, scales):
        dist, index = plan.full_query[1], plan.full_query[2].copy()
    else:
        tree_points = np.stack([plan.subset[u] for u in plan.udims], axis=1)
        dist, index = kdtree_nearest(tree_points * scales, points * scales)
        index = np.asarray(index, dtype=np.intp)
    if options.respect_bounds:
        lo = np.array([np.nanmin(plan.full[u]) for u in plan.udims])
        hi = np.array([np.nanmax(plan.full[u]) for u in plan.udims])
        index[((points > hi) | (points < lo)).any(axis=1)] = -1
    if tol and tol != math.inf:
        index[dist > tol] = -1
    return index.reshape([req.shape[a] for a in axes]), axes


def nearest_orthogonal(
    source: NativeSource, plans: list[DimPlan], req: Request, shape: tuple[int, ...]
) -> np.ndarray:
    """Nearest on unstacked source dims: one read of exactly the cells needed."""
    nreq = len(shape)
    index: list[np.ndarray] = []
    axes: list[int] = []
    misses: list[np.ndarray] = []
    bad: dict[int, np.ndarray] = {}
    for plan in plans:
        local = nearest_index_1d(plan)
        missing = local < 0
        axis = req.udims[plan.udims[0]].axis
        index.append(plan.selected[np.where(missing, 0, local)])
        axes.append(axis)
        misses.append(missing)
        bad[axis] = bad[axis] | missing if axis in bad else missing
    values = _read_outer(source, index, axes, nreq, misses)
    if values is None:
        full = [[-1 if a == axis else 1 for a in range(nreq)] for axis in axes]
        shaped = tuple(i.reshape(f) for i, f in zip(index, full))
        values = source.read_native(compact_index(shaped))  # pointwise on a shared (stacked) axis
        for axis, missing in bad.items():
            if missing.any():
                values[(slice(None),) * axis + (missing,)] = np.nan
    return on_request(values, range(nreq), shape)


def _read_outer(
    source: NativeSource, index: list[np.ndarray], axes: list[int], nreq: int, misses: list[np.ndarray]
) -> np.ndarray | None:
    """The outer product of ``index`` (one source index per request cell along ``axes``, all
    distinct) on the request's axes, read as the window the indices span and gathered in memory
    one axis at a time (a broadcast fancy index gathers every cell at several times the cost),
    NaN where ``misses`` (per index) is set; None when that window holds more cells than the
    gather would read."""
    if len(set(axes)) != len(axes) or any(i.size == 0 for i in index):
        return None
    lo = [int(i.min()) for i in index]
    hi = [int(i.max()) + 1 for i in index]
    if math.prod(h - l for l, h in zip(lo, hi)) > math.prod(i.size for i in index):
        return None
    values = source.read_native(tuple(slice(l, h) for l, h in zip(lo, hi)))
    copied = False  # the source's array may be its own (cached): written to only once copied
    for k in reversed(range(len(index))):  # the last axis first: the later takes copy whole rows
        positions = index[k] - lo[k]
        whole = positions.size == values.shape[k] and bool((positions == np.arange(positions.size)).all())
        if not whole or (k == 0 and not copied):  # a take of every index in order is a copy
            values, copied = values.take(positions, axis=k), True
        if misses[k].any():  # now, while the other axes are still the window's (smaller) ones
            values, copied = values.astype(np.float64, copy=not copied), True
            values[(slice(None),) * k + (misses[k],)] = np.nan
    full = [1] * nreq
    for a, i in zip(axes, index):
        full[a] = i.size
    return np.transpose(values, np.argsort(axes)).reshape(full)


def on_request(values: np.ndarray, axes: Sequence[int], shape: tuple[int, ...]) -> np.ndarray:
    """``values`` (whose axes are request ``axes``, in order) on the full request shape."""
    from podpac_exec.nodes._arrays import exact_shape

    full = [1] * len(shape)
    for a, size in zip(axes, values.shape):
        full[a] = size
    return exact_shape(values.reshape(full), shape, np.float64)
