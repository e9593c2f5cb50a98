#!/usr/bin/env python
"""Generate PODPAC 4.0.5 reference cases for the interpolation methods and interpolators.

How to rerun (from the repository root):

    /work/podpac-ref/bin/python tests/data/podpac_reference/interpolation_generate.py

``/work/podpac-ref`` is a Python 3.12 venv with the *real* PODPAC 4.0.5; only this script and its output,
``interpolation_cases.json``, are committed. Each case is an ``Interpolate`` over a small ``Array`` source:

    {"name", "description", "interpolation", "pipeline", "coordinates", "output"} or, where PODPAC raises,
    {"name", "description", "interpolation", "pipeline", "coordinates", "podpac_error"}

``pipeline`` is ``json.loads(node.json)``, ``coordinates`` is ``json.loads(coords.json)`` and ``output`` is
what PODPAC's ``node.eval(coords)`` returned (``dims``, ``shape``, ``coords``, ``data`` with ``null`` for NaN),
transposed to the request's dim order. ``interpolators`` records the queue PODPAC ran
(``node._interpolation._last_interpolator_queue``) so the tests can check we pick the same ones.

Sources: uniform grids (ascending, descending lat, with a NaN), a grid with a time dim, and stacked
``lat_lon`` points. Requests: finer and coarser uniform grids, one partly outside the source, one with
descending lat, and stacked points. Deterministic: no random data, cache and multithreading off.
"""

from __future__ import annotations

import atexit
import copy
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

if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

_TMP = tempfile.mkdtemp(prefix="podpac_ref_")
atexit.register(shutil.rmtree, _TMP, True)
os.environ["XDG_CONFIG_HOME"] = _TMP
_CWD = os.getcwd()
os.chdir(_TMP)
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)

import numpy as np  # noqa: E402
import rasterio  # noqa: E402
import scipy  # noqa: E402
import xarray as xr  # noqa: E402

import podpac  # noqa: E402
from podpac import Coordinates, clinspace  # noqa: E402
from podpac.core.data.array_source import Array  # noqa: E402
from podpac.core.interpolation.interpolation import Interpolate  # noqa: E402

os.chdir(_CWD)

podpac.settings["MULTITHREADING"] = False
podpac.settings["ENABLE_CACHE"] = False
podpac.settings["DEBUG"] = False
podpac.settings["CHUNK_SIZE"] = None

assert podpac.__version__ == "4.0.5", podpac.__version__

CASES = []


def _clean(x):
    if isinstance(x, list):
        return [_clean(v) for v in x]
    x = float(x)
    return None if math.isnan(x) else x


def _values(values):
    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.datetime64):
        return [str(s) for s in np.datetime_as_string(values)]
    return [float(v) for v in values.astype(float).ravel()]


def serialize(out, req):
    order = [d for d in req.dims if d in out.dims] + [d for d in out.dims if d not in req.dims]
    out = out.transpose(*order)
    coords = OrderedDict()
    for d in out.dims:
        for u in d.split("_"):
            if u in out.coords:
                coords[u] = _values(out.coords[u].values)
    data = np.asarray(out.values, dtype=float)
    return OrderedDict(
        [("dims", list(out.dims)), ("shape", list(data.shape)), ("coords", coords), ("data", _clean(data.tolist()))]
    )


def queue_of(node):
    queue = node._interpolation._last_interpolator_queue or {}
    return [[list(k), type(v).__name__] for k, v in queue.items()]


