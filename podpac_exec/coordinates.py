"""Coordinates: PODPAC's coordinate model (1-D, stacked and multidimensional) and its JSON.

Values follow PODPAC 4.0.5 exactly for the same JSON: numbers are float64, times are numpy
``datetime64`` in the unit numpy infers from the text (``"2018-01-01"`` -> ``[D]``,
``"2018-01-01T12:00"`` -> ``[m]``), as PODPAC does, so JSON written back is byte-identical.
Uniform grids are ``start + arange(size) * step`` after PODPAC's normalisation (start anchored,
stop moved onto the grid, float step recomputed as ``(stop - start) / (size - 1)``).

All objects are immutable; coordinate arrays are read-only and shared between slices.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import numbers
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Union

import numpy as np

from podpac_exec import crs as _crs_mod
from podpac_exec.errors import CoordinatesError

__all__ = [
    "DEFAULT_CRS",
    "VALID_DIMS",
    "MAX_UNIFORM_SIZE",
    "Coordinates1d",
    "UniformCoordinates1d",
    "ArrayCoordinates1d",
    "StackedCoordinates",
    "Coordinates",
    "DimensionNotFoundError",
    "clinspace",
    "crange",
]

DEFAULT_CRS = "+proj=longlat +datum=WGS84 +no_defs +vunits=m"
VALID_DIMS = ("lat", "lon", "alt", "time")
#: A uniform definition implying more points than this raises instead of allocating.
MAX_UNIFORM_SIZE = 2**40

_TIME_UNITS = ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns")
_NOMINAL_UNITS = ("Y", "M")
# finer unit to retry with when a time span does not divide evenly (PODPAC's chain)
_ZOOM = {"Y": "D", "D": "h", "h": "m", "m": "s", "s": "ms", "ms": "us", "us": "ns"}
_DELTA_RE = re.compile(r"^\s*([+-]?\d{1,19})\s*,\s*(Y|M|W|D|h|m|s|ms|us|ns)\s*$")
_INT64_MIN = -(2**63) + 1  # int64 min is NaT
_INT64_MAX = 2**63 - 1
_EQ_RTOL = 1e-12

Index = Union[int, slice, Sequence[int], np.ndarray]


class DimensionNotFoundError(CoordinatesError, KeyError):
    """A dimension name is not in these coordinates (a ``KeyError`` too, for dict-like use)."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return CoordinatesError.__str__(self)


def _err(message: str, field: str | None = None) -> CoordinatesError:
    return CoordinatesError(message, field=field)


def _join_field(prefix: str | None, field: str | None) -> str | None:
    if not prefix:
        return field
    if not field:
        return prefix
    return prefix + field if field.startswith("[") else f"{prefix}.{field}"


def _reraise(e: CoordinatesError, prefix: str) -> CoordinatesError:
    """The same error with ``prefix`` prepended to its field."""
    return CoordinatesError(e.message, field=_join_field(prefix, e.field))


# ----------------------------------------------------------------------------------------------
# scalar parsing and formatting
# ----------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (numbers.Real, np.number)) and not isinstance(
        value, (bool, np.bool_, np.datetime64, np.timedelta64)
    )


def _is_timeish(value: Any) -> bool:
    return isinstance(value, (str, np.datetime64, datetime.date)) or hasattr(value, "to_datetime64")


def _to_float(value: Any, field: str | None, finite: bool) -> float:
    try:
        out = float(value)
    except (OverflowError, ValueError, TypeError):
        raise _err(f"number out of range: {value!r}", field) from None
    if finite and not math.isfinite(out):
        raise _err(f"must be a finite number, got {value!r}", field)
    return out


def _clean_datetime_string(s: str, field: str | None) -> str:
    text = s.strip()
    if text.lower() in ("now", "today", ""):
        raise _err(f"invalid datetime {s!r} (an ISO 8601 date or datetime is required)", field)
    if text.endswith(("Z", "z")):
        text = text[:-1]
    return text


def _parse_datetime_strings(values: Sequence[str] | np.ndarray, field: str | None) -> np.ndarray:
    """Parse ISO strings into one datetime64 array (unit inferred by numpy, as PODPAC does)."""
    cleaned = [_clean_datetime_string(str(s), field) for s in values]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return np.array(cleaned, dtype="datetime64")
    except Exception:
        bad = _first_bad_datetime(cleaned)
        raise _err(f"invalid datetime {bad!r} (ISO 8601 without a timezone offset, or 'Z')", field) from None


def _first_bad_datetime(values: list[str]) -> str:
    for s in values:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                np.datetime64(s)
        except Exception:
            return s
    return values[0] if values else ""


def _to_datetime64(value: Any, field: str | None) -> np.datetime64:
    if isinstance(value, np.datetime64):
        out = value
    elif hasattr(value, "to_datetime64"):  # pandas Timestamp
        out = value.to_datetime64()
    elif isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        out = np.datetime64(value)
    elif isinstance(value, datetime.date):
        out = np.datetime64(value)
    elif isinstance(value, str):
        out = _parse_datetime_strings([value], field)[0]
    else:
        raise _err(f"must be a number or an ISO datetime string, got {type(value).__name__}", field)
    if np.datetime_data(out.dtype)[0] == "generic":
        raise _err(f"datetime without a unit: {value!r}", field)
    return out


def _to_value(value: Any, field: str | None) -> float | np.datetime64:
    """A start/stop value: a finite float or a datetime64 (not NaT)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if _is_number(value):
        return _to_float(value, field, finite=True)
    if _is_timeish(value):
        out = _to_datetime64(value, field)
        if np.isnat(out):
            raise _err("must not be NaT", field)
        return out
    raise _err(f"must be a number or an ISO datetime string, got {type(value).__name__}", field)


def _to_delta(value: Any, is_time: bool, field: str | None) -> float | np.timedelta64:
    """A step: a float for numeric coordinates, a timedelta64 (``"1,D"``) for times."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if not is_time:
        if not _is_number(value):
            raise _err(f"must be a number for numeric coordinates, got {value!r}", field)
        return _to_float(value, field, finite=True)
    if isinstance(value, str):
        m = _DELTA_RE.match(value)
        if not m:
            raise _err(f"invalid time step {value!r} (expected '<int>,<unit>' such as '1,D')", field)
        count = int(m.group(1))
        if not _INT64_MIN <= count <= _INT64_MAX:
            raise _err(f"time step out of range: {value!r}", field)
        return np.timedelta64(count, m.group(2))
    if hasattr(value, "to_timedelta64"):  # pandas Timedelta
        value = value.to_timedelta64()
    if isinstance(value, datetime.timedelta):
        return np.timedelta64(value)
    if isinstance(value, np.timedelta64):
        if np.isnat(value) or np.datetime_data(value.dtype)[0] not in _TIME_UNITS:
            raise _err(f"invalid time step {value!r}", field)
        return value
    raise _err(f"must be a time step such as '1,D' for time coordinates, got {value!r}", field)


def _time_unit(value: np.datetime64 | np.timedelta64 | np.ndarray) -> str:
    return np.datetime_data(value.dtype)[0]


def _format_timedelta(delta: np.timedelta64) -> str:
    return "%d,%s" % (int(delta.astype(np.int64)), _time_unit(delta))


def _format_datetime(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value))


def _fits(value: np.datetime64, unit: str) -> bool:
    """Whether ``value`` is representable in ``unit`` (numpy overflows silently)."""
    with np.errstate(all="ignore"):
        converted = value.astype(f"datetime64[{unit}]")
        return (not np.isnat(converted)) and converted.astype(value.dtype) == value


