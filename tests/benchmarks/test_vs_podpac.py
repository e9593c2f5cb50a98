"""vs_podpac covers every node type PODPAC 4.0.5 and podpac-exec share (no PODPAC venv needed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import _vs_podpac_cases as cases  # noqa: E402
from benchmarks.vs_podpac import disagreement  # noqa: E402


@pytest.fixture(scope="module")
def all_cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    assert cases.write_files(folder) == {}  # every reader's file can be written here
    return cases.all_cases(folder)


def test_every_shared_node_type_has_a_case(all_cases):
    shared = cases.shared_node_types()
    assert {"Convolution", "Mean", "Interpolate", "OrderedCompositor", "Arithmetic"} <= shared
    covered = set().union(*(cases.node_types(c["pipeline"]) for c in all_cases)) | set(cases.SKIPPED)
    assert shared - covered == set()
    assert {c["node_type"] for c in all_cases} | set(cases.SKIPPED) >= shared - {"Array"}  # Array: inside Interpolate


def test_cases_load_here_and_names_are_unique(all_cases):
    import podpac_exec as pe

    assert len({c["name"] for c in all_cases}) == len(all_cases)
    for c in all_cases:
        text = json.dumps(c["pipeline"])  # what PODPAC's side reads
        pe.Node.from_json(text)
        pe.Coordinates.from_definition(c["coordinates"])


def test_several_convolution_kernels_and_interpolation_methods(all_cases):
    kinds = [c["name"] for c in all_cases]
    assert sum(k.startswith("Convolution_") for k in kinds) >= 4
    assert sum(k.startswith("Interpolate_") for k in kinds) >= 4


def test_disagreement_is_reported_and_dropped_dims_broadcast():
    import xarray as xr

    ours = xr.DataArray(np.array([[1.0, np.nan], [1.0, np.nan]]), dims=["lat", "lon"])
    assert disagreement(ours, np.array([1.0, np.nan]), ["lon"], 1e-9) is None
    assert disagreement(ours, np.array([1.0, 2.0]), ["lon"], 1e-9) is not None
    assert "dims" in disagreement(ours, np.array([1.0, 2.0]), ["time"], 1e-9)
