"""Deterministic N-d convolution equal to ``scipy.signal.convolve(mode="same", method="direct")``.

Every output cell sums its terms in one fixed order whatever the array's
extent, so a tile's values equal the untiled values exactly; no FFT. Each term is an IEEE product
``w * x`` as in direct convolution, so NaN and inf keep their semantics: a NaN anywhere under the
kernel's box (zero weights too, ``0 * NaN = NaN``) makes the cell NaN, and ``+inf``/``-inf``
propagate or cancel to NaN as they would directly.

A kernel that is rank-1 (an outer product of 1-d factors, detected numerically) runs as one 1-d
pass per axis: ``sum(K_d)`` instead of ``prod(K_d)`` multiply-adds per cell. The passes keep the
NaN and inf semantics: a NaN still spreads over the whole box, and an inf's sign is the sign of
its weight. Other kernels add every tap in C order.

The taps are added block by block of the zero-padded input (each block stays in cache while
every tap is added to it), the blocks shared with the helper thread (``parallel.in_two``).
"""

from __future__ import annotations

import math

import numpy as np

from podpac_exec.nodes.parallel import in_two

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


def _pass_1d(data: np.ndarray, taps: np.ndarray, axis: int) -> np.ndarray:
    """One 1-d "same" convolution of ``data`` along ``axis``: ``out[i] = sum_j taps[j] *
    data[i + c - j]`` (every tap multiplied, zero weights too, so NaN spreads over the whole
    window), each cell from its own line only: tiles equal the whole."""
    shape = [1] * data.ndim
    shape[axis] = taps.size
    return _direct(data, taps.reshape(shape))


def _direct(data: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Every kernel tap in C order: ``prod(K_d)`` multiply-adds per cell.

    ``data`` is zero-padded by ``K - 1`` cells per axis, so every tap reads one contiguous run
    of the flattened padded array: ``out[p] += w * padded[p + offset]`` for the cells ``p`` of
    the padded layout (the cells past an axis' end are computed and dropped). A term that
    falls outside ``data`` adds ``w * 0``: the same sum, up to the sign of a zero.
    """
    data = np.ascontiguousarray(data)  # the taps' offsets are those of the C-ordered layout
    if data.ndim > 1 and all(k == 1 for k in kernel.shape[1:]):
        return _leading_axis(data, kernel.reshape(-1))
    centres = [(k - 1) // 2 for k in kernel.shape]
    padded = np.pad(data, [(k - 1 - c, c) for k, c in zip(kernel.shape, centres)])
    strides = [s // padded.itemsize for s in padded.strides]
    offsets = [sum((k - 1 - mi) * st for k, mi, st in zip(kernel.shape, m, strides)) for m in np.ndindex(*kernel.shape)]
    taps = [(o, w) for o, w in zip(offsets, kernel.reshape(-1).tolist())]
    # the padded layout's cells up to data's last one: everything a valid cell needs, in order
    cells = sum((n - 1) * st for n, st in zip(data.shape, strides)) + 1
    out = np.empty(padded.shape, dtype=data.dtype)
    _add_taps(padded.reshape(-1), taps, out.reshape(-1)[:cells])
    return np.ascontiguousarray(out[tuple(slice(0, n) for n in data.shape)])


def _leading_axis(data: np.ndarray, taps: np.ndarray) -> np.ndarray:
    """:func:`_direct` for a kernel along the first axis of C-contiguous ``data``, unpadded: tap
    ``m`` reads the rows ``c - m`` away, so every term is one contiguous run of the flattened
    array. A term that falls outside ``data`` is left out where the padded form adds ``w * 0``:
    the same sums (up to the sign of a zero) in the same order, without the padded copy."""
    rows = math.prod(data.shape[1:])
    centre = (taps.size - 1) // 2
    out = np.empty(data.shape, dtype=data.dtype)
    _add_taps(data.reshape(-1), [((centre - m) * rows, w) for m, w in enumerate(taps.tolist())], out.reshape(-1))
    return out


def _add_taps(flat: np.ndarray, taps: list[tuple[int, float]], flat_out: np.ndarray) -> None:
    """``flat_out[p] = sum(w * flat[p + o] for o, w in taps)``, the taps added in order, a term
    left out where ``p + o`` falls outside ``flat`` (a zero: the first tap writes ``0 * w``
    there). Block by block (each stays in cache while every tap is added), on two threads."""
    n, cells = flat.size, flat_out.size
    blocks = range(0, cells, _BLOCK_CELLS)

    def run(first: int, stop: int) -> None:
        term = np.empty(_BLOCK_CELLS, dtype=flat_out.dtype)
        with np.errstate(invalid="ignore", over="ignore"):  # per thread
            for b0 in blocks[first:stop]:
                b1 = min(cells, b0 + _BLOCK_CELLS)
                acc = flat_out[b0:b1]
                for m, (offset, w) in enumerate(taps):
                    lo, hi = max(b0, -offset), min(b1, n - offset)  # cells whose term lies in flat
                    if m == 0:
                        if lo > b0 or hi < b1:
                            acc[...] = 0.0 * w
                        if lo < hi:
                            np.multiply(flat[lo + offset : hi + offset], w, out=acc[lo - b0 : hi - b0])
                    elif lo < hi:
                        scratch = term[: hi - lo]
                        np.multiply(flat[lo + offset : hi + offset], w, out=scratch)
                        np.add(acc[lo - b0 : hi - b0], scratch, out=acc[lo - b0 : hi - b0])

    in_two(run, len(blocks))
