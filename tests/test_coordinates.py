"""Tests for podpac_exec.coordinates: PODPAC-exact values and JSON, slicing, xarray, validation."""

from __future__ import annotations

import copy
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpac_exec.coordinates import (
    DEFAULT_CRS,
    VALID_DIMS,
    ArrayCoordinates1d,
    Coordinates,
    Coordinates1d,
    DimensionNotFoundError,
    StackedCoordinates,
    UniformCoordinates1d,
    clinspace,
    crange,
)
from podpac_exec.errors import CoordinatesError, PodpacExecError

FIXTURE = Path(__file__).parent / "data" / "coordinates" / "podpac_cases.json"
PODPAC_CASES = json.loads(FIXTURE.read_text())["cases"]
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _values(c1d: Coordinates1d) -> list[Any]:
    v = c1d.coordinates
    return v.astype(str).tolist() if v.dtype.kind == "M" else v.tolist()


# ----------------------------------------------------------------------------------------------
# PODPAC compatibility
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", PODPAC_CASES, ids=[str(i) for i in range(len(PODPAC_CASES))])
def test_values_and_json_match_podpac(case: dict[str, Any]) -> None:
    c = Coordinates.from_json(case["input"])
    assert c.json == case["json"]
    assert list(c.shape) == case["shape"]
    for udim, expected in case["values"].items():
        assert str(c[udim].coordinates.dtype) == expected["dtype"]
        assert _values(c[udim]) == expected["values"]


@pytest.mark.parametrize("case", PODPAC_CASES, ids=[str(i) for i in range(len(PODPAC_CASES))])
def test_podpac_json_reads_and_writes_back_byte_identical(case: dict[str, Any]) -> None:
    c = Coordinates.from_json(case["json"])
    assert c.json == case["json"]
    again = Coordinates.from_json(c.json)
    assert again == c
    assert again.hash == c.hash


# strings copied verbatim from PODPAC 4.0.5 output
PODPAC_STRINGS = [
    '{"coords":[{"start":-45.0,"stop":45.0,"step":30.0,"name":"lat"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"}',
    '{"coords":[{"start":"2018-01-01","stop":"2018-01-09","step":"2,D","name":"time"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"}',
    '{"coords":[[{"values":[1.0,2.0,3.0],"name":"lat"},{"values":[4.0,5.0,6.0],"name":"lon"}],'
    '{"values":["2018-01-01T00:00","2018-01-02T12:00"],"name":"time"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"}',
    '{"coords":[{"start":"2018-01-01","stop":"2018-01-02T00","step":"12,h","name":"time"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"}',
    '{"coords":[{"start":"2018-01-01T00:00:00","stop":"2018-06-01T00:00:00.000000","step":"1,M","name":"time"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"}',
    '{"coords":[{"start":0.2,"stop":0.6000000000000001,"step":0.20000000000000004,"name":"lat"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"}',
]


@pytest.mark.parametrize("text", PODPAC_STRINGS)
def test_podpac_strings_round_trip(text: str) -> None:
    assert Coordinates.from_json(text).json == text


def test_constructors_write_podpac_json() -> None:
    c = Coordinates([clinspace(-45, 45, 4, "lat")])
    assert c.json == PODPAC_STRINGS[0]
    c = Coordinates([crange("2018-01-01", "2018-01-10", "2,D", "time")])
    assert c.json == PODPAC_STRINGS[1]
    c = Coordinates([[[1, 2, 3], [4, 5, 6]], ["2018-01-01", "2018-01-02T12:00"]], dims=["lat_lon", "time"])
    assert c.json == PODPAC_STRINGS[2]


def test_uniform_values_are_start_plus_arange_times_step() -> None:
    u = crange(0, 1, 0.1, "lat")
    assert u.coordinates.tolist() == (u.start + np.arange(u.size) * u.step).tolist()
    assert u.coordinates[3] == 0.30000000000000004  # not linspace's 0.3
    assert u.size == 11 and u.stop == 1.0  # stop on the grid is included


def test_stop_moves_onto_grid_and_float_step_is_renormalised() -> None:
    u = UniformCoordinates1d(0, 1, step=0.3)
    assert (u.start, u.stop, u.step, u.size) == (0.0, 0.8999999999999999, 0.3, 4)
    u = clinspace(0.1, 0.7, 7)
    assert u.step == 0.09999999999999999