def _finer_unit(*units: str) -> str:
    return max(units, key=_TIME_UNITS.index)


def _canonical_time(a: np.ndarray) -> np.ndarray:
    """``a`` in the coarsest unit that holds every value exactly, so equal times match.

    Datetimes may go down to years (``2018-01-01[D]`` -> ``2018[Y]``); month and year deltas
    are nominal, so they only normalise among themselves (``1,Y`` -> ``12,M``).
    """
    own = _time_unit(a)
    if a.dtype.kind == "m":
        if own in _NOMINAL_UNITS:
            return a.astype("timedelta64[M]")
        candidates = [u for u in _TIME_UNITS[: _TIME_UNITS.index(own)] if u not in _NOMINAL_UNITS]
    else:
        candidates = list(_TIME_UNITS[: _TIME_UNITS.index(own)])
    valid = a[~np.isnat(a)]
    kind = "datetime64" if a.dtype.kind == "M" else "timedelta64"
    for unit in candidates:
        with np.errstate(all="ignore"):
            converted = a.astype(f"{kind}[{unit}]")
            if np.array_equal(converted[~np.isnat(a)].astype(a.dtype), valid):
                return converted
    return a


# ----------------------------------------------------------------------------------------------
# arrays
# ----------------------------------------------------------------------------------------------


def _to_coord_array(values: Any, field: str | None) -> np.ndarray:
    """A new read-only 1-D float64 or datetime64 array from array-like ``values``."""
    if isinstance(values, (list, tuple)):
        a = _list_to_array(values, field)
    else:
        if hasattr(values, "values") and not isinstance(values, np.ndarray) and not callable(values.values):
            values = values.values  # pandas / xarray containers
        try:
            a = np.array(values, copy=True)
        except Exception:
            raise _err("values must be numbers or ISO datetime strings", field) from None
        a = _array_from_numpy(a, field)
    if a.ndim == 0:
        a = a.reshape(1)
    if a.ndim != 1:
        raise _err(f"values must be 1-D, got {a.ndim} dimensions", field)
    a.setflags(write=False)
    return a


def _list_to_array(values: Sequence[Any], field: str | None) -> np.ndarray:
    if len(values) == 0:
        return np.zeros(0, dtype=np.float64)
    kinds = set(map(type, values))
    if kinds <= {float, int}:  # the JSON case, vectorised (bool is its own type)
        try:
            return np.array(values, dtype=np.float64)
        except OverflowError:
            pass  # an int beyond float64: the loop below names it
    for i, v in enumerate(values):
        if isinstance(v, (list, tuple, dict, np.ndarray)):
            raise _err("values must be 1-D (a flat list of numbers or datetimes)", _join_field(field, f"[{i}]"))
    if all(_is_number(v) for v in values):
        return np.array([_to_float(v, _join_field(field, f"[{i}]"), False) for i, v in enumerate(values)])
    if kinds <= {str}:
        return _parse_datetime_strings(values, field)
    if all(_is_timeish(v) for v in values):
        return np.array([_to_datetime64(v, field) for v in values])
    names = sorted(k.__name__ for k in kinds)
    raise _err(f"values must be all numbers or all ISO datetime strings, got {', '.join(names)}", field)


def _array_from_numpy(a: np.ndarray, field: str | None) -> np.ndarray:
    kind = a.dtype.kind
    if kind == "f":
        return a.astype(np.float64, copy=False)
    if kind in "iu":
        return a.astype(np.float64)
    if kind == "M":
        if np.datetime_data(a.dtype)[0] == "generic":
            raise _err("datetime values without a unit", field)
        return a
    if kind in "US":
        return _parse_datetime_strings(a.astype(str).ravel(), field).reshape(a.shape)
    if kind == "O":
        flat = a.ravel().tolist()
        return _list_to_array(flat, field).reshape(a.shape) if flat else np.zeros(a.shape, np.float64)
    raise _err(f"values must be numbers or datetimes, got dtype {a.dtype}", field)


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


# ----------------------------------------------------------------------------------------------
# 1-D coordinates
# ----------------------------------------------------------------------------------------------


def _check_name(name: Any, field: str | None = "name") -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or name not in VALID_DIMS:
        raise _err(f"invalid dimension name {name!r} (valid names: {', '.join(VALID_DIMS)})", field)
    return name


class Coordinates1d:
    """Base of the 1-D coordinate kinds: one named dimension of float or datetime64 values."""

    __slots__ = ("_name", "__weakref__")

    _name: str | None

    # -- abstract ---------------------------------------------------------------------------
    @property
    def coordinates(self) -> np.ndarray:
        """Read-only 1-D array of the values (float64 or datetime64)."""
        raise NotImplementedError

    @property
    def size(self) -> int:
        raise NotImplementedError

    @property
    def dtype(self) -> np.dtype:
        """numpy dtype of ``coordinates`` (``float64`` or ``datetime64[unit]``)."""
        raise NotImplementedError

    @property
    def is_uniform(self) -> bool | None:
        raise NotImplementedError

    @property
    def is_monotonic(self) -> bool | None:
        raise NotImplementedError

    @property
    def is_descending(self) -> bool | None:
        raise NotImplementedError

    @property
    def bounds(self) -> tuple[Any, Any]:
        raise NotImplementedError

    @property
    def definition(self) -> dict[str, Any]:
        raise NotImplementedError

    def _renamed(self, name: str | None) -> Coordinates1d:
        raise NotImplementedError

    def _take(self, index: np.ndarray) -> ArrayCoordinates1d:
        raise NotImplementedError

    def _slice(self, index: slice) -> Coordinates1d:
        raise NotImplementedError

    def _canonical(self) -> dict[str, Any]:
        raise NotImplementedError

    # -- common -----------------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """Dimension name, one of :data:`VALID_DIMS` (``None`` until named)."""
        return self._name

    @property
    def dims(self) -> tuple[str, ...]:
        return (self._require_name(),)

    @property
    def udims(self) -> tuple[str, ...]:
        return self.dims

    @property
    def ndim(self) -> int:
        return 1

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    @property
    def is_datetime(self) -> bool:
        return self.dtype.kind == "M"

    @property
    def full_definition(self) -> dict[str, Any]:
        return self.definition

    @property
    def exact_definition(self) -> dict[str, Any]:
        """A definition that reloads to bit-identical values (see ``Coordinates.exact_definition``)."""
        return self.definition

    @property
    def xcoords(self) -> dict[str, Any]:
        return {self._require_name(): self.coordinates}

    def __setstate__(self, state: Any) -> None:
        _restore_slots(self, state)

    def _require_name(self) -> str:
        if self._name is None:
            raise _err(f"{type(self).__name__} has no name")
        return self._name

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: Index) -> Coordinates1d:
        if isinstance(index, slice):
            return self._slice(index)
        if isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_)):
            i = int(index)
            if not -self.size <= i < self.size:
                raise CoordinatesIndexError(f"index {i} out of range for size {self.size}")
            return self._take(np.array([i % self.size]))
        return self._take(_index_array(index, self.size))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Coordinates1d):
            return NotImplemented
        if self._name != other._name or self.size != other.size or self.is_datetime != other.is_datetime:
            return False
        return _values_equal(self, other)

    __hash__ = None  # type: ignore[assignment]  # __eq__ has a float tolerance; use Coordinates.hash

    def __repr__(self) -> str:
        label = f"{type(self).__name__}({self._name})" if self._name else type(self).__name__
        lo, hi = self.bounds if self.size else ("nan", "nan")
        return f"{label}: Bounds[{_fmt_scalar(lo)}, {_fmt_scalar(hi)}], N[{self.size}]"


