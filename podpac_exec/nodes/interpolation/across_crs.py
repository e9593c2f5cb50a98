"""Interpolation when the request and the source are in different CRSs.

PODPAC 4.0.5's order for nearest and linear: select in the source's CRS at the request's points
transformed into it, transform the selected pixel centres into the request's CRS and interpolate
there. Where the source's grid does not stay a grid in the request's CRS, linear interpolates in
the source's CRS instead (PODPAC raises), NaN outside the pixel centres. Nearest takes the closest
pixel centre, NaN outside the source's footprint (PODPAC's edge cells depend on the rest of the
request). docs/podpac-compatibility.md lists both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from podpac_exec.errors import CoordinatesError
from podpac_exec.nodes.interpolation.definition import NEAREST, Interpolation
from podpac_exec.nodes.interpolation.frames import Request, SourceDim, compact_index
from podpac_exec.nodes.interpolation.linear import interpolate_subset
from podpac_exec.nodes.interpolation.selection import index_with_type, plan_dim

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.interpolation.source import NativeSource


def transformed_request(request: "Coordinates", source_crs: str, pointwise: bool = False) -> "Coordinates":
    """The request in the source's CRS; a request that cannot be transformed names the CRS."""
    try:
        return request.transform(source_crs, pointwise=pointwise)
    except CoordinatesError as e:
        raise CoordinatesError(f"cannot transform the request into the source's CRS {source_crs!r}: {e.message}",
                               field="coordinates.crs") from None


def interpolate_across_crs(
    source: "NativeSource", native: "Coordinates", request: "Coordinates", transformed: "Coordinates",
    interpolation: Interpolation,
) -> np.ndarray:
    """Nearest and linear steps across CRSs (``transformed`` is the request in the source's CRS)."""
    src = [SourceDim.build(name, member) for name, member in native.items()]
    req_t = Request.build(transformed, src)
    plans = [plan_dim(dim, req_t, interpolation) for dim in src]
    if any(plan.selected.size == 0 for plan in plans):
        return np.full(request.shape, np.nan)
    selected = tuple(index_with_type(plan, source.native_index_type) for plan in plans)
    data = source.read_native(compact_index(np.ix_(*selected)))
    # the whole source decides, so that every tile of a request takes the same path
    grid = native.stays_a_grid_in(request.crs)
    if grid or all(plan.method == NEAREST for plan in plans):
        return _in_request_crs(data, native, native[selected], request, interpolation, grid)
    for plan, sel in zip(plans, selected):
        plan.set_subset(sel)
    values = interpolate_subset(data, plans, req_t, transformed.shape)
    return np.where(_outside(transformed, native), np.nan, values).reshape(request.shape)


def _in_request_crs(
    data: np.ndarray, native: "Coordinates", subset: "Coordinates", request: "Coordinates",
    interpolation: Interpolation, grid: bool,
) -> np.ndarray:
    if not grid:  # lat and lon become one stacked dim of their points
        subset = subset.as_points()
        first = min(native.dims.index("lat"), native.dims.index("lon"))
        data = data.reshape(data.shape[:first] + (-1,) + data.shape[first + 2 :])
    subset = subset.transform(request.crs)
    sub = [SourceDim.build(name, member) for name, member in subset.items()]
    req = Request.build(request, sub)
    bounds = _footprint(native).bounds_in(request.crs)
    plans = []
    for dim in sub:
        plan = plan_dim(dim, req, interpolation, "full")
        plan.set_subset(plan.selected)
        plan.closest = True
        for u in plan.full:
            if u in bounds:  # nearest respects the whole source's footprint
                plan.full[u] = plan.frames[u].num(np.array(bounds[u]))
        plans.append(plan)
    return interpolate_subset(data, plans, req, request.shape)


def _outside(transformed: "Coordinates", native: "Coordinates") -> np.ndarray:
    """Points of ``transformed`` beyond the source's pixel centres (interpn would extrapolate)."""
    from podpac_exec.coordinates import StackedCoordinates

    outside = np.zeros(transformed.shape, dtype=bool)
    for axis, (name, member) in enumerate(transformed.items()):
        for c in member if isinstance(member, StackedCoordinates) else (member,):
            if c.name in ("lat", "lon"):
                lo, hi = (float(b) for b in native[c.name].bounds)
                shape = [1] * transformed.ndim
                shape[axis] = -1
                v = c.coordinates.reshape(shape)
                outside = outside | (v < lo) | (v > hi)
    return outside


def _footprint(native: "Coordinates") -> "Coordinates":
    """``native`` with each lat/lon axis extended by half a step at both ends: the pixel edges."""
    from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates

    members = []
    for name, member in native.items():
        if name in ("lat", "lon") and member.size > 1:
            v = member.coordinates.astype(float)
            v = np.concatenate([[v[0] - (v[1] - v[0]) / 2], v, [v[-1] + (v[-1] - v[-2]) / 2]])
            member = ArrayCoordinates1d(v, name=name)
        members.append(member)
    return Coordinates(members, crs=native.crs)
