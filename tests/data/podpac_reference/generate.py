#!/usr/bin/env python
"""Generate PODPAC 4.0.5 reference fixtures for podpac-exec.

How to rerun (from the repository root, /work/main):

    /work/podpac-ref/bin/python tests/data/podpac_reference/generate.py

``/work/podpac-ref`` is a separate Python 3.12 venv holding the *real* PODPAC 4.0.5 (plus zarr, rasterio,
numexpr).  Nothing from it may be imported by podpac-exec; only this script and its outputs are committed:

* ``cases.json``  - a JSON list of value cases: ``{"name", "description", "nodes", "pipeline", "coordinates",
  "output", "podpac_reload"}``.  ``pipeline`` is ``json.loads(node.json)`` (what PODPAC writes, including
  ``podpac_version``) or a hand-written PODPAC-format definition that PODPAC accepts; ``coordinates`` is
  ``json.loads(coords.json)`` or a hand-written coordinates definition; ``output`` is what PODPAC's
  ``node.eval(coords)`` returned: ``{"dims", "shape", "dtype", "coords", "data"}``.  In ``data`` NaN is ``null``;
  +/-inf are written as the bare tokens ``Infinity``/``-Infinity`` (Python's ``json`` reads them, as it reads the
  bare ``NaN`` tokens PODPAC writes inside pipelines).  Time coordinates are ISO strings.  For a stacked dim
  (e.g. ``lat_lon``) ``coords`` holds one list per unstacked dim (``lat``, ``lon``) along it.
  ``podpac_reload`` is ``"ok"`` if ``Node.from_json(json.dumps(pipeline))`` gives the same values, otherwise
  the error PODPAC raised when reloading its own definition.
* ``names.json``  - ``name_forms`` (full and short node names PODPAC accepts, attrs, defaults, which attrs PODPAC
  writes) and ``podpac_anomalies`` (pipelines on which PODPAC 4.0.5 raises or returns data that is not on the
  request grid; recorded for documentation, not as value fixtures).

The script is deterministic: no random data, fixed PODPAC settings, user settings files are ignored (it imports
PODPAC from an empty temporary XDG_CONFIG_HOME / working directory), multithreading and caching are off.
Values were produced with the library versions recorded in ``names.json["environment"]``.
"""

from __future__ import annotations

import atexit
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

# --- deterministic set/dict-of-str ordering in PODPAC error messages --------------------------------------------
if os.environ.get("PYTHONHASHSEED") != "0":
    os.environ["PYTHONHASHSEED"] = "0"
    os.execv(sys.executable, [sys.executable] + sys.argv)

# --- isolate PODPAC from any user/cwd settings.json ------------------------------------------------------------
_TMP = tempfile.mkdtemp(prefix="podpac_ref_")
atexit.register(shutil.rmtree, _TMP, True)
os.environ["XDG_CONFIG_HOME"] = _TMP
_CWD = os.getcwd()
os.chdir(_TMP)
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
import scipy  # noqa: E402
import numexpr  # noqa: E402
import pandas  # noqa: E402

import podpac  # noqa: E402
from podpac import Coordinates, Node, clinspace, crange  # noqa: E402
from podpac.core.algorithm.utility import SinCoords, Arange, CoordData  # noqa: E402
from podpac.core.algorithm.generic import Arithmetic, Mask  # noqa: E402
from podpac.core.algorithm.signal import Convolution  # noqa: E402
from podpac.core.algorithm.stats import Mean, Min, Max, Sum, StandardDeviation, Count, Variance  # noqa: E402
from podpac.core.data.array_source import Array  # noqa: E402
from podpac.core.interpolation.interpolation import Interpolate  # noqa: E402
from podpac.core.compositor.ordered_compositor import OrderedCompositor  # noqa: E402

os.chdir(_CWD)

podpac.settings["MULTITHREADING"] = False
podpac.settings["ENABLE_CACHE"] = False
podpac.settings["DEBUG"] = False
podpac.settings["CHUNK_SIZE"] = None
podpac.settings.allow_unrestricted_code_execution(True)  # needed by Arithmetic (generator only!)

assert podpac.__version__ == "4.0.5", podpac.__version__

NAN = float("nan")

CASES = []
ANOMALIES = []


# ======================================================================================================================
# helpers
# ======================================================================================================================


def _coords_from(coords):
    """Return (Coordinates, definition-as-stored)."""
    if isinstance(coords, Coordinates):
        return coords, json.loads(coords.json)
    c = Coordinates.from_definition(coords)
    return c, coords


def _time_unit(req, udim):
    try:
        dt = req[udim].coordinates.dtype
        unit = np.datetime_data(dt)[0]
        return unit
    except Exception:
        return None


def _fmt_values(values, req, udim):
    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.datetime64):
        unit = _time_unit(req, udim) if req is not None and udim in req.udims else None
        if unit is not None:
            cast = values.astype("datetime64[%s]" % unit)
            if np.array_equal(cast.astype(values.dtype), values):
                values = cast
        return [str(s) for s in np.datetime_as_string(values)]
    return [float(v) for v in values.astype(float).ravel()]


