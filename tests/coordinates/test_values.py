"""podpac_exec.coordinates.values: error types and dimension names."""

from __future__ import annotations

import pytest

from podpac_exec.coordinates import VALID_DIMS, Coordinates, UniformCoordinates1d, clinspace
from podpac_exec.errors import CoordinatesError


def test_error_types() -> None:
    with pytest.raises(ValueError):  # CoordinatesError is a ValueError
        Coordinates.from_json("{")
    with pytest.raises(CoordinatesError, match="not both"):
        UniformCoordinates1d(0, 1, step=1, size=2)
    with pytest.raises(CoordinatesError, match="valid names"):
        clinspace(0, 1, 3, "latitude")
    assert VALID_DIMS == ("lat", "lon", "alt", "time")
