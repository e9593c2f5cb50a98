"""Real data sources: what a tiled request reads from S3, and a COG window against rasterio.

``s3_read_vs_share`` (COG and Zarr): a 2048 x 2048 float32 raster staged in the offline
emulator's S3 (a COG with 256-pixel blocks; a Zarr store with 256 x 256 chunks); a request for its
central quarter at the native grid, planned as 16 tiles on the local backend. The figure is the
bytes the evaluation read from S3 (``EvaluationStats.bytes_read``) divided by that quarter's share
of the whole object (target <= 1.3: no tile reads the whole file); ``whole_file_fraction`` is the
same bytes over the whole file's.

``cog_bilinear_window_vs_rasterio_read``: local ``evaluate()`` of ``Interpolate(Rasterio(...),
"bilinear")`` on a 2048 x 2048 window, offset by half a pixel, of a local float64 COG, against
rasterio's own ``read(window=..., out_shape=..., resampling=bilinear)`` (target <= 1.5).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from benchmarks.harness import record
from benchmarks.interpolation import MARGIN, OFFSET, REPEATS, ROUNDS, WINDOW, _data
from benchmarks.local_overhead import ratio_record, timed_in_turns

NAME = "sources"
SIZE = 2048
BLOCK = 256


def _write_cog(path: Path, data: np.ndarray, left: float, top: float, step: float) -> None:
    import rasterio
    from rasterio.transform import from_origin

    profile = {"driver": "COG", "width": data.shape[1], "height": data.shape[0], "count": 1, "dtype": str(data.dtype),
               "crs": "EPSG:4326", "transform": from_origin(left, top, step, step), "blocksize": BLOCK,
               "compress": "NONE"}  # fmt: skip
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data, 1)


def _write_zarr(path: Path, data: np.ndarray, lat: np.ndarray, lon: np.ndarray) -> None:
    import zarr

    group = zarr.open_group(str(path), mode="w")
    group.create_array("data", data=data, chunks=(BLOCK, BLOCK), dimension_names=["lat", "lon"], compressors=None)
    group.create_array("lat", data=lat, dimension_names=["lat"])
    group.create_array("lon", data=lon, dimension_names=["lon"])


def _s3_records(tmp: Path) -> Iterator[dict[str, Any]]:
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.emulator import Emulator

    step, left, top = 0.001, -100.0, 40.0
    data = _data(SIZE).astype("float32")
    lat = top - (np.arange(SIZE) + 0.5) * step
    lon = left + (np.arange(SIZE) + 0.5) * step
    _write_cog(tmp / "grid.tif", data, left, top, step)
    _write_zarr(tmp / "grid.zarr", data, lat, lon)
    quarter = slice(SIZE // 4, 3 * SIZE // 4)
    request = pe.Coordinates([pe.clinspace(lat[quarter][0], lat[quarter][-1], SIZE // 2, "lat"),
                              pe.clinspace(lon[quarter][0], lon[quarter][-1], SIZE // 2, "lon")])
    tile_bytes = 8 * (SIZE // 8) ** 2  # 16 tiles of 256 x 256
    with Emulator(state_dir=tmp / "emulator") as emu:
        with emu.exported_env():  # dummy credentials and AWS_ENDPOINT_URL for boto3
            s3 = emu.client("s3")
            s3.create_bucket(Bucket="bench-sources")
            s3.upload_file(str(tmp / "grid.tif"), "bench-sources", "grid.tif")
            zarr_bytes = 0
            for path in (tmp / "grid.zarr").rglob("*"):
                if path.is_file():
                    s3.upload_file(str(path), "bench-sources", "grid.zarr/" + str(path.relative_to(tmp / "grid.zarr")))
                    zarr_bytes += path.stat().st_size
            sizes = {"cog": (tmp / "grid.tif").stat().st_size, "zarr": zarr_bytes}
            nodes = {
                "cog": pe.Node.from_definition({"R": {"node": "data.Rasterio", "attrs": {"source": "s3://bench-sources/grid.tif"}}}),
                "zarr": pe.Node.from_definition({"Z": {"node": "data.Zarr", "attrs": {"source": "s3://bench-sources/grid.zarr"}}}),
            }
            for kind, node in nodes.items():
                stats = pe.EvaluationStats()
                out = pe.evaluate(node, request, stats=stats, max_tile_bytes=tile_bytes, min_tiles=16)
                np.testing.assert_array_equal(out.values, data[quarter, quarter])
                share = sizes[kind] * 0.25
                yield record(NAME, f"s3_read_vs_share_{kind}", stats.bytes_read / share, "ratio", "<= 1.3",
                             bytes_read=stats.bytes_read, object_bytes=sizes[kind], tiles=stats.tiles,
                             whole_file_fraction=round(stats.bytes_read / sizes[kind], 4),
                             request="central quarter (1024x1024) of a 2048x2048 float32 raster, native grid")


def _cog_window_record(tmp: Path) -> dict[str, Any]:
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.windows import Window

    import podpac_exec as pe
    from podpac_exec.nodes.interpolation import Interpolate
    from podpac_exec.nodes.raster import Rasterio

    n = WINDOW + 2 * MARGIN
    data = _data(n)
    step, left, top = 0.001, -100.0, 40.0
    path = tmp / "window.tif"
    _write_cog(path, data, left, top, step)
    lat = top - (np.arange(n) + 0.5) * step
    lon = left + (np.arange(n) + 0.5) * step
    first = MARGIN + OFFSET
    rlat = lat[0] - (first + np.arange(WINDOW)) * step
    rlon = lon[0] + (first + np.arange(WINDOW)) * step
    coords = pe.Coordinates([pe.clinspace(rlat[0], rlat[-1], WINDOW, "lat"), pe.clinspace(rlon[0], rlon[-1], WINDOW, "lon")])
    node = Interpolate(source=Rasterio(source=str(path)), interpolation="bilinear")
    window = Window(MARGIN + OFFSET, MARGIN + OFFSET, WINDOW, WINDOW)

    def rasterio_read() -> np.ndarray:
        with rasterio.open(path) as ds:
            return ds.read(1, window=window, out_shape=(WINDOW, WINDOW), resampling=Resampling.bilinear)

    def evaluate() -> Any:
        return pe.evaluate(node, coords, backend="local")

    ours, theirs = evaluate().values, rasterio_read()
    if not np.allclose(ours, theirs, rtol=1e-9, atol=1e-6):
        raise AssertionError(f"evaluate() and rasterio disagree: max |diff| {np.nanmax(np.abs(ours - theirs))}")
    medians = timed_in_turns({"evaluate": evaluate, "rasterio": rasterio_read}, ROUNDS, REPEATS)
    return ratio_record(NAME, "cog_bilinear_window_vs_rasterio_read", medians, "evaluate", "rasterio", "<= 1.5",
                        window=f"{WINDOW}x{WINDOW} float64 of a {n}x{n} COG, offset {OFFSET} px", rounds=ROUNDS)


def run() -> Iterator[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench_sources_") as tmp:
        yield from _s3_records(Path(tmp))
        yield _cog_window_record(Path(tmp))