def _clean(x):
    """nested list with None for NaN (inf kept as float inf)."""
    if isinstance(x, list):
        return [_clean(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return float(x)
    x = float(x)
    return None if math.isnan(x) else x


def serialize_output(out, req):
    dims = list(out.dims)
    coords = OrderedDict()
    for d in dims:
        if d in out.coords and "_" in d:
            for u in d.split("_"):
                coords[u] = _fmt_values(out.coords[u].values, req, u)
        elif d in out.coords:
            coords[d] = _fmt_values(out.coords[d].values, req, d)
    data = np.asarray(out.values)
    return OrderedDict(
        [
            ("dims", dims),
            ("shape", list(data.shape)),
            ("dtype", str(data.dtype)),
            ("coords", coords),
            ("data", _clean(data.tolist())),
        ]
    )


def check_on_request(out, req):
    """Raise if the output does not lie on the request coordinates."""
    for d in out.dims:
        if d not in req.dims:
            raise AssertionError("output dim %r not in request dims %r" % (d, req.dims))
        for u in d.split("_"):
            a = np.asarray(out.coords[u].values)
            b = np.asarray(req[u].coordinates)
            if np.issubdtype(b.dtype, np.datetime64):
                ok = a.shape == b.shape and np.array_equal(a.astype("datetime64[ns]"), b.astype("datetime64[ns]"))
            else:
                ok = a.shape == b.shape and np.allclose(a.astype(float), b.astype(float), rtol=0, atol=1e-9)
            if not ok:
                raise AssertionError("output coords for %r differ from request: %s vs %s" % (u, a, b))


def same_values(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=1e-12, equal_nan=True)


def node_types(pipeline):
    names = []
    for k, v in pipeline.items():
        if isinstance(v, dict) and "node" in v:
            n = v["node"].rsplit(".", 1)[-1]
            if n not in names:
                names.append(n)
    return names


def build(node=None, pipeline=None):
    if pipeline is not None:
        return Node.from_json(json.dumps(pipeline)), pipeline
    return node, json.loads(node.json)


def strip_empty_kernel_type(pipeline):
    """PODPAC writes Convolution attrs with kernel AND kernel_type: [] but cannot load that back; drop the
    empty kernel_type so the stored pipeline is one PODPAC accepts."""
    pipeline = json.loads(json.dumps(pipeline), object_pairs_hook=OrderedDict)
    stripped = False
    for v in pipeline.values():
        if isinstance(v, dict) and v.get("node", "").endswith("Convolution"):
            if v.get("attrs", {}).get("kernel_type") == []:
                del v["attrs"]["kernel_type"]
                stripped = True
    return pipeline, stripped


def add_case(name, description, coords, node=None, pipeline=None, expect_reload_error=False, keep_as_written=False):
    assert all(c["name"] != name for c in CASES), name
    node, pipeline = build(node, pipeline)
    if not keep_as_written:
        pipeline, stripped = strip_empty_kernel_type(pipeline)
        if stripped:
            description += (" (Pipeline = PODPAC's definition minus the empty 'kernel_type': [] PODPAC writes, "
                            "which PODPAC itself cannot load back.)")
    req, coords_def = _coords_from(coords)
    out = node.eval(req)
    order = [d for d in req.dims if d in out.dims]
    if list(out.dims) != order:
        out = out.transpose(*order)
        description += " PODPAC returned dims %s; transposed here to the request's dim order." % (tuple(out.dims),)
    check_on_request(out, req)

    # reload check: can PODPAC read back the definition and give the same values?
    try:
        n2 = Node.from_json(json.dumps(pipeline))
        o2 = n2.eval(req).transpose(*out.dims)
        reload = "ok" if same_values(o2.values, out.values) else "values differ after reload"
    except Exception as e:  # noqa: BLE001
        reload = "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
    if expect_reload_error:
        assert reload != "ok", (name, reload)
    else:
        assert reload == "ok", (name, reload)

    CASES.append(
        OrderedDict(
            [
                ("name", name),
                ("description", description),
                ("nodes", node_types(pipeline)),
                ("pipeline", pipeline),
                ("coordinates", coords_def),
                ("output", serialize_output(out, req)),
                ("podpac_reload", reload),
            ]
        )
    )
    return out


def add_anomaly(name, description, coords, node=None, pipeline=None, expect_error=None):
    entry = OrderedDict([("name", name), ("description", description)])
    try:
        node, pipeline = build(node, pipeline)
    except Exception as e:  # noqa: BLE001
        entry["pipeline"] = pipeline if pipeline is not None else None
        entry["coordinates"] = _coords_from(coords)[1]
        entry["stage"] = "load"
        entry["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
        ANOMALIES.append(entry)
        return
    req, coords_def = _coords_from(coords)
    entry["nodes"] = node_types(pipeline)
    entry["pipeline"] = pipeline
    entry["coordinates"] = coords_def
    try:
        out = node.eval(req)
        entry["stage"] = "eval-ok"
        entry["output"] = serialize_output(out, req)
        assert expect_error is None, (name, "expected an error")
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001
        entry["stage"] = "eval"
        entry["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
        if expect_error is not None:
            assert isinstance(e, expect_error), (name, e)
    ANOMALIES.append(entry)


def arr(values):
    return np.array(values, dtype=float)


LAT = CoordData(coord_name="lat")
LON = CoordData(coord_name="lon")


def C1(values, dim="lat"):
    return Coordinates([values], dims=[dim])


# ======================================================================================================================
# SinCoords / Arange / CoordData
# ======================================================================================================================

C_LL = Coordinates([clinspace(-60, 60, 5, "lat"), clinspace(10, 100, 4, "lon")])

add_case(
    "sincoords_lat_lon",
    "SinCoords on a uniform 5x4 lat/lon grid: prod_over_dims sin(pi*c/90), product taken in request dim order "
    "starting from 1.0.",
    C_LL,
    SinCoords(),
)

add_case(
    "sincoords_lat_lon_time_dates",
    "SinCoords on lat/lon/time. In this reference environment (xarray 2026, pandas 3) the xarray time coordinate "
    "is datetime64[s]; PODPAC's .astype('datetime64[h]') floors it to the hour but xarray keeps [s] resolution, "
    "so the time factor is sin(pi*S/90) with S = seconds since 1970 of the time floored to the hour. 3600 s = 40*90 "
    "s, so the factor is only float rounding residue (~1e-9): the whole output is ~0 (compare with atol ~1e-6). "
    "(With older xarray/pandas the intent was hours since 1970: sin(pi*H/90).)",
    Coordinates(
        [clinspace(-45, 45, 3, "lat"), clinspace(30, 60, 2, "lon"), ["2018-01-01", "2018-01-02"]],
        dims=["lat", "lon", "time"],
    ),
    SinCoords(),
)

add_case(
    "sincoords_time_subhour",
    "SinCoords on time only: times inside the same hour give identical values (floored to the hour); every value "
    "is the ~1e-9 residue of sin(pi*S/90) (see sincoords_lat_lon_time_dates).",
    Coordinates(
        [["2018-01-01T00:00", "2018-01-01T00:59", "2018-01-01T01:00", "2018-06-15T13:30"]],
        dims=["time"],
    ),
    SinCoords(),
)

add_case(
    "sincoords_lat_lon_array_descending",
    "SinCoords on array (non-uniform) lat and descending uniform lon.",
    Coordinates([[-80.0, -10.0, 5.0, 45.0], clinspace(170, -170, 5, "lon")], dims=["lat", "lon"]),
    SinCoords(),
)

add_case(
    "arange_lat_lon",
    "Arange: np.arange(size).reshape(shape) in request dim order (row-major).",
    Coordinates([clinspace(0, 1, 3, "lat"), clinspace(0, 3, 4, "lon")]),
    Arange(),
)

add_case(
    "arange_lon_lat_time",
    "Arange numbering follows the REQUEST dim order (here lon, lat, time).",
    Coordinates(
        [clinspace(0, 1, 2, "lon"), clinspace(5, 7, 3, "lat"), crange("2018-01-01", "2018-01-02", "1,D", "time")]
    ),
    Arange(),
)

add_case(
    "arange_stacked_lat_lon_time",
    "Arange on stacked lat_lon (3 points) x time (2): shape (3, 2).",
    Coordinates([[[0, 10, 20], [30, 40, 50]], ["2018-01-01", "2018-01-02"]], dims=["lat_lon", "time"]),
    Arange(),
)

add_case(
    "coorddata_lat",
    "CoordData(coord_name='lat') on a lat/lon request returns ONLY the lat dim (output dims ['lat']), "
    "values = the lat coordinates. It is not broadcast over lon.",
    C_LL,
    CoordData(coord_name="lat"),
)

add_case(
    "coorddata_lon",
    "CoordData(coord_name='lon') on a lat/lon request: output dims ['lon'].",
    C_LL,
    CoordData(coord_name="lon"),
)

add_case(
    "coorddata_time_days",
    "CoordData(coord_name='time'): datetime coordinates cast to float in the coordinate's own numpy unit; "
    "times given as dates (datetime64[D]) -> days since 1970-01-01.",
    Coordinates([clinspace(0, 1, 2, "lat"), ["2018-01-01", "2018-01-03", "2018-02-01"]], dims=["lat", "time"]),
    CoordData(coord_name="time"),
)

add_case(
    "coorddata_time_hours",
    "CoordData(coord_name='time') with hour-resolution times (datetime64[h]) -> HOURS since 1970 (unit follows the "
    "parsed ISO string precision).",
    Coordinates([["2018-01-01T00", "2018-01-01T06", "2018-01-02T12"]], dims=["time"]),
    CoordData(coord_name="time"),
)

# ======================================================================================================================
# Arithmetic
# ======================================================================================================================

C_AR = Coordinates([clinspace(-1, 1, 3, "lat"), clinspace(-2, 2, 5, "lon")])

add_case(
    "arithmetic_params",
    "Arithmetic with params: eqn 'A * B + {offset}' formatted with params {'offset': 1} (str.format) before "
    "numexpr evaluation. A=SinCoords, B=Arange.",
    Coordinates([clinspace(-45, 45, 3, "lat"), clinspace(10, 40, 4, "lon")]),
    Arithmetic(A=SinCoords(), B=Arange(), eqn="A * B + {offset}", params={"offset": 1}),
)

add_case(
    "arithmetic_params_string_substitution",
    "params values are substituted textually: eqn '{fn}(A) * {k} + B' with params {'fn': 'cos', 'k': 2.5}.",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="{fn}(A) * {k} + B", params={"fn": "cos", "k": 2.5}),
)

add_case(
    "arithmetic_three_inputs",
    "Inputs A (lat values), B (lon values), C (Arange) broadcast together (xr.broadcast in input order); "
    "eqn 'A*10 + B - C/2'.",
    C_AR,
    Arithmetic(A=LAT, B=LON, C=Arange(), eqn="A*10 + B - C/2"),
)

add_case(
    "arithmetic_single_input_keeps_input_dims",
    "Arithmetic output takes the dims of the broadcast inputs, not of the request: A=CoordData(lat) only, so "
    "output dims are ['lat'] even though lat/lon was requested.",
    C_AR,
    Arithmetic(A=LAT, eqn="A * 2 + 1"),
)

add_case(
    "arithmetic_comparisons",
    "Comparisons give booleans that are stored as 1.0/0.0; booleans can be mixed with numbers: "
    "'(A > 0.5) + 2*(B >= 1) + 4*(A == B) + 8*(B != 0) + 16*(A < B) + 32*(A <= -1)'.",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="(A > 0.5) + 2*(B >= 1) + 4*(A == B) + 8*(B != 0) + 16*(A < B) + 32*(A <= -1)"),
)

add_case(
    "arithmetic_compare_simple",
    "'A > 0.5' alone: 1.0 where true, 0.0 where false.",
    C_AR,
    Arithmetic(A=Arithmetic(A=LAT, B=LON, eqn="A*B/2"), eqn="A > 0.5"),
)

add_case(
    "arithmetic_bool_ops",
    "numexpr &, |, ~ on boolean sub-expressions: '((A > 0) & (B < 1)) + 2*((A > 0) | (B < -1)) + 4*(~(B > 0))'. "
    "(&, |, ~ on float operands raise TypeError in numexpr; 'and'/'or'/'not' are rejected.)",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="((A > 0) & (B < 1)) + 2*((A > 0) | (B < -1)) + 4*(~(B > 0))"),
)

add_case(
    "arithmetic_division_by_zero",
    "IEEE division: x/0 -> +/-inf, 0/0 -> nan, and -0.0 appears (e.g. -1/inf); eqn 'A / B'.",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="A / B"),
)

add_case(
    "arithmetic_true_division_ints",
    "Integer literals use true division: '1/2 + 7//2 + A*0' = 0.5 + 3 (floor division) everywhere; a constant "
    "expression is broadcast to the shape of the inputs.",
    C_AR,
    Arithmetic(A=LAT, eqn="1/2 + 7//2 + A*0"),
)

