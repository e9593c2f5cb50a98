"""The interpolation paths that share work between threads give the one-thread values bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.nodes.interpolation import interpolate, kernels, linear
from podpac_exec.nodes.parallel import one_thread


def _bits(a: np.ndarray) -> list:
    return np.ascontiguousarray(a).view(np.int64).tolist()


def _source(shape: tuple[int, int], seed: int) -> tuple[np.ndarray, Coordinates]:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=shape) * 10
    values[rng.random(shape) < 0.05] = np.nan
    return values, Coordinates([clinspace(-10, 10, shape[0]), clinspace(-20, 20, shape[1])], dims=["lat", "lon"])


@pytest.mark.parametrize("method", ["average", "lanczos", "bilinear"])
@pytest.mark.parametrize("size", [(503, 511), (640, 397)])
def test_gdal_on_two_threads_equals_one_thread(method, size):
    values, source = _source((61, 47), 3)
    request = Coordinates([clinspace(9.7, -9.9, size[0]), clinspace(-19.8, 19.3, size[1])], dims=["lat", "lon"])
    assert size[0] * size[1] >= kernels._THREADED_PIXELS  # the threaded path
    two = interpolate(values, source, request, method)
    with one_thread():
        one = interpolate(values, source, request, method)
    assert np.isnan(one).any() and np.isfinite(one).any()
    assert _bits(two) == _bits(one)


def test_warp_threads_counts_the_helper():
    with one_thread(), kernels.warp_threads(10**7) as threads:
        assert threads == 1
    with kernels.warp_threads(10) as threads:
        assert threads == 1


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_linear_split_equals_one_thread_and_scipy(axis):
    from scipy.interpolate import interp1d

    rng = np.random.default_rng(axis)
    y = rng.normal(size=(37, 43, 29))
    y[rng.random(y.shape) < 0.02] = np.nan
    x = np.sort(rng.uniform(0, 10, y.shape[axis]))
    xnew = rng.uniform(x[0], x[-1], 701)
    assert y.size * 701 // y.shape[axis] >= linear._SPLIT_CELLS  # the split path
    two = linear._linear_along(y, axis, x, xnew)
    with one_thread():
        one = linear._linear_along(y, axis, x, xnew)
    assert _bits(two) == _bits(one)
    expected = interp1d(x, y, axis=axis, assume_sorted=True)(xnew)
    np.testing.assert_allclose(two, expected, rtol=1e-12, atol=1e-12, equal_nan=True)
