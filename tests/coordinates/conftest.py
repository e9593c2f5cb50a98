"""Fixtures of the coordinates tests."""

from __future__ import annotations

import pytest

from podpac_exec.coordinates import Coordinates, clinspace, crange


@pytest.fixture
def grid() -> Coordinates:
    return Coordinates(
        [[[1, 2, 3], [4, 5, 6]], crange("2018-01-01", "2018-01-04", "1,D"), clinspace(0, 100, 5)],
        dims=["lat_lon", "time", "alt"],
    )