add_case(
    "arithmetic_mod_floordiv",
    "numexpr % and // follow Python (floored) semantics on floats; x % 0 -> nan: eqn '(A*3) % B + 100*((A*7) // 2)'.",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="(A*3) % B + 100*((A*7) // 2)"),
)

add_case(
    "arithmetic_power",
    "'**' with constant exponents: 'B**0.5 + 10*(B**-1)': fractional power of a negative base -> nan, "
    "0**-1 -> inf, 0**0.5 -> 0.",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="B**0.5 + 10*(B**-1)"),
)

add_case(
    "arithmetic_power_variable_exponent",
    "'B**A' with variable exponent: (-2)**-1 = -0.5, 0**-1 = inf, 0**0 = 1.",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="B**A"),
)

add_case(
    "arithmetic_unary_minus",
    "Unary minus: eqn '-A' gives -0.0 where A is 0.0 (the fixture keeps the sign of zero).",
    C_AR,
    Arithmetic(A=LAT, eqn="-A"),
)

add_case(
    "arithmetic_where",
    "numexpr where(cond, a, b): 'where(A > 0, A * 100, B)'.",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="where(A > 0, A * 100, B)"),
)

# one case per numexpr function on a 1-D lat request that also probes out-of-domain values
C_FN = C1([-2.0, -1.0, -0.5, 0.0, 0.25, 0.5, 1.0, 2.0, 10.0])
for fn in [
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
    "arctanh", "exp", "expm1", "log", "log10", "log1p", "sqrt", "abs",
]:
    add_case(
        "arithmetic_fn_%s" % fn,
        "numexpr %s(A) with A = lat values incl. out-of-domain points (nan), poles (+/-inf) and 0." % fn,
        C_FN,
        Arithmetic(A=LAT, eqn="%s(A)" % fn),
    )

add_case(
    "arithmetic_fn_arctan2",
    "numexpr arctan2(A, B) (y=A, x=B) on a lat/lon grid incl. zeros.",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="arctan2(A, B)"),
)

ARR_NAN_COORDS = Coordinates([clinspace(0, 2, 3, "lat"), clinspace(0, 3, 4, "lon")])
ARR_NAN = Array(
    source=arr([[0.1, 0.9, NAN, 0.6], [1.0, NAN, 0.5, 0.2], [0.7, 0.3, 0.8, NAN]]), coordinates=ARR_NAN_COORDS
)

add_case(
    "arithmetic_nan_inputs",
    "NaN inputs: arithmetic propagates NaN, comparisons with NaN are false (0.0): "
    "eqn '(A > 0.5) + 10*(A*2)'. A is an Array requested on its own grid.",
    ARR_NAN_COORDS,
    Arithmetic(A=ARR_NAN, eqn="(A > 0.5) + 10*(A*2)"),
)

# ======================================================================================================================
# Mask
# ======================================================================================================================

C_M = Coordinates([clinspace(0, 2, 3, "lat"), clinspace(0, 3, 4, "lon")])
SRC_M = Arange()  # 0..11

add_case(
    "mask_default",
    "Mask defaults: bool_op '==', bool_val 1.0, masked_val None (-> NaN), in_place False: source[mask == 1] = NaN. "
    "mask = Arithmetic 'A > 5' (1.0/0.0), source = Arange.",
    C_M,
    Mask(source=SRC_M, mask=Arithmetic(A=Arange(), eqn="A > 5")),
)

for op, bv in [(">", 6.0), (">=", 6.0), ("<", 3.0), ("<=", 3.0), ("==", 4.0)]:
    add_case(
        "mask_op_%s" % {">": "gt", ">=": "ge", "<": "lt", "<=": "le", "==": "eq"}[op],
        "Mask with bool_op '%s', bool_val %s, masked_val -1: source[mask %s %s] = -1 (mask = source = Arange)."
        % (op, bv, op, bv),
        C_M,
        Mask(source=Arange(), mask=Arange(), bool_op=op, bool_val=bv, masked_val=-1.0),
    )

add_case(
    "mask_in_place",
    "Mask with in_place True (source array modified in place; values identical to in_place False here): "
    "mask == 4 -> NaN.",
    C_M,
    Mask(source=Arange(), mask=Arange(), bool_val=4.0, in_place=True),
)

add_case(
    "mask_nan_in_mask",
    "NaN in the mask never satisfies the comparison (mask >= 0.5 with NaN -> not masked). "
    "masked_val 99, source = Arange, mask = Array with NaN.",
    ARR_NAN_COORDS,
    Mask(source=Arange(), mask=ARR_NAN, bool_op=">=", bool_val=0.5, masked_val=99.0),
)

add_case(
    "mask_broadcast_fewer_dims",
    "A mask with fewer dims than the source is broadcast over the missing dims: mask = CoordData(lon) < 1.5 "
    "masks whole lon columns of Arange(lat, lon).",
    C_M,
    Mask(source=Arange(), mask=LON, bool_op="<", bool_val=1.5, masked_val=-5.0),
)

# ======================================================================================================================
# Array (bare data source, requested exactly on its own coordinates)
# ======================================================================================================================

add_case(
    "array_nan_values",
    "Array with NaN values in its source, requested on its own coordinates (PODPAC writes NaN as a bare NaN "
    "token in the pipeline JSON).",
    ARR_NAN_COORDS,
    ARR_NAN,
)

C_35 = Coordinates([clinspace(10, 12, 3, "lat"), clinspace(-4, 4, 5, "lon")])
A_35 = Array(source=np.arange(15.0).reshape(3, 5) * 1.5, coordinates=C_35)
add_case("array_non_square_3x5", "Array 3x5 (lat x lon) requested on its own coordinates.", C_35, A_35)

C_DESC = Coordinates([clinspace(2, 0, 3, "lat"), [5.0, 3.0, 1.0, -1.0]], dims=["lat", "lon"])
A_DESC = Array(source=np.arange(12.0).reshape(3, 4) ** 2, coordinates=C_DESC)
add_case(
    "array_descending",
    "Array with descending uniform lat and descending array lon, requested on its own coordinates.",
    C_DESC,
    A_DESC,
)

C_STK = Coordinates([[[0.0, 1.0, 2.0, 3.0], [10.0, 11.0, 12.5, 14.0]]], dims=["lat_lon"])
A_STK = Array(source=arr([1.0, NAN, 3.0, 4.0]), coordinates=C_STK)
add_case(
    "array_stacked",
    "Array on stacked lat_lon coordinates (4 points, one NaN), requested on its own coordinates.",
    C_STK,
    A_STK,
)

C_TIME3 = Coordinates([clinspace(0, 1, 2, "lat"), crange("2018-01-01", "2018-01-03", "1,D", "time")])
A_TIME3 = Array(source=np.arange(6.0).reshape(2, 3) + 0.5, coordinates=C_TIME3)
add_case(
    "array_time",
    "Array on lat x uniform time ('1,D' step), requested on its own coordinates.",
    C_TIME3,
    A_TIME3,
)

A_NANVALS = Array(
    source=arr([[1.0, -9999.0, 3.0], [-9999.0, 5.0, 6.0]]),
    coordinates=Coordinates([clinspace(0, 1, 2, "lat"), clinspace(0, 2, 3, "lon")]),
    nan_vals=[-9999.0],
)
add_case(
    "array_nan_vals",
    "Array attr nan_vals: source values in nan_vals are replaced by nan_val (default NaN).",
    A_NANVALS.coordinates,
    A_NANVALS,
)

# ======================================================================================================================
# Interpolate
# ======================================================================================================================

C_SRC1 = Coordinates([clinspace(0, 4, 5, "lat"), clinspace(0, 1, 2, "lon")])
A_SRC1 = Array(source=arr([[0, 1], [10, 11], [20, 21], [30, 31], [40, 41]]), coordinates=C_SRC1)
REQ1 = Coordinates(
    [[-0.6, -0.5, -0.4, 0.0, 0.5, 1.5, 2.5, 3.0, 3.49, 3.5, 4.4, 4.5, 4.6], [0.0, 0.4]], dims=["lat", "lon"]
)

add_case(
    "interpolate_nearest_uniform_edges_midpoints",
    "Interpolate nearest from a uniform source (lat 0..4 step 1): midpoints x.5 take the LOWER neighbour "
    "(ambiguous_rounding '-infinity') when all neighbours are selected; a uniform source extends half a step "
    "beyond its edges (-0.4 -> edge value, -0.5 -> NaN, 4.5 -> edge value, 4.6 -> NaN).",
    REQ1,
    Interpolate(source=A_SRC1, interpolation="nearest"),
)

add_case(
    "interpolate_default_is_nearest",
    "Interpolate with no interpolation attr: PODPAC fills interpolation='nearest' (and source_id '') and writes "
    "them in the definition. Same request as the nearest case.",
    REQ1,
    Interpolate(source=A_SRC1),
)

add_case(
    "interpolate_bilinear_uniform_edges",
    "Interpolate bilinear (XarrayInterpolator, xarray .interp method 'linear'): linear in each dim, points "
    "outside [min, max] of the source -> NaN (no half-step extension), exact source points reproduce the data.",
    REQ1,
    Interpolate(source=A_SRC1, interpolation="bilinear"),
)

