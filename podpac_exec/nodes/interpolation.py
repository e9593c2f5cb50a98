"""Interpolation onto request coordinates with PODPAC 4.0.5's rules, and the ``Interpolate`` node.

PODPAC interpolates in two stages and both shape its values, so both are reproduced here:

1. *Selection* (PODPAC's ``Selector``), per source dim: nearest keeps one source index per request
   point, linear keeps the floor and ceil indices; a uniform request finer than a uniform source
   keeps a contiguous index range. Non-uniform and stacked sources use a k-d tree.
2. *Interpolation on that subset*, whose coordinates are read afresh:

   - nearest on a subset that is uniform (evenly spaced, two points or more) rounds
     ``(x - start) / step``, half-way going to the lower index, and keeps points up to half a step
     beyond the subset; on any other subset it takes the closest point and gives NaN outside the
     full source's bounds. A sparse request therefore sees a sparse subset: ties and edges depend
     on the other request points, exactly as in PODPAC.
   - linear interpolates one dim at a time in alphabetical order (scipy ``interp1d``: NaN outside
     the subset, a NaN neighbour poisons the result) and jointly (scipy ``interpn``, which
     extrapolates) for dims that share one stacked request dim. A single selected point along a
     dim is used as is.

Use :func:`interpolate` for arrays in memory and :func:`interpolate_source` for sources that read
windows lazily (:class:`NativeSource`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Protocol, Sequence

import numpy as np
import traitlets as tl

from podpac_exec.crs import same_crs
from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.traits import NodeTrait

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates, Coordinates1d

NEAREST = "nearest"
LINEAR = "linear"

#: Method names accepted in ``interpolation`` and the method each one means here.
METHODS = {"nearest": NEAREST, "bilinear": LINEAR, "linear": LINEAR}

#: PODPAC 4.0.5's other method names: valid there, not implemented here.
UNSUPPORTED_METHODS = (
    "none", "nearest_preview", "quadratic", "cubic", "cubic_spline", "lanczos", "average", "mode", "gauss",
    "max", "min", "med", "q1", "q3", "slinear", "splinef2d", "spline_2", "spline_3", "spline_4", "zero", "next",
    "previous",
)  # fmt: skip

_INTERPOLATORS = {NEAREST: "NearestNeighbor", LINEAR: "XarrayInterpolator"}
_SPATIAL = ("lat", "lon")
_EPS = 1e-6  # PODPAC's Selector tolerance, in index units


# -- interpolation definitions ---------------------------------------------------------------------


@dataclass(frozen=True)
class NearestOptions:
    """PODPAC's ``NearestNeighbor`` params (tolerances and scales in coordinate units)."""

    spatial_tolerance: float = math.inf
    alt_tolerance: float = math.inf
    other_dim_tolerance: float = math.inf
    time_tolerance: np.timedelta64 | None = None
    spatial_scale: float = 1.0
    alt_scale: float = 1.0
    other_dim_scale: float = 1.0
    time_scale: np.timedelta64 | None = None
    respect_bounds: bool = True
    ambiguous_rounding: str = "-infinity"
    use_selector: bool = True


@dataclass(frozen=True)
class LinearOptions:
    """PODPAC's ``XarrayInterpolator`` params: the value used outside the source (NaN by default)."""

    fill_value: float = math.nan


@dataclass(frozen=True)
class DimRule:
    """One entry of an interpolation definition: a method for some dims (``None``: all the others)."""

    method: str
    udims: tuple[str, ...] | None
    options: NearestOptions | LinearOptions


@dataclass(frozen=True)
class Interpolation:
    """A parsed interpolation definition: rules in PODPAC's order, the catch-all rule last."""

    rules: tuple[DimRule, ...]

    def rule_for(self, udim: str) -> DimRule:
        for rule in self.rules:
            if rule.udims is None or udim in rule.udims:
                return rule
        raise AssertionError("an Interpolation always ends with a catch-all rule")

    @classmethod
    def parse(cls, definition: Any, field: str = "attrs.interpolation") -> "Interpolation":
        """Parse PODPAC's forms: a method name, a dict, or a list of dicts (``method``, ``dims``,
        ``params``, ``interpolators``). Raises :class:`PipelineError` naming ``field``."""
        if isinstance(definition, str):
            return cls((DimRule(_parse_method(definition, field), None, _default_options(METHODS.get(definition))),))
        if isinstance(definition, Mapping):
            definition = [definition]
        if not isinstance(definition, (list, tuple)) or not definition:
            raise PipelineError(
                "interpolation must be a method name, a dict or a non-empty list of dicts, "
                f"got {definition!r}",
                field=field,
            )
        rules: list[DimRule] = []
        for i, item in enumerate(definition):
            rule = _parse_rule(item, f"{field}[{i}]" if len(definition) > 1 else field)
            for other in rules:
                if (rule.udims is None and other.udims is None) or (
                    rule.udims and other.udims and set(rule.udims) & set(other.udims)
                ):
                    raise PipelineError(f"dims {rule.udims or 'default'} are given more than once", field=field)
            rules.append(rule)
        defaults = [r for r in rules if r.udims is None] or [DimRule(NEAREST, None, NearestOptions())]
        return cls(tuple(r for r in rules if r.udims is not None) + tuple(defaults))


