"""Deterministic N-d convolution equal to ``scipy.signal.convolve(mode="same", method="direct")``.

Every output cell sums its terms in one fixed order (kernel taps ascending) whatever the array's
extent, so a tile's values equal the untiled values exactly; no FFT. Each term is an IEEE product
``w * x`` as in direct convolution, so NaN and inf keep their semantics: a NaN anywhere under the
kernel's box (zero weights too, ``0 * NaN = NaN``) makes the cell NaN, and ``+inf``/``-inf``
propagate or cancel to NaN as they would directly.

A kernel that is rank-1 (an outer product of 1-d factors, detected numerically) runs as one 1-d
pass per axis: ``sum(K_d)`` instead of ``prod(K_d)`` multiply-adds per cell. The pass order keeps
the NaN and inf semantics: a NaN still spreads over the whole box, and an inf's sign is the sign
of its weight.
"""

from __future__ import annotations

import numpy as np

# a factorisation counts as exact when it rebuilds every weight to this fraction of the largest
_RANK1_RTOL = 1e-13


def convolve_same(data: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """``data`` convolved with ``kernel`` (same ndim), output the shape of ``data``.

    ``out[i] = sum_m kernel[m] * data[i + c - m]`` with ``c = (K - 1) // 2`` per axis, terms
    outside ``data`` left out (zero padding), as scipy's "same" mode.
    """
    data = np.asarray(data)
    kernel = np.asarray(kernel)
    if data.ndim != kernel.ndim:
        raise ValueError(f"data has {data.ndim} dims but the kernel has {kernel.ndim}")
    dtype = np.result_type(data.dtype, kernel.dtype, np.float64)
    data = data.astype(dtype, copy=False)
    kernel = kernel.astype(dtype, copy=False)
    if data.ndim == 0:
        return np.multiply(data, kernel)
    factors = separable_factors(kernel)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf are results here, as in scipy
        if factors is None:
            return _direct(data, kernel)
        out = data
        for axis, taps in enumerate(factors):
            if taps.size == 1 and taps[0] == 1:
                continue
            out = _pass_1d(out, taps, axis)
    return out if out is not data else data.copy()


def separable_factors(kernel: np.ndarray) -> list[np.ndarray] | None:
    """1-d factors whose outer product is ``kernel`` (to ``_RANK1_RTOL``), or None if it is not rank-1.

    The first non-trivial axis carries the kernel's own slice through its largest weight and
    the other axes that slice's ratios, so a one-axis kernel is returned exactly. Factors must
    reproduce the zero pattern and signs exactly (they decide NaN/inf results).
    """
    kernel = np.asarray(kernel)
    if kernel.size == 0 or not np.all(np.isfinite(kernel)):
        return None
    pivot = np.unravel_index(int(np.argmax(np.abs(kernel))), kernel.shape)
    peak = kernel[pivot]
    if peak == 0:
        return None
    lead = next((a for a, n in enumerate(kernel.shape) if n > 1), 0)
    factors = []
    for axis in range(kernel.ndim):
        index = list(pivot)
        index[axis] = slice(None)
        line = kernel[tuple(index)]
        factors.append(np.array(line, copy=True) if axis == lead else line / peak)
    rebuilt = factors[0]
    for f in factors[1:]:
        rebuilt = np.multiply.outer(rebuilt, f)
    if not np.array_equal(np.sign(rebuilt), np.sign(kernel)):
        return None
    if np.max(np.abs(rebuilt - kernel)) > _RANK1_RTOL * abs(peak):
        return None
    return factors


def _shifted(n: int, shift: int) -> tuple[slice, slice] | None:
    """(output slice, input slice) along one axis for ``out[i] += w * x[i + shift]``."""
    lo, hi = max(0, -shift), min(n, n - shift)
    if lo >= hi:
        return None
    return slice(lo, hi), slice(lo + shift, hi + shift)


def _pass_1d(data: np.ndarray, taps: np.ndarray, axis: int) -> np.ndarray:
    """One 1-d "same" convolution of ``data`` along ``axis``."""
    n, k = data.shape[axis], taps.size
    centre = (k - 1) // 2
    out = np.zeros_like(data)
    scratch = np.empty_like(data)
    lead = (slice(None),) * axis
    for m in range(k):
        pair = _shifted(n, centre - m)
        if pair is None:
            continue
        dst, src = lead + (pair[0],), lead + (pair[1],)
        term = scratch[dst]
        np.multiply(data[src], taps[m], out=term)
        np.add(out[dst], term, out=out[dst])
    return out


def _direct(data: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Every kernel tap in C order: ``prod(K_d)`` multiply-adds per cell."""
    centres = [(k - 1) // 2 for k in kernel.shape]
    out = np.zeros_like(data)
    scratch = np.empty_like(data)
    for m in np.ndindex(*kernel.shape):
        dst, src = [], []
        for n, c, mi in zip(data.shape, centres, m):
            pair = _shifted(n, c - mi)
            if pair is None:
                break
            dst.append(pair[0])
            src.append(pair[1])
        else:
            d, s = tuple(dst), tuple(src)
            term = scratch[d]
            np.multiply(data[s], kernel[m], out=term)
            np.add(out[d], term, out=out[d])
    return out
