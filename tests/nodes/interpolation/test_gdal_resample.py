"""The numpy lanczos/average kernels against GDAL itself (``rasterio.warp.reproject`` called as
``kernels.rasterio_grid`` calls it): same values to 1e-12, NaN in exactly the same cells."""

from __future__ import annotations

import numpy as np
import pytest

rasterio = pytest.importorskip("rasterio")
from rasterio.crs import CRS  # noqa: E402
from rasterio.transform import Affine  # noqa: E402
from rasterio.warp import Resampling, reproject  # noqa: E402

from podpac_exec.nodes.interpolation import gdal_resample  # noqa: E402

CRS_S = "+proj=longlat +datum=WGS84 +no_defs +vunits=m"
PAD = 4


def _gt(lat: tuple[float, float], lon: tuple[float, float]) -> tuple[float, ...]:
    return (lon[0] - lon[1] / 2, lon[1], 0.0, lat[0] - lat[1] / 2, 0.0, lat[1])


def _both(src, slat, slon, dlat, dlon, shape, method, crs=CRS_S):
    """(GDAL, numpy or None) on the request grid padded as rasterio_grid pads it, cropped."""
    sg = _gt(slat, slon)
    dg = _gt((dlat[0] - PAD * dlat[1], dlat[1]), (dlon[0] - PAD * dlon[1], dlon[1]))
    pshape = (shape[0] + 2 * PAD, shape[1] + 2 * PAD)
    xs, ys = abs(slon[1] / dlon[1]), abs(slat[1] / dlat[1])
    ref = np.full(pshape, np.nan)
    rcrs = CRS.from_string(crs)
    reproject(src, ref, src_transform=Affine.from_gdal(*sg), src_crs=rcrs, src_nodata=np.nan,
              dst_transform=Affine.from_gdal(*dg), dst_crs=rcrs, dst_nodata=np.nan,
              resampling=getattr(Resampling, method), XSCALE=xs, YSCALE=ys)
    ours = gdal_resample.warp(src, sg, dg, pshape, method, xs, ys)
    crop = (slice(PAD, PAD + shape[0]), slice(PAD, PAD + shape[1]))
    return ref[crop], None if ours is None else ours[crop]


def _assert_same(ref: np.ndarray, ours: np.ndarray | None) -> None:
    assert ours is not None
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(ref))
    np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12, equal_nan=True)


def _source(rng: np.random.Generator, shape: tuple[int, int], holes: str) -> np.ndarray:
    src = rng.normal(size=shape) * 10
    if holes == "isolated":
        src[rng.random(shape) < 0.05] = np.nan
    elif holes == "dense":
        src[rng.random(shape) < 0.3] = np.nan
    elif holes == "block":
        src[2:6, 3:8] = np.nan
    elif holes == "edges":
        src[0, :] = np.nan
        src[:, -1] = np.nan
    return src


@pytest.mark.parametrize("method", ["lanczos", "average"])
@pytest.mark.parametrize("holes", ["none", "isolated", "dense", "block", "edges"])
@pytest.mark.parametrize("factor", [5.0, 2.5, 1.7, 1.0])
def test_upsampling_matches_gdal(method: str, holes: str, factor: float) -> None:
    rng = np.random.default_rng(int(factor * 10) + len(holes))
    shape = (23, 31)
    src = _source(rng, shape, holes)
    step = 0.37
    slat, slon = (12.0, -step), (-30.0, step)
    for dlat0, dlon0, size in [(11.9, -29.8, (40, 57)), (12.0 - step / 2 + step / factor / 2,
                                                          -30.0 - step / 2 + step / factor / 2, (23, 19))]:
        dst = ((dlat0, -step / factor), (dlon0, step / factor), size)
        _assert_same(*_both(src, slat, slon, dst[0], dst[1], dst[2], method))


@pytest.mark.parametrize("holes", ["none", "isolated", "block"])
@pytest.mark.parametrize("factor", [0.5, 0.3])
def test_average_downsampling_matches_gdal(holes: str, factor: float) -> None:
    rng = np.random.default_rng(7)
    src = _source(rng, (40, 45), holes)
    ref, ours = _both(src, (5.0, -1.0), (3.0, 1.0), (4.3, -1 / factor), (3.4, 1 / factor), (10, 12), "average")
    _assert_same(ref, ours)


