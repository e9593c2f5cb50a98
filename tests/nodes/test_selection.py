"""Coordinate-selection nodes: what they declare to the planner, their PODPAC-named keyword
construction, and one-line errors naming node and field (values: test_podpac_reference_pipelines)."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.errors import LimitExceededError, PipelineError
from podpac_exec.nodes import Array
from podpac_exec.nodes.selection import (
    ExpandCoordinates,
    SelectCoordinates,
    TransformTimeUnits,
    YearSubstituteCoordinates,
    podpac_select,
)
from podpac_exec.nodes.stats import Mean
from podpac_exec.nodes.utility import SinCoords

DAYS = np.arange("2020-01-01", "2020-03-01", dtype="datetime64[D]")
SOURCE_COORDS = Coordinates([clinspace(0, 9, 10, "lat"), DAYS], dims=["lat", "time"])
SOURCE = Array(source=np.arange(SOURCE_COORDS.size, dtype=float).reshape(SOURCE_COORDS.shape), coordinates=SOURCE_COORDS)
REQUEST = Coordinates([[1.0, 2.0, 3.0, 4.0], ["2020-01-10", "2020-01-20", "2020-02-01"]], dims=["lat", "time"])


def test_expansion_declares_the_resized_dim_unsplittable():
    node = ExpandCoordinates(source=SOURCE, time=["-2,D", "0,D", "1,D"])
    assert node.requirements().reduce_dims == {"time"}
    assert node.output_coordinates(REQUEST).shape == (4, 9)


def test_pointwise_nodes_declare_nothing():
    assert YearSubstituteCoordinates(source=SOURCE, year="2020").requirements().reduce_dims == frozenset()
    assert TransformTimeUnits(source=SOURCE, time_units="month").requirements().reduce_dims == frozenset()


def test_tiled_expansion_under_a_mean_equals_untiled():
    node = Mean(source=ExpandCoordinates(source=SOURCE, time=["-3,D", "3,D", "1,D"]), dims=["time"])
    whole = pe.evaluate(node, REQUEST)
    tiled = pe.evaluate(node, REQUEST, max_tile_bytes=8, min_tiles=4)
    np.testing.assert_array_equal(tiled.values, whole.values)


def test_eval_is_evaluate_on_the_local_backend():
    node = SelectCoordinates(source=SOURCE, time=["2020-01-05", "2020-01-09"])
    np.testing.assert_array_equal(node.eval(REQUEST).values, pe.evaluate(node, REQUEST).values)


def test_keyword_construction_writes_podpac_attrs():
    d = ExpandCoordinates(source=SOURCE, lat=[-1, 1, 0.5], bounds_only=True).definition
    attrs = d["ExpandCoordinates"]["attrs"]
    assert attrs["bounds_only"] is True and attrs["lat"] == [-1, 1, 0.5] and attrs["time"] == []
    y = YearSubstituteCoordinates(source=SOURCE, year="2019").definition["YearSubstituteCoordinates"]["attrs"]
    assert y["year"] == "2019" and "lat" not in y


def test_uniform_select_between_points_rounds_as_podpac():
    assert podpac_select(clinspace(0, 9, 10), 2.2, 2.4).tolist() == [2.0]
    assert podpac_select(clinspace(0, 9, 10), 2.0, 4.0).tolist() == [2.0, 3.0, 4.0]


@pytest.mark.parametrize(
    "build, field",
    [
        (lambda: TransformTimeUnits(source=SOURCE, time_units="fortnight"), "attrs.time_units"),
        (lambda: TransformTimeUnits(source=SOURCE, time_units="season"), "attrs.time_units"),
        (lambda: ExpandCoordinates(source=SOURCE, lat=[1, 2, 3, 4]), "attrs.lat"),
        (lambda: YearSubstituteCoordinates(source=SOURCE, year="soon"), "attrs.year"),
        (lambda: ExpandCoordinates(lat=[1, 2]), "inputs.source"),
    ],
)
def test_bad_attrs_are_one_line_errors(build, field):
    with pytest.raises(PipelineError) as info:
        build()
    assert info.value.field == field and "\n" not in str(info.value)


def test_unknown_time_unit_in_a_pipeline_names_node_and_field():
    pipeline = {
        "S": {"node": "algorithm.SinCoords"},
        "T": {"node": "algorithm.TransformTimeUnits", "attrs": {"time_units": "fortnight"}, "inputs": {"source": "S"}},
    }
    with pytest.raises(PipelineError) as info:
        pe.Node.from_definition(pipeline)
    assert info.value.field == "T.attrs.time_units" and "fortnight" in str(info.value)


def test_expansion_beyond_max_cells_is_refused_before_evaluating():
    node = ExpandCoordinates(source=SinCoords(), lat=[-1000, 1000, 0.001])
    with pe.settings.override(limits__max_cells=10**6), pytest.raises(LimitExceededError) as info:
        pe.evaluate(node, Coordinates([[1.0, 2.0]], dims=["lat"]))
    assert info.value.field == "attrs.lat" and "limits.max_cells" in str(info.value)


def test_time_expansion_on_numbers_is_an_error_naming_the_field():
    node = ExpandCoordinates(source=SinCoords(), lat=["-1,D", "1,D", "1,D"])
    with pytest.raises(PipelineError) as info:
        node.eval(Coordinates([[1.0]], dims=["lat"]))
    assert info.value.field == "attrs.lat"


@pytest.mark.parametrize("times, window", [
    (["2020-01-10", "2020-01-20", "2020-02-01", "2020-01-03"], ["-3,D", "3,D", "1,D"]),
    (["2020-01-10T05", "2020-01-20T00", "2020-02-01T13"], ["-5,h", "90,m", "30,m"]),
    (["2020-01-31", "2020-02-29", "2020-03-31"], ["-1,M", "0,D", "1,D"]),
])
def test_time_windows_equal_the_windows_built_one_by_one(times, window):
    from podpac_exec.coordinates import UniformCoordinates1d
    from podpac_exec.nodes.selection import add_coord, coord_delta

    request = Coordinates([np.array(times, dtype="datetime64")], dims=["time"])
    got = ExpandCoordinates(source=SOURCE, time=window).modified_coordinates1d(request, "time").coordinates
    start, stop, step = (coord_delta(w, True, "f") for w in window)
    one_by_one = [UniformCoordinates1d(add_coord(t, start), add_coord(t, stop), step).coordinates
                  for t in request["time"].coordinates]
    expected = np.concatenate(one_by_one)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_year_substitution_moves_each_time_as_one_by_one():
    from podpac_exec.nodes.selection import add_coord

    times = np.array(["2019-03-01T06", "2020-02-29T12", "2016-12-31T23", "2021-01-01"], dtype="datetime64[h]")
    request = Coordinates([times], dims=["time"])
    got = YearSubstituteCoordinates(source=SOURCE, year="2019").modified_coordinates1d(request, "time").coordinates
    year = np.datetime64("2019")
    expected = np.array([add_coord(t, year - t.astype("datetime64[Y]")) for t in times])
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
