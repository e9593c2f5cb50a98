"""The issue-11 reference cases (tests/data/podpac_reference/pipelines_cases.json, made with the
real PODPAC 4.0.5 by pipelines_generate.py): values and output coordinates equal PODPAC's, and
tiled evaluation equals untiled exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import podpac_exec as pe

FIXTURES = json.loads((Path(__file__).parents[1] / "data" / "podpac_reference" / "pipelines_cases.json").read_text())
CASES = FIXTURES["cases"]


def pipeline_of(case: dict[str, Any]) -> dict[str, Any]:
    """The case's pipeline with its shared source entries put back."""
    shared = FIXTURES["shared"]
    return {ref: shared[e["$shared"]] if isinstance(e, dict) and "$shared" in e else e for ref, e in case["pipeline"].items()}


def coordinate_values(values: list[Any]) -> np.ndarray:
    if values and isinstance(values[0], str):
        return np.array(values, dtype="datetime64[ns]")
    return np.asarray(values, dtype=float)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_values_equal_podpac(case):
    node = pe.Node.from_definition(pipeline_of(case))
    coords = pe.Coordinates.from_definition(case["coordinates"])
    ours = pe.evaluate(node, coords)
    expected = case["output"]
    assert list(ours.dims) == expected["dims"]
    data = np.array(expected["data"], dtype=float).reshape(expected["shape"])
    np.testing.assert_allclose(ours.values, data, rtol=case["tolerance"]["rtol"], atol=1e-12, equal_nan=True)
    for dim, values in expected["coords"].items():
        want = coordinate_values(values)
        got = ours[dim].values
        if want.dtype.kind == "M":
            np.testing.assert_array_equal(got.astype("datetime64[ns]"), want)
        else:
            np.testing.assert_allclose(got.astype(float), want, rtol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_tiled_equals_untiled(case):
    node = pe.Node.from_definition(pipeline_of(case))
    coords = pe.Coordinates.from_definition(case["coordinates"])
    whole = pe.evaluate(node, coords)
    stats = pe.EvaluationStats()
    tiled = pe.evaluate(node, coords, stats=stats, max_tile_bytes=8 * 2, min_tiles=4)
    np.testing.assert_array_equal(tiled.values, whole.values)
    for dim in whole.dims:
        np.testing.assert_array_equal(tiled[dim].values, whole[dim].values)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_pipeline_round_trips(case):
    node = pe.Node.from_definition(pipeline_of(case))
    again = pe.Node.from_json(node.json)
    assert again.hash == node.hash and again.json == node.json