# ----------------------------------------------------------------------------------------------
# 1-D coordinates
# ----------------------------------------------------------------------------------------------


def test_uniform_properties() -> None:
    u = clinspace(45, -45, 4, "lat")
    assert u.name == "lat" and u.size == 4 and len(u) == 4 and u.shape == (4,)
    assert u.dtype == np.float64 and u.is_uniform and u.is_monotonic and u.is_descending
    assert u.bounds == (-45.0, 45.0)
    assert u.definition == {"start": 45.0, "stop": -45.0, "step": -30.0, "name": "lat"}
    assert clinspace(0, 1, 3).definition == {"start": 0.0, "stop": 1.0, "step": 0.5}
    assert UniformCoordinates1d(0, 0, step=1).is_descending is None


def test_uniform_coordinates_are_cached_and_read_only() -> None:
    u = clinspace(0, 1, 1000, "lat")
    first = u.coordinates
    assert u.coordinates is first
    with pytest.raises(ValueError):
        first[0] = 5.0


def test_huge_uniform_is_lazy() -> None:
    u = clinspace(0, 1, 10**11, "lat")
    assert u.size == 10**11
    assert u[5:8].coordinates.tolist() == (0.0 + np.arange(5, 8) * u.step).tolist()
    assert u.bounds == (0.0, 0.0 + (10**11 - 1) * u.step)  # PODPAC: start + step * (size - 1)


def test_array_properties_follow_podpac() -> None:
    a = ArrayCoordinates1d([3, 2, 1], name="lat")
    assert (a.is_monotonic, a.is_descending, a.is_uniform) == (True, True, True)
    assert a.bounds == (1.0, 3.0) and a.dtype == np.float64 and not a.is_datetime
    one = ArrayCoordinates1d([3])
    assert (one.is_monotonic, one.is_descending, one.is_uniform) == (True, None, None)
    empty = ArrayCoordinates1d([])
    assert (empty.is_monotonic, empty.is_descending, empty.is_uniform) == (None, None, None)
    assert empty.coordinates.dtype == np.float64
    messy = ArrayCoordinates1d([1, 5, 2], name="lon")
    assert (messy.is_monotonic, messy.is_uniform) == (False, False) and messy.bounds == (1.0, 5.0)


def test_array_copies_its_input() -> None:
    src = np.array([1.0, 2.0, 3.0])
    a = ArrayCoordinates1d(src, name="lat")
    src[0] = 99
    assert a.coordinates[0] == 1.0
    assert not a.coordinates.flags.writeable


def test_array_datetimes() -> None:
    a = ArrayCoordinates1d(["2018-01-01", "2018-01-02T12:00"], name="time")
    assert a.coordinates.dtype == np.dtype("datetime64[m]") and a.is_datetime
    assert a.bounds == (np.datetime64("2018-01-01T00:00"), np.datetime64("2018-01-02T12:00"))
    b = ArrayCoordinates1d(np.array(["2018-01-01"], dtype="datetime64[ns]"), name="time")
    assert b.definition == {"values": ["2018-01-01T00:00:00.000000000"], "name": "time"}
    z = ArrayCoordinates1d(["2018-01-01T00:00Z"], name="time")  # UTC designator accepted
    assert z.definition["values"] == ["2018-01-01T00:00"]


def test_scalar_becomes_size_one() -> None:
    assert ArrayCoordinates1d(5, name="lat").coordinates.tolist() == [5.0]
    c = Coordinates([5, "2018-01-01"], dims=["lat", "time"])
    assert c.shape == (1, 1)


def test_uniform_time_steps() -> None:
    u = crange("2018-01-01", "2018-01-02", np.timedelta64(6, "h"), "time")
    assert u.size == 5 and u.dtype == np.dtype("datetime64[h]")
    u = crange(datetime.date(2018, 1, 1), "2018-01-03", datetime.timedelta(days=1), "time")
    assert u.size == 3
    # PODPAC counts whole months from start to stop ignoring the day, so May 31 is included
    months = crange("2018-01-31", "2018-05-01", "1,M", "time")
    assert _values(months) == [
        "2018-01-31T00:00:00.000000",
        "2018-02-28T00:00:00.000000",
        "2018-03-31T00:00:00.000000",
        "2018-04-30T00:00:00.000000",
        "2018-05-31T00:00:00.000000",
    ]
    assert months.dtype == np.dtype("datetime64[us]")


