"""Convolution: PODPAC's kernels, expansion, NaN handling and JSON forms."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from podpac_exec.coordinates import Coordinates, clinspace, crange
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.base import Node, NodeRequirements
from podpac_exec.nodes.data import Array
from podpac_exec.nodes.interpolation import Interpolate
from podpac_exec.nodes.signal import Convolution, make_kernel

DATA = Path(__file__).resolve().parents[1] / "data"
REFERENCE = [
    c for c in json.loads((DATA / "podpac_reference" / "cases.json").read_text()) if "Convolution" in c["nodes"]
]
EXTRA = [
    c for c in json.loads((DATA / "podpac_nodes_extra" / "cases.json").read_text())["cases"] if c["kind"] == "convolution"
]

GRID = Coordinates([clinspace(-8, 8, 17, "lat"), clinspace(-4, 4, 17, "lon")])
FIELD = np.add.outer(np.arange(17.0) * 10, np.arange(17.0))  # 10*i + j
SOURCE = Interpolate(source=Array(source=FIELD, coordinates=GRID))


def _check(got: np.ndarray, expected: "np.ndarray | list") -> None:
    expected = np.asarray(expected, dtype=float)
    assert got.shape == expected.shape
    # FFT convolution (PODPAC's 'auto') carries ~1e-14 absolute rounding
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True)


def test_reference_cases_are_present():
    assert len(REFERENCE) >= 14 and len(EXTRA) >= 25


def _needs(case):
    nodes = set(case.get("nodes", []))
    if nodes & {"Arithmetic", "CoordData", "SinCoords", "Arange"}:
        pytest.importorskip("podpac_exec.nodes.utility")
        pytest.importorskip("podpac_exec.nodes.expressions")


@pytest.mark.parametrize("case", REFERENCE, ids=[c["name"] for c in REFERENCE])
def test_reference_values(case):
    _needs(case)
    node = Node.from_json(json.dumps(case["pipeline"]))
    out = node.eval(Coordinates.from_definition(case["coordinates"]))
    assert list(out.dims) == case["output"]["dims"]
    _check(out.values, np.array(case["output"]["data"], dtype=float))


@pytest.mark.parametrize("case", EXTRA, ids=[f"extra{i}" for i in range(len(EXTRA))])
def test_randomised_podpac_cases(case):
    """Random kernels (sizes 1-5, even and odd, extra kernel dims, kernel types), uniform and array
    requests (descending too) and NaN sources, valued by PODPAC 4.0.5."""
    node = Node.from_json(json.dumps(case["pipeline"]))
    assert node.json == json.dumps(case["pipeline"], separators=(",", ":"))  # PODPAC's form, kernel_type []
    out = node.eval(Coordinates.from_definition(case["coordinates"]))
    _check(out.values, np.array(case["data"], dtype=float))


def test_podpac_written_form_loads_and_writes_back():
    case = next(c for c in REFERENCE if c["name"] == "convolution_definition_as_written")
    _needs(case)
    text = json.dumps(case["pipeline"])
    node = Node.from_json(text)
    assert node.json == json.dumps(case["pipeline"], separators=(",", ":"))
    assert node.kernel_type == []


# -- kernels ---------------------------------------------------------------------------------------


def test_kernel_types_as_podpac_builds_them():
    np.testing.assert_allclose(make_kernel("mean,3", 2), np.full((3, 3), 1 / 9))
    # PODPAC: scipy.signal.windows.gaussian(5, 1) outer product, normalised
    g = np.exp(-0.5 * (np.arange(5) - 2.0) ** 2)
    np.testing.assert_allclose(make_kernel("gaussian,5,1", 2), np.outer(g, g) / np.outer(g, g).sum(), rtol=1e-15)
    assert make_kernel("hann, 5", 1).shape == (5,)


def test_kernel_type_definition_matches_podpac():
    node = Convolution(source=SOURCE, kernel_type="mean,3", kernel_dims=["lat", "lon"])
    attrs = node.definition["Convolution"]["attrs"]
    assert attrs == {"kernel": [[0.1111111111111111] * 3] * 3, "kernel_dims": ["lat", "lon"], "kernel_type": []}
    assert Node.from_json(node.json).hash == node.hash


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"kernel": [1.0, 2.0], "kernel_type": "mean,3", "kernel_dims": ["lat"]}, "attrs.kernel_type"),
        ({"kernel_dims": ["lat"]}, "attrs.kernel"),
        ({"kernel": [1.0, 2.0]}, "attrs.kernel_dims"),
        ({"kernel_type": "mean,3"}, "attrs.kernel_dims"),
        ({"kernel": [1.0, 2.0], "kernel_dims": ["lat", "lon"]}, "attrs.kernel_dims"),
        ({"kernel": [[1.0]], "kernel_dims": ["lat", "lat"]}, "attrs.kernel_dims"),
        ({"kernel": [1.0, "x"], "kernel_dims": ["lat"]}, "attrs.kernel"),
        ({"kernel_type": "blur,3", "kernel_dims": ["lat"]}, "attrs.kernel_type"),
        ({"kernel_type": "mean", "kernel_dims": ["lat"]}, "attrs.kernel_type"),
        ({"kernel_type": "mean,x", "kernel_dims": ["lat"]}, "attrs.kernel_type"),
        ({"kernel_type": "gaussian,5", "kernel_dims": ["lat"]}, "attrs.kernel_type"),
        ({"kernel_type": ["mean,3"], "kernel_dims": ["lat"]}, "attrs.kernel_type"),
        ({"kernel": [1.0], "kernel_dims": ["lat"], "size": 3}, "attrs.size"),
    ],
)
def test_bad_attrs_name_the_field(kwargs, field):
    with pytest.raises(PipelineError) as info:
        Convolution(source=SOURCE, **kwargs)
    assert info.value.field == field


def test_source_is_required():
    with pytest.raises(PipelineError) as info:
        Convolution(kernel=[1.0], kernel_dims=["lat"])
    assert info.value.field == "attrs.source"


# -- evaluation ------------------------------------------------------------------------------------


def test_expanded_request_sees_real_neighbours():
    request = Coordinates([clinspace(-1, 1, 3, "lat"), clinspace(0, 1, 3, "lon")])
    shift = Convolution(source=SOURCE, kernel=[[0, 0, 0], [0, 0, 1], [0, 0, 0.0]], kernel_dims=["lat", "lon"])
    # true convolution: the kernel is flipped, out(i, j) = X(i, j - 1)
    _check(shift.eval(request).values, FIELD[7:10, 7:10])


def test_even_kernel_centring():
    request = Coordinates([clinspace(-1, 1, 3, "lat"), clinspace(0, 1, 3, "lon")])
    node = Convolution(source=SOURCE, kernel=[[1, 2], [3, 4.0]], kernel_dims=["lat", "lon"])
    f = FIELD
    expected = f[7:10, 8:11] + 2 * f[7:10, 7:10] + 3 * f[6:9, 8:11] + 4 * f[6:9, 7:10]
    _check(node.eval(request).values, expected)


def test_nan_spreads_to_every_window_touching_it():
    field = FIELD.copy()
    field[8, 8] = np.nan
    source = Interpolate(source=Array(source=field, coordinates=GRID))
    request = Coordinates([clinspace(-2, 2, 5, "lat"), clinspace(-1, 1, 5, "lon")])
    out = Convolution(source=source, kernel_type="mean,3", kernel_dims=["lat", "lon"]).eval(request).values
    nan = np.isnan(out)
    assert nan[1:4, 1:4].all() and nan.sum() == 9


def test_kernel_dims_order_and_one_dim_kernels():
    request = Coordinates([clinspace(-1, 1, 3, "lat"), clinspace(0, 1, 3, "lon")])
    lat_first = Convolution(source=SOURCE, kernel=[[0, 1, 0], [0, 0, 0], [0, 0, 0.0]], kernel_dims=["lat", "lon"])
    lon_first = Convolution(source=SOURCE, kernel=[[0, 0, 0], [1, 0, 0], [0, 0, 0.0]], kernel_dims=["lon", "lat"])
    _check(lat_first.eval(request).values, lon_first.eval(request).values)
    # PODPAC 4.0.5 transposes or fails here (a 1-D kernel on the second dim); we convolve along lon
    lon_only = Convolution(source=SOURCE, kernel=[1, 0, 0.0], kernel_dims=["lon"])
    _check(lon_only.eval(request).values, FIELD[7:10, 9:12])


def test_kernel_dims_missing_from_the_request_are_summed():
    request = Coordinates([clinspace(-1, 1, 3, "lat"), clinspace(0, 1, 3, "lon")])
    node = Convolution(source=SOURCE, kernel=[[1, 2], [3, 4.0]], kernel_dims=["time", "lat"])
    _check(node.eval(request).values, 4 * FIELD[7:10, 8:11] + 6 * FIELD[6:9, 8:11])


def test_time_convolution():
    days = Coordinates([crange("2018-01-01", "2018-01-07", "1,D", "time")])
    source = Interpolate(source=Array(source=[1.0, 2, 4, 8, 16, 32, 64], coordinates=days))
    node = Convolution(source=source, kernel=[0.25, 0.5, 0.25], kernel_dims=["time"])
    request = Coordinates([crange("2018-01-03", "2018-01-05", "1,D", "time")])
    _check(node.eval(request).values, [4.5, 9, 18])


def test_requirements_declare_the_halo():
    node = Convolution(source=SOURCE, kernel=np.ones((3, 1, 4)), kernel_dims=["lat", "time", "lon"])
    assert node.requirements() == NodeRequirements(halo={"lat": 2, "lon": 2})
    assert node.graph_requirements().halo == {"lat": 2, "lon": 2}


def test_json_round_trip_and_style_passthrough():
    utility = pytest.importorskip("podpac_exec.nodes.utility")
    node = Convolution(source=utility.SinCoords(), kernel_type="gaussian,3,1", kernel_dims=["lat"])
    assert node.style == utility.SinCoords().style
    again = Node.from_json(node.json)
    assert again.json == node.json and again.hash == node.hash
    short = json.loads(node.json)
    short["Convolution"]["node"] = "algorithm.Convolution"
    del short["Convolution"]["attrs"]["kernel_type"]
    assert Node.from_json(json.dumps(short)).hash == node.hash
