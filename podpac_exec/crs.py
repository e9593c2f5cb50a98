"""Coordinate reference systems through pyproj, the one authority (DESIGN.md section 12).

A CRS travels as the string the user wrote (PODPAC keeps it so, and writes it back in JSON);
it is parsed by :func:`parse_crs` and compared by meaning with :func:`same_crs`, so ``EPSG:4326``,
``WGS84`` and PODPAC's ``+proj=longlat +datum=WGS84 +no_defs +vunits=m`` are one CRS. As in PODPAC,
``lat`` and ``lon`` name a CRS's y and x axes whatever its axis order, and transforms use
``always_xy`` (x = lon first).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from podpac_exec.errors import CoordinatesError

if TYPE_CHECKING:
    import pyproj

__all__ = ["parse_crs", "equal_crs", "same_crs", "transformer", "transform_points", "has_vertical_units"]


@functools.lru_cache(maxsize=256)
def parse_crs(crs: str) -> "pyproj.CRS":
    """``crs`` parsed by pyproj (EPSG codes, ``WGS84``, ``OGC:CRS84``, proj strings, WKT)."""
    import pyproj

    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError:
        shown = crs if len(crs) <= 80 else crs[:77] + "..."
        raise CoordinatesError(f"unknown CRS {shown!r}: pyproj cannot parse it", field="crs") from None


@functools.lru_cache(maxsize=1024)
def equal_crs(a: str, b: str) -> bool:
    """pyproj's equality of the parsed CRSs, as PODPAC's ``Coordinates.__eq__`` compares them
    (``WGS84`` equals ``EPSG:4326``; the 3-D default with ``+vunits`` does not)."""
    return a == b or parse_crs(a) == parse_crs(b)


@functools.lru_cache(maxsize=1024)
def same_crs(a: str, b: str) -> bool:
    """Whether two CRS strings mean the same horizontal CRS, axis order aside: no transform is needed
    between them."""
    if a == b:
        return True
    ca, cb = parse_crs(a), parse_crs(b)
    if ca == cb:
        return True
    # PODPAC's default "+proj=longlat +datum=WGS84 +no_defs +vunits=m" is WGS84 plus vertical
    # units, and OGC:CRS84 is WGS84 with lon/lat order: both mean EPSG:4326 to a lat/lon grid.
    return _horizontal(ca).equals(_horizontal(cb), ignore_axis_order=True)


def _horizontal(crs: "pyproj.CRS") -> "pyproj.CRS":
    if crs.is_bound and crs.source_crs is not None:
        crs = crs.source_crs
    return crs.to_2d()  # drops a compound CRS's vertical part and a 3-D CRS's height axis


@functools.lru_cache(maxsize=256)
def transformer(from_crs: str, to_crs: str) -> "pyproj.Transformer":
    """A cached ``always_xy`` transformer (PODPAC builds it with ``Transformer.from_proj``)."""
    import pyproj

    return pyproj.Transformer.from_proj(parse_crs(from_crs), parse_crs(to_crs), always_xy=True)


def has_vertical_units(crs: str) -> bool:
    """Whether a CRS carries vertical units (needed to transform ``alt``), as PODPAC checks."""
    parsed = parse_crs(crs)
    return parsed.is_vertical or parsed.is_compound or "+vunits" in crs or "+vto_meter" in crs


def transform_points(transformer: "pyproj.Transformer", *arrays: "np.ndarray") -> tuple["np.ndarray", ...]:
    """``transformer.transform`` on arrays of any shape (x first); one-point arrays go through as
    scalars, which pyproj would otherwise warn about."""
    import numpy as np

    arrays_ = [np.asarray(a, dtype=float) for a in arrays]
    shape = arrays_[0].shape
    if arrays_[0].size == 1:
        out = transformer.transform(*(float(a.reshape(-1)[0]) for a in arrays_))
        return tuple(np.full(shape, v, dtype=float) for v in out)
    out = transformer.transform(*arrays_)
    return tuple(np.asarray(v, dtype=float).reshape(shape) for v in out)
