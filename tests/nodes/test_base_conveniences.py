"""PODPAC's Python conveniences on nodes: ``node.eval``, ``node.interpolate``, and building the
issue-11 nodes with PODPAC's keyword names as a PODPAC script would."""

from __future__ import annotations

import json

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.nodes.compositor import TileCompositor
from podpac_exec.nodes.interpolation import Interpolate
from podpac_exec.nodes.selection import ExpandCoordinates, SelectCoordinates, TransformTimeUnits, YearSubstituteCoordinates
from podpac_exec.nodes.stats import Kurtosis, Median, Percentile, Skew
from podpac_exec.nodes.time_stats import DayOfYear, GroupReduce, ResampleReduce
from tests.nodes.test_podpac_reference_pipelines import CASES, pipeline_of

BY_NAME = {c["name"]: c for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_eval_equals_evaluate_on_the_local_backend(case):
    node = pe.Node.from_definition(pipeline_of(case))
    coords = pe.Coordinates.from_definition(case["coordinates"])
    direct = node.eval(coords)
    local = pe.evaluate(node, coords, backend="local")
    assert direct.dims == local.dims
    np.testing.assert_array_equal(direct.values, local.values)
    for dim in local.dims:
        np.testing.assert_array_equal(direct[dim].values, local[dim].values)


# (case, class, PODPAC keywords other than the source): the calls of pipelines_generate.py
PODPAC_CALLS = [
    ("expand_time_uniform_step", ExpandCoordinates, {"time": ["-2,D", "0,D", "1,D"]}),
    ("expand_time_bounds_only", ExpandCoordinates, {"time": ["-3,D", "2,D", "1,D"], "bounds_only": True}),
    ("expand_lat_lon_uniform", ExpandCoordinates, {"lat": [-1, 1, 0.5], "lon": [-1, 0, 1]}),
    ("select_time_uniform", SelectCoordinates, {"time": ["2020-01-01", "2020-03-01", "7,D"]}),
    ("select_lat_value_substitute", SelectCoordinates, {"lat": [4.0], "substitute_eval_coords": True}),
    ("year_substitute_2020", YearSubstituteCoordinates, {"year": "2020"}),
    ("transform_time_month_substitute", TransformTimeUnits, {"time_units": "month", "substitute_eval_coords": True}),
    ("median_over_lat", Median, {"dims": ["lat"]}),
    ("percentile_87.5_over_time", Percentile, {"dims": ["time"], "percentile": 87.5}),
    ("skew_over_all", Skew, {"dims": None}),
    ("kurtosis_over_lon_lat", Kurtosis, {"dims": ["lon", "lat"]}),
    ("dayofyear_std", DayOfYear, {"reduce_fn": "std"}),
    ("groupreduce_month_mean", GroupReduce, {"groupby": "month", "reduce_fn": "mean"}),
    ("resamplereduce_ms_mean", ResampleReduce, {"resample": "MS", "reduce_fn": "mean"}),
]


@pytest.mark.parametrize("name, cls, kwargs", PODPAC_CALLS, ids=[c[0] for c in PODPAC_CALLS])
def test_podpac_keywords_build_the_reference_node(name, cls, kwargs):
    reference = pe.Node.from_definition(pipeline_of(BY_NAME[name]))
    built = cls(source=reference.source, **kwargs)
    assert built.hash == reference.hash
    assert built.json == reference.json


def test_tile_compositor_takes_podpac_sources_keyword():
    reference = pe.Node.from_definition(pipeline_of(BY_NAME["tilecompositor_two_tiles"]))
    assert TileCompositor(sources=list(reference.sources)).hash == reference.hash


def test_interpolate_returns_an_interpolate_node_on_this_source():
    array = pe.Node.from_definition(pipeline_of(BY_NAME["tilecompositor_two_tiles"])).sources[0].source
    node = array.interpolate(method="bilinear")
    assert isinstance(node, Interpolate) and node.source is array and node.interpolation == "bilinear"
    assert node.hash == Interpolate(source=array, interpolation="bilinear").hash
    assert array.interpolate().interpolation == "nearest"
    assert array.interpolate("linear").hash == array.interpolate(method="linear").hash
    with pytest.raises(pe.PipelineError, match="not both"):
        array.interpolate("linear", method="bilinear")
    with pytest.raises(pe.PipelineError, match="interpolation"):
        array.interpolate(method="cubic-spline-of-doom")


def test_array_hashes_equal_their_element_by_element_canonical_form():
    from podpac_exec.nodes.base import _canonical_array

    values = np.array([[1.0, np.nan, -0.0], [np.inf, -np.inf, 2.5]])
    assert _canonical_array(values) == [[1.0, "NaN", 0.0], [float("inf"), float("-inf"), 2.5]]
    assert _canonical_array(np.array([3, -1])) == [3.0, -1.0]
    coords = pe.Coordinates([[0.0, 1.0], [0.0, 1.0, 2.0]], dims=["lat", "lon"])
    as_ints = pe.Node.from_definition({"a": {"node": "data.Array", "attrs": {
        "source": [[1, 2, 3], [4, 5, 6]], "coordinates": json.loads(coords.json)}}})
    as_floats = pe.Node.from_definition({"a": {"node": "data.Array", "attrs": {
        "source": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], "coordinates": json.loads(coords.json)}}})
    assert as_ints.hash == as_floats.hash


def test_combine_takes_its_inputs_as_podpac_keywords():
    from podpac_exec.nodes.generic import Combine

    reference = pe.Node.from_definition(pipeline_of(BY_NAME["combine_renamed_outputs"]))
    inputs = reference._named_inputs
    built = Combine(A=inputs["A"], B=inputs["B"], outputs=["first", "second"], output="first")
    assert built.hash == reference.hash


def test_beta_fit_day_of_year_takes_podpac_keywords():
    from podpac_exec.nodes.climatology import BetaFitDayOfYear

    reference = pe.Node.from_definition(pipeline_of(BY_NAME["betafit_d0_window7_-15"]))
    built = BetaFitDayOfYear(source=reference.source, output="d0", window=7, percentiles=[0.1, 0.5],
                             scale_float=[-15.0, 15.0])  # fmt: skip
    assert built.hash == reference.hash
