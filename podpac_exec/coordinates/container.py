"""Multidimensional coordinates: an ordered set of 1-D or stacked dimensions plus a CRS."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from podpac_exec import crs as _crs_mod
from podpac_exec.coordinates.axes import ArrayCoordinates1d
from podpac_exec.coordinates.base import Coordinates1d
from podpac_exec.coordinates.parsing import _member_from_definition, _member_from_xarray, _xarray_dims, _xarray_parts
from podpac_exec.coordinates.stacked import Member, StackedCoordinates, _as_coordinates1d
from podpac_exec.coordinates.transforms import _sample_transform, _transform_members
from podpac_exec.coordinates.values import (
    DEFAULT_CRS,
    CoordinatesIndexError,
    DimensionNotFoundError,
    _check_name,
    _err,
    _reraise,
)
from podpac_exec.errors import CoordinatesError


class Coordinates:
    """Multidimensional coordinates: an ordered set of 1-D or stacked dimensions plus a CRS.

    ``Coordinates([clinspace(-45, 45, 4, "lat"), ...])`` or PODPAC style
    ``Coordinates([[lats, lons], times], dims=["lat_lon", "time"])``.
    """

    __slots__ = ("_coords", "_crs", "_hash", "_dims", "_shape", "__weakref__")

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
        try:
            return self._shape
        except AttributeError:  # computed once, as dims
            self._shape: tuple[int, ...] = tuple(c.size for c in self._coords)
            return self._shape

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