add_case(
    "interpolate_linear_uniform_edges",
    "'linear' is accepted and identical to 'bilinear' (same XarrayInterpolator).",
    REQ1,
    Interpolate(source=A_SRC1, interpolation="linear"),
)

C_NU = Coordinates([[0.0, 1.0, 2.0, 4.0, 8.0], [0.0, 1.0]], dims=["lat", "lon"])
A_NU = Array(source=arr([[0, 1], [10, 11], [20, 21], [30, 31], [40, 41]]), coordinates=C_NU)
add_case(
    "interpolate_nearest_nonuniform",
    "Interpolate nearest from a NON-uniform source lat [0,1,2,4,8]: nearest by distance (cKDTree), a tie (3.0 "
    "between 2 and 4) goes to the lower index, and points outside [min,max] of the source are NaN (no half-step "
    "extension for non-uniform sources).",
    Coordinates([[-0.4, 0.0, 0.5, 2.9, 3.0, 3.1, 6.0, 7.9, 8.0, 8.1], [0.0]], dims=["lat", "lon"]),
    Interpolate(source=A_NU, interpolation="nearest"),
)

add_case(
    "interpolate_bilinear_nonuniform",
    "Interpolate bilinear from a non-uniform source lat [0,1,2,4,8].",
    Coordinates([[-0.4, 0.0, 0.5, 2.9, 3.0, 3.1, 6.0, 7.9, 8.0, 8.1], [0.0, 0.5]], dims=["lat", "lon"]),
    Interpolate(source=A_NU, interpolation="bilinear"),
)

add_case(
    "interpolate_nearest_single_midpoint",
    "Nearest, single request point exactly half-way (lat 2.5): lower neighbour (20).",
    Coordinates([[2.5], [0.0]], dims=["lat", "lon"]),
    Interpolate(source=A_SRC1, interpolation="nearest"),
)

add_case(
    "interpolate_nearest_sparse_midpoints_selector_quirk",
    "QUIRK: with only a few request points PODPAC first sub-selects source points (Selector 'nearest': for a "
    "tie it keeps round(i+1e-6) = the UPPER index unless the lower one lies outside the range of all upper picks), "
    "then interpolates on that subset. Request lat [0.5, 1.5]: subset = source indices {0, 2} -> 0.5 -> 0, "
    "1.5 -> 20 (not 10).",
    Coordinates([[0.5, 1.5], [0.0]], dims=["lat", "lon"]),
    Interpolate(source=A_SRC1, interpolation="nearest"),
)

add_case(
    "interpolate_nearest_sparse_midpoints_selector_quirk_2",
    "QUIRK (see previous): request lat [0.5, 2.5, 3.5] -> subset indices {0, 3, 4} (non-uniform [0,3,4]) -> "
    "values 0, 30, 30.",
    Coordinates([[0.5, 2.5, 3.5], [0.0]], dims=["lat", "lon"]),
    Interpolate(source=A_SRC1, interpolation="nearest"),
)

add_case(
    "interpolate_nearest_sparse_outside_half_step",
    "Nearest, sparse request lat [-0.4, 4.4]: selector keeps indices {0, 4} (a uniform subset with step 4); both "
    "points are within half a SOURCE step of the edges and get the edge values.",
    Coordinates([[-0.4, 4.4], [0.0]], dims=["lat", "lon"]),
    Interpolate(source=A_SRC1, interpolation="nearest"),
)

add_case(
    "interpolate_bilinear_single_selected_row_quirk",
    "QUIRK: bilinear, request lat [-1.9, 4.0]: the selector (floor/ceil indices, out-of-range dropped) keeps only "
    "lat index 4; when the selected source has a single coordinate along a dim XarrayInterpolator falls back to "
    "xarray .sel(method='nearest') for that dim with NO bounds check, so lat -1.9 gets the lat=4 row instead of "
    "NaN. lon 0.5 is still linear.",
    Coordinates([[-1.9, 4.0], [0.0, 0.5]], dims=["lat", "lon"]),
    Interpolate(source=A_SRC1, interpolation="bilinear"),
)

add_case(
    "interpolate_nearest_source_with_boundary",
    "Array attr boundary {'lat': 2.0, 'lon': 0.25} (centred cell half-widths) is metadata only "
    "(output.attrs['boundary_data']); values equal interpolate_nearest_uniform_edges_midpoints (e.g. -0.6 is "
    "still NaN).",
    REQ1,
    Interpolate(
        source=Array(source=A_SRC1.source, coordinates=C_SRC1, boundary={"lat": 2.0, "lon": 0.25}),
        interpolation="nearest",
    ),
)

C_G = Coordinates([clinspace(0, 2, 3, "lat"), clinspace(0, 3, 4, "lon")])
G_NAN = np.arange(12.0).reshape(3, 4)
G_NAN[1, 1] = NAN
A_G_NAN = Array(source=G_NAN, coordinates=C_G)
REQ_G = Coordinates([[0.0, 0.5, 1.0, 1.5, 2.0], [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]], dims=["lat", "lon"])

add_case(
    "interpolate_nearest_2d_nan",
    "Nearest on a 3x4 grid with one NaN: NaN is copied to the points whose nearest source point is NaN.",
    REQ_G,
    Interpolate(source=A_G_NAN, interpolation="nearest"),
)

add_case(
    "interpolate_bilinear_2d_nan_contamination",
    "Bilinear on a 3x4 grid with one NaN at (lat 1, lon 1): xarray interpolates one dim at a time (lat then lon, "
    "alphabetical) with scipy interp1d linear (y = (x-x_lo)/(x_hi-x_lo)*y_hi + (x_hi-x)/(x_hi-x_lo)*y_lo; for "
    "x == x_k the pair is (k-1, k), for x == x_0 the pair is (0, 1); 0*NaN = NaN). The NaN therefore poisons the whole lon=1 "
    "column after the lat pass, and then every lon whose bracketing pair includes lon=1 (lon 0..2) -- far more "
    "than the 4 cells around the NaN.",
    REQ_G,
    Interpolate(source=A_G_NAN, interpolation="bilinear"),
)

C_G2 = Coordinates([clinspace(0, 3, 4, "lat"), clinspace(0, 3, 4, "lon")])
A_G2 = Array(source=np.arange(16.0).reshape(4, 4) * 2.0 + 1.0, coordinates=C_G2)
add_case(
    "interpolate_bilinear_2d_clean",
    "Bilinear on a clean 4x4 grid (values 2*(4*i+j)+1, i.e. exactly bilinear) at interior, edge and "
    "slightly-outside points (outside -> NaN).",
    Coordinates([[-0.1, 0.0, 0.25, 1.5, 2.75, 3.0, 3.1], [0.0, 0.5, 2.2, 3.0]], dims=["lat", "lon"]),
    Interpolate(source=A_G2, interpolation="bilinear"),
)

add_case(
    "interpolate_nearest_finer_uniform_request",
    "Nearest with a uniform request finer than the source (step 0.25 vs 1): the selector takes the contiguous "
    "index range; ties at x.5 go to the lower neighbour.",
    Coordinates([clinspace(-0.5, 3.5, 17, "lat"), clinspace(0, 3, 2, "lon")]),
    Interpolate(source=A_G2, interpolation="nearest"),
)

C_GD = Coordinates([clinspace(3, 0, 4, "lat"), clinspace(0, 3, 4, "lon")])
A_GD = Array(source=np.arange(16.0).reshape(4, 4), coordinates=C_GD)
add_case(
    "interpolate_nearest_descending_source",
    "Nearest from a source with descending lat (3..0), ascending request incl. midpoints: in index space the tie "
    "goes to the lower INDEX (floor of (x-start)/step), which for a descending source is the HIGHER coordinate. "
    "lon 1.5 is also a tie but gives lon 2 (value +2): the selector quirk keeps source lon indices {0, 2} only "
    "(see interpolate_nearest_sparse_midpoints_selector_quirk).",
    Coordinates([[0.0, 0.5, 1.5, 2.5, 3.0, 3.4], [0.0, 1.5]], dims=["lat", "lon"]),
    Interpolate(source=A_GD, interpolation="nearest"),
)

add_case(
    "interpolate_bilinear_descending_source",
    "Bilinear from a source with descending lat.",
    Coordinates([[0.0, 0.5, 1.5, 2.5, 3.0, 3.4], [0.0, 1.5]], dims=["lat", "lon"]),
    Interpolate(source=A_GD, interpolation="bilinear"),
)

add_case(
    "interpolate_request_transposed",
    "Request dims (lon, lat) on a (lat, lon) source: output is in request order (lon, lat).",
    Coordinates([[0.0, 1.5, 3.0], [0.2, 1.7]], dims=["lon", "lat"]),
    Interpolate(source=A_G2, interpolation="bilinear"),
)

