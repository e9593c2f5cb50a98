"""GDAL's warp kernels for ``lanczos`` and ``average`` in numpy, for the case that dominates real
use: a north-up, axis-aligned source grid warped onto an axis-aligned destination grid in the
same CRS (a pure scale and offset per axis), as :func:`kernels.rasterio_grid` calls
``rasterio.warp.reproject`` (float64, NaN nodata in and out, ``XSCALE``/``YSCALE`` given).

They follow GDAL 3.10's ``alg/gdalwarpkernel.cpp`` step by step where a step decides a value or a
NaN: the approximate transformer's per-scanline interpolation of source coordinates,
``GWKCheckAndComputeSrcOffsets`` (centre outside the source, or on a NaN source pixel: NaN),
``GWKResampleOptimizedLanczos`` (its weights, windows, the "half the window valid" rule and the
[0.99999, 1.00001] weight band left unnormalised) and ``GWKAverageOrModeThread`` (fractional
coverage weights and its weighted incremental mean, computed in GDAL's order). Sums are formed in
another order (separable, by BLAS), so values agree with GDAL's to rounding (~1e-15 relative).

:func:`warp` returns None for what it does not reproduce (the caller then calls GDAL).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from podpac_exec.nodes import parallel

_EPS = 1e-10
#: largest source origin, in source pixels from the CRS origin, for which GDAL's pixel coordinates
#: are reproduced to the bit: beyond, their rounding (an ulp of the origin) decides the last digits
_ORIGIN = 2048.0
#: output rows (or columns) per dense block of the banded products
_BLOCK = 32


def _exact(p: np.ndarray, g0: float, g1: float, s0: float, s1: float) -> np.ndarray:
    """GenImgProj destination pixel -> source pixel on one axis: the destination geotransform,
    then GDAL's inverse of the source one (no rotation: ``-s0 / s1`` and ``1 / s1``)."""
    return (-s0 / s1) + (g0 + p * g1) * (1.0 / s1)


def _approx(n: int, off: float, g: tuple[float, float], s: tuple[float, float]) -> np.ndarray:
    """Source coordinates of the scanline points ``i + off`` as GDAL's approximate transformer
    gives them: exact at both ends, linear in between (an affine map never exceeds its error)."""
    ends = _exact(np.array([off, n - 1 + off]), g[0], g[1], s[0], s[1])
    if n < 2:
        return ends[:1]
    delta = (ends[1] - ends[0]) / float(n - 1)
    return ends[0] + delta * np.arange(n, dtype=np.float64)


def _centres(n: int, size: int, g: tuple[float, float], s: tuple[float, float],
             approx: bool) -> tuple[np.ndarray, np.ndarray]:
    """Source coordinates of destination pixel centres and whether each lands in the source
    (``GWKCheckAndComputeSrcOffsets``, which retries near-misses with the exact transform)."""
    p = np.arange(n, dtype=np.float64) + 0.5
    x = _approx(n, 0.5, g, s) if approx else _exact(p, g[0], g[1], s[0], s[1])
    near = ((x < 0) & (x > -1)) | ((x + 1e-10 > size) & (x < size + 1))
    if near.any():
        x = np.where(near, _exact(p, g[0], g[1], s[0], s[1]), x)
    return x, (x >= 0) & ~(x + 1e-10 > size)


# -- lanczos -----------------------------------------------------------------------------------------


class _Taps(NamedTuple):
    """One axis's kernel: for output k, weights ``w[k, :n[k]]`` on source cells ``a[k] + l``."""

    a: np.ndarray
    n: np.ndarray
    w: np.ndarray


def _sinc3(x: np.ndarray) -> np.ndarray:
    """``GWKLanczosSinc``."""
    pix = math.pi * x
    pix3 = pix / 3
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sin(pix) * np.sin(pix3) / (pix * pix3)
    return np.where(x == 0.0, 1.0, out)