@pytest.mark.parametrize(
    ("index", "expected"),
    [(slice(2, 8, 2), [2, 4, 6]), (slice(None, None, -3), [10, 7, 4, 1]), (slice(-3, None), [8, 9, 10])],
)
def test_uniform_slice_stays_uniform_with_the_parents_exact_values(index: slice, expected: list[int]) -> None:
    u = clinspace(0, 1, 11, "lat")
    s = u[index]
    assert isinstance(s, UniformCoordinates1d)
    assert s.coordinates.tolist() == u.coordinates[expected].tolist()
    assert s.name == "lat"


def test_uniform_int_and_array_index() -> None:
    u = clinspace(0, 1, 11, "lat")
    assert isinstance(u[3], ArrayCoordinates1d) and u[3].coordinates.tolist() == [u.coordinates[3]]
    assert u[-1].coordinates.tolist() == [1.0]
    assert u[[1, 2]].coordinates.tolist() == u.coordinates[[1, 2]].tolist()
    mask = np.zeros(11, bool)
    mask[[0, 5]] = True
    assert u[mask].coordinates.tolist() == [0.0, 0.5]
    assert u[5:5].size == 0 and u[5:5].dtype == np.float64
    with pytest.raises(IndexError):
        u[11]
    with pytest.raises(IndexError):
        u[np.zeros(3, bool)]


def test_array_slice_is_a_view() -> None:
    a = ArrayCoordinates1d([1, 2, 3, 4], name="lat")
    s = a[1:3]
    assert s.coordinates.base is not None and s.coordinates.tolist() == [2.0, 3.0]


def test_month_slice_falls_back_to_values_when_a_fresh_grid_would_drift() -> None:
    months = crange("2018-01-31", "2018-05-01", "1,M", "time")
    s = months[1:]
    assert s.coordinates.tolist() == months.coordinates[1:].tolist()
    assert isinstance(s, ArrayCoordinates1d)
    days = crange("2018-01-01", "2018-01-10", "1,D", "time")
    assert isinstance(days[2:6], UniformCoordinates1d)


def test_eq_1d() -> None:
    assert clinspace(0, 1, 3, "lat") == ArrayCoordinates1d([0, 0.5, 1], name="lat")
    assert clinspace(0, 1, 3, "lat") != clinspace(0, 1, 3, "lon")
    assert clinspace(0, 1, 3, "lat") != clinspace(0, 1, 4, "lat")
    assert crange("2018-01-01", "2018-01-03", "1,D", "time") == crange("2018-01-01", "2018-01-03", "24,h", "time")
    assert ArrayCoordinates1d([np.nan, 1], name="lat") == ArrayCoordinates1d([np.nan, 1], name="lat")
    assert clinspace(0, 1, 3, "lat") != "lat"


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


# ----------------------------------------------------------------------------------------------
# Coordinates
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def grid() -> Coordinates:
    return Coordinates(
        [[[1, 2, 3], [4, 5, 6]], crange("2018-01-01", "2018-01-04", "1,D"), clinspace(0, 100, 5)],
        dims=["lat_lon", "time", "alt"],
    )


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


# ----------------------------------------------------------------------------------------------
# xarray
# ----------------------------------------------------------------------------------------------


def test_xcoords_and_from_xarray_round_trip(grid: Coordinates) -> None:
    da = xr.DataArray(np.zeros(grid.shape), coords=grid.xcoords, dims=grid.dims, attrs={"crs": "EPSG:4326"})
    assert not isinstance(da.indexes.get("lat_lon"), pd.MultiIndex)
    assert da["lat"].dims == ("lat_lon",)
    back = Coordinates.from_xarray(da)
    assert back.crs == "EPSG:4326"
    assert back == Coordinates(list(grid.values()), crs="EPSG:4326")
    assert back.hash == Coordinates(list(grid.values()), crs="EPSG:4326").hash
    assert Coordinates.from_xarray(da.coords, crs=DEFAULT_CRS) == grid
    assert Coordinates.from_xarray(da.to_dataset(name="x")).dims == grid.dims
    assert isinstance(back["alt"], UniformCoordinates1d)  # exact uniform values simplified


