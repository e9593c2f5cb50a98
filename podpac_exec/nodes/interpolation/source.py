"""Sources read by index (:class:`NativeSource`) and the entry points :func:`interpolate` and
:func:`interpolate_source`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from podpac_exec.crs import same_crs
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation.across_crs import interpolate_across_crs, transformed_request
from podpac_exec.nodes.interpolation.definition import NEAREST, Interpolation
from podpac_exec.nodes.interpolation.frames import Request, SourceDim, compact_index
from podpac_exec.nodes.interpolation.linear import interpolate_subset
from podpac_exec.nodes.interpolation.general import interpolate_general, is_classic, queue_interpolation
from podpac_exec.nodes.interpolation.nearest import nearest_orthogonal
from podpac_exec.nodes.interpolation.queue import build_queue
from podpac_exec.nodes.interpolation.selection import index_with_type, plan_dim

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates


class NativeSource(Protocol):
    """A source with its own coordinates, read by index (data sources implement this)."""

    def native_coordinates(self) -> "Coordinates":
        """The source's own coordinates."""

    def read_native(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        """A new float64 array ``data[index]``: one integer array per native dim, broadcast against
        each other as numpy advanced indexing does (``np.ix_`` arrays give an outer product), or
        step-1 slices (see :func:`compact_index`)."""

    @property
    def native_index_type(self) -> str:
        """PODPAC's ``coordinate_index_type`` ("numpy", "xarray" or "slice")."""


class _InMemory:
    """A :class:`NativeSource` over an array in memory."""

    native_index_type = "numpy"

    def __init__(self, values: np.ndarray, coordinates: "Coordinates") -> None:
        self._values = values
        self._coordinates = coordinates

    def native_coordinates(self) -> "Coordinates":
        return self._coordinates

    def read_native(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        return np.array(self._values[index], dtype=np.float64)



def interpolate(
    source_values: Any,
    source_coords: "Coordinates",
    request: "Coordinates",
    method: str | Interpolation = "nearest",
) -> np.ndarray:
    """``source_values`` (laid out on ``source_coords``) interpolated onto ``request``.

    ``method`` is a method name ("nearest", "bilinear", "cubic", ...) or a parsed
    :class:`Interpolation`. Returns a float64 array of ``request.shape`` (of
    :func:`output_coordinates`' shape with method "none"); request dims the source lacks are
    broadcast.
    """
    values = np.asarray(source_values)
    if values.shape != source_coords.shape:
        raise PipelineError(
            f"source values have shape {values.shape}, the source coordinates {source_coords.shape}"
        )
    return interpolate_source(_InMemory(values, source_coords), request, method)


def interpolate_source(
    source: NativeSource, request: "Coordinates", method: str | Interpolation = "nearest"
) -> np.ndarray:
    """Interpolate a :class:`NativeSource` onto ``request``, reading only the selected window."""
    interpolation = method if isinstance(method, Interpolation) else Interpolation.parse(method, field="interpolation")
    native = source.native_coordinates()
    if not same_crs(native.crs, request.crs):
        transformed = transformed_request(request, native.crs)
        steps = build_queue(interpolation, native, transformed, "interpolate")
        if all(is_classic(step) for step in steps):
            return interpolate_across_crs(source, native, request, transformed, queue_interpolation(steps))
        # the other methods interpolate in the source's CRS, at the request's points
        pointwise = transformed_request(request, native.crs, pointwise=True)
        return interpolate_source(source, pointwise, interpolation).reshape(request.shape)
    src = [SourceDim.build(name, member) for name, member in native.items()]
    req = Request.build(request, src)
    steps = build_queue(interpolation, native, request, "interpolate")
    interpolation = queue_interpolation(steps)
    if not all(is_classic(step) for step in steps):
        return interpolate_general(source, native, src, req, interpolation, steps, request)
    plans = [plan_dim(dim, req, interpolation) for dim in src]
    for plan in plans:
        if plan.method == "nearest_preview":
            plan.method = NEAREST  # NearestPreview interpolates as NearestNeighbor
    out_shape = request.shape
    if any(plan.selected.size == 0 for plan in plans):
        return np.full(out_shape, np.nan)
    selected = tuple(index_with_type(plan, source.native_index_type) for plan in plans)
    if math.prod(s.size for s in selected) == 1 and math.prod(req.sizes_used(src)) == 1:
        return np.full(out_shape, source.read_native(selected).item())  # PODPAC's one-point shortcut
    for plan, sel in zip(plans, selected):
        plan.set_subset(sel)
    if all(plan.method == NEAREST and not plan.dim.stacked for plan in plans):
        return nearest_orthogonal(source, plans, req, out_shape)
    data = source.read_native(compact_index(np.ix_(*selected)))
    return interpolate_subset(data, plans, req, out_shape)


def needs_whole_request(interpolation: Interpolation) -> bool:
    """Whether values depend on the whole request, so tiles would change them: XarrayInterpolator's
    cubic fits one spline through the selected subset and its nearest gives NaN beyond the subset's
    last point, NearestPreview strides from the request's first point and "none" answers on the
    source's own coordinates."""
    for rule in interpolation.rules:
        if rule.name in ("none", "nearest_preview"):
            return True
        if rule.name == "cubic" and "XarrayInterpolator" in rule.interpolators:
            return True
        if rule.name == NEAREST and rule.interpolators[0] == "XarrayInterpolator":
            return True
    return False


def output_coordinates(source: NativeSource, request: "Coordinates", method: str | Interpolation) -> "Coordinates":
    """The coordinates :func:`interpolate_source` answers on: the request's, except that dims
    interpolated with "none" keep the source's coordinates within the request's bounds."""
    interpolation = method if isinstance(method, Interpolation) else Interpolation.parse(method, field="interpolation")
    if not any(rule.name == "none" for rule in interpolation.rules):
        return request
    from podpac_exec.coordinates import Coordinates

    native = source.native_coordinates()
    src = [SourceDim.build(name, member) for name, member in native.items()]
    req = Request.build(request, src)
    steps = build_queue(interpolation, native, request, "interpolate")
    kept = {u for step in steps if step.interpolator == "NoneInterpolator" for u in step.udims}
    queue_rules = queue_interpolation(steps)
    members = []
    for name, member in request.items():
        dim = next((d for d in src if d.name == name and not d.stacked), None)
        if dim is not None and name in kept:
            member = native[name][plan_dim(dim, req, queue_rules, "none").selected]
        members.append(member)
    return Coordinates(members, crs=request.crs)