def _restore_slots(obj: Any, state: Any) -> None:
    """Unpickle a slotted object, keeping its arrays read-only."""
    slots = state[1] if isinstance(state, tuple) else state
    for key, value in (slots or {}).items():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)
        object.__setattr__(obj, key, value)


class CoordinatesIndexError(CoordinatesError, IndexError):
    """An index is out of range for the coordinates."""


def _fmt_scalar(v: Any) -> str:
    if isinstance(v, np.datetime64):
        return _format_datetime(v)
    return str(float(v)) if _is_number(v) else str(v)


def _index_array(index: Any, size: int) -> np.ndarray:
    """An int64 index array from an int sequence or a bool mask."""
    try:
        a = np.asarray(index)
    except Exception:
        raise CoordinatesIndexError(f"invalid index {index!r}") from None
    if a.ndim != 1:
        raise CoordinatesIndexError(f"index must be 1-D, got {a.ndim} dimensions")
    if a.dtype.kind == "b":
        if a.size != size:
            raise CoordinatesIndexError(f"boolean index of size {a.size} for coordinates of size {size}")
        return np.flatnonzero(a)
    if a.size == 0:
        return np.zeros(0, dtype=np.int64)
    if a.dtype.kind not in "iu":
        raise CoordinatesIndexError(f"index must be integers or booleans, got dtype {a.dtype}")
    a = a.astype(np.int64)
    if a.min() < -size or a.max() >= size:
        raise CoordinatesIndexError(f"index out of range for size {size}")
    return np.where(a < 0, a + size, a)


def _values_equal(a: Coordinates1d, b: Coordinates1d) -> bool:
    if isinstance(a, UniformCoordinates1d) and isinstance(b, UniformCoordinates1d):
        return a._same_grid(b)
    x, y = a.coordinates, b.coordinates
    if a.is_datetime:
        nat = np.isnat(x)
        return bool(np.array_equal(nat, np.isnat(y)) and np.array_equal(x[~nat], y[~nat]))
    if isinstance(a, ArrayCoordinates1d) and isinstance(b, ArrayCoordinates1d):
        return bool(np.array_equal(x, y, equal_nan=True))
    # a uniform grid and explicit values: equal up to rounding of the grid arithmetic
    scale = max(np.abs(x).max(initial=0.0), np.abs(y).max(initial=0.0))
    return bool(np.allclose(x, y, rtol=_EQ_RTOL, atol=_EQ_RTOL * scale, equal_nan=True))


def _close(a: float, b: float, scale: float) -> bool:
    return a == b or abs(a - b) <= _EQ_RTOL * max(abs(a), abs(b), scale)


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


def _monotonic_properties(v: np.ndarray) -> tuple[bool | None, bool | None, bool | None]:
    if v.size == 0:
        return (None, None, None)
    if v.size == 1:
        return (True, None, None)
    if (np.isnat(v) if v.dtype.kind == "M" else np.isnan(v)).any():
        return (False, False, False)
    deltas = np.diff(v).astype(np.float64)
    if deltas[0] < 0:
        deltas = -deltas
    if np.any(deltas <= 0):
        return (False, False, False)
    descending = bool(v[1] < v[0])
    return (True, descending, bool(np.allclose(deltas, deltas[0])))


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
    return grid if _values_equal(grid, ArrayCoordinates1d._new(v, name)) else None


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


def _check_size(size: Any, max_size: int) -> int:
    if isinstance(size, (bool, np.bool_)) or not isinstance(size, (int, np.integer)):
        raise _err(f"must be a positive integer, got {size!r}", "size")
    n = int(size)
    if n <= 0:
        raise _err(f"must be a positive integer, got {n}", "size")
    if n > max_size:
        raise _err(f"{n} points exceeds the maximum of {max_size}", "size")
    return n


def _step_from_size(start: Any, stop: Any, n: int) -> float | np.timedelta64:
    if n == 1:
        if start != stop:
            raise _err("size 1 requires start == stop", "size")
        return np.timedelta64(1, _time_unit(start)) if isinstance(start, np.datetime64) else 1.0
    if start == stop:
        raise _err(f"start and stop are equal, so size must be 1, got {n}", "size")
    if isinstance(start, np.datetime64):
        return _divide_timedelta(stop - start, n - 1)
    step = (stop - start) / (n - 1)
    if not math.isfinite(step):
        raise _err("start and stop are too far apart", "stop")
    return step


