#!/usr/bin/env python
"""Generate PODPAC 4.0.5 reference fixtures for the pipeline nodes of issue 11.

Run from the repository root with the real PODPAC 4.0.5:

    /work/podpac-ref/bin/python tests/data/podpac_reference/pipelines_generate.py

Writes ``pipelines_cases.json`` (value cases) and ``pipelines_legacy.json`` (what PODPAC 4.0.5
makes of each committed legacy fixture and of its upgraded form). This is the ``pipelines_*``
file group; ``generate.py`` (``cases.json``/``names.json``) is the data-source group. Unlike
``cases.json``, outputs here need not lie on the request grid: coordinate-selection and time
grouping nodes return the coordinates they evaluated (expanded, selected, day-of-year labels),
and ``output.coords`` records them.

Each case: ``name``, ``description``, ``nodes``, ``pipeline`` (``json.loads(node.json)``),
``coordinates`` (``json.loads(coords.json)``), ``output`` (``dims``, ``shape``, ``coords`` with
ISO strings for times, ``data`` with ``null`` for NaN) and ``tolerance`` (``rtol``). Errors
PODPAC raises on a case are recorded under ``anomalies`` instead. Deterministic: fixed data,
PODPAC settings fixed, user settings ignored.
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import sys
import tempfile
import warnings
from collections import OrderedDict

HERE = os.path.dirname(os.path.abspath(__file__))
LEGACY = os.path.join(os.path.dirname(HERE), "pipelines_legacy")

_TMP = tempfile.mkdtemp(prefix="podpac_ref_")
os.environ["XDG_CONFIG_HOME"] = _TMP
_CWD = os.getcwd()
os.chdir(_TMP)
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)  # BetaFitDayOfYear logs every failed fit as an error

import numpy as np  # noqa: E402
import podpac  # noqa: E402
from podpac import Coordinates, Node, clinspace  # noqa: E402
from podpac.core.algorithm.coord_select import (  # noqa: E402
    ExpandCoordinates,
    SelectCoordinates,
    TransformTimeUnits,
    YearSubstituteCoordinates,
)
from podpac.core.algorithm.stats import (  # noqa: E402
    DayOfYear,
    GroupReduce,
    Kurtosis,
    Mean,
    Median,
    Percentile,
    ResampleReduce,
    Skew,
)
from podpac.alglib.climatology import BetaFitDayOfYear  # noqa: E402
from podpac.core.algorithm.generic import Combine  # noqa: E402
from podpac.core.compositor.tile_compositor import TileCompositor  # noqa: E402
from podpac.core.data.array_source import Array  # noqa: E402
from podpac.core.interpolation.interpolation import Interpolate  # noqa: E402

os.chdir(_CWD)
shutil.rmtree(_TMP, True)

podpac.settings["MULTITHREADING"] = False
podpac.settings["ENABLE_CACHE"] = False
podpac.settings["DEBUG"] = False
podpac.settings["CHUNK_SIZE"] = None
podpac.settings.allow_unrestricted_code_execution(True)  # Arithmetic in the legacy fixtures (our own files)
assert podpac.__version__ == "4.0.5", podpac.__version__

CASES: list = []
ANOMALIES: list = []
SCIPY_RTOL = 1e-6  # scipy statistics (skew, kurtosis) differ between scipy versions in the last bits


def _fmt(values):
    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.datetime64):
        return [str(s) for s in np.datetime_as_string(values)]
    return [float(v) for v in values.astype(float).ravel()]


def _clean(x):
    if isinstance(x, list):
        return [_clean(v) for v in x]
    x = float(x)
    return None if math.isnan(x) else x


def serialize(out, req):
    order = [d for d in req.dims if d in out.dims]
    out = out.transpose(*order)
    coords = OrderedDict((d, _fmt(out.coords[d].values)) for d in out.dims if d in out.coords)
    data = np.asarray(out.values, dtype=float)
    return OrderedDict(
        [("dims", list(out.dims)), ("shape", list(data.shape)), ("coords", coords), ("data", _clean(data.tolist()))]
    )


def node_types(pipeline):
    names = []
    for v in pipeline.values():
        if isinstance(v, dict) and "node" in v:
            n = v["node"].rsplit(".", 1)[-1]
            if n not in names:
                names.append(n)
    return names


def add_case(name, description, coords, node, rtol=1e-9):
    assert all(c["name"] != name for c in CASES), name
    pipeline = json.loads(node.json, object_pairs_hook=OrderedDict)
    out = node.eval(coords)
    again = Node.from_json(json.dumps(pipeline)).eval(coords)
    assert np.allclose(again.values, out.values, equal_nan=True, rtol=0, atol=0), (name, "reload differs")
    CASES.append(
        OrderedDict(
            [
                ("name", name),
                ("description", description),
                ("nodes", node_types(pipeline)),
                ("pipeline", pipeline),
                ("coordinates", json.loads(coords.json)),
                ("output", serialize(out, coords)),
                ("tolerance", {"rtol": rtol}),
            ]
        )
    )


def add_anomaly(name, description, coords, node):
    entry = OrderedDict([("name", name), ("description", description)])
    entry["pipeline"] = json.loads(node.json, object_pairs_hook=OrderedDict)
    entry["coordinates"] = json.loads(coords.json)
    try:
        node.eval(coords)
        raise AssertionError(f"{name}: expected PODPAC to raise")
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001
        entry["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
    ANOMALIES.append(entry)


# ======================================================================================================================
# sources: inline data (Array) read through Interpolate (nearest), as pipelines do
# ======================================================================================================================

DAYS = np.arange("2019-12-20", "2021-01-10", dtype="datetime64[D]")  # 387 days: a leap day, doys seen twice
LATS = [10.0, 20.0]


def field(shape, seed):
    """Deterministic, irregular values with a few NaNs."""
    i = np.arange(int(np.prod(shape)), dtype=float)
    v = np.sin(i * 0.37 + seed) * 10 + np.cos(i * 0.051 * (seed + 1)) * 3 + (i % 7) * 0.25
    v[(np.arange(v.size) * 7 + seed) % 23 == 0] = np.nan
    return v.reshape(shape)


C_DAILY = Coordinates([LATS, DAYS], dims=["lat", "time"])
DAILY = Interpolate(source=Array(source=field(C_DAILY.shape, 1), coordinates=C_DAILY))

C_GRID = Coordinates([clinspace(0, 9, 10, "lat"), clinspace(100, 107, 8, "lon")])
GRID = Interpolate(source=Array(source=field(C_GRID.shape, 2), coordinates=C_GRID))

C_NUMTIME = Coordinates([LATS, clinspace(1, 366, 366, "time")], dims=["lat", "time"])
BY_DOY = Interpolate(source=Array(source=field(C_NUMTIME.shape, 3), coordinates=C_NUMTIME))
C_MONTHS = Coordinates([LATS, clinspace(1, 12, 12, "time")], dims=["lat", "time"])
BY_MONTH = Interpolate(source=Array(source=field(C_MONTHS.shape, 4), coordinates=C_MONTHS))

REQ_DAYS = Coordinates([LATS, ["2020-01-03", "2020-02-28", "2020-03-01", "2020-07-15"]], dims=["lat", "time"])
# no request point halfway between source points: nearest interpolation breaks such ties by the other
# request points (NOTES.md), so a tile would see a different neighbour than the whole request
REQ_GRID = Coordinates([[2.0, 3.0, 6.4], [101.0, 103.0, 104.0, 106.0]], dims=["lat", "lon"])


# ======================================================================================================================
# ExpandCoordinates
# ======================================================================================================================

add_case(
    "expand_time_uniform_step",
    "ExpandCoordinates time [-2 days, 0, 1 day] around each request time: windows concatenated.",
    REQ_DAYS,
    ExpandCoordinates(source=DAILY, time=["-2,D", "0,D", "1,D"]),
)
add_case(
    "expand_time_uniform_step_mean",
    "Mean over time of a time expansion [-3 days, +3 days, 1 day] (a 7-day window mean of all request times).",
    REQ_DAYS,
    Mean(source=ExpandCoordinates(source=DAILY, time=["-3,D", "3,D", "1,D"]), dims=["time"]),
)
add_case(
    "expand_time_month_step",
    "ExpandCoordinates time [-1 month, 0, 1 month]: nominal month arithmetic (Mar 31 - 1 month = Feb 29).",
    Coordinates([LATS, ["2020-03-31", "2020-10-31"]], dims=["lat", "time"]),
    ExpandCoordinates(source=DAILY, time=["-1,M", "0,M", "1,M"]),
)
add_case(
    "expand_time_available",
    "ExpandCoordinates time [-2 days, +1 day]: the source's own times within each window.",
    REQ_DAYS,
    ExpandCoordinates(source=DAILY, time=["-2,D", "1,D"]),
)
add_case(
    "expand_time_bounds_only",
    "ExpandCoordinates bounds_only: one uniform window from the first request time - 3 days to the last + 2 days.",
    REQ_DAYS,
    ExpandCoordinates(source=DAILY, time=["-3,D", "2,D", "1,D"], bounds_only=True),
)
add_case(
    "expand_lat_lon_uniform",
    "ExpandCoordinates lat [-1, 1, 0.5] and lon [-1, 0, 1] around each request point.",
    REQ_GRID,
    ExpandCoordinates(source=GRID, lat=[-1, 1, 0.5], lon=[-1, 0, 1]),
)
add_case(
    "expand_lat_available_uniform_source",
    "ExpandCoordinates lat [-1.2, 1.2] on a uniform source: its own lats within each window.",
    REQ_GRID,
    ExpandCoordinates(source=GRID, lat=[-1.2, 1.2]),
)
add_case(
    "expand_lat_available_between_points",
    "ExpandCoordinates lat [0.2, 0.4]: no source lat within the windows; PODPAC's uniform select rounds to one.",
    REQ_GRID,
    ExpandCoordinates(source=GRID, lat=[0.2, 0.4]),
)
add_case(
    "expand_lat_bounds_only_mean",
    "Mean over lat and lon of a bounds_only expansion lat [-2, 2, 1], lon [-1, 1, 1].",
    REQ_GRID,
    Mean(source=ExpandCoordinates(source=GRID, lat=[-2, 2, 1], lon=[-1, 1, 1], bounds_only=True), dims=["lat", "lon"]),
)
add_case(
    "expand_coordinates_source",
    "ExpandCoordinates lon [-1, 1] taking the available coordinates from coordinates_source (another grid).",
    REQ_GRID,
    ExpandCoordinates(
        source=GRID,
        coordinates_source=Array(
            source=np.zeros((2, 3)), coordinates=Coordinates([[0.0, 1.0], [100.5, 103.5, 105.0]], dims=["lat", "lon"])
        ),
        lon=[-1, 1],
    ),
)
add_anomaly(
    "expand_bounds_only_available",
    "PODPAC 4.0.5 raises for bounds_only with a [start, end] (available coordinates) expansion: it passes the "
    "two bounds to select() as separate arguments. podpac-exec selects within (first + start, last + end).",
    REQ_DAYS,
    ExpandCoordinates(source=DAILY, time=["-2,D", "1,D"], bounds_only=True),
)

# ======================================================================================================================
# SelectCoordinates
# ======================================================================================================================

add_case(
    "select_time_single",
    "SelectCoordinates time ['2020-02-29']: every request evaluates that one day.",
    REQ_DAYS,
    SelectCoordinates(source=DAILY, time=["2020-02-29"]),
)
add_case(
    "select_time_range_available",
    "SelectCoordinates time ['2020-03-02', '2020-03-06']: the source's own days within.",
    REQ_DAYS,
    SelectCoordinates(source=DAILY, time=["2020-03-02", "2020-03-06"]),
)
add_case(
    "select_time_uniform",
    "SelectCoordinates time ['2020-01-01', '2020-03-01', '7,D']: a weekly grid.",
    REQ_DAYS,
    SelectCoordinates(source=DAILY, time=["2020-01-01", "2020-03-01", "7,D"]),
)
add_case(
    "select_lat_value_substitute",
    "SelectCoordinates lat [4.0] with substitute_eval_coords: values at lat 4 labelled with the request's lat.",
    Coordinates([[7.0], [101.0, 103.0, 104.0, 106.0]], dims=["lat", "lon"]),
    SelectCoordinates(source=GRID, lat=[4.0], substitute_eval_coords=True),
)
add_case(
    "select_lat_lon_uniform_mean",
    "Mean over lat, lon of SelectCoordinates lat [1, 5, 2], lon [101, 105, 1] (a fixed window, any request).",
    REQ_GRID,
    Mean(source=SelectCoordinates(source=GRID, lat=[1, 5, 2], lon=[101, 105, 1]), dims=["lat", "lon"]),
)

# ======================================================================================================================
# YearSubstituteCoordinates, TransformTimeUnits
# ======================================================================================================================

REQ_YEARS = Coordinates([LATS, ["2023-01-05", "2024-02-29", "2024-07-04", "2025-12-31"]], dims=["lat", "time"])
add_case(
    "year_substitute_2020",
    "YearSubstituteCoordinates year 2020: request times moved into 2020 (Feb 29 kept: 2020 is a leap year).",
    REQ_YEARS,
    YearSubstituteCoordinates(source=DAILY, year="2020"),
)
add_case(
    "year_substitute_2019_leap_day",
    "YearSubstituteCoordinates year 2019 with substitute_eval_coords: Feb 29 becomes Feb 28; output on the request.",
    Coordinates([LATS, ["2024-02-29", "2024-12-25"]], dims=["lat", "time"]),
    YearSubstituteCoordinates(source=DAILY, year="2019", substitute_eval_coords=True),
)
add_case(
    "transform_time_dayofyear",
    "TransformTimeUnits dayofyear: a day-of-year source (numeric time 1..366) at the request's days of year.",
    REQ_YEARS,
    TransformTimeUnits(source=BY_DOY, time_units="dayofyear"),
)
add_case(
    "transform_time_month_substitute",
    "TransformTimeUnits month with substitute_eval_coords: a monthly climatology on the request's dates.",
    REQ_YEARS,
    TransformTimeUnits(source=BY_MONTH, time_units="month", substitute_eval_coords=True),
)
add_case(
    "transform_time_month_mean",
    "Mean over time of TransformTimeUnits month.",
    REQ_YEARS,
    Mean(source=TransformTimeUnits(source=BY_MONTH, time_units="month"), dims=["time"]),
)

# ======================================================================================================================
# Median, Percentile, Skew, Kurtosis
# ======================================================================================================================

C_REDUCE = Coordinates([clinspace(0, 9, 10, "lat"), clinspace(100, 107, 8, "lon")])
for cls, extra, rtol in [
    (Median, {}, 1e-9),
    (Percentile, {"percentile": 10.0}, 1e-9),
    (Percentile, {"percentile": 87.5}, 1e-9),
    (Percentile, {"percentile": 0.0}, 1e-9),
    (Percentile, {"percentile": 100.0}, 1e-9),
    (Skew, {}, SCIPY_RTOL),
    (Kurtosis, {}, SCIPY_RTOL),
]:
    tag = cls.__name__.lower() + ("_%g" % extra["percentile"] if extra else "")
    for dims, label in [(None, "all"), (["lat"], "lat"), (["lon", "lat"], "lon_lat")]:
        add_case(
            "%s_over_%s" % (tag, label),
            "%s %s over %s of a 10x8 grid with NaNs." % (cls.__name__, extra or "", label),
            C_REDUCE,
            cls(source=GRID, dims=dims, **extra),
            rtol=rtol,
        )
    add_case(
        "%s_over_time" % tag,
        "%s %s over time of 387 daily values with NaNs." % (cls.__name__, extra or ""),
        C_DAILY,
        cls(source=DAILY, dims=["time"], **extra),
        rtol=rtol,
    )

# ======================================================================================================================
# DayOfYear, GroupReduce, ResampleReduce
# ======================================================================================================================

for fn in ["mean", "max", "std", "median", "count", "prod", "any"]:
    add_case(
        "dayofyear_%s" % fn,
        "DayOfYear reduce_fn %s over 387 days (days of year in both years grouped together)." % fn,
        C_DAILY,
        DayOfYear(source=DAILY, reduce_fn=fn),
    )
for groupby in ["month", "weekofyear", "dayofyear"]:
    add_case(
        "groupreduce_%s_mean" % groupby,
        "GroupReduce groupby %s reduce_fn mean." % groupby,
        C_DAILY,
        GroupReduce(source=DAILY, groupby=groupby, reduce_fn="mean"),
    )
add_case(
    "groupreduce_month_request_subset",
    "GroupReduce month std on a request of a few scattered days (groups from the request's times only).",
    REQ_YEARS,
    GroupReduce(source=DAILY, groupby="month", reduce_fn="std"),
)
for resample, fn in [("MS", "mean"), ("MS", "count"), ("MS", "sum"), ("MS", "max")]:
    add_case(
        "resamplereduce_sparse_%s_%s" % (resample.lower(), fn),
        "ResampleReduce %s %s of a few scattered days: bins without data included." % (resample, fn),
        REQ_YEARS,
        ResampleReduce(source=DAILY, resample=resample, reduce_fn=fn),
    )
add_anomaly(
    "groupreduce_season",
    "GroupReduce groupby season: the group labels are strings, which PODPAC 4.0.5 cannot put in coordinates.",
    C_DAILY,
    GroupReduce(source=DAILY, groupby="season", reduce_fn="mean"),
)
for resample, fn in [("MS", "mean"), ("MS", "sum"), ("7D", "max"), ("1W", "median"), ("QS", "count"), ("10D", "std")]:
    add_case(
        "resamplereduce_%s_%s" % (resample.lower(), fn),
        "ResampleReduce resample %s reduce_fn %s over 387 days." % (resample, fn),
        C_DAILY,
        ResampleReduce(source=DAILY, resample=resample, reduce_fn=fn),
    )

# ======================================================================================================================
# TileCompositor
# ======================================================================================================================

C_W = Coordinates([clinspace(0, 4, 5, "lat"), clinspace(0, 3, 4, "lon")])
C_E = Coordinates([clinspace(0, 4, 5, "lat"), clinspace(4, 7, 4, "lon")])
W = field(C_W.shape, 5)
W[0, 3] = np.inf
TILE_W = Interpolate(source=Array(source=W, coordinates=C_W))
TILE_E = Interpolate(source=Array(source=field(C_E.shape, 6), coordinates=C_E))
add_case(
    "tilecompositor_two_tiles",
    "TileCompositor of two adjacent tiles (inf in the first kept: only NaN is missing) on a grid spanning both.",
    # on the tiles' own points: nearest interpolation of a one-point request (a tile) does not reach
    # half a step past a source's edge as a larger request does (NOTES.md), so stay on the points
    Coordinates([clinspace(0, 4, 5, "lat"), clinspace(1, 6, 6, "lon")]),
    TileCompositor(sources=[TILE_W, TILE_E]),
)
add_case(
    "tilecompositor_overlap_first_wins",
    "TileCompositor where both tiles cover a cell: the first tile's finite value wins, NaN filled by the second.",
    C_W,
    TileCompositor(sources=[TILE_W, Interpolate(source=Array(source=field(C_W.shape, 7), coordinates=C_W))]),
)


# ======================================================================================================================
# Combine (one output selected: a result with an "output" dim is not supported by podpac-exec)
# ======================================================================================================================

GRID_2 = Interpolate(source=Array(source=field(C_GRID.shape, 8), coordinates=C_GRID))
add_case(
    "combine_select_second",
    "Combine of two grids with output 'B': the second input's values.",
    REQ_GRID,
    Combine(A=GRID, B=GRID_2, output="B"),
)
add_case(
    "combine_renamed_outputs",
    "Combine with outputs renamed ['first', 'second'] and output 'first': the first input.",
    REQ_GRID,
    Combine(A=GRID, B=GRID_2, outputs=["first", "second"], output="first"),
)
add_case(
    "combine_of_reductions",
    "Combine of a Median and a Mean over time, output 'mean'.",
    C_DAILY,
    # inputs in name order: PODPAC writes inputs sorted but outputs in construction order, so a
    # Combine(median=..., mean=...) reloads with its outputs swapped (its JSON means another node)
    Combine(mean=Mean(source=DAILY, dims=["time"]), median=Median(source=DAILY, dims=["time"]), output="mean"),
)


# ======================================================================================================================
# BetaFitDayOfYear (alglib.climatology; one output selected)
# ======================================================================================================================

# 77 days across the new year and the leap day: windows wrap at the year's ends
REQ_BETA = Coordinates([LATS, np.arange("2019-12-20", "2020-03-06", dtype="datetime64[D]")], dims=["lat", "time"])
for output, extra in [
    ("d0", {"window": 7, "percentiles": [0.1, 0.5], "scale_float": [-15.0, 15.0]}),
    ("d1", {"window": 14, "percentiles": [0.25, 0.9], "scale_float": [-12.0, 16.0]}),
    ("a", {"window": 5, "scale_float": [-15.0, 15.0], "rescale": False}),
    ("b", {"window": 30, "scale_float": [-15.0, 15.0], "rescale": False}),
    ("a", {"window": 2, "scale_float": [-4.0, 4.0], "rescale": False}),  # most values scaled out: NaN, few points
]:
    add_case(
        "betafit_%s_window%d_%g" % (output, extra["window"], extra["scale_float"][0]),
        "BetaFitDayOfYear output %s %s over 77 daily request times (new year and Feb 29)." % (output, extra),
        REQ_BETA,
        BetaFitDayOfYear(source=DAILY, output=output, **extra),
        rtol=SCIPY_RTOL,
    )


# ======================================================================================================================
# legacy pipelines: what PODPAC 4.0.5 makes of each committed old-format file and of its upgraded form
# ======================================================================================================================


def legacy_checks():
    """For every ``<name>.json`` in tests/data/pipelines_legacy with an ``<name>.upgraded.json``:
    PODPAC 4.0.5 loading each (ok or its error) and the upgraded form's values at the fixture's
    coordinates (``<name>.coords.json``)."""
    out = []
    if not os.path.isdir(LEGACY):
        return out
    for fname in sorted(os.listdir(LEGACY)):
        if not fname.endswith(".upgraded.json"):
            continue
        name = fname[: -len(".upgraded.json")]
        with open(os.path.join(LEGACY, name + ".json")) as f:
            old_text = f.read()
        with open(os.path.join(LEGACY, fname)) as f:
            new_text = f.read()
        with open(os.path.join(LEGACY, name + ".coords.json")) as f:
            coords = Coordinates.from_json(f.read())
        entry = OrderedDict([("name", name)])
        original = None
        try:
            original = Node.from_json(old_text).eval(coords)
            entry["podpac_loads_original"] = "ok"
        except Exception as e:  # noqa: BLE001
            entry["podpac_loads_original"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:200])
        node = Node.from_json(new_text)  # must load: the point of upgrading
        entry["podpac_loads_upgraded"] = "ok"
        entry["upgraded_sha"] = _sha(new_text)
        entry["output"] = serialize(node.eval(coords), coords)
        if original is not None:  # PODPAC 4 reads this old file itself: the upgrade must not change its values
            assert serialize(original, coords) == entry["output"], name
        out.append(entry)
    return out


def _sha(text):
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


SHARED: OrderedDict = OrderedDict()


def share_sources(pipeline):
    """Replace each Array entry by ``{"$shared": key}``; the entries are stored once in ``shared``
    (the fixtures' sources repeat across cases). Tests substitute them back."""
    out = OrderedDict()
    for ref, entry in pipeline.items():
        if isinstance(entry, dict) and entry.get("node", "").endswith("Array"):
            text = json.dumps(entry, sort_keys=True)
            key = _sha(text)[:12]
            SHARED.setdefault(key, entry)
            entry = {"$shared": key}
        out[ref] = entry
    return out


def _write(path, document):
    """One line per case (the file stays diffable without indenting every number)."""
    with open(path, "w") as f:
        f.write("{\n")
        items = list(document.items())
        for i, (key, value) in enumerate(items):
            f.write(" %s: " % json.dumps(key))
            if isinstance(value, list):
                f.write("[\n" + ",\n".join("  " + json.dumps(v) for v in value) + "\n ]")
            elif isinstance(value, dict) and key == "shared":
                f.write("{\n" + ",\n".join("  %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in value.items()) + "\n }")
            else:
                f.write(json.dumps(value))
            f.write(",\n" if i < len(items) - 1 else "\n")
        f.write("}\n")


def main():
    for case in CASES + ANOMALIES:
        case["pipeline"] = share_sources(case["pipeline"])
    _write(
        os.path.join(HERE, "pipelines_cases.json"),
        OrderedDict([("podpac", podpac.__version__), ("shared", SHARED), ("cases", CASES), ("anomalies", ANOMALIES)]),
    )
    legacy = legacy_checks()
    _write(os.path.join(HERE, "pipelines_legacy.json"), OrderedDict([("podpac", podpac.__version__), ("legacy", legacy)]))
    print("wrote %d cases, %d anomalies, %d legacy checks" % (len(CASES), len(ANOMALIES), len(legacy)))


if __name__ == "__main__":
    sys.exit(main())
