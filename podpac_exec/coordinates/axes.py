"""The 1-D axes: explicit values (:class:`ArrayCoordinates1d`) and uniform grids
(:class:`UniformCoordinates1d`), one module because each kind builds the other (a uniform slice
that is no grid is explicit values; explicit values on a grid simplify to one)."""

from __future__ import annotations

import hashlib
import math
import warnings
from typing import Any

import numpy as np

from podpac_exec.coordinates.base import Coordinates1d, _close
from podpac_exec.coordinates.grid import (
    _add_months,
    _check_size,
    _check_step_sign,
    _checked_months,
    _checked_size,
    _exact_count,
    _float_size,
    _month_span,
    _step_from_size,
    _time_base,
)
from podpac_exec.coordinates.values import (
    _INT64_MAX,
    _INT64_MIN,
    _NOMINAL_UNITS,
    _canonical_time,
    _monotonic_properties,
    _check_name,
    _err,
    _finer_unit,
    _fits,
    _format_datetime,
    _format_timedelta,
    _readonly,
    _time_unit,
    _to_coord_array,
    _to_delta,
    _to_value,
)
from podpac_exec.errors import CoordinatesError

#: A uniform definition implying more points than this raises instead of allocating.
MAX_UNIFORM_SIZE = 2**40



class ArrayCoordinates1d(Coordinates1d):
    """1-D coordinates given by explicit values (numbers or ISO datetimes)."""

    __slots__ = ("_values", "_props")

    def __init__(self, values: Any, name: str | None = None) -> None:
        self._name = _check_name(name)
        self._values = _to_coord_array(values, "values")
        self._props: tuple[bool | None, bool | None, bool | None] | None = None

    @classmethod
    def _new(cls, values: np.ndarray, name: str | None) -> ArrayCoordinates1d:
        """Wrap an already validated read-only array (no copy)."""
        obj = cls.__new__(cls)
        obj._name = name
        obj._values = values
        obj._props = None
        return obj

    @property
    def coordinates(self) -> np.ndarray:
        return self._values

    @property
    def size(self) -> int:
        return int(self._values.size)

    @property
    def dtype(self) -> np.dtype:
        return self._values.dtype

    def _properties(self) -> tuple[bool | None, bool | None, bool | None]:
        """(is_monotonic, is_descending, is_uniform), computed once, PODPAC's rules."""
        if self._props is None:
            self._props = _monotonic_properties(self._values)
        return self._props

    @property
    def is_monotonic(self) -> bool | None:
        return self._properties()[0]

    @property
    def is_descending(self) -> bool | None:
        return self._properties()[1]

    @property
    def is_uniform(self) -> bool | None:
        return self._properties()[2]

    @property
    def bounds(self) -> tuple[Any, Any]:
        v = self._values
        if v.size == 0:
            return (np.nan, np.nan)
        if self.is_monotonic:
            lo, hi = v[0], v[-1]
            return (hi, lo) if self.is_descending else (lo, hi)
        if self.is_datetime:
            valid = v[~np.isnat(v)]
            return (valid.min(), valid.max()) if valid.size else (v[0], v[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return (np.nanmin(v), np.nanmax(v))

    @property
    def definition(self) -> dict[str, Any]:
        if self.is_datetime:
            values: list[Any] = np.datetime_as_string(self._values).tolist()
        else:
            values = self._values.tolist()
        d: dict[str, Any] = {"values": values}
        if self._name is not None:
            d["name"] = self._name
        return d

    def _renamed(self, name: str | None) -> ArrayCoordinates1d:
        obj = ArrayCoordinates1d._new(self._values, name)
        obj._props = self._props
        return obj

    def _take(self, index: np.ndarray) -> ArrayCoordinates1d:
        return ArrayCoordinates1d._new(_readonly(self._values[index]), self._name)

    def _slice(self, index: slice) -> ArrayCoordinates1d:
        return ArrayCoordinates1d._new(self._values[index], self._name)  # a read-only view

    def _equal_values(self, other: Coordinates1d) -> bool:
        if isinstance(other, ArrayCoordinates1d) and not self.is_datetime:
            return bool(np.array_equal(self._values, other._values, equal_nan=True))
        return super()._equal_values(other)

    def simplify(self) -> Coordinates1d:
        """A :class:`UniformCoordinates1d` when it reproduces these values exactly, else self."""
        uniform = _exact_uniform(self._values, self._name)
        return uniform if uniform is not None else self

    def _canonical(self) -> dict[str, Any]:
        # values on a uniform grid hash as that grid, so the hash follows __eq__ across kinds
        grid = _near_uniform(self._values, self._name)
        if grid is not None:
            return grid._canonical()
        v = self._values
        if self.is_datetime:
            canonical = _canonical_time(v)
            data, dtype = canonical.astype(np.int64), str(canonical.dtype)
        else:
            data = v + 0.0  # -0.0 -> 0.0
            data[np.isnan(data)] = np.nan  # one NaN bit pattern
            dtype = "float64"
        digest = hashlib.sha256(np.ascontiguousarray(data).astype("<" + data.dtype.str[1:]).tobytes())
        return {"kind": "array", "name": self._name, "dtype": dtype, "size": self.size, "sha256": digest.hexdigest()}


def _exact_uniform(v: np.ndarray, name: str | None) -> UniformCoordinates1d | None:
    """The uniform grid whose values equal ``v`` exactly, if there is one."""
    if v.size < 2:
        return None
    props = _monotonic_properties(v)
    if not props[2]:
        return None
    try:
        if v.dtype.kind == "M":
            steps = np.diff(v)
            if not (steps == steps[0]).all():
                return None
            candidate = UniformCoordinates1d(v[0], v[-1], step=steps[0], name=name)
        else:
            candidate = UniformCoordinates1d(float(v[0]), float(v[-1]), size=int(v.size), name=name)
    except CoordinatesError:
        return None
    if candidate.size != v.size or not np.array_equal(candidate.coordinates, v):
        return None
    return candidate


def _near_uniform(v: np.ndarray, name: str | None) -> UniformCoordinates1d | None:
    """The uniform grid equal to ``v`` as ``__eq__`` compares them (exactly for times)."""
    if v.size == 1 and not (np.isnat(v[0]) if v.dtype.kind == "M" else not np.isfinite(v[0])):
        start = v[0] if v.dtype.kind == "M" else float(v[0])
        return UniformCoordinates1d(start, start, size=1, name=name)
    if v.dtype.kind == "M" or v.size < 2:
        return _exact_uniform(v, name)
    if not _monotonic_properties(v)[2]:
        return None
    try:
        grid = UniformCoordinates1d(float(v[0]), float(v[-1]), size=int(v.size), name=name)
    except CoordinatesError:
        return None
    return grid if grid._equal_values(ArrayCoordinates1d._new(v, name)) else None


class UniformCoordinates1d(Coordinates1d):
    """Uniformly spaced 1-D coordinates from ``start``, ``stop`` and ``step`` or ``size``.

    PODPAC semantics: ``start`` is kept, ``stop`` moves onto the grid (it is included when it
    lies on it), and a float step becomes ``(stop - start) / (size - 1)``. Times take a
    ``timedelta64`` step or a string such as ``"1,D"``; month and year steps are nominal (the
    day is clamped to the month's length). ``size=1`` requires ``start == stop``.
    """

    __slots__ = ("_start", "_stop", "_step", "_size", "_origin", "_values")

    def __init__(
        self,
        start: Any,
        stop: Any,
        step: Any = None,
        size: Any = None,
        name: str | None = None,
        *,
        max_size: int | None = None,
    ) -> None:
        self._name = _check_name(name)
        max_size = MAX_UNIFORM_SIZE if max_size is None else max_size
        if step is not None and size is not None:
            raise _err("give either step or size, not both", "step")
        if step is None and size is None:
            raise _err("step or size is required", "step")
        start_v = _to_value(start, "start")
        stop_v = _to_value(stop, "stop")
        is_time = isinstance(start_v, np.datetime64)
        if is_time != isinstance(stop_v, np.datetime64):
            raise _err("start and stop must both be numbers or both be datetimes", "stop")
        if size is not None:
            n = _check_size(size, max_size)
            step_v = _step_from_size(start_v, stop_v, n)
        else:
            n = None
            step_v = _to_delta(step, is_time, "step")
        if is_time:
            self._init_time(start_v, stop_v, step_v, max_size)  # type: ignore[arg-type]
        else:
            self._init_float(start_v, stop_v, step_v, max_size)  # type: ignore[arg-type]
        if n is not None and self._size != n:
            raise _err(f"cannot represent {n} points between {start!r} and {stop!r} in float64", "size")
        self._origin: tuple[Any, Any, int, int] | None = None
        self._values: np.ndarray | None = None

    # -- construction helpers ---------------------------------------------------------------
    def _init_float(self, start: float, stop: float, step: float, max_size: int) -> None:
        _check_step_sign(step, start, stop, step == 0.0)
        n = _float_size(start, stop, step, max_size)
        stop = start + (n - 1) * step
        if not math.isfinite(stop):
            raise _err("grid extends beyond the float64 range", "stop")
        n = _float_size(start, stop, step, max_size)
        if n > 1:
            step = (stop - start) / (n - 1)
            n = _float_size(start, stop, step, max_size)
        self._start, self._stop, self._step, self._size = start, stop, step, n

    def _init_time(self, start: np.datetime64, stop: np.datetime64, step: np.timedelta64, max_size: int) -> None:
        count = int(step.astype(np.int64))
        _check_step_sign(step, start, stop, count == 0)
        unit = _time_unit(step)
        if unit in _NOMINAL_UNITS:
            n = _checked_size(_month_span(start, stop, unit == "Y") / count, max_size)
            months = _checked_months(start, (n - 1) * count * (12 if unit == "Y" else 1))
            if _time_unit(start) in _NOMINAL_UNITS:
                stop = start + (n - 1) * step  # numpy's own calendar arithmetic, as in PODPAC
            else:
                stop = _add_months(start, np.array([months]))[0]
        else:
            base = _time_base(start, unit)
            fine = _finer_unit(_time_unit(base), _time_unit(stop), "D" if unit == "W" else unit)
            if not (_fits(start, fine) and _fits(stop, fine)):
                raise _err(f"dates out of range for a step in unit '{unit}'", "step")
            s_int, e_int = (int(v.astype(f"datetime64[{fine}]").astype(np.int64)) for v in (start, stop))
            d_int = int(step.astype(f"timedelta64[{fine}]").astype(np.int64))
            if abs(e_int - s_int) > _INT64_MAX:
                raise _err("start and stop are too far apart", "stop")
            _checked_size(float(e_int - s_int) / float(d_int), max_size)
            n = _exact_count(e_int - s_int, d_int) + 1
            if not _INT64_MIN <= s_int + (n - 1) * d_int <= _INT64_MAX:
                raise _err("grid extends beyond the datetime64 range", "stop")
            stop = base + (n - 1) * step
        self._start, self._stop, self._step, self._size = start, stop, step, n

    @classmethod
    def _from_origin(
        cls, template: UniformCoordinates1d, origin: tuple[Any, Any, int, int]
    ) -> UniformCoordinates1d:
        """``template``'s definition, with values taken exactly from a parent grid."""
        obj = cls.__new__(cls)
        obj._name = template._name
        obj._start, obj._stop, obj._step, obj._size = template._start, template._stop, template._step, template._size
        obj._origin = origin
        obj._values = None
        return obj

    # -- properties -------------------------------------------------------------------------
    @property
    def start(self) -> float | np.datetime64:
        return self._start

    @property
    def stop(self) -> float | np.datetime64:
        return self._stop

    @property
    def step(self) -> float | np.timedelta64:
        return self._step

    @property
    def size(self) -> int:
        return self._size

    @property
    def _is_time(self) -> bool:
        return isinstance(self._start, np.datetime64)

    @property
    def _nominal(self) -> bool:
        """Month or year steps (their values are not evenly spaced in time)."""
        return self._is_time and _time_unit(self._step) in _NOMINAL_UNITS

    @property
    def _calendar(self) -> bool:
        """Month or year steps from a day-or-finer start: added by calendar, day clamped."""
        return self._nominal and _time_unit(self._start) not in _NOMINAL_UNITS

    @property
    def dtype(self) -> np.dtype:
        return self._values_at(np.zeros(1, dtype=np.int64)).dtype

    @property
    def coordinates(self) -> np.ndarray:
        if self._values is None:
            self._values = _readonly(self._values_at(np.arange(self._size, dtype=np.int64)))
        return self._values

    def _grid(self) -> tuple[Any, Any, int, int]:
        if self._origin is not None:
            return self._origin
        base = _time_base(self._start, _time_unit(self._step)) if self._is_time else self._start
        return (base, self._step, 0, 1)

    def _values_at(self, index: np.ndarray) -> np.ndarray:
        """Values at positions ``index`` (int64 array) without building the whole grid."""
        base, step, offset, stride = self._grid()
        k = offset + index * stride
        if self._calendar:
            months = int(step.astype(np.int64)) * (12 if _time_unit(step) == "Y" else 1)
            return _add_months(base, k * months)
        return base + k * step  # PODPAC: start + arange(size) * step

    def _value_at(self, i: int) -> Any:
        return self._values_at(np.array([i], dtype=np.int64))[0]

    @property
    def is_uniform(self) -> bool:
        return True

    @property
    def is_monotonic(self) -> bool:
        return True

    @property
    def is_descending(self) -> bool | None:
        if self._size == 1:
            return None
        return bool(self._stop < self._start)

    @property
    def bounds(self) -> tuple[Any, Any]:
        lo, hi = self._value_at(0), self._value_at(self._size - 1)
        return (hi, lo) if hi < lo else (lo, hi)

    @property
    def definition(self) -> dict[str, Any]:
        if self._is_time:
            d: dict[str, Any] = {
                "start": _format_datetime(self._start),  # type: ignore[arg-type]
                "stop": _format_datetime(self._stop),  # type: ignore[arg-type]
                "step": _format_timedelta(self._step),  # type: ignore[arg-type]
            }
        else:
            d = {"start": self._start, "stop": self._stop, "step": self._step}
        if self._name is not None:
            d["name"] = self._name
        return d

    @property
    def exact_definition(self) -> dict[str, Any]:
        """PODPAC's definition plus ``origin`` ([base, step, offset, stride]): the values are
        ``base + (offset + i * stride) * step``, exactly as here, where start/stop/step alone could
        reload one ulp off (float grids only; time grids are integers and always exact)."""
        if self._is_time:
            return self.definition
        base, step, offset, stride = self._grid()
        return {**self.definition, "origin": [float(base), float(step), int(offset), int(stride)]}

    # -- methods ----------------------------------------------------------------------------
    def _renamed(self, name: str | None) -> UniformCoordinates1d:
        obj = UniformCoordinates1d._from_origin(self, self._origin)  # type: ignore[arg-type]
        obj._name = name
        obj._values = self._values
        return obj

    def _take(self, index: np.ndarray) -> ArrayCoordinates1d:
        if self._values is not None:
            return ArrayCoordinates1d._new(_readonly(self._values[index]), self._name)
        return ArrayCoordinates1d._new(_readonly(self._values_at(index)), self._name)

    def _slice(self, index: slice) -> Coordinates1d:
        r = range(self._size)[index]
        if len(r) == 0:
            return ArrayCoordinates1d._new(_readonly(np.zeros(0, dtype=self.dtype)), self._name)
        if len(r) == self._size and r.step == 1:
            return self
        base, step, offset, stride = self._grid()
        origin = (base, step, offset + r.start * stride, stride * r.step)
        first, last = self._value_at(r.start), self._value_at(r[-1])
        try:
            if len(r) == 1:
                template = UniformCoordinates1d(first, first, self._step * r.step, name=self._name)
            else:
                template = UniformCoordinates1d(first, last, self._step * r.step, name=self._name)
        except CoordinatesError:
            template = None
        if template is None or template._size != len(r):
            return self._take(np.arange(r.start, r.stop, r.step, dtype=np.int64))
        child = UniformCoordinates1d._from_origin(template, origin)
        if self._calendar and not np.array_equal(template.coordinates, child.coordinates):
            # e.g. Jan 31 + 1 month: a fresh grid from the clamped Feb 28 would drift
            return self._take(np.arange(r.start, r.stop, r.step, dtype=np.int64))
        return child

    def extend(self, before: int, after: int) -> Coordinates1d:
        """This grid with ``before`` more points at the start and ``after`` at the end.

        The values come from the same origin as this grid's, so points it shares with this grid,
        or with any slice of the same parent extended likewise, are bit-identical (tiled focal
        operations rely on that).
        """
        if before < 0 or after < 0:
            raise _err("extend takes non-negative counts", "extend")
        if before == after == 0:
            return self
        base, step, offset, stride = self._grid()
        origin = (base, step, offset - before * stride, stride)
        size = self._size + before + after
        probe = UniformCoordinates1d._from_origin(self, origin)
        first, last = probe._value_at(0), probe._value_at(size - 1)
        try:
            template = UniformCoordinates1d(first, last, size=size, name=self._name)
        except CoordinatesError:
            template = None
        if template is None or template._size != size or self._calendar:
            return ArrayCoordinates1d._new(_readonly(probe._values_at(np.arange(size, dtype=np.int64))), self._name)
        return UniformCoordinates1d._from_origin(template, origin)

    def _equal_values(self, other: Coordinates1d) -> bool:
        if isinstance(other, UniformCoordinates1d):
            return self._same_grid(other)
        return super()._equal_values(other)

    def _same_grid(self, other: UniformCoordinates1d) -> bool:
        if self._is_time:
            if self._start != other._start:
                return False
            if self._nominal or other._nominal:
                return bool(np.array_equal(self.coordinates, other.coordinates))
            return bool(self._step == other._step) or self._size == 1
        scale = abs(self._step) * self._size
        if not _close(self._start, other._start, scale):  # type: ignore[arg-type]
            return False
        return self._size == 1 or _close(self._step, other._step, 0.0)  # type: ignore[arg-type]

    def _canonical(self) -> dict[str, Any]:
        # start is exact (PODPAC anchors it); step is rounded because the float normalisation
        # can move it by an ulp when a definition is written and read back.
        d: dict[str, Any] = {"kind": "uniform", "name": self._name, "size": self._size}
        if self._is_time:
            d["start"] = _format_datetime(_canonical_time(np.array([self._start]))[0])
            d["step"] = None if self._size == 1 else _format_timedelta(_canonical_time(np.array([self._step]))[0])
        else:
            d["start"] = repr(self._start + 0.0)
            d["step"] = None if self._size == 1 else format(self._step + 0.0, ".12g")
        return d


def clinspace(start: Any, stop: Any, size: int, name: str | None = None) -> UniformCoordinates1d:
    """``size`` uniformly spaced coordinates from ``start`` to ``stop`` inclusive."""
    return UniformCoordinates1d(start, stop, size=size, name=name)


def crange(start: Any, stop: Any, step: Any, name: str | None = None) -> UniformCoordinates1d:
    """Coordinates from ``start`` by ``step``; ``stop`` is included when it lies on the grid."""
    return UniformCoordinates1d(start, stop, step=step, name=name)
