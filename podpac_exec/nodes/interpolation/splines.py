"""Tensor-product B-splines evaluated on a grid, one axis at a time.

scipy evaluates a fitted spline point by point: ``NdBSpline`` (XarrayInterpolator's ``cubic``)
and ``bispev`` (ScipyGrid's ``RectBivariateSpline``) sum ``(k+1)**n`` products per point. On a
grid the sum factors: contracting the coefficients with each axis' basis in turn costs
``(k+1)`` products per point and axis. The values are the same sums, grouped per axis (they may
differ in the last bit); each point still depends on its own coordinates only, so tiles agree
with the whole request exactly.
"""

from __future__ import annotations

import numpy as np


def basis(x: np.ndarray, t: np.ndarray, k: int, clamp: bool) -> "object":
    """The B-spline design matrix (CSR, ``k+1`` entries a row) of knots ``t`` at ``x``: beyond
    the base interval extrapolated from the end pieces (NdBSpline), or ``clamp``-ed to its ends
    (FITPACK's ``bispev``)."""
    from scipy.interpolate import BSpline

    x = np.asarray(x, dtype=np.float64)
    if clamp:
        x = np.clip(x, t[k], t[t.size - k - 1])
    return BSpline.design_matrix(x, t, k, extrapolate=not clamp)


def evaluate_grid(
    knots: list[np.ndarray], degrees: list[int], coefficients: np.ndarray, axes: list[np.ndarray], clamp: bool = False
) -> np.ndarray:
    """The spline of ``coefficients`` (one axis per knot vector, then any trailing axes) at the
    grid ``axes`` (finite values); returns shape ``(len(axes[0]), ..., *trailing)``."""
    c = np.asarray(coefficients, dtype=np.float64)
    n = len(knots)
    for d in range(n):
        # contract the first axis, then move its grid axis behind the other spline axes: after
        # n steps the grid axes are in order, the trailing axes after them
        b = basis(axes[d], knots[d], degrees[d], clamp)
        rest = c.shape[1:]
        c = np.asarray(b @ c.reshape(c.shape[0], -1)).reshape((-1,) + rest)
        c = np.moveaxis(c, 0, n - 1) if n > 1 else c
    return c
