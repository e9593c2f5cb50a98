"""Pixel grids of tiles and of OGC bounding boxes, as lat/lon coordinates of the pixel centres.

A grid lives in EPSG:4326 or EPSG:3857 (its bounds and GeoTIFF transform), but is always
evaluated in lat/lon: in web mercator the pixel centres have uniform longitudes and non-uniform
latitudes (``ArrayCoordinates1d``), so no reprojection of results is needed. Rows run north to
south and columns west to east, the order of an image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates, clinspace
from podpac_exec.serve.errors import ServeRequestError

EARTH_RADIUS = 6378137.0  # the sphere of EPSG:3857
MERCATOR_LIMIT = math.pi * EARTH_RADIUS  # 20037508.34...: the square world of WebMercatorQuad
TILE_MATRIX_SETS = ("WebMercatorQuad", "WGS1984Quad")
#: Each matrix set's CRS, the one grids are georeferenced in.
TMS_CRS = {"WebMercatorQuad": "EPSG:3857", "WGS1984Quad": "EPSG:4326"}


@dataclass(frozen=True)
class Grid:
    """``width`` x ``height`` pixels covering ``bounds`` = (left, bottom, right, top) in ``crs``."""

    crs: str
    bounds: tuple[float, float, float, float]
    width: int
    height: int

    @property
    def cells(self) -> int:
        return self.width * self.height

    def x_centres(self) -> np.ndarray:
        left, _, right, _ = self.bounds
        return left + (np.arange(self.width) + 0.5) * ((right - left) / self.width)

    def y_centres(self) -> np.ndarray:
        _, bottom, _, top = self.bounds
        return top - (np.arange(self.height) + 0.5) * ((top - bottom) / self.height)

    def coordinates(self) -> Coordinates:
        """lat (north to south) x lon (west to east) of the pixel centres, in EPSG:4326."""
        left, bottom, right, top = self.bounds
        dx, dy = (right - left) / self.width, (top - bottom) / self.height
        if self.crs == "EPSG:4326":
            lat = clinspace(top - dy / 2, bottom + dy / 2, self.height, "lat")
            lon = clinspace(left + dx / 2, right - dx / 2, self.width, "lon")
        else:
            lat = ArrayCoordinates1d(mercator_lat(self.y_centres()), "lat")
            lon = clinspace(mercator_lon(left + dx / 2), mercator_lon(right - dx / 2), self.width, "lon")
        return Coordinates([lat, lon])

    def transform(self) -> "object":
        """The affine transform of the grid (rasterio), for GeoTIFF output."""
        from affine import Affine

        left, bottom, right, top = self.bounds
        return Affine((right - left) / self.width, 0.0, left, 0.0, -(top - bottom) / self.height, top)


def mercator_lat(y: np.ndarray | float) -> np.ndarray:
    """Latitude in degrees of web-mercator northing ``y`` in metres."""
    return np.degrees(np.arctan(np.sinh(np.asarray(y, dtype=float) / EARTH_RADIUS)))


def mercator_lon(x: float) -> float:
    return math.degrees(x / EARTH_RADIUS)


def mercator_y(lat: float) -> float:
    """Northing in metres of latitude ``lat`` (degrees, |lat| < 90)."""
    return EARTH_RADIUS * math.asinh(math.tan(math.radians(lat)))


@lru_cache(maxsize=None)
def get_tms(name: str) -> "object":
    """The morecantile TileMatrixSet ``name`` (WebMercatorQuad or WGS1984Quad)."""
    if name not in TILE_MATRIX_SETS:
        raise ServeRequestError(
            f"unknown TileMatrixSet {name!r}; supported: {', '.join(TILE_MATRIX_SETS)}", field="TileMatrixSet", status=404
        )
    import morecantile

    return morecantile.tms.get(name)


@lru_cache(maxsize=4096)
def tile_grid(tms_name: str, z: int, x: int, y: int, size: int, min_zoom: int, max_zoom: int) -> Grid:
    """The grid of tile ``z/x/y`` of ``tms_name`` with ``size`` x ``size`` pixels; a tile outside
    the matrix set or the zoom range is a 404 naming it. Kept (a grid is immutable): morecantile
    takes longer to give a tile's bounds than a cached tile takes to answer."""
    tms = get_tms(tms_name)
    low, high = max(min_zoom, tms.minzoom), min(max_zoom, tms.maxzoom)
    if not low <= z <= high:
        raise ServeRequestError(f"zoom {z} is outside {low}..{high} served for {tms_name}", field="z", status=404)
    matrix = tms.matrix(z)
    if not (0 <= x < matrix.matrixWidth and 0 <= y < matrix.matrixHeight):
        raise ServeRequestError(
            f"tile {z}/{x}/{y} is outside {tms_name} (zoom {z} has {matrix.matrixWidth} x {matrix.matrixHeight} tiles)",
            field="x/y",
            status=404,
        )
    b = tms.xy_bounds(x, y, z)
    return Grid(TMS_CRS[tms_name], (b.left, b.bottom, b.right, b.top), size, size)