def add(name, description, source, interpolation, coords):
    assert all(c["name"] != name for c in CASES), name
    # PODPAC replaces interpolator names by classes inside the definition it is given: hand it a copy
    node = Interpolate(source=source, interpolation=copy.deepcopy(interpolation))
    pipeline = json.loads(node.json)
    node = Interpolate(source=source, interpolation=copy.deepcopy(interpolation))
    case = OrderedDict(
        [
            ("name", name),
            ("description", description),
            ("interpolation", interpolation),
            ("pipeline", pipeline),
            ("coordinates", json.loads(coords.json)),
        ]
    )
    try:
        out = node.eval(coords)
    except Exception as e:  # noqa: BLE001
        case["podpac_error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    else:
        case["output"] = serialize(out, coords)
        case["interpolators"] = queue_of(node)
    CASES.append(case)


# -- sources --------------------------------------------------------------------------------------------------------

LAT = clinspace(0, 7, 8, "lat")
LON = clinspace(10, 18, 9, "lon")
_la, _lo = np.meshgrid(np.arange(8.0), np.arange(9.0), indexing="ij")
GRID_VALUES = np.round(np.sin(_la * 0.7) * 3 + np.cos(_lo * 0.5) * _la / 2 + 0.25 * _lo, 3)  # short JSON
GRID = Array(source=GRID_VALUES, coordinates=Coordinates([LAT, LON]))
GRID_DESC = Array(source=GRID_VALUES[::-1], coordinates=Coordinates([clinspace(7, 0, 8, "lat"), LON]))
NAN_VALUES = GRID_VALUES.copy()
NAN_VALUES[3, 4] = np.nan
GRID_NAN = Array(source=NAN_VALUES, coordinates=Coordinates([LAT, LON]))
TIMES = ["2020-01-01", "2020-01-02", "2020-01-03"]
GRID_TIME = Array(
    source=np.stack([GRID_VALUES + 10 * k for k in range(3)], axis=-1),
    coordinates=Coordinates([LAT, LON, TIMES], dims=["lat", "lon", "time"]),
)
_pts_lat = np.array([0.0, 1.5, 3.0, 4.5, 6.0, 0.5, 2.0, 5.5, 7.0, 3.5])
_pts_lon = np.array([10.0, 11.0, 12.5, 14.0, 17.0, 16.0, 15.5, 11.5, 18.0, 13.0])
POINTS = Array(
    source=np.round(np.sin(_pts_lat) + _pts_lon / 10.0, 3), coordinates=Coordinates([[_pts_lat, _pts_lon]], dims=["lat_lon"])
)

# -- requests --------------------------------------------------------------------------------------------------------

FINE = Coordinates([clinspace(0.5, 6.5, 13, "lat"), clinspace(10.3, 17.7, 15, "lon")])
COARSE = Coordinates([clinspace(0.25, 6.75, 4, "lat"), clinspace(10.2, 17.8, 4, "lon")])
OUTSIDE = Coordinates([clinspace(-2, 4, 7, "lat"), clinspace(15, 21, 7, "lon")])
DESC = Coordinates([clinspace(6.5, 0.5, 7, "lat"), clinspace(10.5, 17.5, 8, "lon")])
STACKED = Coordinates([[[0.5, 2.25, 3.0, 5.9, 6.6], [10.7, 12.0, 15.25, 17.1, 11.4]]], dims=["lat_lon"])
REQUESTS = OrderedDict([("fine", FINE), ("coarse", COARSE), ("outside", OUTSIDE), ("desc", DESC), ("stacked", STACKED)])

# -- cases -----------------------------------------------------------------------------------------------------------

# every method by name, PODPAC's default interpolators, on every request
METHODS = [
    "none", "nearest_preview", "nearest", "linear", "bilinear", "cubic", "cubic_spline", "spline_2", "spline_3",
    "spline_4", "lanczos", "average", "mode", "gauss", "max", "min", "med", "q1", "q3",
]  # fmt: skip
for method in METHODS:
    for rname, req in REQUESTS.items():
        add(f"{method}_{rname}", f"interpolation={method!r} (PODPAC's default interpolators), {rname} request",
            GRID, method, req)

# descending source, NaN in the source
for method in ["bilinear", "cubic", "cubic_spline", "spline_3", "lanczos", "average", "nearest_preview"]:
    add(f"{method}_desc_source", f"{method!r} from a source with descending lat", GRID_DESC, method, FINE)
for method in ["bilinear", "cubic", "lanczos", "average", "spline_3", "max"]:
    add(f"{method}_nan_source", f"{method!r} from a source with one NaN", GRID_NAN, method, FINE)

# lon before lat, in the source or in the request
GRID_LONLAT = Array(source=GRID_VALUES.T.copy(), coordinates=Coordinates([LON, LAT]))
FINE_LONLAT = Coordinates([FINE["lon"], FINE["lat"]])
for interpolation in ["bilinear", "cubic", "spline_3", "lanczos", "average",
                      {"method": "bilinear", "interpolators": ["ScipyGrid"]},
                      {"method": "bilinear", "interpolators": ["RasterioInterpolator"]}]:  # fmt: skip
    label = interpolation if isinstance(interpolation, str) else interpolation["interpolators"][0] + "_bilinear"
    add(f"{label}_lonlat_source", f"{label} from a (lon, lat) source", GRID_LONLAT, interpolation, FINE)
    add(f"{label}_lonlat_request", f"{label} onto a (lon, lat) request", GRID, interpolation, FINE_LONLAT)

# explicit interpolators
EXPLICIT = [
    ("NearestNeighbor", ["nearest"]),
    ("XarrayInterpolator", ["nearest", "linear", "bilinear", "cubic"]),
    ("RasterioInterpolator", ["nearest", "bilinear", "cubic", "cubic_spline", "lanczos", "average", "mode", "max",
                              "min", "med", "q1", "q3", "gauss"]),
    ("ScipyGrid", ["nearest", "bilinear", "cubic_spline", "spline_2", "spline_3", "spline_4"]),
]  # fmt: skip
for interpolator, methods in EXPLICIT:
    for method in methods:
        for rname in ("fine", "coarse", "outside", "stacked"):
            add(f"{interpolator}_{method}_{rname}", f"{method!r} through interpolators=[{interpolator!r}], {rname}",
                GRID, {"method": method, "interpolators": [interpolator]}, REQUESTS[rname])

# a list: the first interpolator that can, per PODPAC's priority rules
for rname in ("fine", "stacked"):
    add(f"priority_rasterio_then_scipy_{rname}", "bilinear with interpolators [Rasterio, ScipyGrid]: Rasterio "
        "takes uniform grids, ScipyGrid the rest", GRID,
        {"method": "bilinear", "interpolators": ["RasterioInterpolator", "ScipyGrid"]}, REQUESTS[rname])
    add(f"priority_cubic_spline_{rname}", "cubic_spline: [RasterioInterpolator, ScipyGrid]", GRID,
        "cubic_spline", REQUESTS[rname])

# stacked point sources: ScipyPoint and nearest
for rname in ("fine", "coarse", "outside", "stacked"):
    add(f"ScipyPoint_nearest_{rname}", "interpolators=['ScipyPoint'] on a stacked lat_lon point source", POINTS,
        {"method": "nearest", "interpolators": ["ScipyPoint"]}, REQUESTS[rname])
    for method in ("nearest", "bilinear", "cubic", "lanczos", "spline_3"):
        add(f"points_{method}_{rname}", f"{method!r} on a stacked lat_lon point source", POINTS, method,
            REQUESTS[rname])

# downsampling within a larger source: the request's pixels and the kernels' reach stay inside it
_bla, _blo = np.meshgrid(np.arange(48.0), np.arange(48.0), indexing="ij")
BIG = Array(
    source=np.round(np.sin(_bla * 0.3) * 2 + np.cos(_blo * 0.2) + (_bla * _blo) / 500.0, 3),
    coordinates=Coordinates([clinspace(0, 47, 48, "lat"), clinspace(100, 147, 48, "lon")]),
)
INNER_COARSE = Coordinates([clinspace(16.3, 31.7, 5, "lat"), clinspace(116.1, 131.9, 6, "lon")])
INNER_FINE = Coordinates([clinspace(20.1, 24.3, 8, "lat"), clinspace(120.4, 123.9, 9, "lon")])
for method in ["bilinear", "cubic", "cubic_spline", "lanczos", "average", "mode", "max", "min", "med", "q1", "q3"]:
    for rname, req in (("inner_coarse", INNER_COARSE), ("inner_fine", INNER_FINE)):
        add(f"RasterioInterpolator_{method}_{rname}", f"{method!r} through RasterioInterpolator, downsampled "
            "(or upsampled) well within a 48x48 source", BIG, {"method": method, "interpolators": ["RasterioInterpolator"]},
            req)
for method in ["lanczos", "average", "cubic", "spline_3", "bilinear", "nearest"]:
    add(f"{method}_inner_coarse", f"{method!r} (default interpolators) downsampled within a 48x48 source", BIG,
        method, INNER_COARSE)

# per-dim rules over a source with time
TFINE = Coordinates([FINE["lat"], FINE["lon"], ["2020-01-01", "2020-01-03"]], dims=["lat", "lon", "time"])
TMID = Coordinates([FINE["lat"], FINE["lon"], ["2020-01-01T12", "2020-01-02T06"]], dims=["lat", "lon", "time"])
for tname, treq in (("time_on_source", TFINE), ("time_between", TMID)):
    for spatial in ("bilinear", "cubic", "lanczos", "spline_3", "cubic_spline"):
        add(f"rules_{spatial}_latlon_nearest_time_{tname}", f"{spatial!r} for lat/lon, nearest for time", GRID_TIME,
            [{"method": spatial, "dims": ["lat", "lon"]}, {"method": "nearest", "dims": ["time"]}], treq)
        add(f"rules_{spatial}_latlon_linear_time_{tname}", f"{spatial!r} for lat/lon, linear for time", GRID_TIME,
            [{"method": spatial, "dims": ["lat", "lon"]}, {"method": "linear", "dims": ["time"]}], treq)
    for spatial in ("bilinear", "lanczos"):
        add(f"rules_{spatial}_latlon_none_time_{tname}", f"{spatial!r} for lat/lon, 'none' for time", GRID_TIME,
            [{"method": spatial, "dims": ["lat", "lon"]}, {"method": "none", "dims": ["time"]}], treq)
    add(f"rules_none_latlon_linear_time_{tname}", "'none' for lat/lon, linear for time", GRID_TIME,
        [{"method": "none", "dims": ["lat", "lon"]}, {"method": "linear", "dims": ["time"]}], treq)
    for method in ("lanczos", "cubic", "none"):
        add(f"{method}_all_dims_{tname}", f"{method!r} for every dim of a lat/lon/time source", GRID_TIME, method,
            treq)

ENVIRONMENT = OrderedDict([
    ("podpac", podpac.__version__), ("numpy", np.__version__), ("scipy", scipy.__version__),
    ("xarray", xr.__version__), ("rasterio", rasterio.__version__), ("gdal", rasterio.__gdal_version__),
])  # fmt: skip
with open(os.path.join(HERE, "interpolation_cases.json"), "w") as f:
    # one case per line: small diffs when a case changes
    f.write('{"environment": %s,\n"cases": [\n' % json.dumps(ENVIRONMENT))
    f.write(",\n".join(json.dumps(c) for c in CASES))
    f.write("\n]}\n")
print(len(CASES), "cases,", sum("podpac_error" in c for c in CASES), "PODPAC errors")
