"""The numerical kernels PODPAC's interpolators call, called the same way: scipy's ``interp1d`` and
``interpn`` (XarrayInterpolator), ``RegularGridInterpolator`` and ``RectBivariateSpline``
(ScipyGrid), ``KDTree`` (ScipyPoint) and ``rasterio.warp.reproject`` (RasterioInterpolator).

Arrays carry any number of leading axes (PODPAC loops over those dims); the interpolated axes
are last.
"""

from __future__ import annotations

import contextlib
import math
from typing import TYPE_CHECKING, Iterator

import numpy as np

from podpac_exec.errors import PipelineError
from podpac_exec.nodes import parallel
from podpac_exec.nodes.interpolation import gdal_resample, splines
from podpac_exec.nodes.interpolation.selection import uniform_grid

if TYPE_CHECKING:
    from podpac_exec.nodes.interpolation.frames import Request
    from podpac_exec.nodes.interpolation.selection import DimPlan

_FIELD = "attrs.interpolation"


def _scipy_error(method: str, interpolator: str, exc: Exception) -> PipelineError:
    return PipelineError(f"{interpolator} {method!r} interpolation failed here: {exc}", field=_FIELD)


# -- XarrayInterpolator -------------------------------------------------------------------------------


def interp1d(x: np.ndarray, y: np.ndarray, xnew: np.ndarray, method: str, fill: float) -> np.ndarray:
    """xarray's ScipyInterpolator: ``interp1d(kind=method, bounds_error=False, assume_sorted=True)``
    along the last axis of ``y``; NaN (or ``fill``) outside ``x``."""
    from scipy.interpolate import interp1d as scipy_interp1d

    fill_value: object = fill
    if math.isnan(fill):
        fill_value = (np.nan, np.nan) if method == "linear" else np.nan
    try:
        f = scipy_interp1d(
            x, y, kind=method, fill_value=fill_value, bounds_error=False, assume_sorted=True, copy=False, axis=-1
        )
    except ValueError as exc:
        raise _scipy_error(method, "XarrayInterpolator", exc) from None
    return np.asarray(f(xnew), dtype=np.float64)


def interpn(grids: list[np.ndarray], values: np.ndarray, points: np.ndarray, method: str, fill: float) -> np.ndarray:
    """xarray's joint interpolation (dims sharing a request dim): scipy ``interpn``, extrapolating
    unless a fill value is set; linear and nearest first keep the neighbourhood (``_localize``)."""
    from scipy.interpolate import interpn as scipy_interpn

    if method in ("linear", "nearest"):
        sl = []
        for i, x in enumerate(grids):
            lo, hi = np.nanmin(points[:, i]), np.nanmax(points[:, i])
            imin, imax = (int(np.abs(x - v).argmin()) for v in (lo, hi))  # pandas get_indexer(nearest)
            sl.append(slice(max(imin - 2, 0), imax + 2))
        grids = [x[s] for x, s in zip(grids, sl)]
        values = values[tuple(sl)]
    try:
        result = scipy_interpn(
            grids, values, points, method=method, bounds_error=False, fill_value=None if math.isnan(fill) else fill
        )
    except ValueError as exc:
        raise _scipy_error(method, "XarrayInterpolator", exc) from None
    return np.asarray(result, dtype=np.float64)


#: RegularGridInterpolator's methods that fit one tensor-product spline (``make_ndbspl``).
NDBSPLINE_METHODS = ("slinear", "cubic", "quintic")