def test_xcoords_is_netcdf_writable(grid: Coordinates) -> None:
    da = xr.DataArray(np.zeros(grid.shape), coords=grid.xcoords, dims=grid.dims)
    raw = da.to_netcdf(engine="scipy")
    back = xr.open_dataarray(raw, engine="scipy")
    assert Coordinates.from_xarray(back, crs=DEFAULT_CRS) == grid


def test_from_xarray_multiindex() -> None:
    da = xr.DataArray(
        np.arange(3.0),
        coords={"lat": ("points", [1.0, 2.0, 3.0]), "lon": ("points", [4.0, 5.0, 7.0])},
        dims=["points"],
    ).set_index(points=["lat", "lon"])
    c = Coordinates.from_xarray(da)
    assert c.dims == ("lat_lon",) and c["lon"].coordinates.tolist() == [4.0, 5.0, 7.0]


def test_from_xarray_errors() -> None:
    with pytest.raises(CoordinatesError, match="no coordinate values"):
        Coordinates.from_xarray(xr.DataArray(np.zeros(3), dims=["lat"]))
    with pytest.raises(CoordinatesError, match="valid names"):
        Coordinates.from_xarray(xr.DataArray(np.zeros(3), coords={"x": [1, 2, 3]}, dims=["x"]))
    with pytest.raises(CoordinatesError, match="along it"):
        Coordinates.from_xarray(xr.DataArray(np.zeros(3), coords={"lat": ("lat_lon", [1, 2, 3])}, dims=["lat_lon"]))
    with pytest.raises(CoordinatesError, match="xarray"):
        Coordinates.from_xarray([1, 2])
    with pytest.raises(CoordinatesError, match="'x' has no coordinate values"):
        Coordinates.from_xarray(xr.DataArray(np.zeros((2, 3)), coords={"lat": [1.0, 2.0]}, dims=["lat", "x"]))
    out = xr.DataArray(np.zeros((2, 2)), coords={"lat": [1.0, 2.5]}, dims=["lat", "output"])
    assert Coordinates.from_xarray(out).dims == ("lat",)


# ----------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------