C_T = Coordinates([["2018-01-01", "2018-01-03", "2018-01-05"], [0.0, 1.0]], dims=["time", "lat"])
A_T = Array(source=arr([[1, 2], [3, 4], [5, 6]]), coordinates=C_T)
REQ_T = Coordinates(
    [["2017-12-31T12", "2018-01-01", "2018-01-02", "2018-01-02T12", "2018-01-04", "2018-01-05", "2018-01-05T23",
      "2018-01-06T01"], [0.0, 1.0]],
    dims=["time", "lat"],
)
add_case(
    "interpolate_time_nearest",
    "Nearest in time (source 2018-01-01/03/05, uniform 2-day step): midpoints (01-02, 01-04) go to the earlier "
    "time; half-step extension beyond the ends (12-31T12 -> first, 01-05T23 -> last, 01-06T01 -> NaN).",
    REQ_T,
    Interpolate(source=A_T, interpolation="nearest"),
)

add_case(
    "interpolate_time_linear",
    "Linear in time (datetimes interpolated as numbers); outside the source time range -> NaN.",
    REQ_T,
    Interpolate(source=A_T, interpolation="linear"),
)

A_STK2 = Array(source=arr([0, 10, 20, 30]), coordinates=Coordinates([[[0, 1, 2, 3.0], [0, 1, 2, 3.0]]], dims=["lat_lon"]))
add_case(
    "interpolate_nearest_stacked_source_to_grid",
    "Nearest from a stacked lat_lon source (4 points on the diagonal) to a lat x lon grid: nearest in (lat,lon) "
    "euclidean distance (cKDTree), ties -> lower index; points outside the source's lat/lon bounding box -> NaN.",
    Coordinates([[0.0, 1.4, 3.0], [0.0, 1.0, 2.0, 3.0, 3.2]], dims=["lat", "lon"]),
    Interpolate(source=A_STK2, interpolation="nearest"),
)

add_case(
    "interpolate_nearest_stacked_to_stacked",
    "Nearest from stacked lat_lon source to stacked lat_lon request points; (2.5, 2.5) is a tie -> lower index.",
    Coordinates([[[0.4, 1.6, 2.5, 2.9], [0.2, 1.7, 2.5, 3.0]]], dims=["lat_lon"]),
    Interpolate(source=A_STK2, interpolation="nearest"),
)

add_case(
    "interpolate_grid_to_stacked_nearest",
    "Nearest from a 4x4 grid to stacked lat_lon request points (each point independently). (3.4, 0) is NaN here "
    "although a gridded request would get the edge value: the selector keeps lat indices {0, 2, 3}, a non-uniform "
    "subset, so the strict [min, max] bounds check applies instead of the half-step extension.",
    Coordinates([[[0.4, 1.6, 2.5, 3.4, 3.6], [0.2, 1.7, 2.5, 0.0, 0.0]]], dims=["lat_lon"]),
    Interpolate(source=A_G2, interpolation="nearest"),
)

add_case(
    "interpolate_grid_to_stacked_bilinear",
    "Bilinear from a 4x4 grid to stacked lat_lon request points (pointwise bilinear along the path). For a stacked "
    "request xarray uses scipy interpn with fill_value=None, so the point (3.6, 0) OUTSIDE the grid is linearly "
    "EXTRAPOLATED (29.8) instead of NaN.",
    Coordinates([[[0.4, 1.6, 2.5, 3.0, 3.6], [0.2, 1.7, 2.5, 0.0, 0.0]]], dims=["lat_lon"]),
    Interpolate(source=A_G2, interpolation="bilinear"),
)

add_case(
    "interpolate_dict_definition",
    "interpolation given as a list of dicts: [{'method': 'bilinear', 'dims': ['lat']}, {'method': 'nearest', "
    "'dims': ['lon']}] (per-dim methods; dims not listed use the default 'nearest').",
    Coordinates([[0.25, 1.5, 2.75], [0.4, 0.5, 2.6]], dims=["lat", "lon"]),
    Interpolate(
        source=A_G2,
        interpolation=[{"method": "bilinear", "dims": ["lat"]}, {"method": "nearest", "dims": ["lon"]}],
    ),
)

# ======================================================================================================================
# Convolution
# ======================================================================================================================

# position-dependent smooth-ish source that does not depend on the request extent
XPOS = Arithmetic(A=LAT, B=LON, eqn="A*10 + B")
C_CV = Coordinates([clinspace(0, 3, 4, "lat"), clinspace(0, 2, 3, "lon")])

add_case(
    "convolution_kernel_2d_shift",
    "Convolution is a true convolution (scipy.signal.convolve, kernel flipped), mode 'same': kernel with a single 1 "
    "at [1, 2] gives out(lat, lon) = X(lat, lon - 1). The request is expanded by the kernel size, so edge values "
    "use real source values outside the request (X = 10*lat + lon). FFT may be used (no NaN), so values carry "
    "~1e-14 rounding.",
    C_CV,
    Convolution(source=XPOS, kernel=[[0, 0, 0], [0, 0, 1], [0, 0, 0.0]], kernel_dims=["lat", "lon"]),
)

add_case(
    "convolution_kernel_2d_asymmetric",
    "Asymmetric 3x3 kernel [[1,2,0],[0,0,0],[0,0,-1]]: out = X(lat+1,lon+1) + 2*X(lat+1,lon) - X(lat-1,lon-1).",
    C_CV,
    Convolution(source=XPOS, kernel=[[1, 2, 0], [0, 0, 0], [0, 0, -1.0]], kernel_dims=["lat", "lon"]),
)

add_case(
    "convolution_kernel_1d_lat",
    "1-D kernel [1, 2, 3] with kernel_dims ['lat'] on a lat/lon request (lon not convolved): "
    "out = 1*X(lat+1) + 2*X(lat) + 3*X(lat-1).",
    C_CV,
    Convolution(source=XPOS, kernel=[1, 2, 3.0], kernel_dims=["lat"]),
)

add_case(
    "convolution_kernel_dims_reordered",
    "kernel_dims ['lon', 'lat'] (kernel axes in a different order than the request): the kernel is transposed "
    "to the source dim order: kernel[lon=1][lat=0] = 1 -> out = X(lat+1, lon).",
    C_CV,
    Convolution(source=XPOS, kernel=[[0, 0, 0], [1, 0, 0], [0, 0, 0.0]], kernel_dims=["lon", "lat"]),
)

add_case(
    "convolution_kernel_extra_dim_summed",
    "kernel_dims ['time', 'lat'] with a lat/lon request: the time axis is summed out of the kernel "
    "([[1, 2], [3, 4]] -> [4, 6] along lat, an EVEN-size kernel: out = 4*X(lat) + 6*X(lat-1)).",
    C_CV,
    Convolution(source=XPOS, kernel=[[1, 2], [3, 4.0]], kernel_dims=["time", "lat"]),
)

add_case(
    "convolution_kernel_even_2x2",
    "Even-size kernel 2x2 [[1,2],[3,4]]: scipy 'same' centring -> out = 1*X(i,j) + 2*X(i,j-1) + 3*X(i-1,j) + "
    "4*X(i-1,j-1) (index offsets relative to the request grid).",
    C_CV,
    Convolution(source=XPOS, kernel=[[1, 2], [3, 4.0]], kernel_dims=["lat", "lon"]),
)

add_case(
    "convolution_kernel_type_mean3",
    "kernel_type 'mean,3' (mean filter 3x3 normalised to sum 1) over X; definition stores the computed kernel "
    "(and an empty kernel_type list).",
    C_CV,
    Convolution(source=XPOS, kernel_type="mean,3", kernel_dims=["lat", "lon"]),

)

add_case(
    "convolution_kernel_type_gaussian",
    "kernel_type 'gaussian,5,1': scipy.signal.windows.gaussian(5, std=1), outer product over the 2 kernel dims, "
    "normalised to sum 1.",
    Coordinates([clinspace(0, 80, 5, "lat"), clinspace(0, 60, 4, "lon")]),
    Convolution(source=SinCoords(), kernel_type="gaussian,5,1", kernel_dims=["lat", "lon"]),

)

add_case(
    "convolution_arange_expanded_request",
    "Identity kernel over Arange: the source sees the EXPANDED request (for kernel size s per dim: "
    "start - ceil(s/2)*step ... stop + max(floor(s/2) - (s+1)%2, 1)*step, i.e. 2 before and 1 after for s=3), "
    "so Arange numbers the 7x6 expanded grid and the 4x3 result is its interior [2:-1, 2:-1].",
    C_CV,
    Convolution(source=Arange(), kernel=[[0, 0, 0], [0, 1, 0], [0, 0, 0.0]], kernel_dims=["lat", "lon"]),
)

C_CVN = Coordinates([clinspace(0, 4, 5, "lat"), clinspace(0, 4, 5, "lon")])
CVN = np.arange(25.0).reshape(5, 5)
CVN[2, 3] = NAN
A_CVN = Array(source=CVN, coordinates=C_CVN)
add_case(
    "convolution_nan_source_edges",
    "kernel_type 'mean,3' over Interpolate(Array) with one NaN: scipy direct convolution (used when any NaN is "
    "present) spreads the NaN to every output whose 3x3 window touches it; at the request edges the expanded "
    "request falls outside the Array (beyond half a step) -> NaN source -> NaN output on the edges.",
    C_CVN,
    Convolution(source=Interpolate(source=A_CVN), kernel_type="mean,3", kernel_dims=["lat", "lon"]),

)