def single_blas_thread() -> "contextlib.AbstractContextManager[object]":
    """One BLAS thread while scipy's iterative spline fit runs: its many small vector products
    lose most of their time to thread hand-offs on a busy machine (10x on 2 shared cores), and
    one thread also sums them in the same order every time."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # an optional speed-up: the values are the same without it
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def interpn_grid(grids: list[np.ndarray], values: np.ndarray, axes: list[np.ndarray], method: str, fill: float) -> np.ndarray:
    """:func:`interpn` of a spline method (:data:`NDBSPLINE_METHODS`) at the grid ``axes`` (one
    per grid, in their order): scipy's own fit, evaluated axis by axis (:mod:`.splines`); returns
    shape ``(len(axes[0]), ..., *trailing)``."""
    from scipy.interpolate import RegularGridInterpolator

    try:
        with single_blas_thread():
            f = RegularGridInterpolator(
                grids, values, method=method, bounds_error=False, fill_value=None if math.isnan(fill) else fill
            )
    except ValueError as exc:
        raise _scipy_error(method, "XarrayInterpolator", exc) from None
    spline = f._spline  # the NdBSpline RegularGridInterpolator evaluates point by point
    nan = [np.isnan(x) for x in axes]
    out = splines.evaluate_grid(list(spline.t), list(spline.k), spline.c, [np.where(m, 0.0, x) for m, x in zip(nan, axes)])
    bad = [np.zeros(x.shape, dtype=bool) for x in axes]
    if not math.isnan(fill):
        bad = [(x < g[0]) | (x > g[-1]) for x, g in zip(axes, f.grid)]
    _mask_grid(out, bad, fill)
    _mask_grid(out, nan, math.nan)
    return out


def _mask_grid(out: np.ndarray, masks: list[np.ndarray], value: float) -> None:
    """Sets ``value`` at the grid points of ``out`` where any axis' mask is set."""
    for d, m in enumerate(masks):
        if m.any():
            index: list[object] = [slice(None)] * out.ndim
            index[d] = m
            out[tuple(index)] = value


# -- RasterioInterpolator --------------------------------------------------------------------------

#: Source cells a rasterio kernel reaches beyond a destination pixel's footprint (GDAL's filter
#: radii are at most 3, lanczos); scaled by the downsampling factor.
_RASTERIO_REACH = 4
#: Request pixels added around the request for GDAL and cropped after. GDAL sizes each chunk's
#: source window from the chunk's own extent: a tile's edge pixels would lose the tails of their
#: kernels (lanczos: 3 request pixels when downsampling), and a pixel whose footprint only
#: touches the source's edge takes the edge's value only when its chunk reaches into the source.
#: With this margin every tile's pixels see what they see in the whole request.
_DST_PAD = 4
#: Destination pixels from which GDAL warps on two threads (below, starting them costs more).
_THREADED_PIXELS = 250_000


@contextlib.contextmanager
def warp_threads(pixels: int) -> Iterator[int]:
    """GDAL warp threads for ``pixels`` destination pixels: 2 while the shared helper thread
    (:mod:`podpac_exec.nodes.parallel`) is free, which stays reserved meanwhile, else 1. GDAL
    splits the destination rows between its threads and computes every pixel the same way on
    either, so the values do not depend on the count."""
    with parallel.reserved_helper(pixels >= _THREADED_PIXELS) as two:
        yield 2 if two else 1


def rasterio_margin(plan: "DimPlan", request_step: float) -> int:
    """Source cells to read beyond the request's range so rasterio sees what it would in the
    whole source: the kernel radius and the destination margin, times the downsampling factor."""
    grid = uniform_grid(plan.dim.coords[0], plan.frames[plan.udims[0]])
    scale = abs(request_step / grid[2]) if grid is not None and math.isfinite(request_step) and grid[2] else 1.0
    return (_RASTERIO_REACH + _DST_PAD) * max(1, math.ceil(scale)) + 2


def _grid(plan_or_coord: object, frame: object, values: np.ndarray) -> tuple[float, float]:
    """(first centre, step) of a uniform axis."""
    grid = uniform_grid(plan_or_coord, frame)  # type: ignore[arg-type]
    step = grid[2] if grid is not None else math.nan
    return float(values[0]), float(step)


def _geotransform(order_lat_first: bool, lat: tuple[float, float], lon: tuple[float, float]) -> tuple[float, ...]:
    """PODPAC's ``Coordinates.geotransform`` (pixel corners from centres; rows follow the first dim)."""
    lat0, dlat = lat
    lon0, dlon = lon
    if order_lat_first:
        return (lon0 - dlon / 2, dlon, 0.0, lat0 - dlat / 2, 0.0, dlat)
    return (lon0 - dlon / 2, 0.0, dlon, lat0 - dlat / 2, dlat, 0.0)