BAD_DEFINITIONS = [
    ("{", "coordinates", "malformed JSON"),
    ("5", "coordinates", "must be an object"),
    ('{"coords": {}}', "coords", "must be a list"),
    ('{"coords": [], "extra": 1}', "coordinates", "unknown keys"),
    ('{"crs": "x"}', "coordinates", "'coords' is required"),
    ('{"coords": [], "crs": 4326}', "crs", "must be a string"),
    ('{"coords": [5]}', "coords[0]", "must be an object"),
    ('{"coords": [{"values": [1]}]}', "coords[0].name", "'name' is required"),
    ('{"coords": [{"values": [1], "name": "x"}]}', "coords[0].name", "valid names: lat, lon, alt, time"),
    ('{"coords": [{"values": [1], "name": "lat"}, {"values": [2], "name": "lat"}]}', "coords[1].name", "duplicate"),
    ('{"coords": [{"values": [[1, 2]], "name": "lat"}]}', "coords[0].values[0]", "1-D"),
    ('{"coords": [{"values": {"a": 1}, "name": "lat"}]}', "coords[0].values", "must be a list"),
    ('{"coords": [{"values": [1, "2018-01-01"], "name": "lat"}]}', "coords[0].values", "all numbers"),
    ('{"coords": [{"values": [true], "name": "lat"}]}', "coords[0].values", "all numbers"),
    ('{"coords": [{"values": ["yesterday"], "name": "time"}]}', "coords[0].values", "invalid datetime"),
    ('{"coords": [{"values": ["now"], "name": "time"}]}', "coords[0].values", "invalid datetime"),
    ('{"coords": [{"values": ["2018-01-01T00:00+01:00"], "name": "time"}]}', "coords[0].values", "timezone"),
    ('{"coords": [{"values": [1e999999], "name": "lat"}]}', None, None),  # inf is a value, allowed
    ('{"coords": [{"values": [1], "name": "lat", "foo": 1}]}', "coords[0]", "unknown keys ['foo']"),
    ('{"coords": [{"geotransform": [1], "shape": [1, 1]}]}', "coords[0]", "not supported"),
    ('{"coords": [{"name": "lat"}]}', "coords[0]", "needs 'values' or 'start'"),
    ('{"coords": [{"start": 0, "stop": 1, "name": "lat"}]}', "coords[0].step", "step or size is required"),
    ('{"coords": [{"start": 0, "step": 1, "name": "lat"}]}', "coords[0].stop", "'stop' is required"),
    ('{"coords": [{"start": 0, "stop": 1, "size": 0, "name": "lat"}]}', "coords[0].size", "positive integer"),
    ('{"coords": [{"start": 0, "stop": 1, "size": -3, "name": "lat"}]}', "coords[0].size", "positive integer"),
    ('{"coords": [{"start": 0, "stop": 1, "size": 2.5, "name": "lat"}]}', "coords[0].size", "positive integer"),
    ('{"coords": [{"start": 0, "stop": 1, "size": 3.0, "name": "lat"}]}', "coords[0].size", "positive integer"),
    ('{"coords": [{"start": 0, "stop": 1, "size": "3", "name": "lat"}]}', "coords[0].size", "positive integer"),
    ('{"coords": [{"start": 0, "stop": 1, "size": 3, "step": 1, "name": "lat"}]}', "coords[0].step", "not both"),
    ('{"coords": [{"start": 0, "stop": 1, "step": 0, "name": "lat"}]}', "coords[0].step", "must not be zero"),
    ('{"coords": [{"start": 0, "stop": 1, "step": -1, "name": "lat"}]}', "coords[0].step", "positive"),
    ('{"coords": [{"start": 1, "stop": 0, "step": 1, "name": "lat"}]}', "coords[0].step", "negative"),
    ('{"coords": [{"start": 0, "stop": 0, "size": 3, "name": "lat"}]}', "coords[0].size", "size must be 1"),
    ('{"coords": [{"start": 0, "stop": 1, "size": 1, "name": "lat"}]}', "coords[0].size", "start == stop"),
    ('{"coords": [{"start": NaN, "stop": 1, "size": 3, "name": "lat"}]}', "coords[0].start", "finite"),
    ('{"coords": [{"start": 0, "stop": Infinity, "size": 3, "name": "lat"}]}', "coords[0].stop", "finite"),
    ('{"coords": [{"start": 0, "stop": 1, "step": NaN, "name": "lat"}]}', "coords[0].step", "finite"),
    ('{"coords": [{"start": [0], "stop": 1, "size": 3, "name": "lat"}]}', "coords[0].start", "number or an ISO"),
    ('{"coords": [{"start": null, "stop": 1, "size": 3, "name": "lat"}]}', "coords[0].start", "number or an ISO"),
    ('{"coords": [{"start": "2018-01-01", "stop": 1, "size": 3, "name": "time"}]}', "coords[0].stop", "both"),
    ('{"coords": [{"start": "2018-01-01", "stop": "2018-01-05", "step": 1, "name": "time"}]}', "coords[0].step", "time step"),
    ('{"coords": [{"start": "2018-01-01", "stop": "2018-01-05", "step": "1,X", "name": "time"}]}', "coords[0].step", "invalid time step"),
    ('{"coords": [{"start": 0, "stop": 1, "step": "1,D", "name": "lat"}]}', "coords[0].step", "must be a number"),
    ('{"coords": [{"start": "2018-01-01", "stop": "2018-01-02T00:00:01", "size": 7, "name": "time"}]}', "coords[0].size", "evenly"),
    ('{"coords": [{"start": "2018-01", "stop": "2018-03", "size": 3, "name": "time"}]}', None, None),
    ('{"coords": [{"start": "2018-01", "stop": "2018-02", "size": 3, "name": "time"}]}', "coords[0].size", "evenly"),
    ('{"coords": [{"start": 0, "stop": 1e300, "step": 1e-300, "name": "lat"}]}', "coords[0].step", "finite grid"),
    ('{"coords": [{"start": 0, "stop": 1e15, "step": 1, "name": "lat"}]}', "coords[0].step", "exceeds the maximum"),
    ('{"coords": [{"start": 0, "stop": 1, "size": 1099511627777, "name": "lat"}]}', "coords[0].size", "exceeds the maximum"),
    ('{"coords": [{"start": "0001-01-01", "stop": "9000-01-01", "step": "1,ns", "name": "time"}]}', "coords[0].step", None),
    ('{"coords": [[{"values": [1], "name": "lat"}]]}', "coords[0]", "at least 2"),
    ('{"coords": [[{"values": [1], "name": "lat"}, {"values": [1, 2], "name": "lon"}]]}', "coords[0][1].size", "same size"),
    ('{"coords": [[{"values": [1], "name": "lat"}, [{"values": [1], "name": "lon"}]]]}', "coords[0][1]", "must be an object"),
    ('{"coords": [[{"values": [1], "name": "lat"}, {"values": [1], "name": "lat"}]]}', "coords[0][1].name", "duplicate"),
]


