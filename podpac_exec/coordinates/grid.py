"""Arithmetic of uniform grids: point counts, exact time steps and calendar months (PODPAC's rules)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from podpac_exec.coordinates.values import (
    _NOMINAL_UNITS,
    _TIME_UNITS,
    _ZOOM,
    _err,
    _finer_unit,
    _fits,
    _format_timedelta,
    _time_unit,
)


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
