"""Every interpolation method and interpolator against the real PODPAC 4.0.5
(tests/data/podpac_reference/interpolation_cases.json, made by interpolation_generate.py).

Cases PODPAC computes give its values (rtol 1e-6) and the same interpolator queue. Where PODPAC
raises we raise a PipelineError too, except the cases in ``DIFFERENCES`` (listed in
docs/podpac-compatibility.md, "Interpolation"), which are checked against the computation PODPAC
would have had to do. Every case also gives the same values in several tiles as in one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation.queue import build_queue

FIXTURE = Path(__file__).resolve().parents[2] / "data" / "podpac_reference" / "interpolation_cases.json"
CASES = json.loads(FIXTURE.read_text())["cases"]
BY_NAME = {c["name"]: c for c in CASES}

#: GDAL's kernels that widen with the downsampling factor, which GDAL derives per warp chunk
_SCALED = "(cubic|cubic_spline|lanczos|bilinear|nearest)"
#: case name pattern -> how our values are checked instead of PODPAC's (see the module docstring)
DIFFERENCES = {
    # GDAL's per-chunk ratio (PODPAC) vs the grids' ratio (ours); PODPAC raises for nearest/bilinear,
    # whose Selector keeps cells that are not contiguous
    rf"(RasterioInterpolator_{_SCALED}|cubic_spline|lanczos)_(coarse|inner_coarse)": "full_reproject",
    r"spline_\d_desc": "ascending_flipped",  # RectBivariateSpline refuses a descending grid
    r"ScipyGrid_nearest_stacked": "nan_only_where_podpac_selected_away",
    r"none_stacked": "we_raise",  # PODPAC answers a stacked request on the source's grid
}
#: PODPAC's nearest breaks exact ties (every point of this request) by the request's extent
TIE_DEPENDENT = {"nearest_desc"}
_RASTERIO = ("RasterioInterpolator",)


def _difference(name: str) -> str | None:
    return next((kind for pattern, kind in DIFFERENCES.items() if re.fullmatch(pattern, name)), None)


def _node_and_coords(case: dict) -> tuple[pe.Node, pe.Coordinates]:
    return pe.Node.from_definition(case["pipeline"]), pe.Coordinates.from_definition(case["coordinates"])


def _expected(case: dict) -> np.ndarray:
    return np.array(case["output"]["data"], dtype=float).reshape(case["output"]["shape"])


def _check(got: np.ndarray, want: np.ndarray) -> None:
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-12, equal_nan=True)


VALUE_CASES = [c for c in CASES if "output" in c and _difference(c["name"]) is None]
ERROR_CASES = [c for c in CASES if "podpac_error" in c and _difference(c["name"]) is None]
DIFFERENT_CASES = [c for c in CASES if _difference(c["name"]) is not None]


def test_fixture_covers_every_method_and_interpolator():
    methods = {c["interpolation"] if isinstance(c["interpolation"], str) else None for c in CASES}
    assert {"none", "nearest_preview", "nearest", "linear", "bilinear", "cubic", "cubic_spline", "spline_2",
            "spline_3", "spline_4", "lanczos", "average", "mode", "gauss", "max", "min", "med", "q1",
            "q3"} <= methods  # fmt: skip
    used = {name for c in VALUE_CASES for _, name in c["interpolators"]}
    assert used >= {"NearestNeighbor", "XarrayInterpolator", "ScipyGrid", "ScipyPoint", "RasterioInterpolator",
                    "NearestPreview", "NoneInterpolator"}  # fmt: skip
    for pattern in DIFFERENCES:
        assert any(re.fullmatch(pattern, c["name"]) for c in CASES), f"no case matches {pattern!r}"


@pytest.mark.parametrize("case", VALUE_CASES, ids=[c["name"] for c in VALUE_CASES])
def test_values_equal_podpac(case):
    node, coords = _node_and_coords(case)
    ours = pe.evaluate(node, coords)
    order = [d for d in case["output"]["dims"] if d in ours.dims]
    assert order == list(case["output"]["dims"])
    _check(ours.transpose(*order).values, _expected(case))
    for u, values in case["output"]["coords"].items():
        if u == "time":
            np.testing.assert_array_equal(ours[u].values, np.array(values, dtype="datetime64[ns]"))
        else:
            np.testing.assert_allclose(ours[u].values.astype(float), np.asarray(values, dtype=float), rtol=1e-12)


@pytest.mark.parametrize("case", VALUE_CASES, ids=[c["name"] for c in VALUE_CASES])
def test_same_interpolators_as_podpac(case):
    node, coords = _node_and_coords(case)
    native = node.source.native_coordinates()
    source_udims = set(native.udims)
    steps = build_queue(node._parsed, native, coords, "interpolate")
    podpac = [name for udims, name in case["interpolators"] if source_udims & set(udims)]
    assert [s.interpolator for s in steps] == podpac


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["name"] for c in ERROR_CASES])
def test_where_podpac_raises_we_raise_one_line(case):
    with pytest.raises(PipelineError) as info:
        pe.evaluate(*_node_and_coords(case))  # gauss: already when the node is built
    assert info.value.field.endswith(("attrs.interpolation", "attrs.interpolation.method"))
    assert "\n" not in str(info.value)


# -- the differences ----------------------------------------------------------------------------------


def _source(node: pe.Node) -> tuple[np.ndarray, pe.Coordinates]:
    native = node.source.native_coordinates()
    return node.source.read_native((slice(None),) * len(native.dims)), native


def _corner_transform(lat, lon):
    from rasterio.transform import Affine

    def start_step(c):
        v = c.coordinates.astype(float)
        return v[0], (v[-1] - v[0]) / (v.size - 1)

    (la0, dla), (lo0, dlo) = start_step(lat), start_step(lon)
    return Affine(dlo, 0, lo0 - dlo / 2, 0, dla, la0 - dla / 2), dla, dlo


def _full_reproject(case: dict) -> np.ndarray:
    """rasterio.warp.reproject from the whole source at the grids' own ratio (GDAL's XSCALE/YSCALE)."""
    from rasterio.warp import Resampling, reproject

    node, coords = _node_and_coords(case)
    values, native = _source(node)
    src_t, sla, slo = _corner_transform(native["lat"], native["lon"])
    dst_t, dla, dlo = _corner_transform(coords["lat"], coords["lon"])
    out = np.full(coords.shape, np.nan)
    method = case["interpolation"] if isinstance(case["interpolation"], str) else case["interpolation"]["method"]
    reproject(
        values, out, src_transform=src_t, src_crs=native.crs, src_nodata=np.nan, dst_transform=dst_t,
        dst_crs=native.crs, dst_nodata=np.nan, resampling=getattr(Resampling, method),
        XSCALE=abs(slo / dlo), YSCALE=abs(sla / dla),
    )  # fmt: skip
    return out


@pytest.mark.parametrize("case", DIFFERENT_CASES, ids=[c["name"] for c in DIFFERENT_CASES])
def test_documented_differences(case):
    kind = _difference(case["name"])
    node, coords = _node_and_coords(case)
    if kind == "we_raise":
        with pytest.raises(PipelineError, match="none"):
            pe.evaluate(node, coords)
        return
    ours = pe.evaluate(node, coords).values
    if kind == "full_reproject":
        _check(ours, _full_reproject(case))
    elif kind == "ascending_flipped":
        ascending = pe.Coordinates([coords["lat"].coordinates[::-1], coords["lon"]], dims=["lat", "lon"])
        _check(ours, pe.evaluate(node, ascending).values[::-1])
        assert np.isfinite(ours).all()
    elif kind == "nan_only_where_podpac_selected_away":
        want = _expected(case)
        finite = np.isfinite(want)
        _check(ours[finite], want[finite])
        nearest = _expected(BY_NAME["nearest_stacked"])  # NearestNeighbor at the same points
        _check(ours[~finite], nearest[~finite])
        assert (~finite).any()
    else:
        raise AssertionError(kind)


# -- tiles ---------------------------------------------------------------------------------------------

TILE_CASES = [c for c in VALUE_CASES + DIFFERENT_CASES if c["name"] not in TIE_DEPENDENT and c["name"] != "none_stacked"]


@pytest.mark.parametrize("case", TILE_CASES, ids=[c["name"] for c in TILE_CASES])
def test_tiled_equals_untiled(case):
    node, coords = _node_and_coords(case)
    whole = pe.evaluate(node, coords)
    stats = pe.EvaluationStats()
    tiled = pe.evaluate(node, coords, stats=stats, max_tile_bytes=8 * 4, min_tiles=4)
    if node.graph_requirements().whole_request:
        assert stats.tiles == 1
    else:
        assert stats.tiles > 1
    names = {s for _, s in case.get("interpolators", [])} or {"RasterioInterpolator"}
    if names & set(_RASTERIO):
        # GDAL maps each tile's pixels through its own transform: last-bit differences only
        np.testing.assert_allclose(tiled.values, whole.values, rtol=1e-12, atol=1e-12, equal_nan=True)
    else:
        np.testing.assert_array_equal(tiled.values, whole.values)


# -- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "interpolation, words",
    [
        ("lanczos", ["lanczos", "RasterioInterpolator", "lat", "lon"]),
        ("spline_3", ["spline_3", "ScipyGrid", "lat", "lon"]),
        ({"method": "bilinear", "interpolators": ["ScipyGrid"]}, ["bilinear", "ScipyGrid", "lat", "lon"]),
    ],
)
def test_unsupported_combination_names_method_interpolator_and_dims(interpolation, words):
    case = BY_NAME["ScipyPoint_nearest_fine"]  # a stacked point source
    node = pe.Node.from_definition(case["pipeline"])
    node = type(node)(source=node.source, interpolation=interpolation)
    with pytest.raises(PipelineError) as info:
        pe.evaluate(node, pe.Coordinates.from_definition(case["coordinates"]))
    for word in words:
        assert word in str(info.value)
    assert info.value.field == "attrs.interpolation"
