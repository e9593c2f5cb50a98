"""podpac_exec.coordinates.stacked: stacked coordinates."""

from __future__ import annotations

from typing import Any

import pytest

from podpac_exec.coordinates import ArrayCoordinates1d, DimensionNotFoundError, StackedCoordinates, clinspace
from podpac_exec.errors import CoordinatesError


# ----------------------------------------------------------------------------------------------
# stacked
# ----------------------------------------------------------------------------------------------


def test_stacked() -> None:
    s = StackedCoordinates([clinspace(0, 1, 3), [10, 20, 30]], name="lat_lon")
    assert s.name == "lat_lon" and s.udims == ("lat", "lon") and s.size == 3 and s.shape == (3,)
    assert [c.name for c in s] == ["lat", "lon"] and len(s) == 2
    assert s["lon"].coordinates.tolist() == [10.0, 20.0, 30.0]
    assert s[1:].size == 2 and isinstance(s[1:], StackedCoordinates)
    assert s[[0, 2]]["lon"].coordinates.tolist() == [10.0, 30.0]
    assert s.definition == [
        {"start": 0.0, "stop": 1.0, "step": 0.5, "name": "lat"},
        {"values": [10.0, 20.0, 30.0], "name": "lon"},
    ]
    assert s == StackedCoordinates([clinspace(0, 1, 3, "lat"), ArrayCoordinates1d([10, 20, 30], "lon")])
    with pytest.raises(DimensionNotFoundError):
        s["time"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([[1, 2], [1, 2, 3]], "lat_lon"), "same size"),
        (([[1, 2]], "lat"), "at least 2"),
        (([[1, 2], [3, 4]], "lat_lat"), "duplicate"),
        (([[1, 2], [3, 4]], "lat_foo"), "valid names"),
        (([[1, 2], [3, 4]], "lat_lon_time"), "3 parts"),
    ],
)
def test_stacked_errors(args: tuple[Any, str], match: str) -> None:
    with pytest.raises(CoordinatesError, match=match):
        StackedCoordinates(*args)
