"""Grid evaluation of tensor-product B-splines against scipy's point-by-point evaluation."""

import numpy as np
from scipy.interpolate import RectBivariateSpline, RegularGridInterpolator

from podpac_exec.nodes.interpolation.splines import evaluate_grid


def _field(shape: tuple[int, ...]) -> np.ndarray:
    i = np.arange(int(np.prod(shape)), dtype=float)
    return (np.sin(i * 0.37) * 10 + np.cos(i * 0.051) * 3).reshape(shape)


def test_ndbspline_on_a_grid_with_extrapolation_and_trailing_axes():
    x, y = np.linspace(0, 10, 12), np.linspace(-5, 5, 9)
    values = _field((12, 9, 2))
    spline = RegularGridInterpolator((x, y), values, method="cubic", bounds_error=False, fill_value=None)._spline
    gx, gy = np.linspace(-1, 11, 25), np.linspace(-6, 4.5, 17)
    points = np.stack(np.meshgrid(gx, gy, indexing="ij"), axis=-1)
    want = spline(points)
    got = evaluate_grid(list(spline.t), list(spline.k), spline.c, [gx, gy])
    assert got.shape == (25, 17, 2)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_bispev_on_a_grid_clamps_beyond_the_knots():
    x, y = np.linspace(0, 10, 12), np.linspace(-5, 5, 9)
    spline = RectBivariateSpline(x, y, _field((12, 9)), kx=3, ky=2)
    gx, gy = np.linspace(-1, 11, 25), np.linspace(-6, 4.5, 17)
    tx, ty, c = spline.tck
    got = evaluate_grid([tx, ty], [3, 2], c.reshape(tx.size - 4, ty.size - 3), [gx, gy], clamp=True)
    np.testing.assert_allclose(got, spline(gx, gy), rtol=1e-12, atol=1e-12)


def test_each_point_depends_on_its_own_coordinates_only():
    x, y = np.linspace(0, 10, 12), np.linspace(-5, 5, 9)
    spline = RegularGridInterpolator((x, y), _field((12, 9)), method="quintic")._spline
    gx, gy = np.linspace(0, 10, 40), np.linspace(-5, 5, 30)
    whole = evaluate_grid(list(spline.t), list(spline.k), spline.c, [gx, gy])
    part = evaluate_grid(list(spline.t), list(spline.k), spline.c, [gx[7:19], gy[3:11]])
    np.testing.assert_array_equal(part, whole[7:19, 3:11])
