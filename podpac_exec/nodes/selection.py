"""PODPAC's coordinate-selection nodes (``core.algorithm.coord_select``).

Each evaluates its ``source`` on modified request coordinates and returns the source's output
on those coordinates, as PODPAC does: ``ExpandCoordinates`` (windows around each request point,
or around the request's bounds), ``SelectCoordinates`` (fixed coordinates), and the pointwise
``YearSubstituteCoordinates`` and ``TransformTimeUnits``.

Tiling: a dim an expansion or selection resizes is never split across tiles (declared as a
reduced dim); the pointwise nodes map each request point on its own, so any split is exact.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets as tl

from podpac_exec.errors import CoordinatesError, LimitExceededError, PipelineError, PodpacExecError
from podpac_exec.nodes._arrays import keep_dims
from podpac_exec.nodes.base import Node, NodeRequirements
from podpac_exec.nodes.coord_math import _nominal, _shifted_windows, add_coord, podpac_select
from podpac_exec.nodes.traits import NodeTrait
from podpac_exec.nodes.utility import _Algorithm

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates, Coordinates1d

_DIMS = ("lat", "lon", "time", "alt")


class ModifyCoordinates(_Algorithm):
    """Base: ``source`` evaluated on :meth:`modified_coordinates` of the request."""

    inherits_source_style = True

    source = NodeTrait(allow_none=True).tag(attr=True)

    def validate(self) -> None:
        if self.source is None:
            raise PipelineError(f"{type(self).__name__} needs a source node", field="inputs.source")

    # -- what subclasses define ------------------------------------------------------------------
    def modified_coordinates1d(self, coordinates: "Coordinates", dim: str) -> "Coordinates1d":
        raise NotImplementedError

    def resized_dims(self) -> frozenset[str]:
        """Dims whose output length is not the request's (never split across tiles)."""
        return frozenset()

    # -- shared ----------------------------------------------------------------------------------
    def modified_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        """The coordinates the source is evaluated on (kept for the last request object: the
        executor, the output coordinates and the evaluation all ask for them)."""
        from podpac_exec.settings import settings

        key = settings.get("limits.max_cells")
        last = self.__dict__.get("_last_modified")
        if last is not None and last[0]() is coordinates and last[1] == key:
            return last[2]
        modified = self._modified_coordinates(coordinates)
        self.__dict__["_last_modified"] = (weakref.ref(coordinates), key, modified)
        return modified

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_last_modified", None)  # a weak reference: not picklable
        return state

    def _modified_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        from podpac_exec.coordinates import Coordinates
        from podpac_exec.settings import settings

        members = []
        for dim, member in coordinates.items():
            if len(member.udims) > 1:
                if any(d in self.resized_dims() for d in member.udims):
                    raise CoordinatesError(
                        f"{type(self).__name__}: cannot modify the stacked dim {dim!r}", field="coordinates"
                    )
                members.append(member)
                continue
            members.append(self.modified_coordinates1d(coordinates, dim))
        modified = Coordinates(members, crs=coordinates.crs)
        for dim in modified.udims:
            if modified[dim].size == 0:
                raise CoordinatesError(
                    f"{type(self).__name__}: modified coordinates do not intersect with source data (dim {dim!r})",
                    field=f"attrs.{dim}",
                )
        limit = settings.get("limits.max_cells")
        if modified.size > limit:
            grown = [d for d in modified.dims if modified[d].size != coordinates[d].size] or list(modified.dims)
            raise LimitExceededError(
                f"{type(self).__name__}: the modified request has {modified.size} cells, above limits.max_cells={limit}",
                field=f"attrs.{grown[0]}",
            )
        return modified

    def requirements(self) -> NodeRequirements:
        return NodeRequirements(reduce_dims=self.resized_dims())

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        return self.source.output_coordinates(self.modified_coordinates(coordinates))

    def _eval(self, coordinates: "Coordinates") -> "np.ndarray":
        modified = self.modified_coordinates(coordinates)
        values, _ = self.source.eval_values(modified)
        return values