def _lanczos_taps(x: np.ndarray, size: int, scale: float) -> _Taps:
    """``GWKResampleOptimizedLanczos``'s window and weights along one axis."""
    i0 = np.floor(x - 0.5)
    d = x - 0.5 - i0
    i0 = i0.astype(np.int64)
    radius = math.ceil(3.0 / scale) if scale < 1.0 else 3
    lo = np.maximum(-radius, -i0)
    hi = np.minimum(radius, size - 1 - i0)
    offs = np.arange(-radius, radius + 1)
    if scale < 1.0:
        t = (offs[None, :] - d[:, None]) * scale
        lo = np.maximum(lo, np.argmax(t >= -3.0, axis=1) - radius)
        hi = np.minimum(hi, offs.size - 1 - np.argmax((t <= 3.0)[:, ::-1], axis=1) - radius)
        w = _sinc3(t)
    else:
        lo = np.where(lo - d < -3.0, lo + 1, lo)
        rel = offs[None, :]
        dx = rel - d[:, None]
        s3 = np.sin((-math.pi / 3.0) * d)
        s3sq = s3 * s3
        c3 = np.sqrt(1.0 - s3sq)
        inv = (3.0 / (math.pi * math.pi)) * ((3.0 - 4 * s3sq) * s3)
        half = -0.5 * inv * s3
        rot = 0.8660254037844386 * inv * c3
        cst = np.stack([inv * s3, half - rot, half + rot], axis=1)
        num = np.take_along_axis(cst, np.broadcast_to((offs + 3) % 3, dx.shape), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(dx == 0.0, 1.0, num / (dx * dx))
    n = hi - lo + 1
    cols = np.arange(offs.size)[None, :]
    take = np.clip(cols + (lo + radius)[:, None], 0, offs.size - 1)
    w = np.where(cols < n[:, None], np.take_along_axis(np.asarray(w), take, axis=1), 0.0)
    return _Taps(i0 + lo, np.maximum(n, 0), w)


def _blocks(taps: _Taps, size: int, ones: bool = False) -> list[tuple[int, int, int, int, np.ndarray]]:
    """The banded matrix of ``taps`` as dense blocks (k0, k1, s0, s1, B[s0:s1, k0:k1]); with
    ``ones`` the window's indicator (for counting valid cells) instead of its weights."""
    out = []
    m, width = taps.w.shape
    lanes = np.arange(width)
    for k0 in range(0, m, _BLOCK):
        k1 = min(m, k0 + _BLOCK)
        a, n = taps.a[k0:k1], taps.n[k0:k1]
        used = n > 0
        if not used.any():
            out.append((k0, k1, 0, 0, np.zeros((0, k1 - k0))))
            continue
        s0 = int(a[used].min())
        s1 = int((a + n)[used].max())
        b = np.zeros((s1 - s0, k1 - k0))
        live = lanes[None, :] < n[:, None]
        kk, ll = np.nonzero(live)
        b[a[kk] + ll - s0, kk] = 1.0 if ones else taps.w[k0 + kk, ll]
        out.append((k0, k1, s0, s1, b))
    return out


def _along_x(data: np.ndarray, blocks: list, m: int) -> np.ndarray:
    """``out[:, k] = sum_l w[k, l] * data[:, a[k] + l]`` from :func:`_blocks`."""
    out = np.zeros((data.shape[0], m))
    for k0, k1, s0, s1, b in blocks:
        if s1 > s0:
            out[:, k0:k1] = data[:, s0:s1] @ b
    return out


def lanczos(src: np.ndarray, x: np.ndarray, y: np.ndarray, xscale: float, yscale: float) -> np.ndarray:
    """GDAL lanczos of ``src`` at source coordinates ``x`` (columns) and ``y`` (rows), NaN where
    the centre is outside the source (NaN coordinates)."""
    h, w = src.shape
    valid = ~np.isnan(src)
    masked = not valid.all()
    tx = _lanczos_taps(np.nan_to_num(x, nan=-10.0), w, xscale)
    ty = _lanczos_taps(np.nan_to_num(y, nan=-10.0), h, yscale)
    bx, by = _blocks(tx, w), _blocks(ty, h)
    t_val = _along_x(np.where(valid, src, 0.0), bx, x.size)
    if masked:
        vf = valid.astype(np.float64)
        t_wt = _along_x(vf, bx, x.size)
        t_cnt = _along_x(vf, _blocks(tx, w, ones=True), x.size)
        by_cnt = _blocks(ty, h, ones=True)
        cx = np.minimum((np.nan_to_num(x, nan=0.0) + 1e-10).astype(np.int64), w - 1).clip(0)
        cy = np.minimum((np.nan_to_num(y, nan=0.0) + 1e-10).astype(np.int64), h - 1).clip(0)
    else:
        sum_x = tx.w.sum(axis=1)
        sum_y = ty.w.sum(axis=1)
    out = np.empty((y.size, x.size))
    bad_cols = np.isnan(x)

    def work(start: int, stop: int) -> None:
        for bi in range(start, stop):
            k0, k1, s0, s1, b = by[bi]
            rows = slice(k0, k1)
            if s1 <= s0:
                out[rows] = np.nan
                continue
            acc = b.T @ t_val[s0:s1]
            if masked:
                wsum = b.T @ t_wt[s0:s1]
                _, _, c0, c1, bc = by_cnt[bi]
                cnt = bc.T @ t_cnt[c0:c1]
                need = np.floor(np.multiply.outer(ty.n[rows], tx.n) / 2)
                bad = (wsum < 0.000001) | (cnt < need) | ~valid[cy[rows]][:, cx]
            else:
                wsum = np.multiply.outer(sum_y[rows], sum_x)
                bad = wsum < 0.000001
            keep = (wsum >= 0.99999) & (wsum <= 1.00001)
            with np.errstate(divide="ignore", invalid="ignore"):
                val = np.where(keep, acc, acc * (1.0 / wsum))
            val[bad | bad_cols] = np.nan
            val[np.isnan(y[rows])] = np.nan
            out[rows] = val

    parallel.in_two(work, len(by))
    return out


# -- average -----------------------------------------------------------------------------------------


def _cover(x0: np.ndarray, x1: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``GWKAverageOrModeThread``'s source window of each destination pixel along one axis:
    (first cell, cell count, per-cell weights, whether the pixel is kept)."""
    lo, hi = np.minimum(x0, x1), np.maximum(x0, x1)
    ok = (hi > -_EPS) & (lo < size + _EPS)
    i_min = np.maximum(np.floor(lo + _EPS), 0.0).astype(np.int64)
    i_max = np.minimum(np.ceil(hi - _EPS), size).astype(np.int64)
    i_max = np.where((i_min == i_max) & (i_max < size), i_max + 1, i_max)
    n = np.maximum(i_max - i_min, 0)
    width = max(int(n.max()) if n.size else 0, 1)
    lanes = np.arange(width)[None, :]
    first = 1 - (lo - i_min)
    last = 1 - (i_max - hi)
    cell = i_min[:, None] + lanes
    wts = np.where(cell == i_min[:, None], np.where((i_min + 1 == i_max)[:, None], 1.0, first[:, None]),
                   np.where(cell + 1 == i_max[:, None], last[:, None], 1.0))
    wts = np.where(lanes < n[:, None], wts, 0.0)
    return i_min, np.where(ok, n, 0), wts, ok


def average(src: np.ndarray, xc: tuple[np.ndarray, np.ndarray], yc: tuple[np.ndarray, np.ndarray],
            margins: tuple[int, int]) -> np.ndarray:
    """GDAL average of ``src`` over destination pixels with source corner coordinates ``xc`` (left,
    right) and ``yc`` (top, bottom)."""
    h, w = src.shape
    axes = []
    for (c0, c1), size, margin in ((yc, h, margins[1]), (xc, w, margins[0])):
        keep = (c0 >= -margin) & (c1 >= -margin) & (c0 - size <= margin) & (c1 - size <= margin)
        first, n, wts, ok = _cover(c0, c1, size)
        n = np.where(keep & ok, n, 0)
        # sorted by window size (most cells first), GDAL's cell order becomes a run of slices
        order = np.argsort(-n, kind="stable")
        axes.append((first[order], n[order], wts[order], order))
    (ay, ny, wy, ry), (ax, nx, wx, rx) = axes
    res = np.empty((ay.size, ax.size))
    src_x = np.ascontiguousarray(src)

    def work(start: int, stop: int) -> None:
        rows = slice(start, stop)
        res[rows] = _incremental_mean(src_x, ay[rows], ny[rows], wy[rows], ax, nx, wx)

    parallel.in_two(work, ay.size)
    inv_r, inv_c = np.argsort(ry), np.argsort(rx)
    out = np.empty_like(res)

    def unsort(start: int, stop: int) -> None:
        out[start:stop] = res.take(inv_r[start:stop], axis=0).take(inv_c, axis=1)

    parallel.in_two(unsort, ay.size)
    return out


def _incremental_mean(src: np.ndarray, ay: np.ndarray, ny: np.ndarray, wy: np.ndarray, ax: np.ndarray,
                      nx: np.ndarray, wx: np.ndarray) -> np.ndarray:
    """GDAL's weighted incremental mean ``v += (w / W) * (x - v)`` over each pixel's cells in
    GDAL's order (rows, then columns); rows and columns come sorted by decreasing cell count."""
    value = np.zeros((ay.size, ax.size))
    total = np.zeros_like(value)
    rows_with = [int((ny > j).sum()) for j in range(int(ny.max(initial=0)))]
    cols_with = [int((nx > i).sum()) for i in range(int(nx.max(initial=0)))]
    for j, nr in enumerate(rows_with):
        for i, nc in enumerate(cols_with):
            x = src.take(ay[:nr] + j, axis=0).take(ax[:nc] + i, axis=1)
            weight = np.multiply.outer(wy[:nr, j], wx[:nc, i])
            ok = ~np.isnan(x) & (weight > 0)
            if i == 0 and j == 0:  # from v = 0, W = 0 the first step gives v = x, W = w exactly
                value[:nr, :nc] = np.where(ok, x, 0.0)
                if len(rows_with) > 1 or len(cols_with) > 1:
                    total[:nr, :nc] = np.where(ok, weight, 0.0)
                else:
                    total[:nr, :nc] = ok
                continue
            v, tot = value[:nr, :nc], total[:nr, :nc]
            new_tot = tot + np.where(ok, weight, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                step = (weight / new_tot) * (x - v)
            np.copyto(v, v + step, where=ok)
            tot[...] = new_tot
    value[total <= 0] = np.nan
    return value


# -- entry point -------------------------------------------------------------------------------------


def warp(src: np.ndarray, src_gt: tuple[float, ...], dst_gt: tuple[float, ...], shape: tuple[int, int], method: str,
         xscale: float, yscale: float) -> np.ndarray | None:
    """``reproject(src, ...)`` onto ``shape`` as :func:`kernels.rasterio_grid` calls it (GDAL
    geotransforms, both north-up without rotation, one CRS), or None where this does not apply."""
    if method not in ("lanczos", "average") or src_gt[2] or src_gt[4] or dst_gt[2] or dst_gt[4]:
        return None
    h, w = src.shape
    if h < 2 or w < 2 or not (np.isfinite(src) | np.isnan(src)).all():
        return None  # GDAL takes the nearest cell from 1-wide sources; inf weights to NaN here
    if not all(math.isfinite(v) and v > 0 for v in (xscale, yscale)):
        return None
    if (src_gt[1] > 0) != (dst_gt[1] > 0) or (src_gt[5] > 0) != (dst_gt[5] > 0):
        return None  # a flipped axis: GDAL's coordinates there are not reproduced to the last bit
    if max(abs(src_gt[0] / src_gt[1]), abs(src_gt[3] / src_gt[5])) > _ORIGIN:
        return None
    if method == "lanczos" and min(xscale, yscale) < 1.0:
        return None  # downsampling sums up to 21 x 21 cells: rounding shows above 1e-12
    gx, gy = (dst_gt[0], dst_gt[1]), (dst_gt[3], dst_gt[5])
    sx, sy = (src_gt[0], src_gt[1]), (src_gt[3], src_gt[5])
    if method == "lanczos":
        x, okx = _centres(shape[1], w, gx, sx, approx=True)
        y, oky = _centres(shape[0], h, gy, sy, approx=False)
        return lanczos(src, np.where(okx, x, np.nan), np.where(oky, y, np.nan), xscale, yscale)
    xc = (_approx(shape[1], 0.0, gx, sx), _approx(shape[1], 1.0, gx, sx))
    yp = np.arange(shape[0], dtype=np.float64)
    yc = (_exact(yp, *gy, *sy), _exact(yp + 1.0, *gy, *sy))
    if not _no_wrap(xc, w, xscale):
        return None
    margins = (2 * max(1, math.ceil(1.0 / xscale)), 2 * max(1, math.ceil(1.0 / yscale)))
    return average(src, xc, yc, margins)


def _no_wrap(xc: tuple[np.ndarray, np.ndarray], w: int, xscale: float) -> bool:
    """Whether GDAL's antimeridian wrap test (a destination pixel spanning nearly all of its
    chunk's source window) cannot fire: a pixel at most one source cell wide, or a footprint on
    the source at least five pixels wide."""
    if xscale >= 1.0:
        return True
    lo = max(0.0, float(np.minimum(*xc).min()))
    hi = min(float(w), float(np.maximum(*xc).max()))
    return hi - lo >= 5.0 / xscale + 2

