"""Coordinates as numbers (source and request dims mapped to float64 axes) and index compaction."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from podpac_exec.errors import CoordinatesError

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates, Coordinates1d


@dataclass
class Frame:
    """Maps one udim's values (numbers or datetimes) to float64 for source and request alike."""

    unit: str | None = None
    origin: Any = None

    @classmethod
    def build(cls, source: np.ndarray, request: np.ndarray, udim: str) -> "Frame":
        src_time, req_time = source.dtype.kind == "M", request.dtype.kind == "M"
        if src_time != req_time:
            kind = "datetimes" if src_time else "numbers"
            raise CoordinatesError(f"the source's {udim!r} coordinates are {kind}, the request's are not")
        if not src_time:
            return cls()
        dtype = np.promote_types(source.dtype, request.dtype)  # the finer unit, as PODPAC
        return cls(np.datetime_data(dtype)[0], source[0].astype(dtype))

    def num(self, values: np.ndarray) -> np.ndarray:
        if self.unit is None:
            return np.asarray(values, dtype=np.float64)
        offsets = np.asarray(values).astype(f"datetime64[{self.unit}]") - self.origin
        return offsets.astype(np.int64).astype(np.float64)

    def delta(self, value: Any) -> float:
        """A step, tolerance or scale in these units (inf for None)."""
        if value is None:
            return math.inf
        if self.unit is None or not isinstance(value, np.timedelta64):
            return float(value)
        return float(np.timedelta64(value).astype(f"timedelta64[{self.unit}]").astype(np.int64))


@dataclass
class SourceDim:
    """One axis of the source: an unstacked dim, or a stacked dim of points."""

    name: str
    udims: tuple[str, ...]
    coords: tuple["Coordinates1d", ...]
    size: int

    @property
    def stacked(self) -> bool:
        return len(self.udims) > 1

    @classmethod
    def build(cls, name: str, member: Any) -> "SourceDim":
        from podpac_exec.coordinates import StackedCoordinates

        coords = tuple(member) if isinstance(member, StackedCoordinates) else (member,)
        return cls(name, tuple(c.name for c in coords), coords, member.size)


@dataclass
class ReqUdim:
    axis: int
    stacked: bool
    coord: "Coordinates1d"


@dataclass
class Request:
    """The request's udims: which axis each lies on and whether it is part of a stacked dim."""

    shape: tuple[int, ...]
    udims: dict[str, ReqUdim]

    @classmethod
    def build(cls, request: "Coordinates", source: Sequence[SourceDim]) -> "Request":
        from podpac_exec.coordinates import StackedCoordinates

        udims: dict[str, ReqUdim] = {}
        for axis, (name, member) in enumerate(request.items()):
            if isinstance(member, StackedCoordinates):
                for c in member:
                    udims[c.name] = ReqUdim(axis, True, c)
            else:
                udims[name] = ReqUdim(axis, False, member)
        for dim in source:
            if not any(u in udims for u in dim.udims):
                raise CoordinatesError(
                    f"cannot evaluate these coordinates: the source needs dim {dim.name!r} "
                    f"(request dims: {', '.join(request.dims) or 'none'})",
                    field="coordinates",
                )
        return cls(tuple(request.shape), udims)

    def sizes_used(self, source: Sequence[SourceDim]) -> list[int]:
        """Sizes of the request axes that hold a source udim (PODPAC drops the others)."""
        axes = {self.udims[u].axis for dim in source for u in dim.udims if u in self.udims}
        return [self.shape[a] for a in sorted(axes)]


def compact_index(index: tuple[np.ndarray, ...]) -> tuple[np.ndarray | slice, ...]:
    """``index`` with slices instead of arrays when it is an outer product of contiguous ranges
    in dim order (reading a slice is a view; fancy indexing gathers every cell)."""
    ndim = len(index)
    slices: list[np.ndarray | slice] = []
    for k, idx in enumerate(index):
        if idx.ndim != ndim or any(size != 1 for a, size in enumerate(idx.shape) if a != k):
            return index
        flat = idx.reshape(-1)
        if flat.size == 0 or not (np.diff(flat) == 1).all():
            return index
        slices.append(slice(int(flat[0]), int(flat[-1]) + 1))
    return tuple(slices)