@pytest.mark.parametrize(("text", "field", "match"), BAD_DEFINITIONS)
def test_invalid_definitions(text: str, field: str | None, match: str | None) -> None:
    if field is None:
        Coordinates.from_json(text)
        return
    with pytest.raises(CoordinatesError) as info:
        Coordinates.from_json(text)
    assert info.value.field == field, str(info.value)
    assert str(info.value).startswith(field)
    if match is not None:
        assert match in info.value.message


def test_bare_list_definition() -> None:
    c = Coordinates.from_definition([{"values": [1, 2], "name": "lat"}])
    assert c.dims == ("lat",) and c.crs == DEFAULT_CRS


def test_max_size_keyword() -> None:
    text = '{"coords": [{"start": 0, "stop": 1, "size": 2000, "name": "lat"}]}'
    with pytest.raises(CoordinatesError, match="exceeds the maximum of 1000"):
        Coordinates.from_json(text, max_size=1000)
    with pytest.raises(CoordinatesError, match="exceeds"):
        UniformCoordinates1d(0, 1e9, step=1, max_size=10**6)
    assert Coordinates.from_json(text).shape == (2000,)


def test_module_cap_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import podpac_exec.coordinates as module

    monkeypatch.setattr(module, "MAX_UNIFORM_SIZE", 100)
    with pytest.raises(CoordinatesError, match="exceeds the maximum of 100"):
        clinspace(0, 1, 101)
    assert clinspace(0, 1, 100).size == 100


def test_mapping_and_tuple_definitions() -> None:
    from types import MappingProxyType

    d = MappingProxyType({"coords": ({"values": (1, 2), "name": "lat"},), "crs": DEFAULT_CRS})
    assert Coordinates.from_definition(d).shape == (2,)


def test_long_time_grid_is_counted_exactly() -> None:
    # float64 division miscounts this span (2.5e11 steps of 571 ms in microseconds)
    text = '{"coords":[{"start":"0410-01-01T00:01:00.000001","stop":"4977-02-01T00:00:01","step":"571,ms","name":"time"}]}'
    c = Coordinates.from_json(text)
    again = Coordinates.from_json(c.json)
    assert again == c and again.hash == c.hash and again.shape == c.shape


def test_pickle_round_trip(grid: Coordinates) -> None:
    import pickle

    grid["alt"].coordinates  # populate a cache
    again = pickle.loads(pickle.dumps(grid))
    assert again == grid and again.hash == grid.hash
    assert not again["alt"].coordinates.flags.writeable
    assert again[1:, 1:].shape == (2, 3, 5)


def test_error_types() -> None:
    with pytest.raises(ValueError):  # CoordinatesError is a ValueError
        Coordinates.from_json("{")
    with pytest.raises(CoordinatesError, match="not both"):
        UniformCoordinates1d(0, 1, step=1, size=2)
    with pytest.raises(CoordinatesError, match="valid names"):
        clinspace(0, 1, 3, "latitude")
    assert VALID_DIMS == ("lat", "lon", "alt", "time")


# ----------------------------------------------------------------------------------------------
# property-based
# ----------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["lat", "lon", "time", "alt", "lat_lon", "2018-01-01", "1,D", "-2,h", "x", "", "NaT", "now"]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(["coords", "crs", "start", "stop", "step", "size", "values", "name", "x"]), children, max_size=5
    ),
    max_leaves=20,
)

VALID_TEMPLATES: list[Any] = [json.loads(case["input"]) for case in PODPAC_CASES[:31]]