def rasterio_grid(
    y: np.ndarray, spatial: list["DimPlan"], req: "Request", method: str, crs: str
) -> tuple[np.ndarray, list[int]]:
    """``rasterio.warp.reproject`` of each lat/lon slice of ``y`` onto the request grid."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, reproject

    by = {p.udims[0]: p for p in spatial}
    src = {}
    for u, plan in by.items():
        start, step = _grid(plan.dim.coords[0], plan.frames[u], plan.subset[u])
        src[u] = (start, step)
    dst, sizes = {}, {}
    for u, plan in by.items():
        rq = req.udims[u]
        if rq.stacked:
            raise PipelineError("RasterioInterpolator needs a gridded (unstacked) request", field=_FIELD)
        start, step = _grid(rq.coord, plan.frames[u], plan.req[u])
        if not math.isfinite(step) or step == 0:
            step = src[u][1]  # a single request row or column: the source's pixel size
        dst[u] = (start, step)
        sizes[u] = plan.req[u].size
    src_lat_first = spatial[0].udims[0] == "lat"
    dst_lat_first = req.udims["lat"].axis < req.udims["lon"].axis
    src_transform = Affine.from_gdal(*_geotransform(src_lat_first, src["lat"], src["lon"]))
    padded = {u: (dst[u][0] - _DST_PAD * dst[u][1], dst[u][1]) for u in dst}
    dst_transform = Affine.from_gdal(*_geotransform(dst_lat_first, padded["lat"], padded["lon"]))
    shape = (sizes["lat"], sizes["lon"]) if dst_lat_first else (sizes["lon"], sizes["lat"])
    pshape = (shape[0] + 2 * _DST_PAD, shape[1] + 2 * _DST_PAD)
    lead = y.shape[:-2]
    flat = y.reshape((-1,) + y.shape[-2:])
    out = np.full((flat.shape[0],) + pshape, np.nan)
    try:
        rcrs = CRS.from_string(crs)
    except rasterio.errors.CRSError as exc:
        raise PipelineError(f"RasterioInterpolator cannot read crs {crs!r}: {exc}", field="coordinates.crs") from None
    # GDAL derives the resampling ratio per chunk from the source window, which is cut at the
    # source's edge: fixed, the ratio is the grids' own, in every tile alike
    scales = {"XSCALE": abs(src["lon"][1] / dst["lon"][1]), "YSCALE": abs(src["lat"][1] / dst["lat"][1])}
    if not dst_lat_first:
        scales = {"XSCALE": scales["YSCALE"], "YSCALE": scales["XSCALE"]}
    src_gt, dst_gt = src_transform.to_gdal(), dst_transform.to_gdal()
    todo = []
    for i in range(flat.shape[0]):  # axis-aligned lanczos/average in numpy, as GDAL computes them
        slab = np.asarray(flat[i], dtype=np.float64)
        done = gdal_resample.warp(slab, src_gt, dst_gt, pshape, method, scales["XSCALE"], scales["YSCALE"])
        if done is None:
            todo.append(i)
        else:
            out[i] = done
    with rasterio.Env(), warp_threads(math.prod(pshape) if todo else 0) as threads:
        for i in todo:
            reproject(
                np.ascontiguousarray(flat[i], dtype=np.float64),
                out[i],
                src_transform=src_transform,
                src_crs=rcrs,
                src_nodata=np.nan,
                dst_transform=dst_transform,
                dst_crs=rcrs,
                dst_nodata=np.nan,
                resampling=getattr(Resampling, method),
                num_threads=threads,
                **scales,
            )
    out = out[:, _DST_PAD : _DST_PAD + shape[0], _DST_PAD : _DST_PAD + shape[1]]
    axes = sorted(req.udims[u].axis for u in ("lat", "lon"))
    return out.reshape(lead + shape), axes


# -- ScipyGrid / ScipyPoint ------------------------------------------------------------------------


def scipy_grid(y: np.ndarray, spatial: list["DimPlan"], req: "Request", method: str) -> tuple[np.ndarray, list[int]]:
    """ScipyGrid: ``RegularGridInterpolator`` (nearest, bilinear) or ``RectBivariateSpline``
    (``cubic_spline``, ``spline_k``) on each lat/lon slice, at the request's grid or points."""
    from scipy.interpolate import RectBivariateSpline, RegularGridInterpolator

    if spatial[0].udims[0] == "lon":
        y, spatial = np.swapaxes(y, -1, -2), spatial[::-1]
    lat_plan, lon_plan = spatial
    lat, lon = lat_plan.subset["lat"], lon_plan.subset["lon"]
    if lat.size > 1 and lat[1] < lat[0]:
        lat, y = lat[::-1], y[..., ::-1, :]
    if lon.size > 1 and lon[1] < lon[0]:
        lon, y = lon[::-1], y[..., ::-1]
    rlat, rlon = lat_plan.req["lat"], lon_plan.req["lon"]
    a_lat, a_lon = req.udims["lat"].axis, req.udims["lon"].axis
    grid = a_lat != a_lon
    lead = y.shape[:-2]
    flat = y.reshape((-1,) + y.shape[-2:])
    results = []
    for data in flat:
        try:
            if method in ("nearest", "bilinear"):
                f = RegularGridInterpolator(
                    (lat, lon), data, method=method.replace("bi", ""), bounds_error=False, fill_value=np.nan
                )
                if grid:
                    gx, gy = np.meshgrid(rlon, rlat)
                    res = f((gy.ravel(), gx.ravel())).reshape(rlat.size, rlon.size)
                else:
                    res = f((rlat, rlon))
            else:
                k = 3 if method == "cubic_spline" else int(method.split("_")[-1])
                spline = RectBivariateSpline(lat, lon, data, kx=max(1, k), ky=max(1, k))
                if grid:
                    res = _bispev_grid(spline, rlat, rlon)
                else:
                    res = spline(rlat, rlon, grid=False)
        except ValueError as exc:
            raise _scipy_error(method, "ScipyGrid", exc) from None
        results.append(np.asarray(res, dtype=np.float64))
    out = (results[0] if len(results) == 1 else np.stack(results)).reshape(lead + results[0].shape)
    if grid and a_lon < a_lat:
        out = np.swapaxes(out, -1, -2)
    return out, sorted({a_lat, a_lon})