def _divide_timedelta(delta: np.timedelta64, divisor: int) -> np.timedelta64:
    """``delta / divisor`` exactly, moving to a finer unit when needed (PODPAC's rule)."""
    while True:
        count = int(delta.astype(np.int64))
        if count % divisor == 0:
            return np.timedelta64(count // divisor, _time_unit(delta))
        finer = _ZOOM.get(_time_unit(delta))
        if finer is None:
            break
        with np.errstate(all="ignore"):
            converted = delta.astype(f"timedelta64[{finer}]")
        if np.isnat(converted) or converted.astype(delta.dtype) != delta:
            break  # the finer unit overflows
        delta = converted
    raise _err(f"cannot divide {_format_timedelta(delta)} evenly into {divisor} steps", "size")


def _check_step_sign(step: Any, start: Any, stop: Any, is_zero: bool) -> None:
    if is_zero:
        raise _err("must not be zero", "step")
    positive = step > 0 if isinstance(step, float) else int(step.astype(np.int64)) > 0
    if positive and start > stop:
        raise _err("must be negative when start > stop", "step")
    if not positive and start < stop:
        raise _err("must be positive when start < stop", "step")


def _checked_size(quotient: float, max_size: int) -> int:
    """PODPAC's point count ``floor(range / step + 1e-10) + 1``, capped."""
    if not math.isfinite(quotient):
        raise _err("start, stop and step do not define a finite grid", "step")
    if quotient + 1 > max_size:
        raise _err(f"grid of about {quotient + 1:.4g} points exceeds the maximum of {max_size}", "step")
    # PODPAC's 1e-10 tolerance, widened to a few ulps where 1e-10 is below float64 resolution
    return max(0, int(math.floor(quotient + max(1e-10, abs(quotient) * 2.0**-50))) + 1)


def _float_size(start: float, stop: float, step: float, max_size: int) -> int:
    return _checked_size((stop - start) / step, max_size)


def _exact_count(span: int, step: int) -> int:
    """``floor(span / step + 1e-10)`` in exact integer arithmetic (span and step share a sign).

    PODPAC divides in float64, which miscounts spans beyond 2**53 units; exact counting gives the
    same answer wherever float64 is exact and keeps long grids stable through JSON.
    """
    span, step = abs(span), abs(step)
    return (span * 10**10 + step) // (step * 10**10)


def _time_base(start: np.datetime64, step_unit: str) -> np.datetime64:
    """``start`` in a unit numpy can add a ``step_unit`` step to (a Y/M start with a day step)."""
    if _time_unit(start) in _NOMINAL_UNITS and step_unit not in _NOMINAL_UNITS:
        return start.astype(f"datetime64[{_finer_unit('D', step_unit)}]")
    return start


def _month_span(start: np.datetime64, stop: np.datetime64, years: bool) -> int:
    """Whole years or months from start to stop, as PODPAC counts them (days ignored)."""
    sy, sm = _year_month(start)
    ey, em = _year_month(stop)
    if years:
        dyear = ey - sy
        if dyear > 0 and em < sm:
            dyear -= 1
        return dyear
    return 12 * (ey - sy) + (em - sm)


def _year_month(value: np.datetime64) -> tuple[int, int]:
    months = int(value.astype("datetime64[M]").astype(np.int64))
    return 1970 + months // 12, months % 12 + 1


_MAX_MONTHS = 290_000 * 12  # datetime64[us] spans about +-292,000 years around 1970


def _checked_months(start: np.datetime64, months: int) -> int:
    """``months`` if ``start + months`` stays within the datetime64[us] range."""
    base = int(start.astype("datetime64[M]").astype(np.int64))
    if abs(base) > _MAX_MONTHS or abs(base + months) > _MAX_MONTHS:
        raise _err("grid extends beyond the datetime64 range", "stop")
    return months


def _add_months(base: np.datetime64, months: np.ndarray) -> np.ndarray:
    """``base`` plus whole months, day clamped to the month's length.

    The result is ``datetime64[us]`` as in PODPAC (``[ns]`` for a nanosecond ``base``).
    """
    coarser_than_us = _TIME_UNITS.index(_time_unit(base)) < _TIME_UNITS.index("us")
    if coarser_than_us and not _fits(base, "us"):
        raise _err("date out of range", "start")
    base_us = base.astype("datetime64[us]")
    month0 = base_us.astype("datetime64[M]")
    day0 = base_us.astype("datetime64[D]")
    day_index = (day0 - month0.astype("datetime64[D]")).astype(np.int64)
    time_of_day = base_us - day0.astype("datetime64[us]")
    target = month0 + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    month_len = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    day = np.minimum(day_index, month_len - 1).astype("timedelta64[D]")
    out = (target.astype("datetime64[D]") + day).astype("datetime64[us]") + time_of_day
    if _time_unit(base) != "ns":
        return out
    with np.errstate(all="ignore"):
        out_ns = out.astype("datetime64[ns]")
    if not np.array_equal(out_ns.astype("datetime64[us]"), out):
        raise _err("grid extends beyond the datetime64[ns] range", "stop")
    return out_ns + (base - base_us.astype("datetime64[ns]"))


def clinspace(start: Any, stop: Any, size: int, name: str | None = None) -> UniformCoordinates1d:
    """``size`` uniformly spaced coordinates from ``start`` to ``stop`` inclusive."""
    return UniformCoordinates1d(start, stop, size=size, name=name)


def crange(start: Any, stop: Any, step: Any, name: str | None = None) -> UniformCoordinates1d:
    """Coordinates from ``start`` by ``step``; ``stop`` is included when it lies on the grid."""
    return UniformCoordinates1d(start, stop, step=step, name=name)


# ----------------------------------------------------------------------------------------------
# stacked coordinates
# ----------------------------------------------------------------------------------------------


class StackedCoordinates:
    """Two or more 1-D coordinates of equal size forming one dimension of points (``lat_lon``)."""

    __slots__ = ("_coords", "__weakref__")

    def __init__(self, coords: Sequence[Any], name: str | None = None) -> None:
        if not isinstance(coords, (list, tuple)):
            raise _err(f"stacked coordinates need a list of 1-D coordinates, got {type(coords).__name__}")
        if len(coords) < 2:
            raise _err(f"stacked coordinates need at least 2 members, got {len(coords)}")
        names: list[str | None] = [None] * len(coords)
        if name is not None:
            names = list(_split_stacked_name(name, len(coords)))
        members = []
        for i, (c, dim) in enumerate(zip(coords, names)):
            try:
                members.append(_as_coordinates1d(c, dim))
            except CoordinatesError as e:
                raise _reraise(e, f"[{i}]") from None
        self._coords: tuple[Coordinates1d, ...] = tuple(members)
        _validate_stacked(self._coords)

    @classmethod
    def _new(cls, coords: tuple[Coordinates1d, ...]) -> StackedCoordinates:
        obj = cls.__new__(cls)
        obj._coords = coords
        return obj

    @property
    def name(self) -> str | None:
        """``"lat_lon"``; ``None`` while a member is unnamed."""
        if any(c.name is None for c in self._coords):
            return None
        return "_".join(self.udims)

    @property
    def udims(self) -> tuple[str, ...]:
        return tuple(c._require_name() for c in self._coords)

    @property
    def dims(self) -> tuple[str, ...]:
        """The member names, as PODPAC's ``StackedCoordinates.dims``."""
        return self.udims

    @property
    def size(self) -> int:
        return self._coords[0].size

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    @property
    def ndim(self) -> int:
        return 1

    @property
    def definition(self) -> list[dict[str, Any]]:
        return [c.definition for c in self._coords]

    @property
    def full_definition(self) -> list[dict[str, Any]]:
        return self.definition

    @property
    def exact_definition(self) -> list[dict[str, Any]]:
        return [c.exact_definition for c in self._coords]

    @property
    def bounds(self) -> dict[str, tuple[Any, Any]]:
        return {c._require_name(): c.bounds for c in self._coords}

    @property
    def xcoords(self) -> dict[str, Any]:
        name = "_".join(self.udims)
        return {c._require_name(): (name, c.coordinates) for c in self._coords}

    def __iter__(self) -> Iterator[Coordinates1d]:
        return iter(self._coords)

    def __len__(self) -> int:
        return len(self._coords)

    def __contains__(self, dim: object) -> bool:
        return dim in self.udims

    def __getitem__(self, index: str | Index) -> Any:
        if isinstance(index, str):
            for c in self._coords:
                if c.name == index:
                    return c
            raise DimensionNotFoundError(f"dimension '{index}' not in stacked dims {self.udims}")
        if isinstance(index, (int, np.integer)) or isinstance(index, slice):
            return StackedCoordinates._new(tuple(c[index] for c in self._coords))
        idx = _index_array(index, self.size)
        return StackedCoordinates._new(tuple(c._take(idx) for c in self._coords))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StackedCoordinates):
            return NotImplemented
        return len(self._coords) == len(other._coords) and all(a == b for a, b in zip(self._coords, other._coords))

    __hash__ = None  # type: ignore[assignment]  # see Coordinates1d

    def transpose(self, *dims: str) -> StackedCoordinates:
        if sorted(dims) != sorted(self.udims):
            raise _err(f"invalid order {dims} for stacked dims {self.udims}")
        return StackedCoordinates._new(tuple(self[d] for d in dims))

    def _renamed(self, name: str | None) -> StackedCoordinates:
        if name is None:
            return self
        names = _split_stacked_name(name, len(self._coords))
        members = tuple(_as_coordinates1d(c, dim) for c, dim in zip(self._coords, names))
        return StackedCoordinates._new(members)

    def _canonical(self) -> list[dict[str, Any]]:
        return [c._canonical() for c in self._coords]

    def __repr__(self) -> str:
        name = "_".join(c.name or "?" for c in self._coords)
        return "StackedCoordinates" + "".join(f"\n\t{name}[{c.name or '?'}]: {c}" for c in self._coords)