class _PerDimModify(ModifyCoordinates):
    """PODPAC's per-dim list attrs (``lat``, ``lon``, ``time``, ``alt``) and ``coordinates_source``."""

    coordinates_source = NodeTrait(allow_none=True).tag(attr=True)
    lat = tl.List().tag(attr=True)
    lon = tl.List().tag(attr=True)
    time = tl.List().tag(attr=True)
    alt = tl.List().tag(attr=True)

    def __init__(self, **kwargs: Any) -> None:
        # PODPAC's default: the source (so ExpandCoordinates(source=X, ...) writes X as both)
        if kwargs.get("coordinates_source") is None and isinstance(kwargs.get("source"), Node):
            kwargs["coordinates_source"] = kwargs["source"]
        super().__init__(**kwargs)

    def resized_dims(self) -> frozenset[str]:
        return frozenset(d for d in _DIMS if getattr(self, d))

    def available(self, dim: str) -> "Coordinates1d":
        """The source's own coordinates along ``dim`` (PODPAC's ``find_coordinates``)."""
        found = find_coordinates(self.coordinates_source or self.source)
        if len(found) != 1:
            raise PipelineError(
                f"{type(self).__name__}.{dim}: a 2-value entry uses the source's own coordinates, but the "
                f"source has {len(found)} sets of coordinates; give [start, stop, step] instead",
                field=f"attrs.{dim}",
            )
        if dim not in found[0].udims:
            raise PipelineError(
                f"{type(self).__name__}.{dim}: the source's coordinates have no {dim!r} dim", field=f"attrs.{dim}"
            )
        return found[0][dim]


class ExpandCoordinates(_PerDimModify):
    """The source on windows around each request point, concatenated (or around the bounds).

    ``time=["-3,D", "0,D", "1,D"]``: ``[start_offset, end_offset, step]`` uniform windows;
    ``[start_offset, end_offset]``: the source's own coordinates within each window.
    ``bounds_only``: one window from the first point + start to the last point + end.
    """

    podpac_name = "core.algorithm.coord_select.ExpandCoordinates"
    podpac_aliases = ("algorithm.ExpandCoordinates",)

    bounds_only = tl.Bool(False).tag(attr=True)

    def validate(self) -> None:
        super().validate()
        for dim in _DIMS:
            value = getattr(self, dim)
            if value and len(value) not in (2, 3):
                raise PipelineError(
                    f"ExpandCoordinates.{dim}: expected [start, end] or [start, end, step], got {value!r}",
                    field=f"attrs.{dim}",
                )
            for entry in value:  # offsets are checked here, where the loader can name the node
                _checked(self, dim, coord_delta, entry, isinstance(entry, str))

    def modified_coordinates1d(self, coordinates: "Coordinates", dim: str) -> "Coordinates1d":
        from podpac_exec.coordinates import ArrayCoordinates1d, UniformCoordinates1d

        c = coordinates[dim]
        expansion = getattr(self, dim, None)
        if not expansion or c.size == 0:
            return c
        field = f"attrs.{dim}"
        values = c.coordinates
        dstart, dstop = (coord_delta(v, c.is_datetime, field) for v in expansion[:2])
        # windows: around each point, or once from the first point to the last (bounds_only)
        pairs = [(values[0], values[-1])] if self.bounds_only else [(x, x) for x in values]
        limit = _max_cells()
        parts, total = [], 0
        available = self.available(dim) if len(expansion) == 2 else None
        step = coord_delta(expansion[2], c.is_datetime, field) if len(expansion) == 3 else None
        if available is None and len(pairs) > 2 and c.is_datetime and not _nominal(dstart, dstop, step) \
                and not np.isnat(values).any():
            shifted = _shifted_windows(values, lambda a: self._uniform_window(a, a, dstart, dstop, step, dim, limit))
            if shifted is not None:
                if shifted.size > limit:
                    raise LimitExceededError(
                        f"ExpandCoordinates.{dim}: the expansion has more than limits.max_cells={limit} points",
                        field=field,
                    )
                return ArrayCoordinates1d(shifted, name=dim)
        for a, b in pairs:
            lo, hi = add_coord(a, dstart), add_coord(b, dstop)
            if available is not None:
                window = podpac_select(available, lo, hi)
            else:
                window = self._uniform_window(a, b, dstart, dstop, step, dim, limit)
            total += window.size
            if total > limit:
                raise LimitExceededError(
                    f"ExpandCoordinates.{dim}: the expansion has more than limits.max_cells={limit} points",
                    field=field,
                )
            parts.append(window)
        return ArrayCoordinates1d(np.concatenate(parts), name=dim)

    def _uniform_window(self, a: Any, b: Any, dstart: Any, dstop: Any, step: Any, dim: str, limit: int) -> np.ndarray:
        """The ``[a + dstart, b + dstop]`` window with ``step``."""
        from podpac_exec.coordinates import UniformCoordinates1d

        try:
            return UniformCoordinates1d(add_coord(a, dstart), add_coord(b, dstop), step, max_size=limit).coordinates
        except CoordinatesError as exc:
            raise _expansion_error(exc, self, dim) from None


