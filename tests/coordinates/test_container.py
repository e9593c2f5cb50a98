"""podpac_exec.coordinates.container: Coordinates (properties, indexing, hashing, pickling, exact definitions)."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest

from podpac_exec.coordinates import (
    DEFAULT_CRS,
    ArrayCoordinates1d,
    Coordinates,
    StackedCoordinates,
    UniformCoordinates1d,
    clinspace,
    crange,
)
from podpac_exec.errors import CoordinatesError, PodpacExecError


# ----------------------------------------------------------------------------------------------
# Coordinates
# ----------------------------------------------------------------------------------------------


def test_coordinates_properties(grid: Coordinates) -> None:
    assert grid.dims == ("lat_lon", "time", "alt")
    assert grid.udims == ("lat", "lon", "time", "alt")
    assert grid.shape == (3, 4, 5) and grid.size == 60 and grid.ndim == 3 and len(grid) == 3
    assert grid.crs == DEFAULT_CRS
    assert list(grid) == ["lat_lon", "time", "alt"] and grid.keys() == grid.dims
    assert [type(v).__name__ for v in grid.values()] == [
        "StackedCoordinates",
        "UniformCoordinates1d",
        "UniformCoordinates1d",
    ]
    assert dict(grid.items())["alt"].size == 5
    assert "lat" in grid and "lat_lon" in grid and "lon_lat" not in grid and "foo" not in grid
    assert grid.bounds["time"] == (np.datetime64("2018-01-01"), np.datetime64("2018-01-04"))
    assert grid.bounds["lon"] == (4.0, 6.0)
    assert grid.full_definition == {"coords": grid.definition, "crs": DEFAULT_CRS}
    assert isinstance(grid.definition, list) and isinstance(grid.definition[0], list)
    assert "lat_lon[lat]: ArrayCoordinates1d(lat)" in repr(grid)
    assert Coordinates([]).size == 1 and Coordinates([]).shape == ()


def test_coordinates_getitem_by_name(grid: Coordinates) -> None:
    assert isinstance(grid["lat_lon"], StackedCoordinates)
    assert grid["lon"].coordinates.tolist() == [4.0, 5.0, 6.0]
    with pytest.raises(KeyError):
        grid["lat_time"]
    with pytest.raises(PodpacExecError):
        grid["lat_time"]
    assert grid.get("foo") is None


def test_coordinates_index_slicing(grid: Coordinates) -> None:
    sub = grid[1:, 0, ::2]
    assert sub.dims == grid.dims and sub.shape == (2, 1, 3)
    assert sub["alt"].coordinates.tolist() == [0.0, 50.0, 100.0]
    assert isinstance(sub["alt"], UniformCoordinates1d)
    assert grid[0].shape == (1, 4, 5)
    assert grid[..., 0].shape == (3, 4, 1) and grid[0, ...].shape == (1, 4, 5)
    assert grid.isel(alt=slice(1, 3)).shape == (3, 4, 2)
    assert grid[:, [0, 3]]["time"].coordinates.astype(str).tolist() == ["2018-01-01", "2018-01-04"]
    with pytest.raises(IndexError):
        grid[0, 0, 0, 0]
    with pytest.raises(KeyError):
        grid.isel(lat=0)


def test_drop_udrop_transpose(grid: Coordinates) -> None:
    assert grid.drop("time").dims == ("lat_lon", "alt")
    assert grid.drop(["time", "lat_lon"]).dims == ("alt",)
    with pytest.raises(KeyError):
        grid.drop("lat")
    assert grid.drop("foo", ignore_missing=True) == grid
    assert grid.udrop("lat").dims == ("lon", "time", "alt")
    t = grid.transpose("alt", "lon_lat", "time")
    assert t.dims == ("alt", "lon_lat", "time") and t.udims == ("alt", "lon", "lat", "time")
    assert grid.transpose().dims == ("alt", "time", "lat_lon")
    with pytest.raises(CoordinatesError):
        grid.transpose("alt", "time")
    with pytest.raises(CoordinatesError):
        grid.transpose("alt", "time", "time")


def test_coordinates_constructor_forms() -> None:
    lats, lons = np.linspace(0, 1, 4), np.linspace(10, 11, 4)
    c = Coordinates([(lats, lons), ["2018-01-01"]], dims=[("lat", "lon"), "time"], crs="EPSG:4326")
    assert c.dims == ("lat_lon", "time") and c.crs == "EPSG:4326"
    c2 = Coordinates([np.stack([lats, lons]), ["2018-01-01"]], dims=["lat_lon", "time"], crs="EPSG:4326")
    assert c2 == c
    unnamed = StackedCoordinates([[1, 2], [3, 4]])
    assert unnamed.name is None
    assert Coordinates([unnamed], dims=["lat_lon"]).dims == ("lat_lon",)
    with pytest.raises(CoordinatesError, match="unnamed"):
        Coordinates([unnamed])
    with pytest.raises(CoordinatesError, match="does not match"):
        Coordinates([StackedCoordinates([[1, 2], [3, 4]], name="lat_lon")], dims=["lat_time"])
    named = Coordinates([clinspace(0, 1, 3), ArrayCoordinates1d([1, 2])], dims=["lat", "lon"])
    assert named.dims == ("lat", "lon")
    assert Coordinates([clinspace(0, 1, 3, "lat")], dims=["lat"]).dims == ("lat",)


@pytest.mark.parametrize(
    ("args", "kwargs", "field", "match"),
    [
        (([[1, 2]],), {"dims": ["foo"]}, "coords[0].name", "valid names: lat, lon, alt, time"),
        (([[1], [2]],), {"dims": ["lat", "lat"]}, "coords[1].name", "duplicate"),
        (([[[1, 2], [3, 4]], [1]],), {"dims": ["lat_lon", "lat"]}, "coords[1].name", "duplicate"),
        (([[1, 2]],), {}, "coords[0].name", "dims are required"),
        (([clinspace(0, 1, 3, "lat")],), {"dims": ["lon"]}, "coords[0].name", "does not match"),
        (([clinspace(0, 1, 3)],), {}, "coords[0].name", "unnamed"),
        (([[1, 2]],), {"dims": ["lat", "lon"]}, "dims", "2 names for 1"),
        (([[[1, 2]]],), {"dims": ["lat"]}, "coords[0].values[0]", "1-D"),
        (([np.zeros((2, 2))],), {"dims": ["lat"]}, "coords[0].values", "1-D"),
        (([[1, 2]],), {"dims": ["lat"], "crs": 5}, "crs", "string"),
        (({"lat": [1]},), {}, "coords", "list"),
        (([[[1, 2], [3]]],), {"dims": ["lat_lon"]}, "coords[0][1].size", "same size"),
    ],
)
def test_coordinates_constructor_errors(args: tuple, kwargs: dict, field: str, match: str) -> None:
    with pytest.raises(CoordinatesError, match=match) as info:
        Coordinates(*args, **kwargs)
    assert info.value.field == field
    assert str(info.value).startswith(field)


def test_eq_and_hash(grid: Coordinates) -> None:
    again = Coordinates.from_json(grid.json)
    assert again == grid and again.hash == grid.hash
    assert grid != grid.drop("alt")
    other_crs = Coordinates(list(grid.values()), crs="EPSG:4326")
    assert other_crs != grid and other_crs.hash != grid.hash
    assert grid != Coordinates([clinspace(0, 1, 3, "lat")])
    assert (grid == 5) is False


def test_hash_is_canonical() -> None:
    a = '{"coords":[{"start":0,"stop":1,"size":3,"name":"lat"},{"values":["2018-01-01"],"name":"time"}]}'
    b = '{"crs":"' + DEFAULT_CRS + '","coords":[{"name":"lat","size":3,"stop":1.0,"start":0.0},'
    b += '{"name":"time","values":["2018-01-01T00:00:00"]}]}'
    ca, cb = Coordinates.from_json(a), Coordinates.from_json(b)
    assert ca.hash == cb.hash and len(ca.hash) == 64
    # representation-independent: a uniform grid and its values, units, -0.0
    assert Coordinates([clinspace(0, 1, 3, "lat")]).hash == Coordinates([[0, 0.5, 1]], dims=["lat"]).hash
    assert Coordinates([[-0.0, 1.5]], dims=["lat"]).hash == Coordinates([[0.0, 1.5]], dims=["lat"]).hash
    d = Coordinates([crange("2018-01-01", "2018-01-03", "1,D", "time")])
    h = Coordinates([crange("2018-01-01T00", "2018-01-03T00", "24,h", "time")])
    assert d.hash == h.hash
    assert Coordinates([[1, 2, 4]], dims=["lat"]).hash != Coordinates([[1, 2, 5]], dims=["lat"]).hash


def test_slices_round_trip_through_json() -> None:
    c = Coordinates([clinspace(-45, 45, 1001, "lat"), clinspace(-180, 180, 2001, "lon")])
    for i in range(0, 1001, 97):
        tile = c[i : i + 100, i : i + 150]
        again = Coordinates.from_json(tile.json)
        assert again == tile and again.hash == tile.hash
        # values match up to the float normalisation PODPAC applies to a written grid
        np.testing.assert_allclose(again["lat"].coordinates, tile["lat"].coordinates, rtol=1e-13, atol=1e-13)


def test_slicing_is_cheap() -> None:
    c = Coordinates([clinspace(-90, 90, 100_000, "lat"), clinspace(-180, 180, 200_000, "lon"), crange("2018-01-01", "2019-01-01", "1,D", "time")])
    start = time.perf_counter()
    tiles = [c[i : i + 100, j : j + 100, :] for i in range(0, 2000, 100) for j in range(0, 2000, 100)]
    elapsed = time.perf_counter() - start
    assert len(tiles) == 400 and all(t.shape == (100, 100, 366) for t in tiles)
    assert elapsed < 5.0  # about 0.05 s on an idle machine
    assert c["lat"]._values is None  # slicing never built the parent's grid


def test_pickle_round_trip(grid: Coordinates) -> None:
    import pickle

    grid["alt"].coordinates  # populate a cache
    again = pickle.loads(pickle.dumps(grid))
    assert again == grid and again.hash == grid.hash
    assert not again["alt"].coordinates.flags.writeable
    assert again[1:, 1:].shape == (2, 3, 5)


def test_import_is_light() -> None:
    code = (
        "import sys, podpac_exec; before = set(sys.modules); import podpac_exec.coordinates; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; print(sorted(new & {'xarray', 'pandas'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_exact_definition_reloads_slices_bit_for_bit():
    """Tiles travel as exact definitions: a slice's values survive the JSON round trip exactly."""
    import json as _json

    parent = Coordinates([clinspace(-170, 170, 40, "lon"), clinspace(-60, 60, 257, "lat")])
    for index in [(slice(30, 40), slice(0, 1)), (slice(3, 17), slice(100, 257)), (slice(0, 40, 3), slice(5, 6))]:
        tile = parent[index]
        again = Coordinates.from_definition(_json.loads(_json.dumps(tile.exact_definition)))
        for dim in tile.dims:
            np.testing.assert_array_equal(again[dim].coordinates, tile[dim].coordinates)
        assert again == tile and again.json == tile.json
    with pytest.raises(CoordinatesError) as err:
        Coordinates.from_definition({"coords": [{"start": 0, "stop": 1, "size": 3, "name": "lat", "origin": [5.0, 1.0, 0, 1]}]})
    assert err.value.field.endswith("origin")