def _split_stacked_name(name: Any, count: int) -> tuple[str, ...]:
    if not isinstance(name, str):
        raise _err(f"stacked name must be a string such as 'lat_lon', got {name!r}", "name")
    parts = tuple(name.split("_"))
    if len(parts) != count:
        raise _err(f"stacked name '{name}' has {len(parts)} parts for {count} members", "name")
    for p in parts:
        _check_name(p, "name")
    return parts


def _as_coordinates1d(c: Any, name: str | None) -> Coordinates1d:
    """``c`` as named 1-D coordinates (array-likes become ArrayCoordinates1d)."""
    if isinstance(c, StackedCoordinates):
        raise _err("stacked coordinates cannot be nested")
    if not isinstance(c, Coordinates1d):
        return ArrayCoordinates1d(c, name=name)
    if name is not None and c.name is not None and c.name != name:
        raise _err(f"name '{c.name}' does not match dimension '{name}'", "name")
    return c if name is None or c.name == name else c._renamed(name)


def _validate_stacked(coords: tuple[Coordinates1d, ...]) -> None:
    sizes = [c.size for c in coords]
    for i, c in enumerate(coords):
        if c.size != sizes[0]:
            raise _err(f"stacked members must have the same size, got sizes {sizes}", f"[{i}].size")
    names = [c.name for c in coords]
    for i, n in enumerate(names):
        if n is not None and n in names[:i]:
            raise _err(f"duplicate dimension '{n}' in stacked coordinates", f"[{i}].name")


# ----------------------------------------------------------------------------------------------
# multidimensional coordinates
# ----------------------------------------------------------------------------------------------

Member = Union[Coordinates1d, StackedCoordinates]