class SelectCoordinates(_PerDimModify):
    """The source on fixed coordinates per dim: ``[value]``, ``[start, stop]`` (the source's own
    coordinates within) or ``[start, stop, step]``. ``substitute_eval_coords`` puts the output
    back on the request's coordinates (same sizes required)."""

    podpac_name = "core.algorithm.coord_select.SelectCoordinates"
    podpac_aliases = ("algorithm.SelectCoordinates",)

    substitute_eval_coords = tl.Bool(False).tag(attr=True)

    def validate(self) -> None:
        super().validate()
        for dim in _DIMS:
            value = getattr(self, dim)
            if value and len(value) > 3:
                raise PipelineError(f"SelectCoordinates.{dim}: invalid selection {value!r}", field=f"attrs.{dim}")
            for entry in value[:2]:
                _checked(self, dim, _coord_value, entry)
            if len(value) == 3:
                _checked(self, dim, coord_delta, value[2], isinstance(value[2], str))

    def modified_coordinates1d(self, coordinates: "Coordinates", dim: str) -> "Coordinates1d":
        from podpac_exec.coordinates import ArrayCoordinates1d, UniformCoordinates1d

        c = coordinates[dim]
        selection = getattr(self, dim, None)
        if not selection:
            return c
        field = f"attrs.{dim}"
        try:
            if len(selection) == 1 or (len(selection) == 2 and selection[0] == selection[1]):
                return ArrayCoordinates1d(selection[:1], name=dim)
            if len(selection) == 2:
                lo, hi = (_coord_value(v, field) for v in selection)
                return ArrayCoordinates1d(podpac_select(self.available(dim), lo, hi), name=dim)
            return UniformCoordinates1d(*selection, name=dim, max_size=_max_cells())
        except CoordinatesError as exc:
            raise _expansion_error(exc, self, dim) from None

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        out = super().output_coordinates(coordinates)
        return _substituted(self, out, coordinates) if self.substitute_eval_coords else out



class YearSubstituteCoordinates(ModifyCoordinates):
    """The source at the request's times moved to ``year`` (Feb 29 becomes Feb 28)."""

    podpac_name = "core.algorithm.coord_select.YearSubstituteCoordinates"
    podpac_aliases = ("algorithm.YearSubstituteCoordinates",)

    year = tl.Unicode("").tag(attr=True)
    substitute_eval_coords = tl.Bool(False).tag(attr=True)

    def validate(self) -> None:
        super().validate()
        try:
            year = np.datetime64(self.year) if self.year else None
        except ValueError:
            year = None
        if year is None or np.isnat(year):
            raise PipelineError(
                f"YearSubstituteCoordinates.year must be a year such as '2018', got {self.year!r}", field="attrs.year"
            )

    def modified_coordinates1d(self, coordinates: "Coordinates", dim: str) -> "Coordinates1d":
        from podpac_exec.coordinates import ArrayCoordinates1d

        c = coordinates[dim]
        if dim != "time":
            return c
        if not c.is_datetime:
            raise CoordinatesError("YearSubstituteCoordinates needs datetime time coordinates", field="coordinates")
        times = c.coordinates
        return ArrayCoordinates1d(add_coord(times, np.datetime64(self.year) - times.astype("datetime64[Y]")), name="time")

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        out = super().output_coordinates(coordinates)
        return _substituted(self, out, coordinates) if self.substitute_eval_coords else out


#: PODPAC 4.0.5's ``TransformTimeUnits.time_units`` values that give numbers (xarray ``.dt`` accessors).
NUMERIC_TIME_UNITS = (
    "day",
    "dayofweek",
    "dayofyear",
    "daysinmonth",
    "microsecond",
    "minute",
    "month",
    "nanosecond",
    "quarter",
    "second",
    "weekday",
    "year",
)
#: PODPAC lists these too; they give strings or ``datetime.time`` objects (or are gone from xarray).
UNSUPPORTED_TIME_UNITS = ("season", "time", "week", "weekday_name", "weekofyear")


