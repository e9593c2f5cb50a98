"""Stacked coordinates: two or more 1-D coordinates of equal size forming one dimension of points."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Union

import numpy as np

from podpac_exec.coordinates.axes import ArrayCoordinates1d
from podpac_exec.coordinates.base import Coordinates1d, _index_array
from podpac_exec.coordinates.values import DimensionNotFoundError, Index, _check_name, _err, _reraise
from podpac_exec.errors import CoordinatesError


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


Member = Union[Coordinates1d, StackedCoordinates]