class Coordinates:
    """Multidimensional coordinates: an ordered set of 1-D or stacked dimensions plus a CRS.

    ``Coordinates([clinspace(-45, 45, 4, "lat"), ...])`` or PODPAC style
    ``Coordinates([[lats, lons], times], dims=["lat_lon", "time"])``.
    """

    __slots__ = ("_coords", "_crs", "_hash", "_dims", "__weakref__")

    def __init__(self, coords: Sequence[Any], dims: Sequence[Any] | None = None, crs: str | None = None) -> None:
        if isinstance(coords, (str, bytes, Mapping)) or not isinstance(coords, (list, tuple)):
            raise _err(f"must be a list of coordinates, got {type(coords).__name__}", "coords")
        if dims is not None:
            if isinstance(dims, (str, bytes)) or not isinstance(dims, (list, tuple)):
                raise _err(f"must be a list of dimension names, got {type(dims).__name__}", "dims")
            if len(dims) != len(coords):
                raise _err(f"{len(dims)} names for {len(coords)} coordinates", "dims")
        members = []
        for i, item in enumerate(coords):
            dim = None if dims is None else dims[i]
            try:
                members.append(_make_member(item, dim))
            except CoordinatesError as e:
                raise _reraise(e, f"coords[{i}]") from None
        self._coords: tuple[Member, ...] = tuple(members)
        self._crs = _check_crs(crs)
        self._hash: str | None = None
        _check_unique_dims(self._coords)

    @classmethod
    def _new(cls, coords: tuple[Member, ...], crs: str) -> Coordinates:
        obj = cls.__new__(cls)
        obj._coords = coords
        obj._crs = crs
        obj._hash = None
        return obj

    # -- alternate constructors ---------------------------------------------------------------
    @classmethod
    def from_json(cls, s: str | bytes, *, max_size: int | None = None) -> Coordinates:
        """Coordinates from PODPAC coordinates JSON (``{"coords": [...], "crs": ...}`` or a list)."""
        if not isinstance(s, (str, bytes, bytearray)):
            raise _err(f"coordinates JSON must be a string, got {type(s).__name__}", "coordinates")
        try:
            d = json.loads(s)
        except (ValueError, RecursionError) as e:
            raise _err(f"malformed JSON: {e}", "coordinates") from None
        return cls.from_definition(d, max_size=max_size)

    @classmethod
    def from_definition(cls, d: Any, *, max_size: int | None = None) -> Coordinates:
        """Coordinates from a parsed definition: ``{"coords": [...], "crs": ...}`` or a bare list.

        ``max_size`` caps the points of any uniform item (default :data:`MAX_UNIFORM_SIZE`).
        """
        if isinstance(d, (list, tuple)):
            items, crs = d, None
        elif isinstance(d, Mapping):
            unknown = sorted(str(k) for k in d if k not in ("coords", "crs"))
            if unknown:
                raise _err(f"unknown keys {unknown} (allowed: coords, crs)", "coordinates")
            if "coords" not in d:
                raise _err("'coords' is required", "coordinates")
            items, crs = d["coords"], d.get("crs")
            if not isinstance(items, (list, tuple)):
                raise _err(f"must be a list, got {type(items).__name__}", "coords")
        else:
            raise _err(f"must be an object with 'coords' or a list, got {type(d).__name__}", "coordinates")
        members = [_member_from_definition(item, f"coords[{i}]", max_size) for i, item in enumerate(items)]
        if crs is not None and not isinstance(crs, str):
            raise _err(f"must be a string, got {type(crs).__name__}", "crs")
        return cls(members, crs=crs)

    @classmethod
    def from_xarray(cls, obj: Any, crs: str | None = None) -> Coordinates:
        """Coordinates of an xarray DataArray, Dataset or coordinates object.

        A stacked dim is either a pandas MultiIndex or (as :attr:`xcoords` writes it) a dim such
        as ``lat_lon`` with non-index coordinates ``lat`` and ``lon`` along it. A dim named
        ``output`` (PODPAC's multi-output dim) is skipped. Evenly spaced values become
        :class:`UniformCoordinates1d` only when that reproduces them exactly.
        """
        xcoords, attrs = _xarray_parts(obj)
        if crs is None:
            crs = attrs.get("crs")
        members: list[Member] = []
        for dim in _xarray_dims(obj):
            if dim == "output":
                continue
            members.append(_member_from_xarray(xcoords, str(dim)))
        return cls(members, crs=crs)

    # -- properties ---------------------------------------------------------------------------
    @property
    def dims(self) -> tuple[str, ...]:
        try:
            return self._dims
        except AttributeError:  # computed once: coordinates are immutable, and nodes ask often
            self._dims: tuple[str, ...] = tuple(_member_name(c) for c in self._coords)
            return self._dims

    @property
    def udims(self) -> tuple[str, ...]:
        return tuple(u for c in self._coords for u in c.udims)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(c.size for c in self._coords)

    @property
    def size(self) -> int:
        """Number of points (``1`` for no dims, like a 0-d array; PODPAC says 0)."""
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self._coords)

    @property
    def crs(self) -> str:
        return self._crs

    @property
    def definition(self) -> list[Any]:
        """PODPAC's coords list."""
        return [c.definition for c in self._coords]

    @property
    def full_definition(self) -> dict[str, Any]:
        return {"coords": self.definition, "crs": self._crs}

    @property
    def exact_definition(self) -> dict[str, Any]:
        """Like :attr:`full_definition`, but float uniform dims carry their ``origin`` so the
        values reload bit for bit. Used on the wire between the client and remote workers (tiles
        of a request must evaluate at exactly the request's values); not a PODPAC format."""
        return {"coords": [c.exact_definition for c in self._coords], "crs": self._crs}

    @property
    def json(self) -> str:
        """Compact PODPAC JSON, byte-identical to what PODPAC writes for the same coordinates."""
        return json.dumps(self.full_definition, separators=(",", ":"))

    @property
    def hash(self) -> str:
        """sha256 hex of a canonical form (key order, units and ``-0.0`` do not matter)."""
        if self._hash is None:
            canon = {"coords": [c._canonical() for c in self._coords], "crs": self._crs}
            text = json.dumps(canon, sort_keys=True, separators=(",", ":"))
            self._hash = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return self._hash

    @property
    def bounds(self) -> dict[str, tuple[Any, Any]]:
        return {u: self[u].bounds for u in self.udims}

    @property
    def xcoords(self) -> dict[str, Any]:
        """Coords for ``xr.DataArray(data, coords=c.xcoords, dims=c.dims)`` (no MultiIndex)."""
        out: dict[str, Any] = {}
        for c in self._coords:
            out.update(c.xcoords)
        return out

    # -- dict-like ------------------------------------------------------------------------------
    def keys(self) -> tuple[str, ...]:
        return self.dims

    def values(self) -> tuple[Member, ...]:
        return self._coords

    def items(self) -> tuple[tuple[str, Member], ...]:
        return tuple(zip(self.dims, self._coords))

    def get(self, dim: str, default: Any = None) -> Any:
        try:
            return self[dim]
        except DimensionNotFoundError:
            return default

    def __iter__(self) -> Iterator[str]:
        return iter(self.dims)

    def __len__(self) -> int:
        return len(self._coords)

    def __contains__(self, dim: object) -> bool:
        return isinstance(dim, str) and (dim in self.dims or dim in self.udims)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, str):
            return self._get_dim(index)
        if not isinstance(index, tuple):
            index = (index,)
        if any(i is Ellipsis for i in index):
            at = next(n for n, i in enumerate(index) if i is Ellipsis)
            fill = (slice(None),) * (self.ndim - len(index) + 1)
            index = index[:at] + fill + tuple(i for i in index[at + 1 :] if i is not Ellipsis)
        if len(index) > self.ndim:
            raise CoordinatesIndexError(f"{len(index)} indices for {self.ndim} dimensions")
        index = index + (slice(None),) * (self.ndim - len(index))
        return Coordinates._new(tuple(c[i] for c, i in zip(self._coords, index)), self._crs)

    def _get_dim(self, dim: str) -> Member:
        for c in self._coords:
            if _member_name(c) == dim:
                return c
        for c in self._coords:
            if isinstance(c, StackedCoordinates) and dim in c.udims:
                return c[dim]
        raise DimensionNotFoundError(f"dimension '{dim}' not in {self.dims}")

    def isel(self, **indexers: Any) -> Coordinates:
        """Index by dimension name: ``c.isel(lat=slice(0, 10))``."""
        dims = self.dims
        for dim in indexers:
            if dim not in dims:
                raise DimensionNotFoundError(f"dimension '{dim}' not in {dims}")
        return self[tuple(indexers.get(d, slice(None)) for d in dims)]

    def drop(self, dims: str | Sequence[str], ignore_missing: bool = False) -> Coordinates:
        """These coordinates without the given dims (stacked dims by their full name)."""
        names = (dims,) if isinstance(dims, str) else tuple(dims)
        mine = self.dims
        for d in names:
            if d not in mine and not ignore_missing:
                raise DimensionNotFoundError(f"dimension '{d}' not in {mine}")
        return Coordinates._new(tuple(c for c, d in zip(self._coords, mine) if d not in names), self._crs)

    def udrop(self, dims: str | Sequence[str], ignore_missing: bool = False) -> Coordinates:
        """These coordinates without the given udims (removing members of stacked dims)."""
        names = (dims,) if isinstance(dims, str) else tuple(dims)
        for d in names:
            if d not in self.udims and not ignore_missing:
                raise DimensionNotFoundError(f"dimension '{d}' not in {self.udims}")
        out: list[Member] = []
        for c in self._coords:
            if isinstance(c, StackedCoordinates):
                kept = tuple(m for m in c if m.name not in names)
                if len(kept) > 1:
                    out.append(StackedCoordinates._new(kept))
                elif kept:
                    out.append(kept[0])
            elif c.name not in names:
                out.append(c)
        return Coordinates._new(tuple(out), self._crs)

    def transpose(self, *dims: str) -> Coordinates:
        """Reorder dims; a stacked dim may be given with its members reordered (``lon_lat``)."""
        if not dims:
            dims = tuple(reversed(self.dims))
        if len(dims) != self.ndim:
            raise _err(f"transpose needs all of {self.dims}, got {dims}", "dims")
        out: list[Member] = []
        used: set[int] = set()
        for d in dims:
            i = self._member_index(d)
            if i is None or i in used:
                raise _err(f"invalid transpose {dims} for dims {self.dims}", "dims")
            used.add(i)
            c = self._coords[i]
            out.append(c.transpose(*d.split("_")) if isinstance(c, StackedCoordinates) else c)
        return Coordinates._new(tuple(out), self._crs)

    def _member_index(self, dim: Any) -> int | None:
        if not isinstance(dim, str):
            return None
        for i, c in enumerate(self._coords):
            if _member_name(c) == dim:
                return i
            if isinstance(c, StackedCoordinates) and sorted(dim.split("_")) == sorted(c.udims):
                return i
        return None

    # -- CRS --------------------------------------------------------------------------------------
    def transform(self, crs: str, *, pointwise: bool = False) -> Coordinates:
        """These coordinates in another CRS, as PODPAC 4 transforms them: uniform axes stay
        uniform where the transform is separable, a grid that does not stay a grid becomes
        stacked ``lat_lon`` points (row-major; PODPAC keeps them as a 2-D stacked dim), ``alt``
        is transformed when the CRS has vertical units. The same CRS by meaning returns self.
        ``pointwise`` transforms every value of a separable axis instead of rebuilding a uniform
        axis from its transformed ends, so a slice transforms to the same values as the whole."""
        to_crs = _check_crs(crs)
        if _crs_mod.same_crs(self._crs, to_crs):
            return self
        return Coordinates._new(_transform_members(self, to_crs, pointwise), to_crs)

    def stays_a_grid_in(self, crs: str) -> bool:
        """Whether :meth:`transform` keeps the lat/lon grid a grid in ``crs`` (PODPAC's sample
        test over the bounds); True without separate lat and lon dims."""
        if "lat" not in self.dims or "lon" not in self.dims or _crs_mod.same_crs(self._crs, _check_crs(crs)):
            return True
        return _sample_transform(self, _crs_mod.transformer(self._crs, crs)) is not None

    def as_points(self) -> Coordinates:
        """These coordinates with separate lat and lon dims stacked into ``lat_lon`` points
        (row-major, as :meth:`transform` stacks a grid that does not stay a grid)."""
        if "lat" not in self.dims or "lon" not in self.dims:
            return self
        dims = self.dims
        first = min(dims.index("lat"), dims.index("lon"))
        if abs(dims.index("lat") - dims.index("lon")) != 1:
            raise _err("lat and lon must be adjacent to stack them; transpose first", "coordinates")
        members = list(self._coords)
        a, b = members[first], members[first + 1]
        grid = np.meshgrid(a.coordinates, b.coordinates, indexing="ij")
        members[first : first + 2] = [StackedCoordinates([ArrayCoordinates1d(g.ravel(), name=c.name) for g, c in zip(grid, (a, b))])]
        return Coordinates._new(tuple(members), self._crs)

    def bounds_in(self, crs: str) -> dict[str, tuple[float, float]]:
        """The bounds of every lat/lon/alt udim once transformed into ``crs`` (PODPAC's
        ``get_bounds(crs)``). A grid that does not stay a grid is bounded by its transformed
        perimeter, which holds the extremes for the smooth transforms between map CRSs."""
        transformed = None
        if "lat" in self.dims and "lon" in self.dims and not _crs_mod.same_crs(self._crs, _check_crs(crs)):
            lat, lon = self["lat"].coordinates.astype(float), self["lon"].coordinates.astype(float)
            edge_lat = np.concatenate([lat, lat, np.full(lon.size, lat[0]), np.full(lon.size, lat[-1])])
            edge_lon = np.concatenate([np.full(lat.size, lon[0]), np.full(lat.size, lon[-1]), lon, lon])
            rest = self.drop(["lat", "lon"])
            edge = StackedCoordinates([ArrayCoordinates1d(edge_lat, name="lat"), ArrayCoordinates1d(edge_lon, name="lon")])
            transformed = Coordinates._new(rest._coords + (edge,), self._crs).transform(crs)
        else:
            transformed = self.transform(crs)
        out: dict[str, tuple[float, float]] = {}
        for member in transformed.values():
            for c in member if isinstance(member, StackedCoordinates) else (member,):
                if c.name in ("lat", "lon", "alt") and c.size:
                    out[c.name] = (float(np.nanmin(c.coordinates)), float(np.nanmax(c.coordinates)))
        return out

    # -- comparison -----------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Coordinates):
            return NotImplemented
        if self.dims != other.dims or self.shape != other.shape or not _crs_mod.equal_crs(self._crs, other._crs):
            return False
        return all(a == b for a, b in zip(self._coords, other._coords))

    __hash__ = None  # type: ignore[assignment]  # use .hash

    def __repr__(self) -> str:
        lines = [f"Coordinates ({self._crs})"]
        for c in self._coords:
            if isinstance(c, StackedCoordinates):
                lines.extend(f"\t{c.name}[{m.name}]: {m}" for m in c)
            else:
                lines.append(f"\t{c.name}: {c}")
        return "\n".join(lines)


