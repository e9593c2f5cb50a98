"""Coordinates members read from PODPAC definitions (parsed JSON) and from xarray coordinates."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from podpac_exec.coordinates.axes import ArrayCoordinates1d, UniformCoordinates1d
from podpac_exec.coordinates.base import Coordinates1d, _close
from podpac_exec.coordinates.stacked import Member, StackedCoordinates
from podpac_exec.coordinates.values import _check_name, _err, _is_number, _reraise, _to_coord_array
from podpac_exec.errors import CoordinatesError

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