add_case(
    "convolution_nan_interior_request",
    "Same NaN source but the request is the interior 3x3 of the Array: edges now see real data; only outputs "
    "whose window touches the NaN are NaN. Explicit kernel (mean 3x3 written as 1/9).",
    Coordinates([clinspace(1, 3, 3, "lat"), clinspace(1, 3, 3, "lon")]),
    Convolution(source=Interpolate(source=A_CVN), kernel=np.full((3, 3), 1.0 / 9.0), kernel_dims=["lat", "lon"]),
)

# PODPAC-written form: definition with kernel + empty kernel_type (PODPAC itself cannot reload it)
_conv_written = Convolution(source=XPOS, kernel=[[0, 1, 0], [2, -4, 0], [0, 1, 3.0]], kernel_dims=["lat", "lon"])
add_case(
    "convolution_definition_as_written",
    "Definition exactly as PODPAC writes it: attrs kernel, kernel_dims AND kernel_type: [] (empty list). "
    "PODPAC 4.0.5 cannot load this definition back (TypeError 'expected kernel or kernel_type, not both'); "
    "values are from the in-memory node. Kernel [[0,1,0],[2,-4,0],[0,1,3]].",
    C_CV,
    _conv_written,
    expect_reload_error=True,
    keep_as_written=True,
)

add_case(
    "convolution_definition_loadable",
    "Hand-written Convolution definition without kernel_type (the form PODPAC 4.0.5 CAN load): same kernel as "
    "convolution_definition_as_written.",
    C_CV,
    pipeline=OrderedDict(
        [
            ("lat", {"node": "algorithm.CoordData", "attrs": {"coord_name": "lat"}}),
            ("lon", {"node": "algorithm.CoordData", "attrs": {"coord_name": "lon"}}),
            ("X", {"node": "algorithm.Arithmetic", "attrs": {"eqn": "A*10 + B"}, "inputs": {"A": "lat", "B": "lon"}}),
            (
                "conv",
                {
                    "node": "algorithm.Convolution",
                    "attrs": {"kernel": [[0, 1, 0], [2, -4, 0], [0, 1, 3]], "kernel_dims": ["lat", "lon"]},
                    "inputs": {"source": "X"},
                },
            ),
        ]
    ),
)

C_TCV = Coordinates([crange("2018-01-01", "2018-01-07", "1,D", "time")])
A_TCV = Array(source=arr([1, 2, 4, 8, 16, 32, 64]), coordinates=C_TCV)
add_case(
    "convolution_time_1d",
    "1-D kernel [1, 2, 1]/4 along time over Interpolate(Array on 7 daily steps), request = the middle 3 days: "
    "neighbours come from outside the request.",
    Coordinates([crange("2018-01-03", "2018-01-05", "1,D", "time")]),
    Convolution(source=Interpolate(source=A_TCV), kernel=[0.25, 0.5, 0.25], kernel_dims=["time"]),
)

# ======================================================================================================================
# Reductions
# ======================================================================================================================

C_R = Coordinates(
    [clinspace(0, 1, 2, "lat"), clinspace(0, 2, 3, "lon"), crange("2018-01-01", "2018-01-04", "1,D", "time")]
)
R_DATA = np.arange(24.0).reshape(2, 3, 4) * 0.5
R_DATA[0, 0, :] = NAN  # an all-NaN time series
R_DATA[1, 2, 1] = NAN  # an isolated NaN
A_R = Array(source=R_DATA, coordinates=C_R)

R_INF = np.arange(24.0).reshape(2, 3, 4)
R_INF[0, 1, 2] = np.inf
A_RINF = Array(source=R_INF, coordinates=C_R)

for cls in [Mean, Min, Max, Sum, StandardDeviation, Count]:
    nm = cls.__name__
    add_case(
        "reduce_%s_time" % nm.lower(),
        "%s over dims ['time'] of a lat/lon/time Array with NaN (one all-NaN series at lat 0, lon 0). NaN is "
        "skipped (xarray skipna); all-NaN -> %s." % (
            nm,
            {"Mean": "NaN", "Min": "NaN", "Max": "NaN", "Sum": "0.0", "StandardDeviation": "NaN", "Count": "0"}[nm],
        ),
        C_R,
        cls(source=A_R, dims=["time"]),
    )
    add_case(
        "reduce_%s_lat_lon" % nm.lower(),
        "%s over dims ['lat', 'lon'] of the same Array -> output dims ['time']." % nm,
        C_R,
        cls(source=A_R, dims=["lat", "lon"]),
    )

add_case(
    "reduce_mean_all_dims",
    "Mean with dims null (default): reduce over every requested dim -> 0-d output (dims [], shape []).",
    C_R,
    Mean(source=A_R),
)

add_case(
    "reduce_count_all_dims_int",
    "Count with dims null: 0-d output; PODPAC stores the integer count directly, so dtype is int64 here.",
    C_R,
    Count(source=A_R),
)

add_case(
    "reduce_std_ddof0",
    "StandardDeviation is the population std (ddof=0) over the non-NaN values.",
    C_R,
    StandardDeviation(source=A_RINF, dims=["lat"]),
)

add_case(
    "reduce_inf_handling",
    "Sum over ['time'] with a +inf value: inf propagates (only NaN is skipped).",
    C_R,
    Sum(source=A_RINF, dims=["time"]),
)

add_case(
    "reduce_count_excludes_inf",
    "Count counts np.isfinite values: +inf is NOT counted (nor NaN).",
    C_R,
    Count(source=A_RINF, dims=["time"]),
)

add_case(
    "reduce_variance_time",
    "Variance (ddof=0, NaN skipped) over ['time'].",
    C_R,
    Variance(source=A_R, dims=["time"]),
)

add_case(
    "reduce_mean_dims_not_requested",
    "Mean with dims ['time', 'alt']: dims not in the request are ignored (only 'time' is reduced).",
    C_R,
    Mean(source=A_R, dims=["time", "alt"]),
)

# ======================================================================================================================
# OrderedCompositor
# ======================================================================================================================

C_OC = Coordinates([clinspace(0, 2, 3, "lat"), clinspace(0, 3, 4, "lon")])
OC1 = np.array([[1.0, NAN, 3.0, NAN], [NAN, 6.0, 7.0, 8.0], [9.0, 10.0, NAN, np.inf]])
A_OC1 = Array(source=OC1, coordinates=C_OC)
A_OC2 = Array(source=np.full((3, 4), 100.0) + np.arange(12.0).reshape(3, 4), coordinates=C_OC)

add_case(
    "compositor_ordered_fill_nan",
    "OrderedCompositor(sources=[A, B]): result = A where np.isfinite(A), else B. NOTE +inf counts as missing "
    "(isfinite), so the +inf cell of A is replaced by B.",
    C_OC,
    OrderedCompositor(sources=[A_OC1, A_OC2], multithreading=False),
)

OC3 = np.array([[NAN, NAN, NAN, 0.5], [NAN, NAN, 0.25, NAN], [NAN, NAN, NAN, NAN]])
A_OC3 = Array(source=OC3, coordinates=C_OC)
add_case(
    "compositor_ordered_three_sources",
    "Three sources, first has most NaN: a cell takes the first finite value in source order; cells NaN in all "
    "sources stay NaN.",
    C_OC,
    OrderedCompositor(sources=[A_OC3, A_OC1, Array(source=np.where(np.isnan(OC1), 42.0, NAN), coordinates=C_OC)]),
)

C_OCP = Coordinates([clinspace(0, 1, 2, "lat"), clinspace(0, 1, 2, "lon")])
A_OCP = Array(source=arr([[1, 2], [3, 4]]), coordinates=C_OCP)
add_case(
    "compositor_ordered_partial_coverage",
    "Typical use: first source (Interpolate nearest of a 2x2 Array at lat/lon 0..1) covers only part of the "
    "request (NaN beyond half a step), second source (Arange) fills the rest.",
    Coordinates([clinspace(0, 3, 4, "lat"), clinspace(0, 2, 3, "lon")]),
    OrderedCompositor(sources=[Interpolate(source=A_OCP), Arange()]),
)

# ======================================================================================================================
# Hand-written pipelines (short names, podpac_output_node, defaults omitted)
# ======================================================================================================================

add_case(
    "handwritten_short_names_arithmetic",
    "Hand-written JSON with short node names ('algorithm.SinCoords', 'algorithm.Arange', 'algorithm.Arithmetic'), "
    "no podpac_version, no xarray_floating_point_correction, params omitted (defaults apply).",
    Coordinates([clinspace(-45, 45, 3, "lat"), clinspace(10, 40, 4, "lon")]),
    pipeline=OrderedDict(
        [
            ("sin", {"node": "algorithm.SinCoords"}),
            ("rng", {"node": "algorithm.Arange"}),
            ("out", {"node": "algorithm.Arithmetic", "attrs": {"eqn": "S * 2 + R"}, "inputs": {"S": "sin", "R": "rng"}}),
        ]
    ),
)