class TransformTimeUnits(ModifyCoordinates):
    """The source at the request's times converted to ``time_units`` (e.g. day of year numbers)."""

    podpac_name = "core.algorithm.coord_select.TransformTimeUnits"
    podpac_aliases = ("algorithm.TransformTimeUnits",)

    time_units = tl.Unicode(None, allow_none=True).tag(attr=True)
    substitute_eval_coords = tl.Bool(False).tag(attr=True)

    def validate(self) -> None:
        super().validate()
        if self.time_units in UNSUPPORTED_TIME_UNITS:
            raise PipelineError(
                f"TransformTimeUnits.time_units {self.time_units!r} gives non-numeric times, which are not "
                f"supported; use one of {', '.join(NUMERIC_TIME_UNITS)}",
                field="attrs.time_units",
            )
        if self.time_units not in NUMERIC_TIME_UNITS:
            raise PipelineError(
                f"TransformTimeUnits.time_units: unknown time unit {self.time_units!r}; "
                f"use one of {', '.join(NUMERIC_TIME_UNITS)}",
                field="attrs.time_units",
            )

    def modified_coordinates1d(self, coordinates: "Coordinates", dim: str) -> "Coordinates1d":
        from podpac_exec.coordinates import ArrayCoordinates1d

        c = coordinates[dim]
        if dim != "time":
            return c
        if not c.is_datetime:
            raise CoordinatesError(
                f"TransformTimeUnits needs datetime time coordinates, got {c.dtype}", field="coordinates"
            )
        return ArrayCoordinates1d(time_component(c.coordinates, self.time_units), name="time").simplify()

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        out = super().output_coordinates(coordinates)
        return _substituted(self, out, coordinates) if self.substitute_eval_coords else out


# -- helpers -------------------------------------------------------------------------------------


def time_component(times: np.ndarray, unit: str) -> np.ndarray:
    """xarray's ``.dt.<unit>`` of datetime64 ``times`` (numbers), as PODPAC computes it."""
    import xarray as xr

    return np.asarray(getattr(xr.DataArray(times, dims="time").dt, unit).data)


def find_coordinates(node: Node) -> list["Coordinates"]:
    """Distinct native coordinates of the data sources under ``node`` (PODPAC's ``find_coordinates``)."""
    native = getattr(node, "native_coordinates", None)
    if callable(native):
        try:
            return [native()]
        except NotImplementedError:
            pass
    found: list[Coordinates] = []
    for child in node.input_nodes():
        for c in find_coordinates(child):
            if not any(c == other for other in found):
                found.append(c)
    return found


def coord_delta(value: Any, is_time: bool, field: str) -> Any:
    """PODPAC's ``make_coord_delta``: ``"1,D"`` strings are timedeltas, numbers floats."""
    from podpac_exec.coordinates.values import _to_delta

    if isinstance(value, str) != is_time:
        kind = "time offsets such as '-3,D'" if is_time else "numbers"
        raise PipelineError(f"expected {kind}, got {value!r}", field=field)
    try:
        return _to_delta(value, is_time, field)
    except CoordinatesError as exc:
        raise PipelineError(exc.message, field=field) from None


def _checked(node: Node, dim: str, parse: Any, value: Any, *args: Any) -> None:
    """``parse(value, *args, field)``, its error naming the node class and the dim's attr."""
    field = f"attrs.{dim}"
    try:
        parse(value, *args, field)
    except PipelineError as exc:
        raise PipelineError(f"{type(node).__name__}.{dim}: {exc.message}", field=field) from None


def _coord_value(value: Any, field: str) -> Any:
    from podpac_exec.coordinates.values import _to_value

    try:
        return _to_value(value, field)
    except CoordinatesError as exc:
        raise PipelineError(exc.message, field=field) from None


def _max_cells() -> int:
    from podpac_exec.settings import settings

    return int(settings.get("limits.max_cells"))


def _expansion_error(exc: CoordinatesError, node: Node, dim: str) -> PodpacExecError:
    """A grid the node would build, as an error naming the node, the attr and the limit."""
    if "exceeds the maximum" in exc.message:
        return LimitExceededError(
            f"{type(node).__name__}.{dim}: the {dim} coordinates would exceed limits.max_cells={_max_cells()} "
            f"({exc.message})",
            field=f"attrs.{dim}",
        )
    return PipelineError(f"{type(node).__name__}.{dim}: {exc.message}", field=f"attrs.{dim}")


def _substituted(node: Node, out: "Coordinates", request: "Coordinates") -> "Coordinates":
    """``substitute_eval_coords``: the output is labelled with the request's coordinates."""
    target = keep_dims(request, out.dims)
    if target.shape != out.shape:
        raise PipelineError(
            f"{type(node).__name__}.substitute_eval_coords: the output shape {out.shape} differs from the "
            f"request's {target.shape}",
            field="attrs.substitute_eval_coords",
        )
    return target

