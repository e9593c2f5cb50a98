"""Older-format pipelines (tests/data/pipelines_legacy, written by hand from PODPAC's documentation
of each release) load with one warning, upgrade to the committed ``<name>.upgraded.json``, which the
real PODPAC 4.0.5 loads (tests/data/podpac_reference/pipelines_legacy.json, recorded by
pipelines_generate.py), and evaluate to PODPAC 4.0.5's values of that upgraded form."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.pipelines import PipelineUpgradeError, PipelineUpgradeWarning, upgrade_definition

DATA = Path(__file__).parents[1] / "data"
LEGACY = DATA / "pipelines_legacy"
RECORDED = {e["name"]: e for e in json.loads((DATA / "podpac_reference" / "pipelines_legacy.json").read_text())["legacy"]}
NAMES = sorted(p.name[: -len(".upgraded.json")] for p in LEGACY.glob("*.upgraded.json"))


def _old(name: str) -> OrderedDict:
    return json.loads((LEGACY / f"{name}.json").read_text(), object_pairs_hook=OrderedDict)


def _coords(name: str) -> pe.Coordinates:
    return pe.Coordinates.from_json((LEGACY / f"{name}.coords.json").read_text())


def test_every_fixture_is_recorded_by_podpac():
    assert NAMES and sorted(RECORDED) == NAMES
    assert all(RECORDED[n]["podpac_loads_upgraded"] == "ok" for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_upgrade_writes_the_committed_form_podpac_loaded(name):
    upgraded, report = upgrade_definition(_old(name))
    assert report is not None and report.changes
    text = json.dumps(upgraded, indent=2) + "\n"
    committed = (LEGACY / f"{name}.upgraded.json").read_text()
    assert text == committed, "re-run tests/data/pipelines_legacy/upgrade_all.sh and the PODPAC generator"
    assert hashlib.sha256(committed.encode()).hexdigest() == RECORDED[name]["upgraded_sha"]


@pytest.mark.parametrize("name", NAMES)
def test_upgrade_leaves_its_input_unchanged(name):
    old = _old(name)
    before = json.dumps(old)
    upgrade_definition(old)
    assert json.dumps(old) == before


@pytest.mark.parametrize("name", NAMES)
def test_old_format_loads_with_one_warning_and_podpac_values(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        node = pe.Node.from_definition(_old(name))
    upgrades = [w for w in caught if issubclass(w.category, PipelineUpgradeWarning)]
    assert len(upgrades) == 1 and "\n" not in str(upgrades[0].message)
    assert "upgraded from PODPAC" in str(upgrades[0].message)
    coords = _coords(name)
    ours = pe.evaluate(node, coords)
    expected = RECORDED[name]["output"]
    assert list(ours.dims) == expected["dims"]
    data = np.array(expected["data"], dtype=float).reshape(expected["shape"])
    np.testing.assert_allclose(ours.values.astype(float), data, rtol=1e-9, atol=1e-12, equal_nan=True)
    for dim, values in expected["coords"].items():
        if values and isinstance(values[0], str):
            np.testing.assert_array_equal(ours[dim].values.astype("datetime64[ns]"), np.array(values, dtype="datetime64[ns]"))
        else:
            np.testing.assert_allclose(ours[dim].values.astype(float), values, rtol=1e-12)


@pytest.mark.parametrize("name", NAMES)
def test_upgraded_form_is_current_and_builds_the_same_graph(name):
    upgraded = json.loads((LEGACY / f"{name}.upgraded.json").read_text(), object_pairs_hook=OrderedDict)
    assert upgrade_definition(upgraded) == (upgraded, None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PipelineUpgradeWarning)
        new = pe.Node.from_definition(upgraded)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineUpgradeWarning)
        assert pe.Node.from_definition(_old(name)).hash == new.hash


def test_current_definitions_are_returned_untouched():
    definition = json.loads(pe.Node.from_json(pe.nodes.SinCoords().json).json)
    same, report = upgrade_definition(definition)
    assert same is definition and report is None


def test_interpolating_sources_keep_their_users_refs():
    upgraded, report = upgrade_definition(_old("v1_nodes_array_compositor"))
    assert upgraded["primary"]["node"] == "core.interpolation.interpolation.Interpolate"
    assert upgraded["primary"]["inputs"] == {"source": "primary_source"}
    # the compositor's interpolation applies to its own copy of each data source
    assert upgraded["composited"]["inputs"]["sources"] == ["primary_composited", "fallback"]
    assert upgraded["primary_composited"]["attrs"] == {"interpolation": "nearest"}
    assert "1.x node definitions" in report.message


def test_pipeline_format_output_node_is_kept():
    upgraded, report = upgrade_definition(_old("v1_pipeline_arithmetic"))
    assert upgraded["podpac_output_node"] == "result" and list(upgraded)[-3:] == ["average", "podpac_output_node", "podpac_version"]
    assert any("mode, format, outdir" in change for change in report.changes)


def _arange(**extra):
    return {"node": "algorithm.Arange", **extra}


@pytest.mark.parametrize(
    "definition, field, fragment",
    [
        ({"a": {"path": "other.json"}, "b": _arange()}, "a.path", "another file"),
        ({"a": {"node": "core.algorithm.signal.TimeConvolution"}}, "a.node", "removed from PODPAC"),
        (
            {"a": _arange(), "b": {"node": "algorithm.Mean", "lookup_attrs": {"source": "a.coordinates"}}},
            "b.lookup_attrs.source",
            "cannot be upgraded",
        ),
        ({"a": _arange(), "b": {"node": "algorithm.Mean", "lookup_attrs": {"source": "zz"}}}, "b.lookup_attrs.source", "names no node"),
        ({"nodes": {"a": _arange(), "b": _arange()}, "output": {"nodes": ["a", "b"]}}, "output.nodes", "one output"),
        ({"nodes": {"a": _arange()}, "output": {"node": "q"}}, "output.node", "not one of its nodes"),
        ({"a": {"node": "algorithm.Mean", "interpolation": "nearest"}}, "a.interpolation", "no PODPAC 4 form"),
        (
            {"a": {"node": "algorithm.Mean", "inputs": {"source": "b"}}, "b": {"node": "algorithm.Mean", "inputs": {"source": "a"}}},
            "a.inputs.source",
            "cycles",
        ),
        ({"a": {"node": "data.Array", "source": [1.0], "attrs": {"source": [2.0]}}}, "a.source", "given twice"),
    ],
)
def test_unupgradable_files_raise_one_line_naming_node_and_field(definition, field, fragment):
    with pytest.raises(PipelineUpgradeError) as err:
        pe.Node.from_definition(definition)
    assert err.value.field == field, str(err.value)
    assert fragment in str(err.value) and "\n" not in str(err.value)
    assert isinstance(err.value, pe.PipelineError)


ARRAY = {
    "node": "data.Array",
    "attrs": {"source": [[1.0, 2.0], [3.0, 4.0]],
              "coordinates": {"coords": [{"name": "lat", "values": [0.0, 1.0]}, {"name": "lon", "values": [0.0, 1.0]}]}},
}


def test_a_data_source_with_an_interpolation_attr_is_wrapped_without_a_version():
    definition = {"a": {**ARRAY, "attrs": {**ARRAY["attrs"], "interpolation": "bilinear"}}}
    upgraded, report = upgrade_definition(definition)
    assert list(upgraded) == ["a_source", "a", "podpac_version"]
    assert upgraded["a"]["attrs"] == {"interpolation": "bilinear"} and "interpolation" not in upgraded["a_source"]["attrs"]
    assert report.source_format == "PODPAC 4.x"


def test_a_2x_compositor_interpolation_gets_an_interpolate_per_source():
    definition = {
        "a": ARRAY,
        "b": ARRAY,
        "c": {"node": "compositor.OrderedCompositor", "attrs": {"interpolation": "bilinear"}, "inputs": {"sources": ["a", "b"]}},
        "podpac_version": "2.2.0",
    }
    upgraded, _ = upgrade_definition(definition)
    assert upgraded["c"]["inputs"]["sources"] == ["a_c", "b_c"]
    assert upgraded["a_c"] == {"node": "core.interpolation.interpolation.Interpolate",
                               "attrs": {"interpolation": "bilinear"}, "inputs": {"source": "a_source"}}
    assert upgraded["a"]["attrs"] == {"interpolation": "nearest"} and "attrs" not in upgraded["c"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineUpgradeWarning)
        node = pe.Node.from_definition(definition)
    assert type(node).__name__ == "OrderedCompositor"


def test_lookup_of_another_nodes_input_becomes_an_input():
    definition = {"a": {"node": "algorithm.Arange"}, "m": {"node": "algorithm.Mean", "inputs": {"source": "a"}},
                  "s": {"node": "algorithm.Sum", "lookup_attrs": {"source": "m.source"}}}
    upgraded, report = upgrade_definition(definition)
    assert upgraded["s"]["inputs"] == {"source": "a"} and "lookup_attrs" not in upgraded["s"]
    assert "s: lookup_attrs.source (m.source) -> inputs.source" in report.changes


def test_plugin_nodes_are_left_alone():
    definition = {"a": {"plugin": "myplugin", "node": "core.algorithm.algorithm.SinCoords"}}
    assert upgrade_definition(definition) == (definition, None)


def test_a_long_list_of_rewrites_stays_one_line():
    definition = {f"n{i}": {"node": "core.algorithm.algorithm.Arange"} for i in range(30)}
    _, report = upgrade_definition(definition)
    assert len(report.changes) == 30 and "and 18 more" in report.message and "\n" not in report.message


@pytest.mark.parametrize("name", NAMES)
def test_upgraded_pipelines_tile_exactly(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PipelineUpgradeWarning)
        node = pe.Node.from_definition(_old(name))
    coords = _coords(name)
    whole = pe.evaluate(node, coords)
    tiled = pe.evaluate(node, coords, max_tile_bytes=8 * 2, min_tiles=4)
    np.testing.assert_array_equal(tiled.values, whole.values)
