"""The web-mercator XYZ tile pyramid of the public elevation tiles: tile choice and pixel grids.

Zoom sizes and tile selection follow PODPAC's ``datalib.terraintiles`` (adapted there from
tilezen/joerd); the pixel grid of a zoom level is one global EPSG:3857 axis per dim, which each
mosaic slices, so every tile of a request sees exactly the same pixel centres.
"""

from __future__ import annotations

import math
from functools import lru_cache
from itertools import product

import numpy as np

from podpac_exec.coordinates import UniformCoordinates1d

#: PODPAC's metres-per-pixel thresholds by zoom level (the request's step picks the zoom).
ZOOM_SIZES = (
    8271.5169531233, 39135.75848200978, 19567.87924100587, 9783.939620502935, 4891.969810250487,
    2445.9849051252454, 1222.9924525636013, 611.4962262818025, 305.7481131408976, 152.8740565714275,
    76.43702828571375, 38.218514142856876, 19.109257072407146, 9.554628536203573, 4.777314268103609,
)  # fmt: skip
MAX_ZOOM = len(ZOOM_SIZES) - 1
HALF_WORLD = 20037508.342789244  # web mercator's half extent in metres
EXTENSIONS = {"geotiff": "tif", "terrarium": "png"}
TILE_PIXELS = {"geotiff": 512, "terrarium": 256}


def zoom_for_step(step_m: float | None) -> int:
    """PODPAC's choice: the first zoom whose size is below half the request's step."""
    if step_m is None:
        return MAX_ZOOM
    zoom = 0
    for z, size in enumerate(ZOOM_SIZES):
        zoom = z
        if size < step_m / 2:
            break
    return zoom


def _mercator(lat: float, lon: float) -> tuple[float, float]:
    return lon * math.pi / 180, math.log(math.tan(0.25 * math.pi + 0.5 * lat * math.pi / 180) + 1e-32)


def _tile_of(xm: float, ym: float, zoom: int) -> tuple[int, int]:
    n = 2**zoom
    x = int(n * (xm + math.pi) / (2 * math.pi))
    y = int(n * (math.pi - ym) / (2 * math.pi))
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def tiles_for_bounds(lat: tuple[float, float], lon: tuple[float, float], zoom: int) -> list[tuple[int, int, int]]:
    """The (x, y, z) tiles covering WGS84 bounds, row by row."""
    x0, y0 = _tile_of(*_mercator(min(lat[1], 85.05112878), lon[0]), zoom)
    x1, y1 = _tile_of(*_mercator(max(lat[0], -85.05112878), lon[1]), zoom)
    return [(x, y, zoom) for y, x in product(range(y0, y1 + 1), range(x0, x1 + 1))]


def tile_key(prefix: str, tile_format: str, x: int, y: int, z: int) -> str:
    return f"{prefix}{tile_format}/{z}/{x}/{y}.{EXTENSIONS[tile_format]}"


@lru_cache(maxsize=64)
def global_axes(zoom: int, pixels: int) -> tuple[UniformCoordinates1d, UniformCoordinates1d]:
    """The pixel centres of the whole zoom level: (lat = y descending, lon = x), in metres."""
    n = pixels * 2**zoom
    res = 2 * HALF_WORLD / n
    y = UniformCoordinates1d(HALF_WORLD - res / 2, -HALF_WORLD + res / 2, size=n, name="lat")
    x = UniformCoordinates1d(-HALF_WORLD + res / 2, HALF_WORLD - res / 2, size=n, name="lon")
    return y, x


def decode_terrarium(rgb: np.ndarray) -> np.ndarray:
    """Terrarium PNG elevation in metres: ``R*256 + G + B/256 - 32768``."""
    r, g, b = (rgb[i].astype(np.float64) for i in range(3))
    return r * 256.0 + g + b / 256.0 - 32768.0
