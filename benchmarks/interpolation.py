"""Bilinear interpolation of a 2048 x 2048 source window: local ``evaluate()`` vs rasterio's own read.

The baseline is ``rasterio`` reading a 2048 x 2048 window, offset by half a pixel, of a float64
GeoTIFF (written with rasterio in a temporary directory) at ``out_shape=(2048, 2048)`` with
``Resampling.bilinear``. Ours is ``Interpolate(source=Array(...), interpolation="bilinear")``
evaluated on the local backend at the same pixel centres, the same data held in memory: this
branch has no ``Rasterio`` data node yet, so the source is an ``Array`` (reading the file is part
of the baseline only, a few ms from the page cache). Both results are checked to agree before
timing. Runs take turns; the figure is the ratio of wall-time medians.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from benchmarks.local_overhead import ratio_record, timed_in_turns

NAME = "interpolation"
WINDOW = 2048
MARGIN = 64  # source cells around the window
OFFSET = 0.5  # the window's offset in pixels: every output pixel is a bilinear blend of four
ROUNDS = 7
REPEATS = 3


def _data(n: int) -> np.ndarray:
    i, j = np.meshgrid(np.arange(n, dtype=np.float64), np.arange(n, dtype=np.float64), indexing="ij")
    return np.sin(i / 37.0) * np.cos(j / 53.0) * 100.0 + i * 0.01


def run() -> Iterator[dict[str, Any]]:
    import rasterio
    from rasterio.enums import Resampling
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    import podpac_exec as pe
    from podpac_exec.nodes import Array
    from podpac_exec.nodes.interpolation import Interpolate

    n = WINDOW + 2 * MARGIN
    data = _data(n)
    # north-up file: row r has lat = top - (r + 0.5) * step; col c has lon = left + (c + 0.5) * step
    step, left, top = 0.001, -100.0, 40.0
    lat = top - (np.arange(n) + 0.5) * step
    lon = left + (np.arange(n) + 0.5) * step
    source = Array(source=data, coordinates=pe.Coordinates([pe.clinspace(lat[0], lat[-1], n, "lat"),
                                                            pe.clinspace(lon[0], lon[-1], n, "lon")]))  # fmt: skip
    node = Interpolate(source=source, interpolation="bilinear")
    first = MARGIN + OFFSET  # the window's first pixel centre, in source pixels from the first centre
    rlat = lat[0] - (first + np.arange(WINDOW)) * step
    rlon = lon[0] + (first + np.arange(WINDOW)) * step
    coords = pe.Coordinates([pe.clinspace(rlat[0], rlat[-1], WINDOW, "lat"), pe.clinspace(rlon[0], rlon[-1], WINDOW, "lon")])
    window = Window(MARGIN + OFFSET, MARGIN + OFFSET, WINDOW, WINDOW)

    with tempfile.TemporaryDirectory(prefix="bench_interp_") as tmp:
        path = Path(tmp) / "source.tif"
        profile = {"driver": "GTiff", "width": n, "height": n, "count": 1, "dtype": "float64",
                   "transform": from_origin(left, top, step, step), "crs": "EPSG:4326", "tiled": True,
                   "blockxsize": 256, "blockysize": 256}  # fmt: skip
        with rasterio.open(path, "w", **profile) as ds:
            ds.write(data, 1)

        def rasterio_read() -> np.ndarray:
            with rasterio.open(path) as ds:
                return ds.read(1, window=window, out_shape=(WINDOW, WINDOW), resampling=Resampling.bilinear)

        def evaluate() -> Any:
            return pe.evaluate(node, coords, backend="local")

        ours, theirs = evaluate().values, rasterio_read()
        if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=1e-9, atol=1e-6):
            raise AssertionError(f"evaluate() and rasterio disagree: max |diff| {np.nanmax(np.abs(ours - theirs))}")
        del ours, theirs
        medians = timed_in_turns({"evaluate": evaluate, "rasterio": rasterio_read}, ROUNDS, REPEATS)
    yield ratio_record(
        NAME,
        "bilinear_window_vs_rasterio_read",
        medians,
        "evaluate",
        "rasterio",
        "<= 1.5",
        cpu_ratio=round(medians["evaluate"]["cpu"] / medians["rasterio"]["cpu"], 4),
        window=f"{WINDOW}x{WINDOW} float64 of {n}x{n}, offset {OFFSET} px",
        source="Array in memory (the sources benchmark times the Rasterio node); baseline reads a tiled GeoTIFF",
        rounds=ROUNDS,
        repeats=REPEATS,
    )