add_case(
    "handwritten_output_node",
    "'podpac_output_node' selects the output node even when it is not the last entry (here the Arithmetic "
    "'a' is output; the trailing 'unused' node is ignored).",
    Coordinates([clinspace(0, 2, 3, "lat"), clinspace(0, 1, 2, "lon")]),
    pipeline=OrderedDict(
        [
            ("rng", {"node": "algorithm.Arange"}),
            ("a", {"node": "algorithm.Arithmetic", "attrs": {"eqn": "R * {s}", "params": {"s": 3}}, "inputs": {"R": "rng"}}),
            ("unused", {"node": "algorithm.SinCoords"}),
            ("podpac_output_node", "a"),
        ]
    ),
)

add_case(
    "handwritten_data_array_uniform_coords",
    "Hand-written 'data.Array' with coordinates given as uniform {start, stop, step} and {start, stop, size} "
    "items, wrapped in 'interpolators.Interpolate' (bilinear), requested with an array lat and uniform lon.",
    Coordinates([[0.5, 1.0, 1.75], clinspace(0, 2, 3, "lon")], dims=["lat", "lon"]),
    pipeline=OrderedDict(
        [
            (
                "arr",
                {
                    "node": "data.Array",
                    "attrs": {
                        "source": [[0, 1, 2], [10, 11, 12], [20, 21, 22]],
                        "coordinates": {
                            "coords": [
                                {"start": 0, "stop": 2, "step": 1, "name": "lat"},
                                {"start": 0, "stop": 2, "size": 3, "name": "lon"},
                            ]
                        },
                    },
                },
            ),
            ("interp", {"node": "interpolators.Interpolate", "attrs": {"interpolation": "bilinear"}, "inputs": {"source": "arr"}}),
        ]
    ),
)

add_case(
    "handwritten_time_coords_step_string",
    "Hand-written 'data.Array' whose coordinates use a datetime uniform item {start: '2018-01-01', stop: "
    "'2018-01-04', step: '1,D'} and a stacked (list) lat_lon item; request coordinates also hand-written "
    "(uniform time with '12,h' step). Wrapped in Interpolate nearest.",
    {
        "coords": [
            {"start": "2018-01-01", "stop": "2018-01-03", "step": "12,h", "name": "time"},
            [{"values": [0.0, 1.0], "name": "lat"}, {"values": [0.0, 1.0], "name": "lon"}],
        ],
        "crs": "+proj=longlat +datum=WGS84 +no_defs +vunits=m",
    },
    pipeline=OrderedDict(
        [
            (
                "arr",
                {
                    "node": "data.Array",
                    "attrs": {
                        "source": [[1, 2], [3, 4], [5, 6], [7, 8]],
                        "coordinates": {
                            "coords": [
                                {"start": "2018-01-01", "stop": "2018-01-04", "step": "1,D", "name": "time"},
                                [{"values": [0.0, 1.0], "name": "lat"}, {"values": [0.0, 1.0], "name": "lon"}],
                            ]
                        },
                    },
                },
            ),
            ("interp", {"node": "interpolators.Interpolate", "inputs": {"source": "arr"}}),
        ]
    ),
)

add_case(
    "handwritten_full_names_mask_compositor_stats",
    "Hand-written JSON mixing full names ('core.algorithm.generic.Mask', 'core.compositor.ordered_compositor."
    "OrderedCompositor') and short ones ('algorithm.Mean', 'compositor.OrderedCompositor' is also accepted); "
    "OrderedCompositor's non-attr 'multithreading': false is accepted in attrs.",
    Coordinates([clinspace(0, 1, 2, "lat"), clinspace(0, 2, 3, "lon"), crange("2018-01-01", "2018-01-03", "1,D", "time")]),
    pipeline=OrderedDict(
        [
            ("rng", {"node": "algorithm.Arange"}),
            ("m", {"node": "core.algorithm.generic.Mask", "attrs": {"bool_op": "<", "bool_val": 5}, "inputs": {"source": "rng", "mask": "rng"}}),
            ("sin", {"node": "algorithm.SinCoords"}),
            ("c", {"node": "core.compositor.ordered_compositor.OrderedCompositor", "attrs": {"multithreading": False}, "inputs": {"sources": ["m", "sin"]}}),
            ("mean", {"node": "algorithm.Mean", "attrs": {"dims": ["time"]}, "inputs": {"source": "c"}}),
        ]
    ),
)

# ======================================================================================================================
# Anomalies (documented, not value fixtures)
# ======================================================================================================================

add_anomaly(
    "sincoords_stacked_lat_lon_time",
    "SinCoords on stacked lat_lon + time raises TypeError in PODPAC 4.0.5 with this xarray: it iterates "
    "out.coords, which contains the lat_lon MultiIndex coordinate (tuples). Any stacked request fails.",
    Coordinates([[[0, 10, 20], [30, 40, 50]], ["2018-01-01", "2018-01-02"]], dims=["lat_lon", "time"]),
    SinCoords(),
    expect_error=TypeError,
)

add_anomaly(
    "coorddata_stacked",
    "CoordData(coord_name='lon') on a stacked lat_lon request returns a NEW unstacked dim 'lon' (the lon values), "
    "not data along lat_lon.",
    Coordinates([[[0, 10, 20], [30, 40, 50]]], dims=["lat_lon"]),
    CoordData(coord_name="lon"),
)

add_anomaly(
    "array_bare_off_grid",
    "A bare Array (no Interpolate) evaluated at coordinates that are not its own returns the SOURCE's nearest "
    "points on the source's own coordinates (PODPAC 4 data sources do not interpolate). Compare with "
    "interpolate_* cases.",
    Coordinates([[0.4, 1.6], [0.0, 2.2]], dims=["lat", "lon"]),
    A_G2,
)

add_anomaly(
    "interpolate_bilinear_stacked_source",
    "bilinear/linear cannot interpolate a stacked source (XarrayInterpolator refuses stacked source dims): "
    "InterpolationException.",
    Coordinates([[0.0, 1.4], [0.0, 1.0]], dims=["lat", "lon"]),
    Interpolate(source=A_STK2, interpolation="bilinear"),
)

add_anomaly(
    "convolution_1d_kernel_on_second_dim_nonsquare",
    "Convolution with kernel_dims ['lon'] on a lat/lon request fails when lat and lon sizes differ: the expanded "
    "coordinates are built as (kernel dims..., other dims...) = (lon, lat), the result keeps that order and does "
    "not fit the (lat, lon) output array.",
    C_CV,
    Convolution(source=XPOS, kernel=[1, 2, 3.0], kernel_dims=["lon"]),
)

add_anomaly(
    "convolution_1d_kernel_on_second_dim_square",
    "Same as above on a SQUARE request: PODPAC silently returns the result TRANSPOSED (lon-major data labelled "
    "lat, lon). Kernel [1, 0, 0] along lon should give X(lat, lon+1) = 10*lat + lon + 1.",
    Coordinates([clinspace(0, 2, 3, "lat"), clinspace(0, 2, 3, "lon")]),
    Convolution(source=XPOS, kernel=[1, 0, 0.0], kernel_dims=["lon"]),
)

add_anomaly(
    "mask_mask_has_extra_dims",
    "Mask whose mask has dims the source lacks: PODPAC silently leaves the source unmasked "
    "(UnitsDataArray.set returns early).",
    C_M,
    Mask(source=LAT, mask=Arange(), bool_op="<", bool_val=3.0),
)

add_anomaly(
    "arithmetic_bitwise_on_floats",
    "numexpr rejects & | ~ on float operands (TypeError).",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="A & B"),
    expect_error=TypeError,
)

add_anomaly(
    "arithmetic_python_boolean_ops",
    "numexpr rejects 'and', 'or', 'not', and conditional expressions (TypeError).",
    C_AR,
    Arithmetic(A=LAT, B=LON, eqn="A and B"),
    expect_error=TypeError,
)

add_anomaly(
    "arithmetic_input_named_like_function",
    "An Arithmetic input named like a numexpr function ('sin') cannot be used in the eqn: numexpr resolves the "
    "name to the function (TypeError).",
    C_AR,
    pipeline=OrderedDict(
        [
            ("sin", {"node": "algorithm.SinCoords"}),
            ("out", {"node": "algorithm.Arithmetic", "attrs": {"eqn": "sin * 2"}, "inputs": {"sin": "sin"}}),
        ]
    ),
    expect_error=TypeError,
)

add_anomaly(
    "load_bare_class_name",
    "Bare class names are not accepted: 'Arithmetic' resolves to module 'podpac' which has no Arithmetic.",
    C_AR,
    pipeline=OrderedDict([("a", {"node": "algorithm.Arange"}), ("b", {"node": "Arithmetic", "attrs": {"eqn": "A"}, "inputs": {"A": "a"}})]),
)

add_anomaly(
    "load_unknown_key",
    "An unknown top-level key in a node definition is rejected: ValueError 'unexpected property'.",
    C_AR,
    pipeline=OrderedDict([("a", {"node": "algorithm.Arange", "foo": 1})]),
)

