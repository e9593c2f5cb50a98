"""Bad input to the issue-11 nodes, as pipelines carry it: one line naming the node and the field."""

from __future__ import annotations

import copy
import json

import pytest

import podpac_exec as pe
from podpac_exec.pipelines import PipelineUpgradeError
from tests.nodes.test_podpac_reference_pipelines import CASES, pipeline_of

BY_NAME = {c["name"]: c for c in CASES}


def _case(name: str, node_ref: str, **attrs):
    pipeline = copy.deepcopy(pipeline_of(BY_NAME[name]))
    pipeline[node_ref]["attrs"].update(attrs)
    return pipeline, pe.Coordinates.from_definition(BY_NAME[name]["coordinates"])


def _one_line(err: pytest.ExceptionInfo, node: str, field: str) -> str:
    text = str(err.value)
    assert "\n" not in text and node in text and field in text, text
    assert err.value.field is not None and field in err.value.field
    return text


@pytest.mark.parametrize(
    "case, ref, attrs, field, fragment",
    [
        ("transform_time_dayofyear", "TransformTimeUnits", {"time_units": "fortnight"}, "attrs.time_units", "unknown time unit"),
        ("expand_time_uniform_step", "ExpandCoordinates", {"time": ["-2,Q", "0,D", "1,D"]}, "attrs.time", "invalid time step"),
        ("expand_time_uniform_step", "ExpandCoordinates", {"time": ["-2,fortnight", "1,D"]}, "attrs.time", "invalid time step"),
        ("select_time_uniform", "SelectCoordinates", {"time": ["2020-01-01", "2020-03-01", "7,Z"]}, "attrs.time", "invalid time step"),
        ("percentile_10_over_all", "Percentile", {"percentile": 100.5}, "attrs.percentile", "0..100"),
        ("percentile_10_over_all", "Percentile", {"percentile": -1}, "attrs.percentile", "0..100"),
        ("resamplereduce_ms_mean", "Interpolate.MS.mean", {"resample": "fortnight"}, "attrs.resample", "pandas offset"),
        ("groupreduce_month_mean", "Interpolate.month.mean", {"groupby": "decade"}, "attrs.groupby", "unknown group"),
    ],
)
def test_bad_attrs_are_refused_at_load_naming_node_and_field(case, ref, attrs, field, fragment):
    pipeline, _ = _case(case, ref, **attrs)
    with pytest.raises(pe.PipelineError) as err:
        pe.Node.from_definition(pipeline)
    assert fragment in _one_line(err, ref, field)
    assert err.value.field == f"{ref}.{field}"


def test_an_expansion_beyond_max_cells_is_refused_naming_node_and_dim():
    pipeline, coords = _case("expand_time_uniform_step", "ExpandCoordinates", time=["-2000,D", "2000,D", "1,D"])
    node = pe.Node.from_definition(pipeline)
    with pe.settings.override(limits__max_cells=5000):
        with pytest.raises(pe.LimitExceededError) as err:
            pe.evaluate(node, coords)
    assert "limits.max_cells=5000" in _one_line(err, "ExpandCoordinates", "attrs.time")
    assert err.value.field == "ExpandCoordinates.attrs.time"  # under the node's ref, as from the loader


def test_a_selection_beyond_max_cells_is_refused_naming_node_and_dim():
    pipeline, coords = _case("select_lat_lon_uniform_mean", "SelectCoordinates", lat=[1, 5, 1e-5])
    node = pe.Node.from_definition(pipeline)
    with pe.settings.override(limits__max_cells=10_000):
        with pytest.raises(pe.LimitExceededError) as err:
            pe.evaluate(node, coords)
    assert "max_cells" in _one_line(err, "SelectCoordinates", "attrs.lat")
    assert err.value.field == "SelectCoordinates.attrs.lat"


def test_an_old_file_that_cannot_be_upgraded_names_node_and_field():
    old = {"nodes": {"a": {"node": "core.algorithm.algorithm.Arange"},
                     "b": {"node": "core.algorithm.signal.SpatialConvolution", "inputs": {"source": "a"}}}}
    with pytest.raises(PipelineUpgradeError) as err:
        pe.Node.from_json(json.dumps(old))
    assert "removed from PODPAC" in _one_line(err, "'b'", "b.node")
