"""Coordinates: PODPAC's coordinate model (1-D, stacked and multidimensional) and its JSON.

Values follow PODPAC 4.0.5 exactly for the same JSON: numbers are float64, times are numpy
``datetime64`` in the unit numpy infers from the text (``"2018-01-01"`` -> ``[D]``,
``"2018-01-01T12:00"`` -> ``[m]``), as PODPAC does, so JSON written back is byte-identical.
Uniform grids are ``start + arange(size) * step`` after PODPAC's normalisation (start anchored,
stop moved onto the grid, float step recomputed as ``(stop - start) / (size - 1)``).

All objects are immutable; coordinate arrays are read-only and shared between slices.

Modules by job: ``values`` (names, errors, scalar and array parsing, time units), ``grid``
(uniform grid arithmetic), ``base`` and ``axes`` (the 1-D kinds), ``stacked``, ``container``
(:class:`Coordinates`), ``parsing`` (PODPAC definitions and xarray in), ``transforms`` (CRS).
"""

from __future__ import annotations

from podpac_exec.coordinates.axes import MAX_UNIFORM_SIZE, ArrayCoordinates1d, UniformCoordinates1d, clinspace, crange
from podpac_exec.coordinates.base import Coordinates1d
from podpac_exec.coordinates.container import Coordinates
from podpac_exec.coordinates.stacked import StackedCoordinates
from podpac_exec.coordinates.values import DEFAULT_CRS, VALID_DIMS, CoordinatesIndexError, DimensionNotFoundError

__all__ = [
    "DEFAULT_CRS",
    "VALID_DIMS",
    "MAX_UNIFORM_SIZE",
    "Coordinates1d",
    "UniformCoordinates1d",
    "ArrayCoordinates1d",
    "StackedCoordinates",
    "Coordinates",
    "DimensionNotFoundError",
    "CoordinatesIndexError",
    "clinspace",
    "crange",
]