NEAREST_INTERPOLATION = Interpolation((DimRule(NEAREST, None, NearestOptions()),))


def _parse_method(name: Any, field: str) -> str:
    if not isinstance(name, str):
        raise PipelineError(f"interpolation method must be a string, got {name!r}", field=field)
    if name in METHODS:
        return METHODS[name]
    if name in UNSUPPORTED_METHODS:
        raise PipelineError(
            f"interpolation method {name!r} is not supported; supported: {', '.join(METHODS)}", field=field
        )
    raise PipelineError(f"unknown interpolation method {name!r}; supported: {', '.join(METHODS)}", field=field)


def _default_options(method: str | None) -> NearestOptions | LinearOptions:
    return LinearOptions() if method == LINEAR else NearestOptions()


def _parse_rule(item: Any, field: str) -> DimRule:
    if not isinstance(item, Mapping):
        raise PipelineError(f"an interpolation definition entry must be a dict, got {item!r}", field=field)
    unknown = [k for k in item if k not in ("method", "dims", "params", "interpolators")]
    if unknown:
        raise PipelineError(
            f"unknown interpolation key {unknown[0]!r}; keys: method, dims, params, interpolators",
            field=f"{field}.{unknown[0]}",
        )
    if "method" not in item:
        raise PipelineError("an interpolation definition needs a 'method'", field=f"{field}.method")
    method = _parse_method(item["method"], f"{field}.method")
    udims = None
    if "dims" in item:
        dims = item["dims"]
        if not isinstance(dims, list) or not all(isinstance(d, str) for d in dims):
            raise PipelineError(f"'dims' must be a list of dim names, got {dims!r}", field=f"{field}.dims")
        udims = tuple(sorted(dims))
    interpolators = item.get("interpolators", [_INTERPOLATORS[method]])
    if not isinstance(interpolators, list) or interpolators != [_INTERPOLATORS[method]]:
        raise PipelineError(
            f"interpolators {interpolators!r} are not supported for {item['method']!r}; "
            f"only [{_INTERPOLATORS[method]!r}]",
            field=f"{field}.interpolators",
        )
    params = item.get("params", {})
    if not isinstance(params, Mapping):
        raise PipelineError(f"'params' must be a dict, got {params!r}", field=f"{field}.params")
    options = _parse_params(method, params, f"{field}.params")
    if isinstance(options, NearestOptions) and not options.use_selector and "interpolators" not in item:
        # PODPAC then selects with the next interpolator for the method (XarrayInterpolator)
        options = dataclasses.replace(options, use_selector=True)
    return DimRule(method, udims, options)


def _parse_params(method: str, params: Mapping[str, Any], field: str) -> NearestOptions | LinearOptions:
    values: dict[str, Any] = {}
    for name, value in params.items():
        where = f"{field}.{name}"
        if method == LINEAR:
            if name == "fill_value":
                values[name] = math.nan if value is None else _number(value, where)
            elif name == "fill_nan" and value is False:
                pass
            elif name == "kwargs" and value == {"bounds_error": False}:
                pass
            else:
                raise PipelineError(f"linear interpolation param {name}={value!r} is not supported", field=where)
        elif name in ("spatial_tolerance", "alt_tolerance", "other_dim_tolerance"):
            values[name] = math.inf if value is None else _number(value, where)
        elif name in ("spatial_scale", "alt_scale", "other_dim_scale"):
            values[name] = 1.0 if value is None else _number(value, where)
        elif name in ("time_tolerance", "time_scale"):
            values[name] = None if value in (None, "") else _timedelta(value, where)
        elif name in ("respect_bounds", "use_selector"):
            if not isinstance(value, bool):
                raise PipelineError(f"{name} must be true or false, got {value!r}", field=where)
            values[name] = value
        elif name == "ambiguous_rounding":
            if value not in ("-infinity", "+infinity", "unbiased"):
                raise PipelineError(
                    f"ambiguous_rounding must be '-infinity', '+infinity' or 'unbiased', got {value!r}", field=where
                )
            values[name] = value
        elif name == "remove_nan" and value is False:
            pass
        else:
            raise PipelineError(f"nearest interpolation param {name}={value!r} is not supported", field=where)
    return LinearOptions(**values) if method == LINEAR else NearestOptions(**values)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PipelineError(f"expected a number, got {value!r}", field=field)
    return float(value)


