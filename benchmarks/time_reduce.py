"""A year of daily data on a 200 x 200 grid reduced by ``ResampleReduce`` (monthly mean) and by
``DayOfYear`` (mean), through ``evaluate()`` on the local backend, against the same reduction
written directly in xarray (``resample(time="MS").mean()``, ``groupby("time.dayofyear").mean()``)
on the same in-memory DataArray.

The source is a node holding the array in memory and returning it for the request (what a data
source reading a daily file hands the reduction), so both sides start from the same array; an
inline ``Array`` would add the one-time hash of its 14.6 million values. Results are checked equal (to 1e-12) before timing; runs take turns
round after round, and each figure is the ratio of wall-time medians (the process CPU-time
ratio in detail: evaluate() may run tiles on several threads).
"""

from __future__ import annotations

import time
from typing import Any, Iterator

import numpy as np

from benchmarks.local_overhead import ratio_record, timed_in_turns

NAME = "time_reduce"
SIZE = 200
DAYS = 365
ROUNDS = 11
REPEATS = 1


def in_memory_source(data: np.ndarray, coords: Any) -> Any:
    """A node returning the part of ``data`` (on ``coords``) a request or tile asks for: a
    stand-in for a file source that reads exactly the requested window."""
    from podpac_exec.nodes.base import Node

    full = {dim: coords[dim].coordinates for dim in coords.dims}

    class InMemory(Node):
        def _eval(self, coordinates: Any) -> np.ndarray:
            index = []
            for dim in coords.dims:
                values = coordinates[dim].coordinates
                start = int(np.flatnonzero(full[dim] == values[0])[0])
                index.append(slice(start, start + values.size))
            return data[tuple(index)]

    return InMemory()


def run() -> Iterator[dict[str, Any]]:
    import xarray as xr

    import podpac_exec as pe
    from podpac_exec.nodes.time_stats import DayOfYear, ResampleReduce

    times = np.datetime64("2021-01-01") + np.arange(DAYS)
    coords = pe.Coordinates(
        [times.astype("datetime64[ns]"), pe.clinspace(40, 20, SIZE, "lat"), pe.clinspace(-110, -90, SIZE, "lon")],
        dims=["time", "lat", "lon"],
    )
    rng = np.random.default_rng(11)
    data = rng.normal(10.0, 3.0, coords.shape)
    data[rng.random(coords.shape) < 0.02] = np.nan
    source = in_memory_source(data, coords)
    da = xr.DataArray(data, coords={"time": times.astype("datetime64[ns]"), "lat": coords["lat"].coordinates,
                                    "lon": coords["lon"].coordinates}, dims=["time", "lat", "lon"])
    cases = {
        "resample_monthly_mean": (ResampleReduce(source=source, resample="MS", reduce_fn="mean"),
                                  lambda: da.resample(time="MS").mean()),
        "dayofyear_mean": (DayOfYear(source=source, reduce_fn="mean"), lambda: da.groupby("time.dayofyear").mean().rename(dayofyear="time")),
    }
    for metric, (node, baseline) in cases.items():
        def evaluate(node: Any = node) -> Any:
            return pe.evaluate(node, coords, backend="local")

        ours, theirs = evaluate(), baseline()
        np.testing.assert_allclose(ours.values, theirs.transpose(*ours.dims).values, rtol=1e-12, equal_nan=True)
        del ours, theirs
        # process CPU time: the tiles run on worker threads
        medians = timed_in_turns({"evaluate": evaluate, "xarray": baseline}, ROUNDS, REPEATS, cpu_clock=time.process_time)
        yield ratio_record(
            NAME,
            f"{metric}_vs_xarray",
            medians,
            "evaluate",
            "xarray",
            "<= 1.2",
            cpu_ratio=round(medians["evaluate"]["cpu"] / medians["xarray"]["cpu"], 4),
            grid=f"{DAYS} days x {SIZE} x {SIZE} float64 (2% NaN)",
            rounds=ROUNDS,
            repeats=REPEATS,
        )