add_anomaly(
    "load_convolution_as_written",
    "Loading the Convolution definition exactly as PODPAC writes it (kernel + kernel_type []) fails.",
    C_CV,
    pipeline=json.loads(_conv_written.json),
)

# ======================================================================================================================
# name forms
# ======================================================================================================================

CLASSES = [
    (SinCoords, {}),
    (Arange, {}),
    (CoordData, {"coord_name": "lat"}),
    (Arithmetic, {"eqn": "A", "A": Arange()}),
    (Mask, {"source": Arange(), "mask": Arange()}),
    (Array, {"source": [1.0, 2.0], "coordinates": Coordinates([[0.0, 1.0]], dims=["lat"])}),
    (Interpolate, {"source": Arange()}),
    (Convolution, {"source": Arange(), "kernel": [1.0, 2.0, 1.0], "kernel_dims": ["lat"]}),
    (Mean, {"source": Arange()}),
    (Min, {"source": Arange()}),
    (Max, {"source": Arange()}),
    (Sum, {"source": Arange()}),
    (StandardDeviation, {"source": Arange()}),
    (Count, {"source": Arange()}),
    (Variance, {"source": Arange()}),
    (OrderedCompositor, {"sources": [Arange(), SinCoords()]}),
]


def _jsonable(v):
    return json.loads(json.dumps(v, cls=podpac.core.utils.JSONEncoder))


def _minimal_def(cls, kwargs, name):
    """A loadable definition for probing a node name."""
    d = OrderedDict([("src", {"node": "algorithm.Arange"})])
    attrs = {}
    inputs = {}
    for k, v in kwargs.items():
        if isinstance(v, Node):
            inputs[k] = "src"
        elif isinstance(v, list) and v and isinstance(v[0], Node):
            inputs[k] = ["src", "src"]
        else:
            attrs[k] = _jsonable(v)
    e = {"node": name}
    if attrs:
        e["attrs"] = attrs
    if inputs:
        e["inputs"] = inputs
    d["n"] = e
    return d


def probe_names(cls, kwargs):
    cands = set()
    for modname, mod in list(sys.modules.items()):
        if not modname.startswith("podpac.") or mod is None:
            continue
        if getattr(mod, cls.__name__, None) is cls:
            cands.add(modname[len("podpac."):] + "." + cls.__name__)
    ok, bad = [], {}
    for name in sorted(cands, key=lambda s: (s.count("."), s)):
        try:
            Node.from_json(json.dumps(_minimal_def(cls, kwargs, name)))
            ok.append(name)
        except Exception as e:  # noqa: BLE001
            bad[name] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
    for name in [cls.__name__, "podpac." + cls.__name__]:
        try:
            Node.from_json(json.dumps(_minimal_def(cls, kwargs, name)))
            ok.append(name)
        except Exception as e:  # noqa: BLE001
            bad[name] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
    return ok, bad


NAME_FORMS = []
for cls, kwargs in CLASSES:
    inst = cls(**kwargs)
    d = inst.definition
    own = d[list(d.keys())[-2]]  # last node entry before podpac_version
    full = own["node"]
    ok, bad = probe_names(cls, kwargs)
    attrs = OrderedDict()
    for name in sorted(inst.attrs):
        trait = inst.traits()[name]
        if name == "inputs":  # GenericInputs: written as the node-level "inputs" object
            attrs[name] = OrderedDict(
                [("trait", "Dict"), ("default", {}), ("required", True), ("written_in_definition", True),
                 ("written_as", "inputs (node-level object {input_name: ref}, not inside attrs)")]
            )
            continue
        if name in kwargs:
            default = "<given: required or example>"
            try:
                default = trait.default()
                default = _jsonable(default)
            except Exception:  # noqa: BLE001
                default = None
        else:
            default = _jsonable(getattr(inst, name))
        if isinstance(default, float) and math.isnan(default):
            default = "NaN"
        attrs[name] = OrderedDict(
            [
                ("trait", type(trait).__name__),
                ("default", default),
                ("required", bool(trait.metadata.get("required", False))),
                ("written_in_definition", name in own.get("attrs", {}) or name in own.get("inputs", {})),
                ("written_as", "inputs" if name in own.get("inputs", {}) else ("attrs" if name in own.get("attrs", {}) else None)),
            ]
        )
    entry = OrderedDict(
        [
            ("class", cls.__name__),
            ("full_name", full),
            ("accepted_names", ok),
            ("rejected_names", bad),
            ("plugin_form_example", {"plugin": "podpac." + full.rsplit(".", 1)[0], "node": cls.__name__}),
            ("attrs", attrs),
            ("minimal_definition_as_written", _jsonable(d)),
        ]
    )
    notes = []
    if cls is Arithmetic:
        notes.append("Inputs are arbitrary names under the node-level 'inputs' object (e.g. {'A': ref}); a Python "
                     "kwarg that is a Node becomes an input. Names of numexpr functions (sin, ...) cannot be used "
                     "in eqn. Requires podpac.settings.allow_unrestricted_code_execution(True) to evaluate.")
    if cls is Convolution:
        notes.append("kernel_type is consumed by the constructor (a 'name,size[,params]' string turned into a "
                     "kernel); the stored kernel_type trait is a List that stays []. PODPAC writes kernel AND "
                     "kernel_type: [] and then refuses to load that (TypeError); load with kernel only or "
                     "kernel_type only. kernel_dims is required even with kernel_type.")
    if cls is OrderedCompositor:
        notes.append("multithreading (default False) is NOT an attr: never written, but accepted in attrs when "
                     "loading. sources are written under 'inputs' as a list of refs.")
    if cls is Interpolate:
        notes.append("interpolation accepts a method string, a dict {'method', 'dims', 'params', 'interpolators'} "
                     "or a list of such dicts. 'style' is passed through from the source node.")
    if cls is SinCoords:
        notes.append("SinCoords also writes a node-level 'style' object {'colormap': 'jet', 'clim': [-1.0, 1.0]} "
                     "(not an attr).")
    if cls is Array:
        notes.append("coordinates is written as a nested coordinates definition inside attrs; source as nested "
                     "lists with bare NaN tokens.")
    if notes:
        entry["notes"] = " ".join(notes)
    NAME_FORMS.append(entry)

# verify the plugin forms
for e in NAME_FORMS:
    cls = [c for c, _ in CLASSES if c.__name__ == e["class"]][0]
    kwargs = [k for c, k in CLASSES if c is cls][0]
    d = _minimal_def(cls, kwargs, e["plugin_form_example"]["node"])
    d["n"]["plugin"] = e["plugin_form_example"]["plugin"]
    Node.from_json(json.dumps(d))


# ======================================================================================================================
# output
# ======================================================================================================================


def _dump(obj, indent=0):
    """Pretty JSON: containers of scalars on one line, everything else indented. NaN/Infinity tokens allowed."""
    pad = "  " * indent

    def scalar_only(x):
        if isinstance(x, (list, tuple)):
            return all(scalar_only(v) and not isinstance(v, dict) for v in x)
        return not isinstance(x, dict)

    if isinstance(obj, dict):
        if not obj:
            return "{}"
        if all(not isinstance(v, (dict, list)) for v in obj.values()) and len(json.dumps(obj)) < 100:
            return json.dumps(obj)
        items = ['%s  %s: %s' % (pad, json.dumps(k), _dump(v, indent + 1)) for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if scalar_only(obj):
            return json.dumps(obj, separators=(", ", ": "))
        items = ["%s  %s" % (pad, _dump(v, indent + 1)) for v in obj]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(obj)


def main():
    cases_path = os.path.join(HERE, "cases.json")
    names_path = os.path.join(HERE, "names.json")
    text = _dump(CASES) + "\n"
    assert len(json.loads(text)) == len(CASES)
    with open(cases_path, "w") as f:
        f.write(text)
    names = OrderedDict(
        [
            (
                "environment",
                OrderedDict(
                    [
                        ("podpac", podpac.__version__),
                        ("python", sys.version.split()[0]),
                        ("numpy", np.__version__),
                        ("xarray", xr.__version__),
                        ("pandas", pandas.__version__),
                        ("scipy", scipy.__version__),
                        ("numexpr", numexpr.__version__),
                    ]
                ),
            ),
            ("name_forms", NAME_FORMS),
            ("podpac_anomalies", ANOMALIES),
        ]
    )
    with open(names_path, "w") as f:
        f.write(_dump(names) + "\n")
    counts = OrderedDict()
    for c in CASES:
        p = c["pipeline"]
        ref = p.get("podpac_output_node") or [k for k in p if k not in ("podpac_version", "podpac_output_node")][-1]
        key = p[ref]["node"].rsplit(".", 1)[-1]
        counts[key] = counts.get(key, 0) + 1
    print("wrote %d cases (%d bytes) to %s" % (len(CASES), len(text), cases_path))
    print("by output node type:", dict(counts))
    print("wrote %d name forms, %d anomalies to %s" % (len(NAME_FORMS), len(ANOMALIES), names_path))


if __name__ == "__main__":
    main()