def _timedelta(value: Any, field: str) -> np.timedelta64:
    from podpac_exec.coordinates import _to_delta

    try:
        delta = _to_delta(value, True, field)
    except CoordinatesError as exc:
        message = f"expected a time delta such as '1,D', got {value!r} ({exc.message})"
        raise PipelineError(message, field=field) from None
    return delta  # type: ignore[return-value]


# -- sources -----------------------------------------------------------------------------------------


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


def compact_index(index: tuple[np.ndarray, ...]) -> tuple[np.ndarray | slice, ...]:
    """``index`` with slices instead of arrays when it is an outer product of contiguous ranges
    in dim order (reading a slice is a view; fancy indexing gathers every cell)."""
    ndim = len(index)
    slices: list[np.ndarray | slice] = []
    for k, idx in enumerate(index):
        if idx.ndim != ndim or any(size != 1 for a, size in enumerate(idx.shape) if a != k):
            return index
        flat = idx.reshape(-1)
        if flat.size == 0 or not (np.diff(flat) == 1).all():
            return index
        slices.append(slice(int(flat[0]), int(flat[-1]) + 1))
    return tuple(slices)


def interpolate(
    source_values: Any,
    source_coords: "Coordinates",
    request: "Coordinates",
    method: str | Interpolation = "nearest",
) -> np.ndarray:
    """``source_values`` (laid out on ``source_coords``) interpolated onto ``request``.

    ``method`` is a method name ("nearest", "bilinear", "linear") or a parsed
    :class:`Interpolation`. Returns a float64 array of ``request.shape``; request dims the source
    lacks are broadcast.
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
        return _interpolate_across_crs(source, native, request, interpolation)
    src = [_SourceDim.build(name, member) for name, member in native.items()]
    req = _Request.build(request, src)
    plans = [_plan_dim(dim, req, interpolation) for dim in src]
    out_shape = request.shape
    if any(plan.selected.size == 0 for plan in plans):
        return np.full(out_shape, np.nan)
    selected = tuple(_index_with_type(plan, source.native_index_type) for plan in plans)
    if math.prod(s.size for s in selected) == 1 and math.prod(req.sizes_used(src)) == 1:
        return np.full(out_shape, source.read_native(selected).item())  # PODPAC's one-point shortcut
    for plan, sel in zip(plans, selected):
        plan.set_subset(sel)
    if all(plan.method == NEAREST and not plan.dim.stacked for plan in plans):
        return _nearest_orthogonal(source, plans, req, out_shape)
    data = source.read_native(compact_index(np.ix_(*selected)))
    return _interpolate_subset(data, plans, req, out_shape)


def _interpolate_across_crs(
    source: NativeSource, native: "Coordinates", request: "Coordinates", interpolation: Interpolation
) -> np.ndarray:
    """PODPAC 4.0.5's order: select in the source's CRS at the request's points transformed into
    it, transform the selected pixel centres into the request's CRS and interpolate there.
    Where those centres no longer form a grid, linear methods interpolate in the source's CRS
    instead (PODPAC raises; docs/podpac-compatibility.md)."""
    from podpac_exec.coordinates import StackedCoordinates

    transformed = _transformed_request(request, native.crs)
    src = [_SourceDim.build(name, member) for name, member in native.items()]
    req_t = _Request.build(transformed, src)
    plans = [_plan_dim(dim, req_t, interpolation) for dim in src]
    if any(plan.selected.size == 0 for plan in plans):
        return np.full(request.shape, np.nan)
    selected = tuple(_index_with_type(plan, source.native_index_type) for plan in plans)
    data = source.read_native(compact_index(np.ix_(*selected)))
    # the whole source decides, so that every tile of a request takes the same path
    grid = native.stays_a_grid_in(request.crs)
    if grid or all(plan.method == NEAREST for plan in plans):
        subset = native[selected]
        if not grid:  # lat and lon become one stacked dim of their points
            subset = subset.as_points()
            first = min(native.dims.index("lat"), native.dims.index("lon"))
            data = data.reshape(data.shape[:first] + (-1,) + data.shape[first + 2 :])
        subset = subset.transform(request.crs)
        sub = [_SourceDim.build(name, member) for name, member in subset.items()]
        req = _Request.build(request, sub)
        stage2 = [_plan_dim(dim, req, interpolation, select=False) for dim in sub]
        # Nearest: the closest pixel centre, NaN outside the source's footprint in the request's
        # CRS. PODPAC rounds on a uniform subset and bounds by the outer pixel centres, so its
        # edge cells depend on the rest of the request (docs/podpac-compatibility.md).
        bounds = _footprint(native).bounds_in(request.crs)
        for plan in stage2:
            plan.closest = True
            for u in plan.full:
                if u in bounds:
                    plan.full[u] = plan.frames[u].num(np.array(bounds[u]))
        return _interpolate_subset(data, stage2, req, request.shape)
    for plan, sel in zip(plans, selected):
        plan.set_subset(sel)
    values = _interpolate_subset(data, plans, req_t, transformed.shape)
    # interpn extrapolates across a stacked request: outside the pixel centres is NaN here
    outside = np.zeros(transformed.shape, dtype=bool)
    for name, member in transformed.items():
        for c in member if isinstance(member, StackedCoordinates) else (member,):
            if c.name in ("lat", "lon"):
                lo, hi = (float(b) for b in native[c.name].bounds)
                axis = transformed.dims.index(name)
                shape = [1] * transformed.ndim
                shape[axis] = -1
                v = c.coordinates.reshape(shape)
                outside = outside | (v < lo) | (v > hi)
    return np.where(outside, np.nan, values).reshape(request.shape)


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


def _transformed_request(request: "Coordinates", source_crs: str) -> "Coordinates":
    try:
        return request.transform(source_crs)
    except CoordinatesError as e:
        raise CoordinatesError(f"cannot transform the request into the source's CRS {source_crs!r}: {e.message}",
                               field="coordinates.crs") from None


# -- coordinates as numbers ----------------------------------------------------------------------


@dataclass
class _Frame:
    """Maps one udim's values (numbers or datetimes) to float64 for source and request alike."""

    unit: str | None = None
    origin: Any = None

    @classmethod
    def build(cls, source: np.ndarray, request: np.ndarray, udim: str) -> "_Frame":
        src_time, req_time = source.dtype.kind == "M", request.dtype.kind == "M"
        if src_time != req_time:
            kind = "datetimes" if src_time else "numbers"
            raise CoordinatesError(f"the source's {udim!r} coordinates are {kind}, the request's are not")
        if not src_time:
            return cls()
        dtype = np.promote_types(source.dtype, request.dtype)  # the finer unit, as PODPAC
        return cls(np.datetime_data(dtype)[0], source[0].astype(dtype))

    def num(self, values: np.ndarray) -> np.ndarray:
        if self.unit is None:
            return np.asarray(values, dtype=np.float64)
        offsets = np.asarray(values).astype(f"datetime64[{self.unit}]") - self.origin
        return offsets.astype(np.int64).astype(np.float64)

    def delta(self, value: Any) -> float:
        """A step, tolerance or scale in these units (inf for None)."""
        if value is None:
            return math.inf
        if self.unit is None or not isinstance(value, np.timedelta64):
            return float(value)
        return float(np.timedelta64(value).astype(f"timedelta64[{self.unit}]").astype(np.int64))


