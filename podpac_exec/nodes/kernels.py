"""Deterministic N-d convolution equal to ``scipy.signal.convolve(mode="same", method="direct")``.

Every output cell sums its terms in one fixed order whatever the array's
extent, so a tile's values equal the untiled values exactly; no FFT. Each term is an IEEE product
``w * x`` as in direct convolution, so NaN and inf keep their semantics: a NaN anywhere under the
kernel's box (zero weights too, ``0 * NaN = NaN``) makes the cell NaN, and ``+inf``/``-inf``
propagate or cancel to NaN as they would directly.

A kernel that is rank-1 (an outer product of 1-d factors, detected numerically) runs as one 1-d
pass per axis (``scipy.ndimage.convolve1d``): ``sum(K_d)`` instead of ``prod(K_d)`` multiply-adds
per cell. The passes keep the NaN and inf semantics: a NaN still spreads over the whole box, and
an inf's sign is the sign of its weight. Other kernels add every tap in C order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# a factorisation counts as exact when it rebuilds every weight to this fraction of the largest
_RANK1_RTOL = 1e-13
_BLOCK_CELLS = 1 << 15  # float64 cells per output block (256 KB: a block and its terms stay in cache)


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
    if data.size == 0:
        return data.copy()
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
    """One 1-d "same" convolution of ``data`` along ``axis`` (``scipy.ndimage.convolve1d``).

    ndimage multiplies every tap, zero weights too, so NaN spreads over the whole window; its
    symmetric-kernel form ``(x[i-j] + x[i+j]) * w[j]`` gives the same NaN and inf results as the
    separate products, and each cell depends only on its own line: tiles equal the whole.
    """
    from scipy.ndimage import convolve1d

    # ndimage centres an even kernel one cell later than scipy.signal's "same" mode
    origin = 0 if taps.size % 2 else -1
    return convolve1d(data, taps, axis=axis, mode="constant", cval=0.0, origin=origin)


def _direct(data: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Every kernel tap in C order: ``prod(K_d)`` multiply-adds per cell."""
    centres = [(k - 1) // 2 for k in kernel.shape]
    shifts = [(tuple(c - mi for c, mi in zip(centres, m)), kernel[m]) for m in np.ndindex(*kernel.shape)]
    return _accumulate(data, shifts)


def _accumulate(data: np.ndarray, taps: list[tuple[tuple[int, ...], Any]]) -> np.ndarray:
    """``out[i] = sum over taps of w * data[i + shift]`` (terms outside ``data`` left out), the
    taps added in the order given.

    The output is built in blocks of leading-axis rows (~256 KB) so each block stays in cache
    while every tap is added to it; the order of the terms of each cell does not change.
    """
    out = np.zeros_like(data)
    n0 = data.shape[0]
    rows = max(1, _BLOCK_CELLS // max(1, data[0].size))
    scratch = np.empty((min(rows, n0),) + data.shape[1:], dtype=data.dtype)
    trailing = []
    for shift, weight in taps:
        pairs = [_shifted(n, sh) for n, sh in zip(data.shape[1:], shift[1:])]
        if all(p is not None for p in pairs):
            trailing.append((shift[0], tuple(p[0] for p in pairs), tuple(p[1] for p in pairs), weight))
    for r0 in range(0, n0, rows):
        r1 = min(n0, r0 + rows)
        for s0, dst, src, weight in trailing:
            lo, hi = max(r0, -s0), min(r1, n0 - s0)
            if lo >= hi:
                continue
            term = scratch[(slice(0, hi - lo),) + dst]
            np.multiply(data[(slice(lo + s0, hi + s0),) + src], weight, out=term)
            target = out[(slice(lo, hi),) + dst]
            np.add(target, term, out=target)
    return out
