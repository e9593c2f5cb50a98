"""Helpers for the utility/generic/stats/compositor node tests: loading JSON and PODPAC's cases.

Expected values in these tests were produced by PODPAC 4.0.5 (/work/podpac-ref) for the same
pipelines and coordinates; ``tests/data/podpac_reference/cases.json`` adds the shared fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.nodes._arrays import align_axes
from podpac_exec.nodes.base import Node

CASES_PATH = Path(__file__).resolve().parents[1] / "data" / "podpac_reference" / "cases.json"

# Requests shared by the tests: non-square, with time, and stacked.
LAT_LON = Coordinates([clinspace(-10, 40, 3, "lat"), clinspace(5, 170, 4, "lon")])
C1 = Coordinates(
    [clinspace(-10, 40, 3, "lat"), clinspace(5, 170, 4, "lon"), ["2018-01-01", "2018-01-03"]], dims=["lat", "lon", "time"]
)
C2 = Coordinates([[[1.0, 20.0, 50.0], [10.0, 30.0, 100.0]], ["2018-01-01", "2018-01-03"]], dims=["lat_lon", "time"])


def load(pipeline: str | dict[str, Any]) -> Node:
    """A node from PODPAC pipeline JSON text or a definition."""
    if isinstance(pipeline, str):
        return Node.from_json(pipeline)
    return Node.from_definition(pipeline)


def reference_cases(*class_names: str, using: str | None = None) -> list[Any]:
    """cases.json entries (as pytest params) whose nodes are all among ``class_names``.

    ``using``: only the cases that use that node class.
    """
    if not CASES_PATH.exists():
        return []
    cases = json.loads(CASES_PATH.read_text())
    wanted = set(class_names)
    return [
        c
        for c in cases
        if set(c["nodes"]) <= wanted and c["podpac_reload"] == "ok" and (using is None or using in c["nodes"])
    ]


def case_id(case: dict[str, Any]) -> str:
    return case["name"]


def assert_matches_reference(node: Node, case: dict[str, Any]) -> None:
    """Evaluate ``node`` at the case's coordinates and compare with PODPAC's output.

    PODPAC's CoordData (and an Arithmetic of CoordData of one dim only) returns just that dim;
    ours lies on the whole request, so PODPAC's values are compared broadcast over the rest.
    """
    coords = Coordinates.from_definition(case["coordinates"])
    out = node.eval(coords)
    expected = case["output"]
    exp_dims = tuple(expected["dims"])
    if exp_dims != tuple(out.dims):
        assert "CoordData" in case["nodes"], (exp_dims, out.dims)
        assert set(exp_dims) <= set(out.dims)
    want = np.asarray(expected["data"] if expected["data"] is not None else np.nan, dtype=float)
    if expected["dtype"].startswith("int"):
        assert out.dtype == np.int64
    want = np.broadcast_to(align_axes(want, exp_dims, out.dims), out.shape)
    assert_values(out.values, want)
    assert node.output_coordinates(coords).dims == tuple(out.dims)


def assert_values(got: Any, want: Any) -> None:
    """Equal within rtol 1e-9, NaN where expected NaN (also in shape)."""
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=0, equal_nan=True)


def assert_round_trips(node: Node) -> None:
    """JSON written and read back gives the same hash and the same JSON."""
    again = load(node.json)
    assert again.hash == node.hash
    assert again.json == node.json