def _mutate(d: Any, data: st.DataObject) -> Any:
    """Replace, delete or insert one randomly chosen node of a JSON value."""
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, path + (k,))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + (i,))

    walk(d, ())
    path = data.draw(st.sampled_from(paths))
    out = copy.deepcopy(d)
    if not path:
        return data.draw(json_values)
    parent = out
    for key in path[:-1]:
        parent = parent[key]
    action = data.draw(st.sampled_from(["replace", "delete", "insert"]))
    if action == "delete":
        del parent[path[-1]]
    elif action == "insert" and isinstance(parent, dict):
        parent[data.draw(st.sampled_from(["start", "stop", "step", "size", "values", "name", "zzz"]))] = data.draw(json_values)
    else:
        parent[path[-1]] = data.draw(json_values)
    return out


def _load_or_error(obj: Any) -> None:
    try:
        c = Coordinates.from_definition(obj)
    except CoordinatesError as e:
        assert e.field
        return
    # whatever loads must serialise and reload to an equal object
    again = Coordinates.from_json(c.json)
    assert again == c and again.hash == c.hash


@FUZZ
@given(json_values)
def test_fuzz_random_json_only_succeeds_or_raises_coordinates_error(value: Any) -> None:
    _load_or_error(value)
    try:
        Coordinates.from_json(json.dumps(value))
    except CoordinatesError:
        pass


@FUZZ
@given(st.data())
def test_fuzz_mutated_definitions_only_succeed_or_raise_coordinates_error(data: st.DataObject) -> None:
    template = data.draw(st.sampled_from(VALID_TEMPLATES))
    mutated = template
    for _ in range(data.draw(st.integers(1, 3))):
        mutated = _mutate(mutated, data)
    _load_or_error(mutated)


@FUZZ
@given(st.text(max_size=60))
def test_fuzz_random_text(text: str) -> None:
    try:
        Coordinates.from_json(text)
    except CoordinatesError:
        pass


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@FUZZ
@given(finite, finite, st.integers(2, 500))
def test_property_uniform_size_round_trip(start: float, stop: float, size: int) -> None:
    if start == stop:
        return
    try:
        u = clinspace(start, stop, size, "lat")
    except CoordinatesError:
        return  # spacing below float64 resolution
    assert u.size == size
    assert u.coordinates.tolist() == (u.start + np.arange(size) * u.step).tolist()
    c = Coordinates([u])
    again = Coordinates.from_json(c.json)
    assert again == c and again.hash == c.hash


@FUZZ
@given(finite, st.floats(min_value=1e-3, max_value=1e3), st.integers(1, 300), st.data())
def test_property_slices_keep_the_parents_values(start: float, step: float, size: int, data: st.DataObject) -> None:
    u = UniformCoordinates1d(start, start + step * (size - 1), step=step, name="lon")
    i = data.draw(st.integers(-u.size - 2, u.size + 2))
    j = data.draw(st.integers(-u.size - 2, u.size + 2))
    k = data.draw(st.sampled_from([None, 1, 2, 3, -1, -2]))
    s = u[i:j:k]
    assert s.coordinates.tolist() == u.coordinates[i:j:k].tolist()
    if s.size:
        again = Coordinates.from_json(Coordinates([s]).json)
        assert again == Coordinates([s]) and again.hash == Coordinates([s]).hash


iso_dates = st.datetimes(min_value=datetime.datetime(1, 1, 1)).map(lambda d: d.isoformat())
time_units = st.sampled_from(["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns"])
time_specs = st.one_of(
    st.integers(1, 50).map(lambda n: ("size", n)),
    st.tuples(st.integers(-(10**6), 10**6), time_units).map(lambda p: ("step", f"{p[0]},{p[1]}")),
)


@FUZZ
@given(iso_dates, iso_dates, time_specs)
def test_property_time_grids(start: str, stop: str, spec: tuple[str, Any]) -> None:
    definition = {"coords": [{"start": start, "stop": stop, spec[0]: spec[1], "name": "time"}]}
    _load_or_error(definition)
    try:
        u = Coordinates.from_definition(definition)["time"]
    except CoordinatesError:
        return
    if u.size <= 10_000:
        assert u.coordinates.size == u.size
        assert u[1::2].coordinates.tolist() == u.coordinates[1::2].tolist()
        assert u.bounds == (u.coordinates.min(), u.coordinates.max())


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
