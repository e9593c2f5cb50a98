"""CRS transforms of coordinates, as PODPAC 4.0.5's ``Coordinates.transform`` does them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from podpac_exec import crs as _crs_mod
from podpac_exec.coordinates.axes import ArrayCoordinates1d, UniformCoordinates1d
from podpac_exec.coordinates.stacked import Member, StackedCoordinates
from podpac_exec.coordinates.values import _err, _monotonic_properties

if TYPE_CHECKING:
    from podpac_exec.coordinates.container import Coordinates


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