@dataclass
class _SourceDim:
    """One axis of the source: an unstacked dim, or a stacked dim of points."""

    name: str
    udims: tuple[str, ...]
    coords: tuple["Coordinates1d", ...]
    size: int

    @property
    def stacked(self) -> bool:
        return len(self.udims) > 1

    @classmethod
    def build(cls, name: str, member: Any) -> "_SourceDim":
        from podpac_exec.coordinates import StackedCoordinates

        coords = tuple(member) if isinstance(member, StackedCoordinates) else (member,)
        return cls(name, tuple(c.name for c in coords), coords, member.size)


@dataclass
class _ReqUdim:
    axis: int
    stacked: bool
    coord: "Coordinates1d"


@dataclass
class _Request:
    """The request's udims: which axis each lies on and whether it is part of a stacked dim."""

    shape: tuple[int, ...]
    udims: dict[str, _ReqUdim]

    @classmethod
    def build(cls, request: "Coordinates", source: Sequence[_SourceDim]) -> "_Request":
        from podpac_exec.coordinates import StackedCoordinates

        udims: dict[str, _ReqUdim] = {}
        for axis, (name, member) in enumerate(request.items()):
            if isinstance(member, StackedCoordinates):
                for c in member:
                    udims[c.name] = _ReqUdim(axis, True, c)
            else:
                udims[name] = _ReqUdim(axis, False, member)
        for dim in source:
            if not any(u in udims for u in dim.udims):
                raise CoordinatesError(
                    f"cannot evaluate these coordinates: the source needs dim {dim.name!r} "
                    f"(request dims: {', '.join(request.dims) or 'none'})",
                    field="coordinates",
                )
        return cls(tuple(request.shape), udims)

    def sizes_used(self, source: Sequence[_SourceDim]) -> list[int]:
        """Sizes of the request axes that hold a source udim (PODPAC drops the others)."""
        axes = {self.udims[u].axis for dim in source for u in dim.udims if u in self.udims}
        return [self.shape[a] for a in sorted(axes)]