def _bispev_grid(spline: object, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``RectBivariateSpline`` at the grid ``x`` by ``y`` (FITPACK's ``bispev``: clamped to the
    knots' span), evaluated axis by axis (:mod:`.splines`)."""
    tx, ty, c = spline.tck  # type: ignore[attr-defined]
    kx, ky = spline.degrees  # type: ignore[attr-defined]
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        # bispev wants ascending points: sort, then put back
        ia, io = np.argsort(x, kind="stable"), np.argsort(y, kind="stable")
        res = np.empty((x.size, y.size))
        res[np.ix_(ia, io)] = spline(x[ia], y[io], grid=True)  # type: ignore[operator]
        return res
    coefficients = c.reshape(tx.size - kx - 1, ty.size - ky - 1)
    return splines.evaluate_grid([tx, ty], [kx, ky], coefficients, [x, y], clamp=True)


def _request_step(plan: "DimPlan", u: str, req: "Request") -> float:
    """ScipyPoint's tolerance step: the request's step, or its span over its size - 1."""
    rq = req.udims[u]
    grid = None if rq.stacked else uniform_grid(rq.coord, plan.frames[u])
    from podpac_exec.coordinates import UniformCoordinates1d

    if grid is not None and isinstance(rq.coord, UniformCoordinates1d):
        return grid[2]
    r = plan.req[u]
    with np.errstate(divide="ignore", invalid="ignore"):
        return float((np.nanmax(r) - np.nanmin(r)) / (r.size - 1)) if r.size > 1 else math.inf


def scipy_point(y: np.ndarray, plan: "DimPlan", req: "Request") -> tuple[np.ndarray, list[int]]:
    """ScipyPoint: scipy ``KDTree`` nearest of the stacked source points within 8 request steps."""
    from scipy.spatial import KDTree

    order = tuple(u for u in plan.dim.udims if u in ("lat", "lon"))
    tol = float(np.linalg.norm([_request_step(plan, "lat", req), _request_step(plan, "lon", req)]) * 8)
    n = plan.selected.size
    a_lat, a_lon = req.udims["lat"].axis, req.udims["lon"].axis
    src = np.stack([plan.subset[u] for u in order], axis=1)
    if a_lat != a_lon:
        tree = KDTree(src[:, ::-1] if order == ("lat", "lon") else src)
        glon, glat = np.meshgrid(plan.req["lon"], plan.req["lat"])
        _, ind = tree.query(np.stack((glon.ravel(), glat.ravel()), axis=1), distance_upper_bound=tol)
        shape: tuple[int, ...] = (plan.req["lat"].size, plan.req["lon"].size)
    else:
        tree = KDTree(src)
        _, ind = tree.query(np.stack([plan.req[u] for u in order], axis=1), distance_upper_bound=tol)
        shape = (plan.req["lat"].size,)
    ind = np.asarray(ind, dtype=np.intp)
    mask = ind == n
    ind[mask] = 0
    out = y[..., ind]
    out[..., mask] = np.nan
    out = out.reshape(y.shape[:-1] + shape)
    if a_lat != a_lon and a_lon < a_lat:
        out = np.swapaxes(out, -1, -2)
    return out, sorted({a_lat, a_lon})