def _member_name(c: Member) -> str:
    return "_".join(c.udims) if isinstance(c, StackedCoordinates) else c._require_name()


def _check_crs(crs: Any) -> str:
    """The CRS string as written, once pyproj has parsed it."""
    if crs is None:
        return DEFAULT_CRS
    if not isinstance(crs, str) or not crs.strip():
        raise _err(f"must be a non-empty string, got {crs!r}", "crs")
    if crs != DEFAULT_CRS:
        _crs_mod.parse_crs(crs)
    return crs


# -- CRS transforms (PODPAC 4.0.5's Coordinates.transform) -----------------------------------------


def _transform_members(coords: Coordinates, to_crs: str, pointwise: bool = False) -> tuple[Member, ...]:
    if "alt" in coords.udims and not _crs_mod.has_vertical_units(to_crs):
        raise _err("altitude is defined, but the target CRS has no vertical units", "crs")
    if ("lat" in coords.udims) != ("lon" in coords.udims):
        raise _err("lat and lon are transformed together: both dims are needed", "crs")
    dims = coords.dims
    if "lat" in dims and "lon" in dims and abs(dims.index("lat") - dims.index("lon")) != 1:
        raise _err("lat and lon must be adjacent to transform them; transpose first", "crs")
    transformer = _crs_mod.transformer(coords.crs, to_crs)
    members: list[Member] = list(coords.values())
    if "lat" in dims and "lon" in dims:
        separable = _separable_transform(coords, transformer, members, pointwise)
        if separable is not None:
            members = separable
        else:  # not a grid in the target CRS: every point, as stacked lat_lon in row-major order
            members = list(coords.as_points().values())
    return tuple(_transform_member(c, transformer) for c in members)


def _sample_transform(coords: Coordinates, transformer: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """PODPAC's test: a 5x5 sample of the lat/lon bounds, transformed; ``None`` when the sample
    is not a grid in the target CRS, else its transformed lat column and lon row."""
    lat, lon = coords["lat"], coords["lon"]
    sample_lat, sample_lon = np.meshgrid(np.linspace(*lat.bounds, 5), np.linspace(*lon.bounds, 5), indexing="ij")
    tlon, tlat = _crs_mod.transform_points(transformer, sample_lon, sample_lat)
    if not (all(np.allclose(col, tlat[:, 0]) for col in tlat.T) and all(np.allclose(row, tlon[0]) for row in tlon)):
        return None
    return tlat[:, 0], tlon[0]


def _separable_transform(
    coords: Coordinates, transformer: Any, members: list[Member], pointwise: bool = False
) -> list[Member] | None:
    """PODPAC's shortcut: where the sample stays a grid, a uniform axis that maps uniformly is
    rebuilt from its transformed ends and any other axis is transformed along a diagonal.
    ``None`` when the grid does not stay a grid."""
    sample = _sample_transform(coords, transformer)
    if sample is None:
        return None
    tlat, tlon = sample
    sampled = {"lat": tlat, "lon": tlon}
    out = list(members)
    for position, (name, other) in enumerate((("lat", "lon"), ("lon", "lat"))):
        this, that = coords[name], coords[other]
        index = coords.dims.index(name)
        # PODPAC tests the member at the sample's position (0 for lat, 1 for lon), not by name
        uniform = isinstance(members[position], UniformCoordinates1d)
        if not pointwise and uniform and _monotonic_properties(sampled[name])[2]:
            start, stop = sampled[name][0], sampled[name][-1]
            if this.is_descending:
                start, stop = stop, start
            out[index] = UniformCoordinates1d(float(start), float(stop), size=this.size, name=name)
            continue
        if this.size > 1 and that.size > 1:
            along = np.linspace(*that.bounds, this.size)
        elif this.size == that.size:
            along = that.coordinates
        else:
            along = np.zeros(this.size) + np.mean(that.coordinates)
        xy = (along, this.coordinates) if name == "lat" else (this.coordinates, along)
        tx, ty = _crs_mod.transform_points(transformer, *xy)
        out[index] = ArrayCoordinates1d(np.asarray(ty if name == "lat" else tx, dtype=float), name=name).simplify()
    return out


def _transform_member(c: Member, transformer: Any) -> Member:
    if isinstance(c, StackedCoordinates):
        udims = c.udims
        spatial = "lat" in udims and "lon" in udims
        if not spatial and "alt" not in udims:
            return c
        zeros = np.zeros(c.size)
        lon = c["lon"].coordinates if spatial else zeros
        lat = c["lat"].coordinates if spatial else zeros
        new: dict[str, Any] = {}
        if "alt" in udims:
            tlon, tlat, new["alt"] = _crs_mod.transform_points(transformer, lon, lat, c["alt"].coordinates)
        else:
            tlon, tlat = _crs_mod.transform_points(transformer, lon, lat)
        if spatial:
            new.update(lat=tlat, lon=tlon)
        return StackedCoordinates(
            [ArrayCoordinates1d(np.asarray(new[d], dtype=float), name=d).simplify() if d in new else c[d] for d in udims]
        )
    if c.name != "alt":
        return c
    _, _, talt = _crs_mod.transform_points(transformer, np.zeros(c.size), np.zeros(c.size), c.coordinates)
    return ArrayCoordinates1d(np.asarray(talt, dtype=float), name="alt").simplify()


def _normalize_dim(dim: Any) -> str | None:
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)) and all(isinstance(d, str) for d in dim):
        return "_".join(dim)
    if not isinstance(dim, str):
        raise _err(f"dimension name must be a string, got {dim!r}", "name")
    return dim


