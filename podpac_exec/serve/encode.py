"""Encoders of a computed grid: PNG (coloured), NumPy ``.npy``, GeoTIFF and netCDF (values)."""

from __future__ import annotations

import io

import numpy as np

from podpac_exec.serve.grids import Grid

PNG_COMPRESS_LEVEL = 1  # zlib level 1 is ~3x faster than 6 for ~1.5x the bytes; tiles are cached
MEDIA_TYPES = {
    "png": "image/png",
    "npy": "application/x-npy",
    "tif": "image/tiff; application=geotiff",
    "nc": "application/x-netcdf",
}


def png(rgba: np.ndarray) -> bytes:
    """An RGBA uint8 image (rows north to south) as PNG."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buf.getvalue()


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
