"""``TerrainTiles``: the public elevation XYZ pyramid (``elevation-tiles-prod``) as a data source.

PODPAC's ``datalib.terraintiles.TerrainTiles``: ``zoom`` (-1 picks it from the request's step),
``tile_format`` (``geotiff``: 512 px float tiles; ``terrarium``: 256 px RGB PNGs), ``bucket``
(default: the ``terraintiles.bucket`` setting, with ``terraintiles.prefix`` before the
``{format}/{z}/{x}/{y}`` keys) and ``interpolation``. The tiles a request covers are fetched in
parallel, kept in an in-process cache, and mosaicked on the zoom level's global EPSG:3857 pixel
grid, which the request is interpolated from (its CRS is transformed as for any source).
"""

from __future__ import annotations

import math
import threading
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import traitlets as tl

from podpac_exec.crs import parse_crs, same_crs
from podpac_exec.datalib import tile_pyramid as pyramid
from podpac_exec.errors import LimitExceededError, PipelineError
from podpac_exec.nodes.base import Node, NodeRequirements
from podpac_exec.nodes.interpolation import Interpolation, InterpolationTrait, interpolate_source
from podpac_exec.nodes.opening import READ_BYTES, bounding_window, s3_options, source_error
from podpac_exec.nodes.sources import check_source_url
from podpac_exec.settings_schema import SettingSpec

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates

MERCATOR = "EPSG:3857"
_METRES_PER_DEGREE = 6378137.0 * math.pi / 180  # web mercator's x per degree of longitude

SETTINGS = {
    "bucket": SettingSpec("elevation-tiles-prod", doc="S3 bucket of the elevation tile pyramid (TerrainTiles)"),
    "prefix": SettingSpec("", doc="key prefix before `{format}/{z}/{x}/{y}` in that bucket"),
    "cache_tiles": SettingSpec(256, minimum=0, doc="decoded elevation tiles kept in memory per process"),
    "fetch_threads": SettingSpec(8, minimum=1, maximum=64, doc="elevation tiles fetched in parallel"),
    "max_tiles": SettingSpec(64, minimum=1, doc="elevation tiles one evaluation may fetch"),
}


class TerrainTiles(Node):
    imports: ClassVar[tuple[str, ...]] = ("rasterio",)
    podpac_name: ClassVar[str] = "datalib.terraintiles.TerrainTiles"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("podpac.datalib.terraintiles.TerrainTiles",)

    zoom = tl.Int(-1).tag(attr=True)
    tile_format = tl.Unicode("geotiff").tag(attr=True)
    bucket = tl.Unicode(default_value=None, allow_none=True).tag(attr=True)
    interpolation = InterpolationTrait().tag(attr=True)
    anon = tl.Bool(True).tag(attr=True)

    def validate(self) -> None:
        if not -1 <= self.zoom <= pyramid.MAX_ZOOM:
            raise PipelineError(f"TerrainTiles zoom must be -1 (automatic) or 0..{pyramid.MAX_ZOOM}, got {self.zoom}",
                                field="attrs.zoom")
        if self.tile_format not in pyramid.EXTENSIONS:
            raise PipelineError(f"TerrainTiles tile_format must be one of {', '.join(pyramid.EXTENSIONS)}, "
                                f"got {self.tile_format!r}", field="attrs.tile_format")
        Interpolation.parse(self.interpolation, field="attrs.interpolation")
        check_source_url(f"s3://{self._bucket()}/")

    def requirements(self) -> NodeRequirements:
        return NodeRequirements(halo={"lat": 1, "lon": 1})  # as any data source's selection

    def _bucket(self) -> str:
        from podpac_exec.settings import settings

        return self.bucket or settings.get("terraintiles.bucket")

    def zoom_for(self, coordinates: "Coordinates") -> int:
        """``zoom``, or PODPAC's choice from the request's step when it is -1."""
        if self.zoom >= 0:
            return self.zoom
        return pyramid.zoom_for_step(_request_step_m(coordinates))

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        from podpac_exec.settings import settings

        if "lat" not in coordinates.udims or "lon" not in coordinates.udims:
            raise PipelineError("TerrainTiles needs lat and lon in the request", field="coordinates")
        zoom = self.zoom_for(coordinates)
        bounds = coordinates.bounds_in("EPSG:4326")
        tiles = pyramid.tiles_for_bounds(bounds["lat"], bounds["lon"], zoom)
        limit = settings.get("terraintiles.max_tiles")
        if len(tiles) > limit:
            raise LimitExceededError(f"TerrainTiles at zoom {zoom} needs {len(tiles)} tiles for this request, above "
                                     f"terraintiles.max_tiles={limit}; request a coarser grid or tile it",
                                     field="attrs.zoom")
        mosaic = _Mosaic(tiles, self.tile_format, self._bucket(), settings.get("terraintiles.prefix"), self.anon,
                         settings.get("terraintiles.fetch_threads"))
        return interpolate_source(mosaic, coordinates, Interpolation.parse(self.interpolation, field="attrs.interpolation"))


def _request_step_m(coordinates: "Coordinates") -> float | None:
    """The request's finest lat/lon step in web-mercator metres. For a geographic request the
    step in degrees times the metres per degree at the equator, so every tile of a uniform
    request picks the same zoom (docs/podpac-compatibility.md)."""
    if coordinates.dims.count("lat") == 0 or coordinates.dims.count("lon") == 0:
        return None  # stacked points: PODPAC uses the finest zoom
    if parse_crs(coordinates.crs).is_geographic:
        scale, axes = _METRES_PER_DEGREE, coordinates
    elif same_crs(coordinates.crs, MERCATOR):
        scale, axes = 1.0, coordinates
    else:
        scale, axes = 1.0, coordinates.transform(MERCATOR)
    steps = []
    for dim in ("lat", "lon"):
        c = axes[dim] if dim in axes.dims else None
        if c is None or c.size < 2:
            continue
        steps.append(float(np.abs(np.diff(c.coordinates.astype(float))).min()) * scale)
    return min(steps) if steps else None


