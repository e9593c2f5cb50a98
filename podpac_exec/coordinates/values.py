"""Coordinate values: dimension names, errors, scalar and array parsing, time units.

Numbers become float64 and times numpy ``datetime64`` in the unit numpy infers, as PODPAC does.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
import warnings
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from podpac_exec.errors import CoordinatesError

DEFAULT_CRS = "+proj=longlat +datum=WGS84 +no_defs +vunits=m"
VALID_DIMS = ("lat", "lon", "alt", "time")

_TIME_UNITS = ("Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns")
_NOMINAL_UNITS = ("Y", "M")
# finer unit to retry with when a time span does not divide evenly (PODPAC's chain)
_ZOOM = {"Y": "D", "D": "h", "h": "m", "m": "s", "s": "ms", "ms": "us", "us": "ns"}
_DELTA_RE = re.compile(r"^\s*([+-]?\d{1,19})\s*,\s*(Y|M|W|D|h|m|s|ms|us|ns)\s*$")
_INT64_MIN = -(2**63) + 1  # int64 min is NaT
_INT64_MAX = 2**63 - 1

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


class CoordinatesIndexError(CoordinatesError, IndexError):
    """An index is out of range for the coordinates."""


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
    """Whether ``value`` (every one of an array) is representable in ``unit`` (numpy overflows silently)."""
    with np.errstate(all="ignore"):
        converted = value.astype(f"datetime64[{unit}]")
        return bool(np.all(~np.isnat(converted) & (converted.astype(value.dtype) == value)))


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


def _check_name(name: Any, field: str | None = "name") -> str | None:
    if name is None:
        return None
    if not isinstance(name, str) or name not in VALID_DIMS:
        raise _err(f"invalid dimension name {name!r} (valid names: {', '.join(VALID_DIMS)})", field)
    return name