def _make_member(item: Any, dim: Any) -> Member:
    """One dimension of a Coordinates from a coordinates object or values plus a dim name."""
    dim = _normalize_dim(dim)
    if isinstance(item, StackedCoordinates):
        if dim is not None:
            return item._renamed(dim)
        if item.name is None:
            raise _err("unnamed stacked coordinates: give dims or a name", "name")
        return item
    if isinstance(item, Coordinates1d):
        if dim is None and item.name is None:
            raise _err("unnamed coordinates: give dims or a name", "name")
        if dim is not None and "_" in dim:
            raise _err(f"1-D coordinates for stacked dimension '{dim}'", "name")
        return _as_coordinates1d(item, dim)
    if dim is None:
        raise _err("dims are required for coordinates given as values", "name")
    if "_" in dim:
        return _stacked_from_values(item, dim)
    return ArrayCoordinates1d(item, name=_check_name(dim))


def _stacked_from_values(item: Any, dim: str) -> StackedCoordinates:
    names = dim.split("_")
    if isinstance(item, np.ndarray) and item.ndim == 2 and item.shape[0] == len(names):
        item = list(item)
    if not isinstance(item, (list, tuple)) or len(item) != len(names):
        raise _err(f"stacked dimension '{dim}' needs a list of {len(names)} arrays", "name")
    return StackedCoordinates(list(item), name=dim)


def _check_unique_dims(coords: tuple[Member, ...]) -> None:
    seen: list[str] = []
    for i, c in enumerate(coords):
        for u in c.udims:
            if u in seen:
                raise _err(f"duplicate dimension '{u}'", f"coords[{i}].name")
            seen.append(u)


# -- definitions --------------------------------------------------------------------------------

_UNIFORM_KEYS = {"start", "stop", "step", "size", "name", "origin"}
_ARRAY_KEYS = {"values", "name"}


def _member_from_definition(item: Any, field: str, max_size: int | None) -> Member:
    if isinstance(item, (list, tuple)):
        if len(item) < 2:
            raise _err(f"stacked coordinates need at least 2 members, got {len(item)}", field)
        members = [_coords1d_from_definition(e, f"{field}[{j}]", max_size) for j, e in enumerate(item)]
        try:
            return StackedCoordinates(members)
        except CoordinatesError as e:
            raise _reraise(e, field) from None
    return _coords1d_from_definition(item, field, max_size)


def _coords1d_from_definition(item: Any, field: str, max_size: int | None) -> Coordinates1d:
    """A 1-D item: ``{start, stop, step|size, name}`` or ``{values, name}``."""
    if not isinstance(item, Mapping):
        raise _err(f"must be an object or a list (stacked), got {type(item).__name__}", field)
    if "geotransform" in item:
        raise _err("affine (geotransform) coordinates are not supported", field)
    if "values" in item:
        kind, allowed = "array", _ARRAY_KEYS
    elif "start" in item or "stop" in item:
        kind, allowed = "uniform", _UNIFORM_KEYS
    else:
        raise _err(f"needs 'values' or 'start'/'stop', got keys {sorted(map(str, item))}", field)
    unknown = sorted(str(k) for k in item if k not in allowed)
    if unknown:
        raise _err(f"unknown keys {unknown} for {kind} coordinates", field)
    if "name" not in item:
        raise _err("'name' is required", f"{field}.name")
    try:
        name = _check_name(item["name"])
        if kind == "array":
            return _array_from_definition(item["values"], name)
        for key in ("start", "stop"):
            if key not in item:
                raise _err(f"'{key}' is required", key)
        grid = UniformCoordinates1d(
            item["start"], item["stop"], step=item.get("step"), size=item.get("size"), name=name, max_size=max_size
        )
        return _with_origin(grid, item["origin"]) if "origin" in item else grid
    except CoordinatesError as e:
        raise _reraise(e, field) from None


def _with_origin(grid: UniformCoordinates1d, origin: Any) -> UniformCoordinates1d:
    """``grid`` computing its values from ``origin`` (see ``exact_definition``), checked to agree."""
    ok = (
        isinstance(origin, (list, tuple))
        and len(origin) == 4
        and all(_is_number(v) for v in origin[:2])
        and all(isinstance(v, int) and not isinstance(v, bool) for v in origin[2:])
    )
    if not ok or grid._is_time or not all(math.isfinite(float(v)) for v in origin[:2]) or origin[3] == 0:
        raise _err("must be [base, step, offset, stride] with finite numbers and a nonzero stride", "origin")
    child = UniformCoordinates1d._from_origin(grid, (float(origin[0]), float(origin[1]), origin[2], origin[3]))
    for i in (0, grid.size - 1):
        expected, got = grid._value_at(i), child._value_at(i)
        if not _close(float(expected), float(got), abs(float(grid.step)) * grid.size + abs(float(expected))):
            raise _err(f"does not reproduce the grid (point {i}: {got!r} vs {expected!r})", "origin")
    return child


def _array_from_definition(values: Any, name: str | None) -> ArrayCoordinates1d:
    if not isinstance(values, (list, tuple)):
        raise _err(f"must be a list, got {type(values).__name__}", "values")
    return ArrayCoordinates1d._new(_to_coord_array(values, "values"), name)


# -- xarray -------------------------------------------------------------------------------------


def _xarray_parts(obj: Any) -> tuple[Any, Mapping[str, Any]]:
    import xarray as xr

    if isinstance(obj, (xr.DataArray, xr.Dataset)):
        return obj.coords, obj.attrs
    if isinstance(obj, xr.Coordinates):
        return obj, {}
    raise _err(f"expected an xarray DataArray, Dataset or coordinates, got {type(obj).__name__}", "coordinates")


def _xarray_dims(obj: Any) -> list[Any]:
    return list(obj.dims)


def _member_from_xarray(xcoords: Any, dim: str) -> Member:
    import pandas as pd

    index = xcoords.xindexes.get(dim) if dim in xcoords.xindexes else None
    pd_index = index.to_pandas_index() if index is not None and hasattr(index, "to_pandas_index") else None
    if isinstance(pd_index, pd.MultiIndex):
        names = [str(n) for n in pd_index.names]
        members = [
            _from_xarray_values(pd_index.get_level_values(n).to_numpy(), n, f"{dim}.{n}") for n in names
        ]
        return _stacked_or_raise(members, dim)
    if "_" in dim:
        members = []
        for u in dim.split("_"):
            if u not in xcoords or tuple(xcoords[u].dims) != (dim,):
                raise _err(f"stacked dimension '{dim}' needs a coordinate '{u}' along it", dim)
            members.append(_from_xarray_values(xcoords[u].values, u, f"{dim}.{u}"))
        return _stacked_or_raise(members, dim)
    if dim not in xcoords:
        raise _err(f"dimension '{dim}' has no coordinate values", dim)
    return _from_xarray_values(xcoords[dim].values, dim, dim)


def _from_xarray_values(values: np.ndarray, name: str, field: str) -> Coordinates1d:
    try:
        c = ArrayCoordinates1d(values, name=name)
    except CoordinatesError as e:
        raise _reraise(e, field) from None
    return c.simplify()


def _stacked_or_raise(members: list[Coordinates1d], dim: str) -> StackedCoordinates:
    try:
        return StackedCoordinates(members)
    except CoordinatesError as e:
        raise _reraise(e, dim) from None