def test_ascending_lat_and_projected_crs_match_gdal() -> None:
    rng = np.random.default_rng(3)
    src = _source(rng, (20, 18), "isolated")
    for method in ("lanczos", "average"):
        _assert_same(*_both(src, (-5.0, 0.5), (7.0, 0.5), (-4.6, 0.1), (7.3, 0.2), (40, 30), method))
        _assert_same(*_both(src * 100, (4.0e5 / 1e3, -250.0), (3.0e5 / 1e3, 250.0), (0.0, -50.0), (100.0, 100.0),
                            (60, 30), method, crs="EPSG:32633"))


def test_single_destination_row_and_column_match_gdal() -> None:
    rng = np.random.default_rng(4)
    src = _source(rng, (15, 16), "isolated")
    for method in ("lanczos", "average"):
        _assert_same(*_both(src, (7.0, -1.0), (0.0, 1.0), (3.3, -0.2), (2.0, 0.2), (1, 25), method))
        _assert_same(*_both(src, (7.0, -1.0), (0.0, 1.0), (3.3, -0.2), (2.0, 0.2), (25, 1), method))


def test_request_beyond_the_source_matches_gdal() -> None:
    rng = np.random.default_rng(5)
    src = _source(rng, (12, 14), "edges")
    for method in ("lanczos", "average"):
        _assert_same(*_both(src, (5.0, -1.0), (0.0, 1.0), (8.1, -0.25), (-3.1, 0.25), (70, 80), method))


def test_random_configurations_match_gdal() -> None:
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(60):
        h, w = (int(v) for v in rng.integers(2, 30, size=2))
        src = _source(rng, (h, w), str(rng.choice(["none", "isolated", "dense"])))
        step = float(rng.choice([1.0, 0.37, 0.05]))
        fx, fy = (float(v) for v in rng.choice([5.0, 2.5, 1.0, 3.0, 0.5, 0.3], size=2))
        slat, slon = (rng.uniform(-40, 40), -step), (rng.uniform(-60, 60), step)
        dlat = (slat[0] - step * rng.uniform(-2, h / 2), -step / fy)
        dlon = (slon[0] + step * rng.uniform(-2, w / 2), step / fx)
        size = (max(1, int(h * fy * rng.uniform(0.3, 1.1))), max(1, int(w * fx * rng.uniform(0.3, 1.1))))
        for method in ("lanczos", "average"):
            ref, ours = _both(src, slat, slon, dlat, dlon, size, method)
            if ours is not None:
                _assert_same(ref, ours)
                checked += 1
    assert checked > 60


def test_unsupported_configurations_fall_back() -> None:
    src = np.ones((10, 10))
    gt, dst = _gt((5.0, -1.0), (0.0, 1.0)), _gt((5.0, -0.5), (0.0, 0.5))
    assert gdal_resample.warp(src, gt, dst, (20, 20), "bilinear", 2.0, 2.0) is None
    assert gdal_resample.warp(src, gt, dst, (20, 20), "lanczos", 0.5, 2.0) is None  # lanczos downsampling
    assert gdal_resample.warp(src, (0.0, 0.0, 1.0, 5.0, -1.0, 0.0), dst, (20, 20), "average", 2.0, 2.0) is None
    assert gdal_resample.warp(src[:1], gt, dst, (20, 20), "average", 2.0, 2.0) is None  # one source row
    assert gdal_resample.warp(np.where(src > 0, np.inf, 0.0), gt, dst, (20, 20), "average", 2.0, 2.0) is None
    flipped = _gt((-5.0, 0.5), (0.0, 0.5))
    assert gdal_resample.warp(src, gt, flipped, (20, 20), "average", 2.0, 2.0) is None
    far = _gt((5.0, -0.001), (0.0, 0.001))
    assert gdal_resample.warp(src, far, dst, (20, 20), "average", 0.002, 0.002) is None
