"""Stage 2 for every queue, run step by step in PODPAC's queue order.

Each :class:`~podpac_exec.nodes.interpolation.queue.Step` replaces the source axes of its dims by
the request axes they map to (PODPAC's ``_process_interpolator_queue``); the other axes are
carried along (PODPAC loops over them). The nearest/linear-only queues take the faster path in
:mod:`.linear`, which gives the same values.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation import kernels
from podpac_exec.nodes.interpolation.definition import LINEAR, NEAREST, DimRule, Interpolation, NearestOptions
from podpac_exec.nodes.interpolation.frames import Request, SourceDim, compact_index
from podpac_exec.nodes.interpolation.nearest import nearest_index_1d, nearest_index_stacked, on_request
from podpac_exec.nodes.interpolation.selection import DimPlan, index_with_type, plan_dim, select_window, uniform_grid

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.interpolation.queue import Step
    from podpac_exec.nodes.interpolation.source import NativeSource


@dataclass
class _Axis:
    """One axis of the array being interpolated: a source dim's (``plan``) until a step moves
    it onto a request axis (``request``); NoneInterpolator keeps the source axis (``kept``)."""

    plan: DimPlan | None = None
    request: int | None = None
    kept: bool = False


Kernel = Callable[[np.ndarray, list[DimPlan], Request, "Step", str], tuple[np.ndarray, list[int]]]


def interpolate_steps(
    data: np.ndarray, plans: list[DimPlan], steps: list["Step"], req: Request, crs: str, shape: tuple[int, ...]
) -> np.ndarray:
    """``data`` (one axis per plan, the selected subset) through ``steps``; returns an array of
    ``shape`` (the request's, with kept source axes at their subset sizes)."""
    axes = [_Axis(plan=p) for p in plans]
    for step in steps:
        covered = [i for i, ax in enumerate(axes) if ax.plan is not None and set(ax.plan.dim.udims) <= set(step.udims)]
        if not covered:
            continue
        step_plans = [axes[i].plan for i in covered]
        if step.interpolator == "NoneInterpolator":
            for i in covered:
                axes[i] = _Axis(plan=axes[i].plan, kept=True)
            continue
        rest = [i for i in range(len(axes)) if i not in covered]
        y = np.moveaxis(data, covered, list(range(len(rest), len(axes))))
        out, new_axes = _KERNELS[step.interpolator](y, step_plans, req, step, crs)  # type: ignore[arg-type]
        taken = {ax.request for ax in axes if ax.request is not None}
        if taken & set(new_axes):
            raise PipelineError(
                "mixing interpolation methods within one stacked request dim is not supported",
                field="attrs.interpolation",
            )
        data = out
        axes = [axes[i] for i in rest] + [_Axis(request=a) for a in new_axes]
    positions = []
    for ax in axes:
        if ax.kept:
            assert ax.plan is not None
            positions.append(req.udims[ax.plan.udims[0]].axis)
        else:
            assert ax.request is not None
            positions.append(ax.request)
    order = np.argsort(positions, kind="stable")
    return on_request(np.transpose(data, order), [positions[i] for i in order], shape)


def _request_axes(plans: list[DimPlan], req: Request) -> list[int]:
    return sorted({req.udims[u].axis for p in plans for u in p.udims})


# -- NearestNeighbor / NearestPreview ---------------------------------------------------------------


def _nearest(y: np.ndarray, plans: list[DimPlan], req: Request, step: "Step", crs: str) -> tuple[np.ndarray, list[int]]:
    found = []
    for plan in plans:
        if plan.dim.stacked:
            found.append(nearest_index_stacked(plan, req))
        else:
            found.append((nearest_index_1d(plan), (req.udims[plan.udims[0]].axis,)))
    union = sorted({a for _, axes in found for a in axes})
    index, bad = [], np.zeros((1,) * len(union), dtype=bool)
    for local, axes in found:
        shape = [1] * len(union)
        for a in axes:
            shape[union.index(a)] = req.shape[a]
        local = local.reshape(shape)
        bad = bad | (local < 0)
        index.append(np.where(local < 0, 0, local))
    out = y[(Ellipsis, *index)]
    if bad.any():
        out = np.where(bad, np.nan, out)
    return out, union


# -- XarrayInterpolator ---------------------------------------------------------------------------


def _xarray(y: np.ndarray, plans: list[DimPlan], req: Request, step: "Step", crs: str) -> tuple[np.ndarray, list[int]]:
    """``DataArray.interp`` as PODPAC calls it: single points taken as they are, the coordinates
    sorted, then 1-D steps (scipy ``interp1d``) unless dims share a request dim (``interpn``)."""
    method = "linear" if step.rule.name == "bilinear" else step.rule.name
    fill = getattr(step.rule.options, "fill_value", math.nan)
    lead = y.ndim - len(plans)
    tail: list[DimPlan | int] = list(plans)  # the trailing axes: a plan (source) or a request axis
    todo = []
    for plan in sorted(plans, key=lambda p: step.udims.index(p.udims[0])):
        if plan.selected.size == 1:
            k = lead + tail.index(plan)
            a = req.udims[plan.udims[0]].axis
            y = np.moveaxis(np.repeat(np.take(y, [0], axis=k), req.shape[a], axis=k), k, -1)
            tail.remove(plan)
            tail.append(a)
        else:
            todo.append(plan)
    # xarray decomposes linear and nearest into independent steps; any other method is one joint step
    chunks = _decompose(todo, req) if method in ("linear", "nearest") else [todo] if todo else []
    for chunk in chunks:
        ks = [lead + tail.index(p) for p in chunk]
        values = np.moveaxis(y, ks, list(range(len(chunk))))
        grids = []
        for i, plan in enumerate(chunk):
            x = plan.subset[plan.udims[0]]
            if not (np.diff(x) > 0).all():
                order = np.argsort(x, kind="stable")
                x, values = x[order], np.take(values, order, axis=i)
            grids.append(x)
        new_axes = _request_axes(chunk, req)
        if len(chunk) == 1:
            xnew = chunk[0].req[chunk[0].udims[0]]
            out = kernels.interp1d(grids[0], np.moveaxis(values, 0, -1), xnew, method, fill)
        elif method in kernels.NDBSPLINE_METHODS and len(new_axes) == len(chunk):
            # each dim on its own request axis: a grid, evaluated axis by axis (same values)
            mine = [req.udims[p.udims[0]].axis for p in chunk]
            out = kernels.interpn_grid(grids, values, [p.req[p.udims[0]] for p in chunk], method, fill)
            out = np.moveaxis(out, [mine.index(a) for a in new_axes], list(range(out.ndim - len(chunk), out.ndim)))
        else:
            out = np.moveaxis(kernels.interpn(grids, values, _points(chunk, req, new_axes), method, fill), 0, -1)
            out = out.reshape(out.shape[:-1] + tuple(req.shape[a] for a in new_axes))
        y = out
        for plan in chunk:
            tail.remove(plan)
        tail.extend(new_axes)
    return y, [int(t) for t in tail]  # type: ignore[arg-type]


def _decompose(todo: list[DimPlan], req: Request) -> list[list[DimPlan]]:
    """xarray's decompose_interp: a run of dims whose request dims overlap the later ones' is joint."""
    groups: list[list[DimPlan]] = []
    current: list[DimPlan] = []
    for i, plan in enumerate(todo):
        current.append(plan)
        mine = {req.udims[p.udims[0]].axis for p in current}
        rest = {req.udims[p.udims[0]].axis for p in todo[i + 1 :]}
        if not mine & rest:
            groups.append(current)
            current = []
    return groups


def _points(chunk: list[DimPlan], req: Request, axes: list[int]) -> np.ndarray:
    shape = [req.shape[a] for a in axes]
    columns = []
    for plan in chunk:
        vshape = [1] * len(axes)
        vshape[axes.index(req.udims[plan.udims[0]].axis)] = -1
        columns.append(np.broadcast_to(plan.req[plan.udims[0]].reshape(vshape), shape).ravel())
    return np.stack(columns, axis=-1)


# -- lat/lon interpolators --------------------------------------------------------------------------


def _lat_lon(plans: list[DimPlan]) -> tuple[list[DimPlan], list[DimPlan]]:
    spatial = [p for p in plans if p.udims[0] in ("lat", "lon") and not p.dim.stacked]
    return spatial, [p for p in plans if p not in spatial]


def _match_exactly(y: np.ndarray, others: list[DimPlan], req: Request, step: "Step") -> tuple[np.ndarray, list[int]]:
    """Dims a lat/lon interpolator loops over (the axes just before the last two): the request's
    values must be the source's (PODPAC's ``_loop_helper``) and are taken as they are."""
    axes = []
    first = y.ndim - len(others) - 2
    for k, plan in enumerate(others):
        (u,) = plan.udims
        where = {float(x): i for i, x in enumerate(plan.subset[u])}
        r = plan.req[u]
        if any(float(x) not in where for x in r):
            raise PipelineError(
                f"{step.interpolator} ({step.rule.name!r}) cannot interpolate dim {u!r} here: the request's "
                f"{u!r} values must be the source's (give {u!r} its own method in a separate rule)",
                field="attrs.interpolation",
            )
        y = np.take(y, [where[float(x)] for x in r], axis=first + k)
        axes.append(req.udims[u].axis)
    return y, axes


def _spatial(kernel: Callable[..., tuple[np.ndarray, list[int]]]) -> Kernel:
    def run(y: np.ndarray, plans: list[DimPlan], req: Request, step: "Step", crs: str) -> tuple[np.ndarray, list[int]]:
        spatial, others = _lat_lon(plans)
        if len(spatial) != 2:
            raise PipelineError(f"{step.interpolator} needs unstacked lat and lon", field="attrs.interpolation")
        # the looped dims' axes, then the spatial ones, last
        order = [plans.index(p) for p in others] + [plans.index(p) for p in spatial]
        lead = y.ndim - len(plans)
        y = np.moveaxis(y, [lead + i for i in order], list(range(lead, y.ndim)))
        y, other_axes = _match_exactly(y, others, req, step)
        out, axes = kernel(y, spatial, req, step, crs)
        return out, other_axes + axes

    return run


def _rasterio(y: np.ndarray, spatial: list[DimPlan], req: Request, step: "Step", crs: str) -> tuple[np.ndarray, list[int]]:
    return kernels.rasterio_grid(y, spatial, req, step.rule.name, crs)


def _scipy_grid(y: np.ndarray, spatial: list[DimPlan], req: Request, step: "Step", crs: str) -> tuple[np.ndarray, list[int]]:
    return kernels.scipy_grid(y, spatial, req, step.rule.name)


def _scipy_point(y: np.ndarray, plans: list[DimPlan], req: Request, step: "Step", crs: str) -> tuple[np.ndarray, list[int]]:
    (plan,) = plans
    return kernels.scipy_point(y, plan, req)


_KERNELS: dict[str, Kernel] = {
    "NearestNeighbor": _nearest,
    "NearestPreview": _nearest,
    "XarrayInterpolator": _xarray,
    "RasterioInterpolator": _spatial(_rasterio),
    "ScipyGrid": _spatial(_scipy_grid),
    "ScipyPoint": _scipy_point,
}


# -- entry point ------------------------------------------------------------------------------------


def is_classic(step: "Step") -> bool:
    """Steps the nearest/linear path computes (NearestNeighbor, NearestPreview, linear XarrayInterpolator)."""
    if step.interpolator in ("NearestNeighbor", "NearestPreview"):
        return True
    return step.interpolator == "XarrayInterpolator" and step.rule.method == LINEAR


def queue_interpolation(steps: list["Step"]) -> Interpolation:
    """The rules as the queue assigned them (a rule's dims can fall to the catch-all in PODPAC)."""
    rules = tuple(dataclasses.replace(step.rule, udims=step.udims) for step in steps)
    return Interpolation(rules + (DimRule(NEAREST, None, NearestOptions()),))


def _selection(dim: SourceDim, step: "Step", select: "Step | None") -> str:
    """How much of a source dim to read for its step (PODPAC's select queue, except where the
    kernel is local and a window gives the same values)."""
    interpolator, name = step.interpolator, step.rule.name
    spatial = not dim.stacked and dim.name in ("lat", "lon")
    if interpolator == "RasterioInterpolator" and spatial:
        return "window"
    if interpolator == "ScipyGrid" and spatial:
        return "window:2" if name in ("nearest", "bilinear") else "full"  # splines are global
    if interpolator == "NoneInterpolator":
        return "none"
    if select is None:
        return "selector:nearest" if interpolator in ("RasterioInterpolator", "ScipyGrid") else "full"
    if select.interpolator == "NoneInterpolator":
        return "none"
    if select.interpolator == "NearestPreview":
        return "preview"
    return f"selector:{select.rule.name}"


def _step_of(dim: SourceDim, steps: list["Step"]) -> "Step | None":
    return next((s for s in steps if set(dim.udims) & set(s.udims)), None)


def interpolate_general(
    source: "NativeSource",
    native: "Coordinates",
    src: list[SourceDim],
    req: Request,
    interpolation: Interpolation,
    steps: list["Step"],
    request: "Coordinates",
) -> np.ndarray:
    """Select per the steps, read the subset once, run the steps."""
    from podpac_exec.nodes.interpolation.queue import build_queue

    select_steps = build_queue(interpolation, native, request, "select")
    plans = []
    for dim in src:
        step = _step_of(dim, steps)
        assert step is not None  # the strict queue covers every source dim
        selection = _selection(dim, step, _step_of(dim, select_steps))
        if selection == "window":
            plan = plan_dim(dim, req, interpolation, "full")
            u = plan.udims[0]
            rgrid = None if req.udims[u].stacked else uniform_grid(req.udims[u].coord, plan.frames[u])
            plan.selected = select_window(plan, kernels.rasterio_margin(plan, rgrid[2] if rgrid else math.nan))
        else:
            plan = plan_dim(dim, req, interpolation, selection)
        plans.append(plan)
    shape = list(req.shape)
    for plan, dim in zip(plans, src):
        step = _step_of(dim, steps)
        if step is not None and step.interpolator == "NoneInterpolator":
            rq = req.udims[plan.udims[0]]
            if dim.stacked or rq.stacked:
                raise PipelineError("interpolation 'none' of stacked dims is not supported", field="attrs.interpolation")
            shape[rq.axis] = plan.selected.size
    if any(plan.selected.size == 0 for plan in plans):
        return np.full(shape, np.nan)
    selected = tuple(index_with_type(plan, source.native_index_type) for plan in plans)
    if math.prod(s.size for s in selected) == 1 and math.prod(req.sizes_used(src)) == 1:
        return np.full(shape, source.read_native(selected).item())  # PODPAC's one-point shortcut
    for plan, sel in zip(plans, selected):
        plan.set_subset(sel)
    data = source.read_native(compact_index(np.ix_(*selected)))
    return interpolate_steps(data, plans, steps, req, native.crs, tuple(shape))
