"""Tiled evaluation equals untiled for every method, on requests larger than the reference cases'
(tiles of tens of cells, partly outside the source, up- and downsampling)."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.nodes.data import Array
from podpac_exec.nodes.interpolation import Interpolate

_la, _lo = np.meshgrid(np.arange(60.0), np.arange(70.0), indexing="ij")
VALUES = np.sin(_la / 5.0) * np.cos(_lo / 7.0) * 10 + _la * 0.1
GRID = Coordinates([clinspace(59, 0, 60, "lat"), clinspace(-35, 34, 70, "lon")])
SMOOTH = Array(source=VALUES.copy(), coordinates=GRID)  # splines are global: one NaN makes all NaN
VALUES[20, 30] = np.nan  # nodata: rasterio skips it, the others spread it
SOURCE = Array(source=VALUES, coordinates=GRID)
REQUESTS = {
    # no request pixel centre falls exactly on a source pixel edge: there GDAL's kernel window (which
    # source cells a lanczos tail reaches) follows the last bit of the pixel's position, which
    # differs between tiles (docs/podpac-compatibility.md, "Interpolation")
    "coarse_partly_outside": Coordinates([clinspace(64.3, -8.7, 23, "lat"), clinspace(-41.1, 19.9, 19, "lon")]),
    "fine_inside": Coordinates([clinspace(40.2, 25.1, 31, "lat"), clinspace(-10.3, 8.7, 29, "lon")]),
}
METHODS = [
    "nearest", "bilinear", "linear", "cubic_spline", "spline_2", "spline_3", "lanczos", "average", "mode", "max",
    "min", "med", "q1", "q3",
    {"method": "bilinear", "interpolators": ["RasterioInterpolator"]},
    {"method": "cubic", "interpolators": ["RasterioInterpolator"]},
    {"method": "nearest", "interpolators": ["RasterioInterpolator"]},
    {"method": "bilinear", "interpolators": ["ScipyGrid"]},
    {"method": "nearest", "interpolators": ["ScipyGrid"]},
]  # fmt: skip


def _label(method) -> str:
    return method if isinstance(method, str) else f"{method['interpolators'][0]}-{method['method']}"


@pytest.mark.parametrize("request_name", list(REQUESTS))
@pytest.mark.parametrize("method", METHODS, ids=[_label(m) for m in METHODS])
def test_tiles_equal_one_tile(method, request_name):
    coords = REQUESTS[request_name]
    node = Interpolate(source=SMOOTH if str(method).startswith("spline") else SOURCE, interpolation=method)
    whole = pe.evaluate(node, coords)
    stats = pe.EvaluationStats()
    with pe.settings.override(tiling__max_tile_bytes=8 * 60, tiling__min_tiles=4):
        tiled = pe.evaluate(node, coords, stats=stats)
    assert stats.tiles >= 4
    assert np.isfinite(whole.values).sum() > whole.size // 3
    rasterio = "RasterioInterpolator" in str(method) or method in ("cubic_spline", "lanczos", "average", "mode",
                                                                   "max", "min", "med", "q1", "q3")  # fmt: skip
    if rasterio:  # GDAL maps each tile's pixels through its own transform: last bits only
        np.testing.assert_allclose(tiled.values, whole.values, rtol=1e-12, atol=1e-12, equal_nan=True)
    else:
        np.testing.assert_array_equal(tiled.values, whole.values)
