"""``Rasterio``: one band of a GeoTIFF or Cloud-Optimized GeoTIFF, read by window.

The file's transform gives the pixel centres (``lat`` descending from the top row, ``lon``
from the left column) and its CRS the coordinates' CRS, as in PODPAC 4.0.5's
``Coordinates.from_geotransform``. A tile reads only the window its interpolation selects; on S3
the object is read by byte ranges (fsspec), so a tile never fetches the whole file. The file's
nodata value becomes NaN. With ``prefer_overviews``, a request coarser than the data is read from
an overview (:meth:`Rasterio.source_for`).
"""

from __future__ import annotations

import contextvars
import math
import threading
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import traitlets as tl

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.data import DataSource
from podpac_exec.nodes.opening import bounding_window, locate, open_binary, open_once, source_error

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates

_NAME = "Rasterio"


class Rasterio(DataSource):
    """PODPAC's ``data.Rasterio``: ``source``, ``band`` (1-based), ``crs`` (overrides the file's)."""

    imports: ClassVar[tuple[str, ...]] = ("rasterio",)

    podpac_name: ClassVar[str] = "core.data.rasterio_source.Rasterio"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("data.Rasterio",)

    source = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    band = tl.Int(default_value=1, allow_none=True).tag(attr=True)
    crs = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    aws_https = tl.Bool(True).tag(attr=True)
    prefer_overviews = tl.Bool(False).tag(attr=True)
    prefer_overviews_closest = tl.Bool(False).tag(attr=True)
    anon = tl.Bool(False).tag(attr=True)

    native_index_type: ClassVar[str] = "slice"
    blamed_methods: ClassVar[tuple[str, ...]] = (*DataSource.blamed_methods, "_file")  # overviews open through it

    def validate(self) -> None:
        super().validate()
        locate(_NAME, self.source)
        if self.band is None or self.band < 1:
            raise PipelineError(f"Rasterio band must be a positive band number, got {self.band!r}", field="attrs.band")

    # -- the file --------------------------------------------------------------------------------

    def _file(self, overview: int | None = None) -> "_OpenRaster":
        """The open file, or one of its overviews (0: the first, as GDAL numbers them)."""
        return open_once(self, lambda: _OpenRaster.open(self.source, self.anon, self.band, self.crs, overview), overview)

    def source_for(self, request: "Coordinates") -> Any:
        """With ``prefer_overviews``, the overview whose decimation is closest below the request's
        step over the pixel size (the closest either way with ``prefer_overviews_closest``), as
        PODPAC chooses; the full-resolution file otherwise or for a request as fine as the data."""
        if not self.prefer_overviews:
            return self
        level = _overview_for(self._file(), request, self.prefer_overviews_closest)
        return self if level is None else _Overview(self, level)

    def native_coordinates(self) -> "Coordinates":
        return self._file().coordinates

    def _read(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        return self._file().read(index)

    def read_native(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        return self._masked(self._file(), index)

    def _masked(self, opened: "_OpenRaster", index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        values = np.array(opened.read(index), dtype=np.float64)
        if self.nan_vals:
            values[np.isin(values, self.nan_vals)] = self.nan_val
        if opened.nodata is not None:
            values[values == opened.nodata] = np.nan
        return values


class _Overview:
    """One overview of a :class:`Rasterio` file, as a source of its own (a NativeSource)."""

    native_index_type = "slice"

    def __init__(self, raster: Rasterio, level: int) -> None:
        self.raster, self.level = raster, level

    def native_coordinates(self) -> "Coordinates":
        return self.raster._file(self.level).coordinates

    def read_native(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        return self.raster._masked(self.raster._file(self.level), index)


def _overview_for(opened: "_OpenRaster", request: "Coordinates", closest: bool) -> int | None:
    """PODPAC's rule (``get_data_overviews``) on the request's step in the file's CRS: none below a
    factor of 2 or without overviews, else the overview closest below (or closest)."""
    from podpac_exec.crs import same_crs

    native = opened.coordinates
    if "lat" not in request.dims or "lon" not in request.dims:
        return None  # points: full resolution
    if not same_crs(request.crs, native.crs):
        request = request.transform(native.crs, pointwise=True)
        if "lat" not in request.dims:
            return None
    factor = math.inf
    for dim in ("lat", "lon"):
        values = request[dim].coordinates.astype(float)
        if values.size < 2:
            return None
        factor = min(factor, float(np.abs(np.diff(values)).min()) / abs(native[dim].step))
    overviews = opened.call(opened.dataset.overviews, opened.band)
    if factor < 2 or not overviews:
        return None
    diffs = factor - np.array(overviews, dtype=float)
    if closest:
        diffs = np.abs(diffs)
    else:
        diffs[diffs < 0] = np.inf
    return int(np.argmin(diffs))


class _OpenRaster:
    """An open dataset, its band, coordinates and nodata.

    Calls into the dataset are serialised (GDAL handles are not thread-safe) and run in the
    context the dataset was opened in: rasterio's Python opener looks its registration up in
    context variables whenever GDAL opens or stats a file, which other threads do not share.
    """

    def __init__(
        self, dataset: Any, context: contextvars.Context, source: str, band: int, coordinates: "Coordinates"
    ) -> None:
        self.dataset, self.context, self.source, self.band = dataset, context, source, band
        self.coordinates = coordinates
        nodata = dataset.nodatavals[band - 1]
        self.nodata = None if nodata is None or np.isnan(nodata) else float(nodata)
        self.lock = threading.Lock()

    @classmethod
    def open(cls, source: str, anon: bool, band: int, crs: str | None, overview: int | None = None) -> "_OpenRaster":
        import rasterio

        location = locate(_NAME, source)
        try:
            # GDAL reads through the opener by byte ranges (rasterio.open(fileobj) would read the
            # whole file into memory first)
            options = {} if overview is None else {"overview_level": overview}
            # one context per dataset for its open, its reads and its close, whichever thread does
            # them (a close elsewhere raised LookupError from a finaliser)
            context = contextvars.copy_context()
            dataset = context.run(
                rasterio.open, location, opener=lambda path, mode="rb": open_binary(path, anon), **options
            )
        except PipelineError:
            raise
        except Exception as exc:  # noqa: BLE001 - GDAL's and fsspec's errors alike
            raise source_error(_NAME, source, exc, "cannot open") from None
        try:
            if band > dataset.count:
                raise PipelineError(
                    f"Rasterio {source!r} has {dataset.count} band(s); band {band} does not exist", field="attrs.band"
                )
            opened = cls(dataset, context, source, band, _coordinates(dataset, crs, source))
        except BaseException:
            # closed here, in its context: left to the garbage collector, another context's
            # close raised LookupError from rasterio's opener (an unraisable error in a later test)
            _close_in(context, dataset)
            raise
        # also runs at exit: GDAL must not call back into a finalising Python
        weakref.finalize(opened, _close_in, context, dataset)
        return opened

    def call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        with self.lock:
            return self.context.run(method, *args, **kwargs)

    def read(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        from rasterio.windows import Window

        (rows, cols), local = bounding_window(index)
        try:
            block = self.call(self.dataset.read, self.band, window=Window.from_slices(rows, cols))
        except Exception as exc:  # noqa: BLE001
            raise source_error(_NAME, self.source, exc) from None
        return block[tuple(local)]  # index arrays broadcast as numpy's advanced indexing


def _close_in(context: contextvars.Context, dataset: Any) -> None:
    context.run(dataset.close)


def _coordinates(dataset: Any, crs: str | None, source: str) -> "Coordinates":
    """Pixel centres from the geotransform (PODPAC's ``from_geotransform`` for unrotated grids)."""
    from podpac_exec.coordinates import Coordinates, UniformCoordinates1d

    t = dataset.transform
    if t.b != 0 or t.d != 0:
        raise PipelineError(f"Rasterio {source!r} has a rotated geotransform, which is not supported", field="attrs.source")
    rows, cols = dataset.height, dataset.width
    lat = UniformCoordinates1d(t.f + t.e / 2, t.f + t.e * (rows - 0.5), size=rows, name="lat")
    lon = UniformCoordinates1d(t.c + t.a / 2, t.c + t.a * (cols - 0.5), size=cols, name="lon")
    if crs is None:
        if dataset.crs is None:
            raise PipelineError(f"Rasterio {source!r} has no CRS; give one with attrs.crs", field="attrs.crs")
        crs = dataset.crs.to_string()
    return Coordinates([lat, lon], crs=crs)
