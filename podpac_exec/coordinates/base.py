"""The base of the 1-D coordinate kinds: naming, shape, indexing and comparison."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from podpac_exec.coordinates.values import (
    CoordinatesIndexError,
    Index,
    _err,
    _format_datetime,
    _is_number,
)

if TYPE_CHECKING:
    from podpac_exec.coordinates.axes import ArrayCoordinates1d

_EQ_RTOL = 1e-12



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
        return self._equal_values(other)

    def _equal_values(self, other: Coordinates1d) -> bool:
        """Values of the same size and kind: exactly for times, else up to the grid arithmetic's
        rounding (a uniform grid and explicit values); the kinds refine this for their own pairs."""
        x, y = self.coordinates, other.coordinates
        if self.is_datetime:
            nat = np.isnat(x)
            return bool(np.array_equal(nat, np.isnat(y)) and np.array_equal(x[~nat], y[~nat]))
        scale = max(np.abs(x).max(initial=0.0), np.abs(y).max(initial=0.0))
        return bool(np.allclose(x, y, rtol=_EQ_RTOL, atol=_EQ_RTOL * scale, equal_nan=True))

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


def _close(a: float, b: float, scale: float) -> bool:
    return a == b or abs(a - b) <= _EQ_RTOL * max(abs(a), abs(b), scale)
