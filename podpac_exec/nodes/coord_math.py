"""PODPAC's coordinate arithmetic for the selection nodes: ``add_coord`` (nominal month and
year deltas), ``podpac_select`` (a Coordinates1d's values within bounds) and the shifted time
windows of ``ExpandCoordinates``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates1d


def add_coord(base: Any, delta: Any) -> Any:
    """PODPAC's ``add_coord``: numpy's sum where numpy can add them, else month and year deltas
    added nominally (day clamped to the month's length); elementwise for arrays."""
    try:
        return base + delta
    except TypeError:
        if np.asarray(base).dtype.kind != "M" or np.asarray(delta).dtype.kind != "m":
            raise
    from podpac_exec.coordinates.grid import _add_months

    unit = np.datetime_data(delta.dtype)[0]
    months = np.asarray(delta).astype(np.int64) * (12 if unit == "Y" else 1)
    return _add_months(base, months)[()]


def podpac_select(c: "Coordinates1d", lo: Any, hi: Any) -> np.ndarray:
    """The values of ``c`` PODPAC's ``c.select((lo, hi))`` returns (inner selection).

    Uniform coordinates give the index range within the bounds; when none lies within, the
    point(s) nearest the bounds by rounding (PODPAC's "selected between two coordinates").
    Array coordinates give the points within, or the neighbours a bound pair falls between.
    """
    values = c.coordinates
    if values.size == 0:
        return values
    if c.is_uniform and hasattr(c, "step"):
        return values[_uniform_select(c, lo, hi)]
    return values[_array_select(values, lo, hi, bool(c.is_monotonic), bool(c.is_descending))]


def _uniform_select(c: Any, lo: Any, hi: Any) -> slice:
    first, last = c.bounds
    if c.is_datetime:  # compared at the bounds' precision (PODPAC's lower_precision_time_bounds)
        unit = np.asarray(lo).dtype
        first, last = np.datetime64(first).astype(unit), np.datetime64(last).astype(unit)
    step = abs(c.step)
    lo, hi = max(lo, first), min(hi, last)
    fmin, fmax = (lo - first) / step, (hi - first) / step
    imin, imax = int(np.ceil(fmin)), int(np.floor(fmax))
    size = c.size
    imax = int(np.clip(imax + 1, 0, size))
    imin = int(np.clip(imin, 0, size))
    if imin > imax:
        return slice(0, 0)
    if imax == imin:
        imin, imax = int(np.round(fmin)), int(np.round(fmax)) + 1
        if imin >= (size - 1) | imin < 0:  # PODPAC's (chained) comparison, kept as written
            return slice(0, 0)
    if c.is_descending:
        imax, imin = size - imin, size - imax
    return slice(imin, imax)


def _array_select(values: np.ndarray, lo: Any, hi: Any, monotonic: bool, descending: bool) -> np.ndarray:
    gt, lt = values >= lo, values <= hi
    inside = gt & lt
    if (gt | lt).sum() != inside.size or inside.sum() != 0 or not monotonic:
        return inside
    # the bounds lie between two points: PODPAC keeps the one(s) on the bounds' side of the midpoint
    ilt, igt = np.flatnonzero(lt), np.flatnonzero(gt)
    if descending:
        a = ilt[0] if ilt.size else inside.size - 1
        b = igt[-1] if igt.size else 0
    else:
        a = ilt[-1] if ilt.size else 0
        b = igt[0] if igt.size else inside.size - 1
    i0, i1 = min(a, b), max(a, b) + 1
    inside[i0:i1] = True
    if inside.sum() > 1:
        crds = values[inside]
        edge = crds[0] + np.diff(crds)[0] / 2
        bounds = np.array([lo, hi])
        keep = [bool(np.any(bounds <= edge)), bool(np.any(bounds > edge))]
        inside[i0:i1] = keep[::-1] if descending else keep
    return inside


def _nominal(*deltas: Any) -> bool:
    """Whether any timedelta is in months or years."""
    return any(np.datetime_data(np.asarray(d).dtype)[0] in ("Y", "M") for d in deltas)


def _shifted_windows(values: np.ndarray, window: Any) -> np.ndarray | None:
    """The windows around each datetime in ``values`` (no NaT; steps and offsets not in months or
    years, which are not shift-invariant), concatenated, as shifts of the first one: exact
    integer arithmetic, used only when the windows at the earliest, latest and last times,
    built as the first is, are exactly the shifted first; None otherwise."""
    first = window(values[0])
    with np.errstate(all="ignore"):
        shifted = first[None, :] + (values - values[0])[:, None]
    if shifted.dtype != first.dtype:
        return None
    for i in (int(np.argmin(values)), int(np.argmax(values)), values.size - 1):
        w = window(values[i])
        if w.dtype != first.dtype or not np.array_equal(w, shifted[i]):
            return None
    return shifted.reshape(-1)
