"""podpac_exec.coordinates.parsing: PODPAC JSON read and written back exactly, xarray in, validation, fuzzing."""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

from podpac_exec.coordinates import DEFAULT_CRS, Coordinates, UniformCoordinates1d, clinspace, crange
from podpac_exec.errors import CoordinatesError

from coordinates_helpers import FUZZ, PODPAC_CASES, values_of


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
        assert values_of(c[udim]) == expected["values"]


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


def test_mapping_and_tuple_definitions() -> None:
    from types import MappingProxyType

    d = MappingProxyType({"coords": ({"values": (1, 2), "name": "lat"},), "crs": DEFAULT_CRS})
    assert Coordinates.from_definition(d).shape == (2,)


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