# -- stage 1: selection --------------------------------------------------------------------------


@dataclass
class _DimPlan:
    """Selection and interpolation state of one source dim."""

    dim: _SourceDim
    method: str
    options: NearestOptions | LinearOptions
    order: int  # position of its rule in the interpolation definition (PODPAC's queue order)
    udims: tuple[str, ...]  # source udims present in the request, in request order
    frames: dict[str, _Frame]
    full: dict[str, np.ndarray]  # numeric source values per udim
    req: dict[str, np.ndarray]  # numeric request values per udim
    selected: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    subset: dict[str, np.ndarray] = field(default_factory=dict)
    subset_grid: tuple[float, float] | None = None  # (start, step) when the subset is a uniform slice
    closest: bool = False  # nearest takes the closest subset point, never PODPAC's uniform rounding

    def set_subset(self, index: np.ndarray) -> None:
        self.selected = index
        self.subset = {u: v[index] for u, v in self.full.items()}


def _plan_dim(dim: _SourceDim, req: _Request, interpolation: Interpolation, select: bool = True) -> _DimPlan:
    """The plan of one source dim; ``select=False`` keeps every source index (interpolating on
    a subset selected earlier)."""
    udims = tuple(u for u in req.udims if u in dim.udims)
    rules = {interpolation.rule_for(u) for u in udims}
    if len(rules) > 1:
        raise PipelineError(
            f"the stacked source dim {dim.name!r} needs one interpolation method for all of {dim.udims}",
            field="attrs.interpolation",
        )
    (rule,) = rules
    if rule.method == LINEAR and dim.stacked and select:
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
        frames[u] = _Frame.build(c.coordinates, rc.coordinates, u)
        full[u] = frames[u].num(c.coordinates)
        rvals[u] = frames[u].num(rc.coordinates)
    plan = _DimPlan(dim, rule.method, rule.options, interpolation.rules.index(rule), udims, frames, full, rvals)
    if not select:
        plan.set_subset(np.arange(dim.size, dtype=np.intp))
    elif isinstance(rule.options, NearestOptions) and not rule.options.use_selector:
        plan.selected = np.arange(dim.size, dtype=np.intp)
    elif dim.stacked:
        plan.selected = _select_stacked(plan, req)
    else:
        plan.selected = _select_1d(plan, req)
    return plan


def _uniform_grid(c: "Coordinates1d", frame: _Frame) -> tuple[float, float, float] | None:
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


def _select_1d(plan: _DimPlan, req: _Request) -> np.ndarray:
    (u,) = plan.udims
    c = plan.dim.coords[0]
    n = plan.dim.size
    grid = _uniform_grid(c, plan.frames[u])
    r = plan.req[u]
    if grid is None:
        if plan.method == NEAREST:
            index = _nearest_1d(plan.full[u], r)
        else:
            index = _kdtree_query(plan.full[u][:, None], r[:, None], k=2)
            index = index[index < n]
        return np.unique(index)
    start, _, step = grid
    rq = req.udims[u]
    rgrid = None if rq.stacked else _uniform_grid(rq.coord, plan.frames[u])
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


def _request_points(plan: _DimPlan, req: _Request) -> tuple[np.ndarray, tuple[int, ...]]:
    """The request's points in this stacked dim's udims (as rows) and the request axes they span."""
    axes = sorted({req.udims[u].axis for u in plan.udims})
    shape = [req.shape[a] for a in axes]
    columns = []
    for u in plan.udims:
        vshape = [1] * len(axes)
        vshape[axes.index(req.udims[u].axis)] = -1
        columns.append(np.broadcast_to(plan.req[u].reshape(vshape), shape).ravel())
    return np.stack(columns, axis=1), tuple(axes)


