"""Interpolation functions and the Interpolate node, checked against PODPAC 4.0.5's values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.data import Array
from podpac_exec.nodes.interpolation import (
    Interpolate,
    Interpolation,
    LinearOptions,
    NearestOptions,
    interpolate,
)

DATA = Path(__file__).resolve().parents[2] / "data"
REFERENCE = json.loads((DATA / "podpac_reference" / "cases.json").read_text())
EXTRA = json.loads((DATA / "podpac_nodes_extra" / "cases.json").read_text())["cases"]


def _expected(data: list) -> np.ndarray:
    return np.array(data, dtype=float)  # null -> NaN


def _check(got: np.ndarray, expected: np.ndarray) -> None:
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, equal_nan=True)


# -- PODPAC's own cases --------------------------------------------------------------------------

INTERPOLATE_CASES = [
    c for c in REFERENCE if "Interpolate" in c["nodes"] and set(c["nodes"]) <= {"Array", "Interpolate"}
]
EXTRA_CASES = [c for c in EXTRA if c["kind"] == "interpolate"]


def test_reference_cases_are_present():
    assert len(INTERPOLATE_CASES) >= 25
    assert len(EXTRA_CASES) >= 70


@pytest.mark.parametrize("case", INTERPOLATE_CASES, ids=[c["name"] for c in INTERPOLATE_CASES])
def test_reference_values(case):
    node = Node.from_json(json.dumps(case["pipeline"]))
    out = node.eval(Coordinates.from_definition(case["coordinates"]))
    assert list(out.dims) == case["output"]["dims"]
    _check(out.values, _expected(case["output"]["data"]))


@pytest.mark.parametrize("case", INTERPOLATE_CASES, ids=[c["name"] for c in INTERPOLATE_CASES])
def test_reference_json_round_trip(case):
    text = json.dumps(case["pipeline"])
    node = Node.from_json(text)
    if not case["name"].startswith("handwritten"):
        assert node.json == json.dumps(case["pipeline"], separators=(",", ":"))  # byte-identical
    assert Node.from_json(node.json).hash == node.hash


@pytest.mark.parametrize("case", EXTRA_CASES, ids=[f"extra{i}" for i in range(len(EXTRA_CASES))])
def test_randomised_podpac_cases(case):
    """Random sources (uniform, array, descending, stacked, time; NaN), requests (midpoints, edges,
    outside, finer uniform, stacked) and methods/params, valued by PODPAC 4.0.5."""
    node = Node.from_json(json.dumps(case["pipeline"]))
    assert node.json == json.dumps(case["pipeline"], separators=(",", ":"))
    request = Coordinates.from_definition(case["coordinates"])
    out = node.eval(request)
    expected = _expected(case["data"])
    got = out.values
    if len(case["dims"]) < len(request.dims):  # PODPAC drops request dims the source lacks
        got = got[tuple(slice(None) if d in case["dims"] else 0 for d in request.dims)]
    _check(got, expected)


# -- the function API ----------------------------------------------------------------------------

GRID = Coordinates([clinspace(0, 4, 5, "lat"), clinspace(0, 1, 2, "lon")])
VALUES = np.array([[0, 1], [10, 11], [20, 21], [30, 31], [40, 41]], dtype=float)


def test_nearest_midpoints_and_half_step_edges():
    # all neighbours selected: ties go to the lower index, a half step beyond the edges is kept
    request = Coordinates([[-0.6, -0.5, -0.4, 0.0, 0.5, 1.5, 2.5, 3.0, 3.5, 4.4, 4.5, 4.6], [0.0]], dims=["lat", "lon"])
    got = interpolate(VALUES, GRID, request)
    np.testing.assert_array_equal(got[:, 0], [np.nan, np.nan, 0, 0, 0, 10, 20, 30, 30, 40, 40, np.nan])
    # PODPAC: fewer points select source indices {0, 1, 4} only, a non-uniform subset: strict bounds
    request = Coordinates([[-0.6, -0.5, -0.4, 0.5, 1.5, 3.5, 4.5, 4.6], [0.0]], dims=["lat", "lon"])
    got = interpolate(VALUES, GRID, request)
    np.testing.assert_array_equal(got[:, 0], [np.nan, np.nan, np.nan, 0, 10, 40, np.nan, np.nan])


def test_nearest_sparse_request_selector_quirk():
    # PODPAC keeps source indices {0, 2} for these two ties, so 1.5 goes to 20 (not 10)
    request = Coordinates([[0.5, 1.5], [0.0]], dims=["lat", "lon"])
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request)[:, 0], [0, 20])


def test_bilinear_nan_outside_and_exact_on_nodes():
    request = Coordinates([[-0.1, 0.0, 0.25, 4.0, 4.1], [0.0, 0.5]], dims=["lat", "lon"])
    got = interpolate(VALUES, GRID, request, "bilinear")
    np.testing.assert_allclose(got, [[np.nan] * 2, [0, 0.5], [2.5, 3.0], [40, 40.5], [np.nan] * 2])
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request, "linear"), got)


def test_descending_source_matches_ascending():
    desc = Coordinates([clinspace(4, 0, 5, "lat"), clinspace(0, 1, 2, "lon")])
    request = Coordinates([[0.25, 1.75, 3.2], [0.3]], dims=["lat", "lon"])
    for method in ("nearest", "bilinear"):
        np.testing.assert_allclose(
            interpolate(VALUES[::-1], desc, request, method), interpolate(VALUES, GRID, request, method)
        )


def test_stacked_request_is_pointwise():
    request = Coordinates([[[0.0, 2.0, 3.6], [1.0, 0.0, 0.4]]], dims=["lat_lon"])
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request), [1, 20, 40])


def test_stacked_source_nearest():
    source = Coordinates([[[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]], dims=["lat_lon"])
    request = Coordinates([[0.1, 1.9, 2.5], [0.2, 1.2]], dims=["lat", "lon"])
    got = interpolate(np.array([5.0, 6.0, 7.0]), source, request)
    np.testing.assert_array_equal(got, [[5, 6], [6, 7], [np.nan, np.nan]])  # outside the bounding box -> NaN
    with pytest.raises(PipelineError, match="stacked"):
        interpolate(np.array([5.0, 6.0, 7.0]), source, request, "bilinear")


@pytest.mark.parametrize("scale", [None, 2.0])
def test_a_stacked_source_at_its_own_points_is_searched_once(monkeypatch, scale):
    from podpac_exec.nodes.interpolation import search

    rng = np.random.default_rng(4)
    lat, lon = rng.uniform(0, 10, 400), rng.uniform(0, 10, 400)
    source = Coordinates([[lat, lon]], dims=["lat_lon"])
    values = rng.normal(size=400)
    points = Coordinates([[lat[::-1], lon[::-1]]], dims=["lat_lon"])  # the source's points, reordered
    calls = []
    real = search.kdtree_nearest
    monkeypatch.setattr(search, "kdtree_nearest", lambda *a, **k: calls.append(1) or real(*a, **k))
    for module in ("selection", "nearest"):
        monkeypatch.setattr(f"podpac_exec.nodes.interpolation.{module}.kdtree_nearest", search.kdtree_nearest)
    method = {"method": "nearest", "params": {"spatial_scale": scale}} if scale else "nearest"
    got = interpolate(values, source, points, method)
    np.testing.assert_array_equal(got, values[::-1])
    assert len(calls) == (1 if scale is None else 2)  # a scaled search is another query


def test_time_nearest_and_linear():
    source = Coordinates([["2018-01-01", "2018-01-03", "2018-01-05"]], dims=["time"])
    request = Coordinates([["2018-01-02", "2018-01-04T12", "2018-01-06"]], dims=["time"])
    # PODPAC selects times {0, 2} only, so 01-04T12 and 01-06 are within half a step of 01-05
    np.testing.assert_array_equal(interpolate(np.array([1.0, 3.0, 5.0]), source, request), [1, 5, 5])
    np.testing.assert_allclose(interpolate(np.array([1.0, 3.0, 5.0]), source, request, "linear"), [2, 4.5, np.nan])


def test_request_dims_missing_from_the_source_are_broadcast():
    request = Coordinates([[1.0, 2.0], [0.0], ["2018-01-01", "2018-01-02"]], dims=["lat", "lon", "time"])
    got = interpolate(VALUES, GRID, request)
    assert got.shape == (2, 1, 2)
    np.testing.assert_array_equal(got[..., 0], got[..., 1])
    assert got.flags.writeable


def test_request_order_follows_the_request():
    request = Coordinates([[0.0, 1.0], [1.0, 2.0, 3.0]], dims=["lon", "lat"])
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request), VALUES[1:4].T)


def test_missing_source_dim_is_an_error():
    with pytest.raises(CoordinatesError, match="lon"):
        interpolate(VALUES, GRID, Coordinates([[1.0]], dims=["lat"]))


def test_time_against_numbers_is_an_error():
    source = Coordinates([["2018-01-01", "2018-01-03"]], dims=["time"])
    with pytest.raises(CoordinatesError, match="time"):
        interpolate(np.array([1.0, 2.0]), source, Coordinates([[1.0]], dims=["time"]))


def test_a_request_in_another_crs_is_transformed_into_the_sources():
    from podpac_exec.crs import transformer

    x, y = transformer("EPSG:4326", "EPSG:3857").transform(np.array([0.0]), np.array([1.0]))
    request = Coordinates([[float(y[0])], [float(x[0])]], dims=["lat", "lon"], crs="EPSG:3857")
    same = Coordinates([[1.0], [0.0]], dims=["lat", "lon"], crs="WGS84")
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request), interpolate(VALUES, GRID, same))


def test_a_request_that_cannot_be_transformed_names_the_crs():
    request = Coordinates([[1.0]], dims=["lat"], crs="EPSG:3857")
    with pytest.raises(CoordinatesError, match="coordinates.crs: cannot transform.*lat and lon"):
        interpolate(VALUES[:, 0], Coordinates([GRID["lat"]]), request)


def test_shape_mismatch_is_an_error():
    with pytest.raises(PipelineError, match="shape"):
        interpolate(VALUES.T, GRID, GRID)


def test_large_grid_nearest_is_a_plain_gather():
    n = 300
    grid = Coordinates([clinspace(0, 1, n, "lat"), clinspace(0, 2, n + 1, "lon")])
    values = np.random.default_rng(0).normal(size=grid.shape)
    np.testing.assert_array_equal(interpolate(values, grid, grid), values)
    sub = Coordinates([clinspace(0, 1, n, "lat")[10:20], clinspace(0, 2, n + 1, "lon")[5:50]])
    np.testing.assert_array_equal(interpolate(values, grid, sub), values[10:20, 5:50])



def test_nearest_at_the_sources_own_grid_never_hands_out_or_writes_the_sources_array():
    n = 300
    grid = Coordinates([clinspace(0, 1, n, "lat"), clinspace(0, 2, n + 1, "lon")])
    values = np.random.default_rng(1).normal(size=grid.shape)
    node = Interpolate(source=Array(source=values, coordinates=grid), interpolation="nearest")
    kept = node.source.source.copy()
    out, _ = node.eval_values(grid)
    np.testing.assert_array_equal(out, values)
    assert not np.shares_memory(out, node.source.source)
    out[...] = -1.0  # the result is the caller's own
    step = 2 / n
    beyond = Coordinates([clinspace(0, 1, n, "lat"), clinspace(-step * 3, 2, n + 4, "lon")])  # misses on lon
    got, _ = node.eval_values(beyond)
    assert np.isnan(got[:, :2]).all() and np.array_equal(got[:, 3:], values)
    np.testing.assert_array_equal(node.source.source, kept)


# -- interpolation definitions -------------------------------------------------------------------


def test_parse_forms():
    assert Interpolation.parse("bilinear").rules[0].method == "linear"
    rules = Interpolation.parse(
        [
            {"method": "bilinear", "dims": ["lon", "lat"]},
            {"method": "nearest", "dims": ["time"], "params": {"spatial_tolerance": 2}},
        ]
    ).rules
    assert [r.udims for r in rules] == [("lat", "lon"), ("time",), None]  # catch-all nearest appended
    assert rules[1].options == NearestOptions(spatial_tolerance=2.0)
    one = Interpolation.parse({"method": "linear", "params": {"fill_value": 0}})
    assert one.rules[0].options == LinearOptions(fill_value=0.0) and one.rules[0].udims is None


@pytest.mark.parametrize(
    "definition, field",
    [
        ("quadratic", "attrs.interpolation"),
        ("nope", "attrs.interpolation"),
        (3, "attrs.interpolation"),
        ([], "attrs.interpolation"),
        ({"dims": ["lat"]}, "attrs.interpolation.method"),
        ({"method": "nearest", "dims": "lat"}, "attrs.interpolation.dims"),
        ({"method": "nearest", "params": {"spatial_tolerance": "x"}}, "attrs.interpolation.params.spatial_tolerance"),
        ({"method": "nearest", "params": {"frobnicate": 1}}, "attrs.interpolation.params.frobnicate"),
        ({"method": "lanczos", "interpolators": ["ScipyGrid"]}, "attrs.interpolation.interpolators"),
        ({"method": "nearest", "interpolators": ["Frobnicator"]}, "attrs.interpolation.interpolators[0]"),
        ({"method": "nearest", "colour": 1}, "attrs.interpolation.colour"),
        ([{"method": "nearest", "dims": ["lat"]}, {"method": "linear", "dims": ["lat", "lon"]}], "attrs.interpolation"),
    ],
)
def test_bad_definitions_name_the_field(definition, field):
    with pytest.raises(PipelineError) as info:
        Interpolate(source=Array(source=VALUES, coordinates=GRID), interpolation=definition)
    assert info.value.field == field


def test_nearest_params_tolerance_and_bounds():
    request = Coordinates([[-0.4, 0.2, 0.45, 4.4], [0.0]], dims=["lat", "lon"])
    tol = Interpolation.parse({"method": "nearest", "params": {"spatial_tolerance": 0.3}})
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request, tol)[:, 0], [np.nan, 0, np.nan, np.nan])
    loose = Interpolation.parse({"method": "nearest", "params": {"respect_bounds": False}})
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request, loose)[:, 0], [0, 0, 0, 40])


def test_linear_fill_value():
    request = Coordinates([[-1.0, 2.0, 2.5, 5.0], [0.0]], dims=["lat", "lon"])
    fill = Interpolation.parse({"method": "linear", "params": {"fill_value": -1}})
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request, fill)[:, 0], [-1, 20, 25, -1])
    # PODPAC: a single selected row is used as is, fill value or not
    request = Coordinates([[-1.0, 2.0, 5.0], [0.0]], dims=["lat", "lon"])
    np.testing.assert_array_equal(interpolate(VALUES, GRID, request, fill)[:, 0], [20, 20, 20])


# -- the node ------------------------------------------------------------------------------------


def test_interpolate_definition_as_podpac_writes_it():
    node = Interpolate(source=Array(source=VALUES, coordinates=GRID), interpolation="bilinear")
    d = node.definition
    assert d["Interpolate"] == {
        "node": "core.interpolation.interpolation.Interpolate",
        "attrs": {"interpolation": "bilinear", "source_id": ""},
        "inputs": {"source": "Array"},
    }
    assert Node.from_json(node.json).hash == node.hash


@pytest.mark.parametrize(
    "interpolation",
    ["nearest", {"method": "bilinear", "params": {"fill_value": 0.0}}, [{"method": "linear", "dims": ["lat"]}]],
)
def test_interpolate_json_round_trip(interpolation):
    node = Interpolate(source=Array(source=VALUES, coordinates=GRID), interpolation=interpolation)
    again = Node.from_json(node.json)
    assert again.json == node.json and again.hash == node.hash
    assert again.interpolation == interpolation


def test_interpolate_short_names_load():
    for name in ("interpolators.Interpolate", "core.algorithm.reprojection.Interpolate"):
        text = json.dumps(
            {
                "a": json.loads(Array(source=VALUES, coordinates=GRID).json)["Array"],
                "i": {"node": name, "attrs": {"interpolation": "bilinear"}, "inputs": {"source": "a"}},
            }
        )
        assert isinstance(Node.from_json(text), Interpolate)


def test_interpolate_needs_a_source():
    with pytest.raises(PipelineError) as info:
        Interpolate(interpolation="nearest")
    assert info.value.field == "attrs.source"


def test_interpolate_over_a_node_without_native_coordinates():
    utility = pytest.importorskip("podpac_exec.nodes.utility")
    request = Coordinates([clinspace(-10, 10, 3, "lat"), clinspace(0, 20, 4, "lon")])
    source = utility.SinCoords()
    node = Interpolate(source=source, interpolation="bilinear")
    np.testing.assert_array_equal(node.eval(request).values, source.eval(request).values)
    assert node.style == source.style  # PODPAC passes the source's style through


def test_bare_array_uses_nearest_and_interpolate_bilinear():
    array = Array(source=VALUES, coordinates=GRID)
    request = Coordinates([[0.25, 2.75], [0.5]], dims=["lat", "lon"])
    np.testing.assert_array_equal(array.eval(request).values[:, 0], [0, 30])
    bilinear = Interpolate(source=array, interpolation="bilinear")
    np.testing.assert_allclose(bilinear.eval(request).values[:, 0], [3.0, 28.0])