class _Mosaic:
    """The covered tiles on the zoom level's pixel grid, read by window (a NativeSource)."""

    native_index_type = "slice"

    def __init__(self, tiles: list[tuple[int, int, int]], tile_format: str, bucket: str, prefix: str,
                 anon: bool, threads: int) -> None:
        from podpac_exec.coordinates import Coordinates

        self.format, self.bucket, self.prefix, self.anon, self.threads = tile_format, bucket, prefix, anon, threads
        self.pixels = pyramid.TILE_PIXELS[tile_format]
        self.zoom = tiles[0][2]
        self.x0, self.y0 = min(t[0] for t in tiles), min(t[1] for t in tiles)
        self.nx = max(t[0] for t in tiles) - self.x0 + 1
        self.ny = max(t[1] for t in tiles) - self.y0 + 1
        lat, lon = pyramid.global_axes(self.zoom, self.pixels)
        p = self.pixels
        self.coordinates = Coordinates(
            [lat[self.y0 * p : (self.y0 + self.ny) * p], lon[self.x0 * p : (self.x0 + self.nx) * p]], crs=MERCATOR
        )

    def native_coordinates(self) -> "Coordinates":
        return self.coordinates

    def read_native(self, index: tuple[np.ndarray | slice, ...]) -> np.ndarray:
        (rows, cols), local = bounding_window(index)
        r0, r1, c0, c1 = rows.start, rows.stop, cols.start, cols.stop
        p = self.pixels
        needed = [(ty, tx) for ty in range(r0 // p, (r1 - 1) // p + 1) for tx in range(c0 // p, (c1 - 1) // p + 1)]
        with ThreadPoolExecutor(max_workers=min(self.threads, len(needed))) as pool:
            arrays = dict(zip(needed, pool.map(self._tile, needed)))
        block = np.empty((r1 - r0, c1 - c0))
        for (ty, tx), tile in arrays.items():
            rows = slice(max(r0, ty * p), min(r1, (ty + 1) * p))
            cols = slice(max(c0, tx * p), min(c1, (tx + 1) * p))
            block[rows.start - r0 : rows.stop - r0, cols.start - c0 : cols.stop - c0] = tile[
                rows.start - ty * p : rows.stop - ty * p, cols.start - tx * p : cols.stop - tx * p
            ]
        return block[tuple(local)]

    def _tile(self, position: tuple[int, int]) -> np.ndarray:
        ty, tx = position
        key = pyramid.tile_key(self.prefix, self.format, self.x0 + tx, self.y0 + ty, self.zoom)
        return _TILES.get(f"s3://{self.bucket}/{key}", self.format, self.pixels, self.anon)


class _TileCache:
    """Decoded tiles by URL, least recently used first out; a missing tile is NaN."""

    def __init__(self) -> None:
        self._tiles: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str, tile_format: str, pixels: int, anon: bool) -> np.ndarray:
        from podpac_exec.settings import settings

        with self._lock:
            if url in self._tiles:
                self._tiles.move_to_end(url)
                return self._tiles[url]
        tile = _fetch(url, tile_format, pixels, anon)
        capacity = settings.get("terraintiles.cache_tiles")
        with self._lock:
            self._tiles[url] = tile
            while len(self._tiles) > capacity:
                self._tiles.popitem(last=False)
        return tile

    def clear(self) -> None:
        with self._lock:
            self._tiles.clear()


_TILES = _TileCache()


def _fetch(url: str, tile_format: str, pixels: int, anon: bool) -> np.ndarray:
    import fsspec
    import rasterio

    check_source_url(url)
    try:
        with fsspec.open(url, "rb", **s3_options(anon)) as handle:
            content = handle.read()
        READ_BYTES.add(len(content))
    except FileNotFoundError:
        tile = np.full((pixels, pixels), np.nan)
        tile.flags.writeable = False
        return tile
    except Exception as exc:  # noqa: BLE001 - s3fs's and botocore's errors alike
        raise source_error("TerrainTiles", url, exc) from None
    try:
        values = _decode(content, tile_format)
    except rasterio.errors.RasterioError as exc:
        raise source_error("TerrainTiles", url, exc, "cannot decode") from None
    if values.shape != (pixels, pixels):
        raise PipelineError(f"TerrainTiles {url!r} is {values.shape[1]}x{values.shape[0]} pixels, "
                            f"not {pixels}x{pixels}", field="attrs.tile_format")
    values.flags.writeable = False
    return values


def _decode(content: bytes, tile_format: str) -> np.ndarray:
    import rasterio
    from rasterio.io import MemoryFile

    with warnings.catch_warnings():
        # terrarium PNGs carry no geotransform: their place is the tile's z/x/y
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with MemoryFile(content) as memory, memory.open() as dataset:
            if tile_format == "terrarium":
                return pyramid.decode_terrarium(dataset.read([1, 2, 3]))
            values = dataset.read(1).astype(np.float64)
            nodata = dataset.nodata
    if nodata is not None and not np.isnan(nodata):
        values[values == nodata] = np.nan
    return values