def _select_stacked(plan: _DimPlan, req: _Request) -> np.ndarray:
    points, _ = _request_points(plan, req)
    tree_points = np.stack([plan.full[u] for u in plan.udims], axis=1)
    index = _kdtree_query(tree_points, points, k=1)
    return np.unique(index[index < plan.dim.size])


def _index_with_type(plan: _DimPlan, index_type: str) -> np.ndarray:
    """The selected indices as the source's index type reads them ("slice": a regular range)."""
    sel = plan.selected
    if index_type != "slice" or sel.size < 2:
        return sel
    steps = np.diff(sel)
    stride = int(steps[0]) if (steps == steps[0]).all() else 1
    index = np.arange(sel[0], sel[-1] + 1, stride, dtype=np.intp)
    grid = None if plan.dim.stacked else _uniform_grid(plan.dim.coords[0], plan.frames[plan.udims[0]])
    if grid is not None and index.size > 1:
        plan.subset_grid = (grid[0] + grid[2] * int(index[0]), grid[2] * stride)
    return index


# -- nearest-neighbour search ---------------------------------------------------------------------


def _kdtree_query(points: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    """scipy's cKDTree answer (PODPAC's search), flattened; index == len(points) when missing."""
    from scipy.spatial import cKDTree

    _, index = cKDTree(points).query(query, k=k)
    return np.asarray(index).ravel()


def _nearest_1d(values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Index of the nearest value for each query point; exact ties resolved as cKDTree does."""
    return _nearest_1d_dist(values, query)[0]


def _nearest_1d_dist(values: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest index and distance per query point (binary search; exact ties and duplicate
    values go to cKDTree, whose choice PODPAC inherits)."""
    n = values.size
    if n == 1:
        return np.zeros(query.size, dtype=np.intp), np.abs(query - values[0])
    order = None
    sorted_values = values
    if not (np.diff(values) > 0).all():
        order = np.argsort(values, kind="stable")
        sorted_values = values[order]
        if (np.diff(sorted_values) == 0).any():
            index = _kdtree_query(values[:, None], query[:, None], k=1).astype(np.intp)
            return index, np.abs(query - values[index])
    pos = np.searchsorted(sorted_values, query).clip(1, n - 1)
    d_below = (query - sorted_values[pos - 1]) ** 2  # squared, as cKDTree compares them
    d_above = (sorted_values[pos] - query) ** 2
    index = np.where(d_above < d_below, pos, pos - 1)
    if order is not None:
        index = order[index]
    ties = d_above == d_below
    if ties.any():
        index[ties] = _kdtree_query(values[:, None], query[ties][:, None], k=1)
    return index.astype(np.intp, copy=False), np.sqrt(np.minimum(d_below, d_above))


# -- stage 2: interpolation on the subset --------------------------------------------------------


def _tolerance(udim: str, options: NearestOptions, frame: _Frame) -> float:
    if udim in _SPATIAL:
        return options.spatial_tolerance
    if udim == "alt":
        return options.alt_tolerance
    if udim == "time":
        return frame.delta(options.time_tolerance)
    return options.other_dim_tolerance


def _scale(udim: str, options: NearestOptions, frame: _Frame) -> float:
    if udim in _SPATIAL:
        return 1.0 / options.spatial_scale
    if udim == "alt":
        return 1.0 / options.alt_scale
    if udim == "time":
        return 1.0 if options.time_scale is None else 1.0 / frame.delta(options.time_scale)
    return options.other_dim_scale  # sic: PODPAC does not invert this one


def _subset_grid(plan: _DimPlan, v: np.ndarray) -> tuple[float, float] | None:
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


def _nearest_index_1d(plan: _DimPlan) -> np.ndarray:
    """Per request point: index into the subset, or -1 (NaN)."""
    (u,) = plan.udims
    options: NearestOptions = plan.options  # type: ignore[assignment]
    v, r, frame = plan.subset[u], plan.req[u], plan.frames[u]
    m = v.size
    tol = _tolerance(u, options, frame)
    grid = _subset_grid(plan, v)
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
    index, dist = _nearest_1d_dist(v, r)
    bad = np.zeros(r.size, dtype=bool)
    if options.respect_bounds:
        lo, hi = np.nanmin(plan.full[u]), np.nanmax(plan.full[u])  # the FULL source's bounds
        bad |= (r > hi) | (r < lo)
    if tol != math.inf:
        bad |= dist > tol
    index[bad] = -1
    return index


def _nearest_index_stacked(plan: _DimPlan, req: _Request) -> tuple[np.ndarray, tuple[int, ...]]:
    """Per request point of the axes spanned: index into the stacked subset, or -1."""
    options: NearestOptions = plan.options  # type: ignore[assignment]
    scales = np.array([_scale(u, options, plan.frames[u]) for u in plan.udims])
    tols = np.array([_tolerance(u, options, plan.frames[u]) for u in plan.udims])
    tol = float(np.linalg.norm(tols * scales))
    points, axes = _request_points(plan, req)
    tree_points = np.stack([plan.subset[u] for u in plan.udims], axis=1)
    from scipy.spatial import cKDTree

    dist, index = cKDTree(tree_points * scales).query(points * scales, k=1)
    index = np.asarray(index, dtype=np.intp)
    if options.respect_bounds:
        lo = np.array([np.nanmin(plan.full[u]) for u in plan.udims])
        hi = np.array([np.nanmax(plan.full[u]) for u in plan.udims])
        index[((points > hi) | (points < lo)).any(axis=1)] = -1
    if tol and tol != math.inf:
        index[dist > tol] = -1
    return index.reshape([req.shape[a] for a in axes]), axes


def _nearest_orthogonal(
    source: NativeSource, plans: list[_DimPlan], req: _Request, shape: tuple[int, ...]
) -> np.ndarray:
    """Nearest on unstacked source dims: one read of exactly the cells needed."""
    nreq = len(shape)
    index: list[np.ndarray] = []
    bad: dict[int, np.ndarray] = {}
    for plan in plans:
        local = _nearest_index_1d(plan)
        missing = local < 0
        axis = req.udims[plan.udims[0]].axis
        full = [1] * nreq
        full[axis] = -1
        index.append(plan.selected[np.where(missing, 0, local)].reshape(full))
        bad[axis] = bad[axis] | missing if axis in bad else missing
    values = source.read_native(compact_index(tuple(index)))  # pointwise on a shared (stacked) axis
    for axis, missing in bad.items():
        if missing.any():
            values[(slice(None),) * axis + (missing,)] = np.nan
    return _on_request(values, range(nreq), shape)


def _on_request(values: np.ndarray, axes: Sequence[int], shape: tuple[int, ...]) -> np.ndarray:
    """``values`` (whose axes are request ``axes``, in order) on the full request shape."""
    from podpac_exec.nodes._arrays import exact_shape

    full = [1] * len(shape)
    for a, size in zip(axes, values.shape):
        full[a] = size
    return exact_shape(values.reshape(full), shape, np.float64)


class _Work:
    """The array being interpolated: the request axes (size 1 until filled), then the linear
    source dims not interpolated yet (``pending``, in order)."""

    def __init__(self, values: np.ndarray, req: _Request, pending: list[_DimPlan], one_d_source: bool) -> None:
        self.values = values
        self.req = req
        self.pending = pending
        self.one_d_source = one_d_source  # scipy's interp1d then delegates to np.interp

    @property
    def nreq(self) -> int:
        return len(self.req.shape)

    def axis_of(self, plan: _DimPlan) -> int:
        return self.nreq + self.pending.index(plan)

    def req_axis(self, plan: _DimPlan) -> int:
        return self.req.udims[plan.udims[0]].axis

    def take_single(self, plan: _DimPlan) -> None:
        """A dim with one selected point: its value is used for every request point (no bounds)."""
        self.values = np.take(self.values, 0, axis=self.axis_of(plan))
        self.pending.remove(plan)

    def land(self, result: np.ndarray, plans: list[_DimPlan], req_axes: list[int]) -> None:
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


def _interpolate_subset(data: np.ndarray, plans: list[_DimPlan], req: _Request, shape: tuple[int, ...]) -> np.ndarray:
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
            local, axes = _nearest_index_stacked(plan, req)
        else:
            local, axes = _nearest_index_1d(plan), (req.udims[plan.udims[0]].axis,)
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
    work = _Work(values, req, list(lin), one_d_source=len(plans) == 1)
    for group in _linear_groups(lin):
        _xarray_interpolator(work, group)
    return _on_request(work.values, range(nreq), shape)


def _linear_groups(lin: list[_DimPlan]) -> list[list[_DimPlan]]:
    """Linear dims by interpolation rule (PODPAC's queue order), alphabetical within a rule."""
    groups: dict[int, list[_DimPlan]] = {}
    for plan in lin:
        groups.setdefault(plan.order, []).append(plan)
    return [sorted(groups[k], key=lambda p: p.udims[0]) for k in sorted(groups)]


def _xarray_interpolator(work: _Work, group: list[_DimPlan]) -> None:
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


def _decompose(todo: list[_DimPlan], work: _Work) -> list[list[_DimPlan]]:
    """xarray's decompose_interp: a run of dims whose request dims overlap the later ones' is joint."""
    groups: list[list[_DimPlan]] = []
    current: list[_DimPlan] = []
    for i, plan in enumerate(todo):
        current.append(plan)
        mine = {work.req_axis(p) for p in current}
        rest = {work.req_axis(p) for p in todo[i + 1 :]}
        if not mine & rest:
            groups.append(current)
            current = []
    return groups


def _sorted_subset(plan: _DimPlan, y: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The subset's coordinates ascending (xarray sorts before interpolating) and ``y`` to match."""
    x = plan.subset[plan.udims[0]]
    if (np.diff(x) > 0).all():
        return x, y
    order = np.argsort(x, kind="stable")
    return x[order], np.take(y, order, axis=axis)


def _linear_1d(work: _Work, plan: _DimPlan, fill: float) -> None:
    """scipy ``interp1d`` (kind linear, NaN outside) along one dim, as xarray calls it.

    For a 1-D source scipy delegates to ``np.interp``; otherwise it computes
    ``(x - x_lo)/(x_hi - x_lo) * y_hi + (x_hi - x)/(x_hi - x_lo) * y_lo`` (scipy 1.18) with the
    bracketing pair from ``searchsorted`` clipped to [1, n-1].
    """
    x, y = _sorted_subset(plan, np.moveaxis(work.values, work.axis_of(plan), -1), -1)
    xnew = plan.req[plan.udims[0]]
    if work.one_d_source:
        out = np.interp(xnew, x, y.reshape(-1)).reshape(y.shape[:-1] + xnew.shape)
    else:
        hi = np.searchsorted(x, xnew).clip(1, x.size - 1)
        lo = hi - 1
        width = x[hi] - x[lo]
        out = ((xnew - x[lo]) / width) * y[..., hi] + ((x[hi] - xnew) / width) * y[..., lo]
    outside = (xnew < x[0]) | (xnew > x[-1])
    if outside.any():
        out[..., outside] = fill
    work.land(np.moveaxis(out, -1, 0), [plan], [work.req_axis(plan)])


def _linear_nd(work: _Work, chunk: list[_DimPlan], fill: float) -> None:
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
        np.ascontiguousarray(y.reshape(y.shape[:k] + (-1,))),  # one code path in scipy, whatever the tile
        np.stack(columns, axis=-1),
        method="linear",
        bounds_error=False,
        fill_value=None if math.isnan(fill) else fill,
    )
    work.land(result.reshape(tuple(shape) + rest), chunk, req_axes)


# -- the node --------------------------------------------------------------------------------------


class InterpolationTrait(tl.Union):
    """PODPAC's interpolation definition: a method name, a dict or a list of dicts."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__([tl.Unicode(), tl.Dict(), tl.List()], default_value="nearest", **kwargs)


class Interpolate(Node):
    """Evaluates ``source`` with the given interpolation (PODPAC's ``Interpolate`` node).

    A source with native coordinates (``Array``, ``Dataset``) is interpolated from its own grid
    with the requested method; any other source already answers on the request's coordinates
    and is returned as it is.
    """

    inherits_source_style = True

    podpac_name: ClassVar[str] = "core.interpolation.interpolation.Interpolate"
    podpac_aliases: ClassVar[tuple[str, ...]] = (
        "interpolators.Interpolate",
        "core.algorithm.reprojection.Interpolate",
    )

    source = NodeTrait(allow_none=True).tag(attr=True)
    source_id = tl.Unicode(default_value="", allow_none=True).tag(attr=True)
    interpolation = InterpolationTrait().tag(attr=True)

    def validate(self) -> None:
        if self.source is None:
            raise PipelineError("Interpolate needs a 'source' node", field="attrs.source")
        self._parsed = Interpolation.parse(self.interpolation)

    def _eval(self, coordinates: "Coordinates") -> "np.ndarray | xr.DataArray":
        if hasattr(self.source, "native_coordinates"):
            return interpolate_source(self.source, coordinates, self._parsed)  # type: ignore[arg-type]
        return self.source.eval(coordinates)
