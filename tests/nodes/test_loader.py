"""Loading PODPAC pipeline JSON: forms PODPAC writes, and every kind of bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings as hsettings, strategies as st

import podpac_exec as pe

PODPAC_JSON = (
    '{"SinCoords":{"node":"core.algorithm.utility.SinCoords","attrs":{"xarray_floating_point_correction":false},'
    '"style":{"colormap":"jet","clim":[-1.0,1.0]}},"Arange":{"node":"core.algorithm.utility.Arange","attrs":'
    '{"xarray_floating_point_correction":false}},"Arithmetic":{"node":"core.algorithm.generic.Arithmetic","attrs":'
    '{"eqn":"A*{k}+B","params":{"k":2},"xarray_floating_point_correction":false},"inputs":{"A":"SinCoords","B":'
    '"Arange"}},"podpac_version":"4.0.5"}'
)


def test_podpac_json_round_trips_byte_identical():
    node = pe.Node.from_json(PODPAC_JSON)
    assert node.json == PODPAC_JSON
    assert pe.Node.from_json(node.json).hash == node.hash


def test_hash_ignores_ref_names_key_order_and_style():
    d = json.loads(PODPAC_JSON)
    renamed = {
        "s": d["SinCoords"] | {"style": {}},
        "a": d["Arange"],
        "out": {"inputs": {"B": "a", "A": "s"}, "node": "algorithm.Arithmetic", "attrs": d["Arithmetic"]["attrs"]},
    }
    assert pe.Node.from_definition(renamed).hash == pe.Node.from_json(PODPAC_JSON).hash


def test_podpac_output_node_and_version_ignored():
    d = json.loads(PODPAC_JSON)
    d["podpac_output_node"] = "SinCoords"
    d["podpac_version"] = "3.0.0"
    assert type(pe.Node.from_definition(d)).__name__ == "SinCoords"


@pytest.mark.parametrize(
    "definition, field, fragment",
    [
        ({}, "pipeline", "no nodes"),
        ([], "pipeline", "JSON object"),
        ({"a": 3}, "a", "JSON object"),
        ({"a": {"attrs": {}}}, "a.node", "'node'"),
        ({"a": {"node": "algorithm.Arange", "colour": 1}}, "a.colour", "unknown key"),
        ({"a": {"node": "algorithm.Arange", "attrs": {"nope": 1}}}, "a.attrs.nope", "no attribute"),
        ({"a": {"node": "algorithm.Arange", "attrs": []}}, "a.attrs", "JSON object"),
        ({"a": {"node": "algorithm.Arithmetic", "attrs": {"eqn": "A"}, "inputs": {"A": "b"}}}, "a.inputs.A", "nonexistent"),
        (
            {"a": {"node": "algorithm.Arithmetic", "attrs": {"eqn": "A"}, "inputs": {"A": "b"}},
             "b": {"node": "algorithm.Arithmetic", "attrs": {"eqn": "A"}, "inputs": {"A": "a"}}},
            "a.inputs.A",
            "cycles",
        ),
        ({"a": {"node": "algorithm.Arithmetic", "attrs": {"eqn": "A"}, "inputs": {"A": "a"}}}, "a.inputs.A", "cycles"),
        ({"a": {"node": "algorithm.Arithmetic", "attrs": {"eqn": 5}}}, "a.attrs.eqn", ""),
        ({"a": {"node": "algorithm.Arange"}, "podpac_output_node": "zz"}, "podpac_output_node", "zz"),
        ({"a": {"node": "algorithm.Arange"}, "b": {"node": "algorithm.Arithmetic", "attrs": {"eqn": "A + B"}, "inputs": {"A": "a"}}}, "b", "B"),
    ],
)
def test_bad_definitions_name_the_field(definition, field, fragment):
    with pytest.raises(pe.PodpacExecError) as err:
        pe.Node.from_definition(definition)
    assert err.value.field is not None and err.value.field.startswith(field), (err.value.field, str(err.value))
    assert fragment in str(err.value)


def test_malformed_json_names_line_and_column():
    with pytest.raises(pe.PipelineError, match="line 1 column"):
        pe.Node.from_json('{"a": ')


def test_limits():
    chain = {"n0": {"node": "algorithm.Arange"}}
    for i in range(1, 30):
        chain[f"n{i}"] = {"node": "algorithm.Arithmetic", "attrs": {"eqn": "A + 1"}, "inputs": {"A": f"n{i-1}"}}
    with pe.settings.override(limits__max_depth=10):
        with pytest.raises(pe.LimitExceededError, match="max_depth"):
            pe.Node.from_definition(chain)
    with pe.settings.override(limits__max_nodes=5):
        with pytest.raises(pe.LimitExceededError, match="max_nodes"):
            pe.Node.from_definition(chain)
    with pe.settings.override(limits__max_pipeline_bytes=100):
        with pytest.raises(pe.LimitExceededError, match="max_pipeline_bytes"):
            pe.Node.from_json(json.dumps(chain))
    assert pe.Node.from_definition(chain).hash


json_values = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
node_names = st.sampled_from(
    ["algorithm.Arithmetic", "core.algorithm.utility.SinCoords", "data.Array", "core.algorithm.stats.Mean",
     "algorithm.Convolution", "core.compositor.ordered.OrderedCompositor", "algorithm.Mask", "x"]
)
node_specs = st.fixed_dictionaries(
    {"node": node_names},
    optional={"attrs": st.dictionaries(st.sampled_from(["eqn", "source", "dims", "kernel", "coordinates", "params", "x"]), json_values, max_size=3),
              "inputs": st.dictionaries(st.sampled_from(["A", "B", "source", "sources", "mask"]), st.sampled_from(["a", "b", "c"]) | st.lists(st.sampled_from(["a", "b"])), max_size=2)},
)


@hsettings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "podpac_output_node"]), node_specs | json_values, max_size=3))
def test_random_definitions_raise_only_package_errors(definition):
    try:
        pe.Node.from_definition(definition)
    except pe.PodpacExecError:
        pass


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=200) | json_values.map(json.dumps))
def test_random_text_raises_only_package_errors(text):
    try:
        pe.Node.from_json(text)
    except pe.PodpacExecError:
        pass
