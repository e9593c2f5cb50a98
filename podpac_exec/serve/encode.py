"""Encoders of a computed grid: PNG (coloured), NumPy ``.npy``, GeoTIFF and netCDF (values).

PNGs are written here with zlib (no row filters, level 1) rather than by Pillow, whose adaptive
filtering took most of a tile's time; a styled map is a palette PNG of the colormap (one byte a
pixel, its 256 colours as PLTE and nodata as a transparent entry). Decoded pixels are exactly
``style.colorize``'s either way.
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Sequence

import numpy as np

from podpac_exec.serve.grids import Grid
from podpac_exec.serve.style import LUT_SIZE, Style, color_indices, colorize, lut

PNG_COMPRESS_LEVEL = 1  # zlib level 1 is ~3x faster than 6 for ~1.5x the bytes; tiles are cached
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_RGBA, _PALETTE = 6, 3  # PNG colour types
MEDIA_TYPES = {
    "png": "image/png",
    "npy": "application/x-npy",
    "tif": "image/tiff; application=geotiff",
    "nc": "application/x-netcdf",
}


def png(rgba: np.ndarray) -> bytes:
    """An RGBA uint8 image (rows north to south) as PNG."""
    rgba = np.asarray(rgba, dtype=np.uint8)
    return _png(rgba.reshape(rgba.shape[0], -1), rgba.shape[1], _RGBA)


def palette_png(indices: np.ndarray, palette: np.ndarray) -> bytes:
    """A uint8 image of rows of ``palette`` (at most 256 RGBA colours) as a palette PNG."""
    palette = np.asarray(palette, dtype=np.uint8)
    chunks = [(b"PLTE", palette[:, :3].tobytes())]
    alpha = palette[:, 3]
    if (alpha != 255).any():
        chunks.append((b"tRNS", alpha.tobytes()))
    return _png(np.asarray(indices, dtype=np.uint8), indices.shape[1], _PALETTE, chunks)


def styled_png(values: np.ndarray, style: Style) -> bytes:
    """``values`` coloured by ``style`` as PNG, with ``colorize``'s pixels: a palette PNG of the
    colormap when one of its 256 colours is unused and can stand for nodata (or none is needed)."""
    indices, nodata = color_indices(values, style)
    palette = lut(style.colormap)
    missing = np.count_nonzero(nodata)
    if missing:
        counts = np.bincount(indices.ravel(), minlength=LUT_SIZE)
        counts[0] -= missing  # nodata cells hold index 0
        free = np.flatnonzero(counts == 0)
        if not free.size:
            return png(colorize(values, style))
        np.copyto(indices, np.uint8(free[0]), where=nodata)
        palette = palette.copy()
        palette[free[0]] = 0  # transparent black: colorize's nodata
    return palette_png(indices, palette)


def _png(pixels: np.ndarray, width: int, color_type: int, chunks: Sequence[tuple[bytes, bytes]] = ()) -> bytes:
    """PNG of 8-bit ``pixels`` (one row of bytes per image row), filter type None on every row."""
    height = pixels.shape[0]
    rows = np.empty((height, pixels.shape[1] + 1), dtype=np.uint8)
    rows[:, 0] = 0
    rows[:, 1:] = pixels
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    parts = [(b"IHDR", header), *chunks, (b"IDAT", zlib.compress(rows, PNG_COMPRESS_LEVEL)), (b"IEND", b"")]
    return PNG_SIGNATURE + b"".join(_chunk(kind, data) for kind, data in parts)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))


def npy(values: np.ndarray) -> bytes:
    """The values, lossless, in NumPy's ``.npy`` format (row 0 is the northernmost)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(values), allow_pickle=False)
    return buf.getvalue()


def geotiff(values: np.ndarray, grid: Grid, name: str = "") -> bytes:
    """The values as a one-band float GeoTIFF georeferenced in the grid's CRS; NaN is nodata."""
    from rasterio.io import MemoryFile

    data = np.asarray(values)
    dtype = "float32" if data.dtype == np.float32 else "float64"
    profile = dict(
        driver="GTiff", width=grid.width, height=grid.height, count=1, dtype=dtype, crs=grid.crs,
        transform=grid.transform(), nodata=float("nan"), compress="deflate",
    )
    with MemoryFile() as mem:
        with mem.open(**profile) as dst:
            dst.write(data.astype(dtype, copy=False), 1)
            if name:
                dst.set_band_description(1, name)
        return bytes(mem.read())


def netcdf(values: np.ndarray, grid: Grid, name: str, attrs: dict[str, str] | None = None) -> bytes:
    """The values as netCDF-4 with ``lat``/``lon`` coordinates of the pixel centres."""
    import xarray as xr

    coords = grid.coordinates()
    da = xr.DataArray(
        np.asarray(values),
        dims=("lat", "lon"),
        coords={"lat": coords["lat"].coordinates, "lon": coords["lon"].coordinates},
        name=name,
        attrs=dict(attrs or {}, crs="EPSG:4326", grid_crs=grid.crs),
    )
    da.lat.attrs.update(units="degrees_north", standard_name="latitude")
    da.lon.attrs.update(units="degrees_east", standard_name="longitude")
    return bytes(da.to_netcdf(engine="h5netcdf"))
