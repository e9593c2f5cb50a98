#!/usr/bin/env python
"""Generate PODPAC 4.0.5 reference fixtures for real data (issue 10): CRS cases and file sources.

Run from the repository root with the real PODPAC 4.0.5:

    /work/podpac-ref/bin/python tests/data/podpac_reference/realdata_generate.py

Writes the small data files the cases read into ``realdata/`` (a UTM GeoTIFF with nodata and two
bands, a WGS84 GeoTIFF, a Zarr store with a time dim, an HDF5 file, a CSV of points) and
``realdata_cases.json``. In the stored pipelines, file paths start with ``{DATA}/``, which the
tests replace with the ``realdata`` directory (or an ``s3://`` prefix where the files are staged in
the emulator). Each case: ``name``, ``description``, ``pipeline``, ``coordinates``, ``output``
(``dims``, ``shape``, ``data`` with ``null`` for NaN), ``tolerance``. Errors PODPAC raises are
recorded under ``anomalies``. Deterministic: fixed data, PODPAC settings fixed.
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
DATA = os.path.join(HERE, "realdata")

_TMP = tempfile.mkdtemp(prefix="podpac_ref_")
os.environ["XDG_CONFIG_HOME"] = _TMP
_CWD = os.getcwd()
os.chdir(_TMP)
warnings.simplefilter("ignore")
logging.disable(logging.WARNING)

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import podpac  # noqa: E402
import rasterio  # noqa: E402
import zarr  # noqa: E402
from podpac import Coordinates, Node, clinspace  # noqa: E402
from podpac.core.data.array_source import Array  # noqa: E402
from podpac.core.data.csv_source import CSV  # noqa: E402
from podpac.core.data.h5py_source import H5PY  # noqa: E402
from podpac.core.data.rasterio_source import Rasterio  # noqa: E402
from podpac.core.data.zarr_source import Zarr  # noqa: E402
from podpac.core.algorithm.reprojection import Reproject  # noqa: E402
from podpac.core.algorithm.utility import SinCoords  # noqa: E402
from podpac.core.interpolation.interpolation import Interpolate  # noqa: E402
from rasterio.transform import from_origin  # noqa: E402

os.chdir(_CWD)
shutil.rmtree(_TMP, True)

podpac.settings["MULTITHREADING"] = False
podpac.settings["ENABLE_CACHE"] = False
podpac.settings["DEBUG"] = False
podpac.settings["CHUNK_SIZE"] = None
assert podpac.__version__ == "4.0.5", podpac.__version__

CASES: list = []
ANOMALIES: list = []


def _clean(x):
    if isinstance(x, list):
        return [_clean(v) for v in x]
    x = float(x)
    return None if math.isnan(x) else x


def _portable(pipeline):
    text = json.dumps(pipeline).replace(DATA, "{DATA}")
    return json.loads(text, object_pairs_hook=OrderedDict)


def add_case(name, description, coords, node, rtol=1e-6):
    assert all(c["name"] != name for c in CASES), name
    pipeline = json.loads(node.json, object_pairs_hook=OrderedDict)
    out = node.eval(coords)
    order = [d for d in coords.dims if d in out.dims]
    out = out.transpose(*order)
    data = np.asarray(out.values, dtype=float)
    assert data.shape == coords.shape, (name, data.shape, coords.shape)
    CASES.append(
        OrderedDict(
            [
                ("name", name),
                ("description", description),
                ("pipeline", _portable(pipeline)),
                ("coordinates", json.loads(coords.json)),
                ("output", OrderedDict([("dims", list(out.dims)), ("shape", list(data.shape)), ("data", _clean(data.tolist()))])),
                ("tolerance", {"rtol": rtol}),
            ]
        )
    )


def add_anomaly(name, description, coords, node):
    entry = OrderedDict([("name", name), ("description", description)])
    entry["pipeline"] = _portable(json.loads(node.json, object_pairs_hook=OrderedDict))
    entry["coordinates"] = json.loads(coords.json)
    try:
        node.eval(coords)
        raise AssertionError(f"{name}: expected PODPAC to raise")
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001
        entry["error"] = "%s: %s" % (type(e).__name__, str(e).splitlines()[0])
    ANOMALIES.append(entry)


def field(shape, seed):
    """Deterministic, smooth-ish values (so interpolation methods differ visibly)."""
    i = np.indices(shape).astype(float)
    return (np.sin(i[0] * 0.37 + seed) * 40 + np.cos(i[-1] * 0.23 - seed) * 25 + i[0] * 1.5 + seed).round(6)


def interp(source, method):
    return Interpolate(source=source, interpolation=method)


# ======================================================================================================================
# CRS: inline sources in projected CRSs, requests in another CRS
# ======================================================================================================================

MERC = Coordinates([clinspace(5.0e6, 4.0e6, 11, "lat"), clinspace(-1.0e6, 0.0, 12, "lon")], crs="EPSG:3857")
UTM = Coordinates([clinspace(4.5e6, 4.4e6, 11, "lat"), clinspace(3.0e5, 4.0e5, 12, "lon")], crs="EPSG:32618")
EASE = Coordinates([clinspace(4.6e6, 4.0e6, 9, "lat"), clinspace(-7.6e6, -7.0e6, 10, "lon")], crs="EPSG:6933")
GEO = Coordinates([clinspace(45.0, 30.0, 16, "lat"), clinspace(-10.0, 0.0, 11, "lon")])

IN_MERC = Coordinates([clinspace(40.0, 34.0, 5, "lat"), clinspace(-8.0, -1.0, 6, "lon")], crs="EPSG:4326")
IN_UTM = Coordinates([clinspace(40.6, 39.8, 5, "lat"), clinspace(-77.3, -76.3, 6, "lon")], crs="EPSG:4326")
IN_EASE = Coordinates([clinspace(39.0, 34.5, 6, "lat"), clinspace(-78.5, -73.0, 7, "lon")], crs="EPSG:4326")
MERC_REQUEST = Coordinates([clinspace(4.8e6, 4.0e6, 4, "lat"), clinspace(-9.0e5, -2.0e5, 5, "lon")], crs="EPSG:3857")
PARTLY_OUTSIDE = Coordinates([clinspace(43.0, 38.0, 6, "lat"), clinspace(-11.0, -6.0, 6, "lon")], crs="EPSG:4326")
POINTS = Coordinates([[[39.5, 36.1, 34.2], [-7.5, -3.3, -1.2]]], dims=["lat_lon"], crs="EPSG:4326")


def crs_cases():
    merc = Array(source=field(MERC.shape, 1), coordinates=MERC)
    utm = Array(source=field(UTM.shape, 2), coordinates=UTM)
    ease = Array(source=field(EASE.shape, 3), coordinates=EASE)
    geo = Array(source=field(GEO.shape, 4), coordinates=GEO)
    for method in ("nearest", "bilinear"):
        add_case(f"crs_3857_source_{method}", f"EPSG:3857 source on a WGS84 grid, {method}", IN_MERC, interp(merc, method))
        add_case(f"crs_6933_source_{method}", f"EPSG:6933 (EASE-Grid 2.0) source on a WGS84 grid, {method}", IN_EASE, interp(ease, method))
        add_case(f"crs_3857_request_{method}", f"WGS84 source on an EPSG:3857 grid, {method}", MERC_REQUEST, interp(geo, method))
        add_case(f"crs_3857_source_points_{method}", f"EPSG:3857 source at WGS84 points, {method}", POINTS, interp(merc, method))
    add_case("crs_utm_source_nearest", "UTM 18N source on a WGS84 grid (not a grid in WGS84), nearest", IN_UTM, interp(utm, "nearest"))
    add_anomaly(
        "crs_utm_source_bilinear",
        "UTM source on a WGS84 grid, bilinear: PODPAC raises; podpac-exec interpolates in the source's CRS",
        IN_UTM,
        interp(utm, "bilinear"),
    )
    add_case(
        "crs_3857_source_partly_outside_nearest",
        "EPSG:3857 source, WGS84 request partly west and north of it, nearest",
        PARTLY_OUTSIDE,
        interp(merc, "nearest"),
    )
    spelled = Array(source=field(GEO.shape, 4), coordinates=Coordinates(list(GEO.values()), crs="WGS84"))
    add_case("crs_spelling_wgs84", "a source in 'WGS84' on an 'EPSG:4326' request: no transform", IN_MERC, interp(spelled, "bilinear"))


# ======================================================================================================================
# files
# ======================================================================================================================


def write_files():
    shutil.rmtree(DATA, True)
    os.makedirs(DATA)
    # UTM 18N GeoTIFF, two bands, nodata -9999 in a corner
    bands = np.stack([field((40, 50), 5), field((40, 50), 6)]).astype("float32")
    bands[0, :3, :4] = -9999
    profile = dict(driver="GTiff", height=40, width=50, count=2, dtype="float32", crs="EPSG:32618",
                   transform=from_origin(300000.0, 4500000.0, 250.0, 250.0), nodata=-9999.0,
                   tiled=True, blockxsize=16, blockysize=16)
    with rasterio.open(os.path.join(DATA, "utm.tif"), "w", **profile) as f:
        f.write(bands)
    # WGS84 GeoTIFF
    geo = field((30, 36), 7).astype("float32")
    with rasterio.open(os.path.join(DATA, "wgs84.tif"), "w", driver="GTiff", height=30, width=36, count=1,
                       dtype="float32", crs="EPSG:4326", transform=from_origin(-80.0, 45.0, 0.25, 0.25)) as f:
        f.write(geo, 1)
    # Zarr (v3) with time, lat, lon and _ARRAY_DIMENSIONS-equivalent dimension names
    g = zarr.open_group(os.path.join(DATA, "cube.zarr"), mode="w", zarr_format=2)
    arrays = {
        "data": (field((4, 20, 24), 8), (1, 10, 12), ["time", "lat", "lon"]),
        "lat": (np.linspace(45.0, 40.25, 20), (20,), ["lat"]),
        "lon": (np.linspace(-80.0, -74.25, 24), (24,), ["lon"]),
        "time": (np.arange(4, dtype="int64"), (4,), ["time"]),  # days since 2020-01-01
    }
    for key, (values, chunks, dims) in arrays.items():
        a = g.create_array(key, shape=values.shape, dtype=values.dtype, chunks=chunks)
        a[...] = values
        a.attrs["_ARRAY_DIMENSIONS"] = dims
    # HDF5
    with h5py.File(os.path.join(DATA, "grid.h5"), "w") as f:
        f["data"] = field((12, 15), 9)
        f["lat"] = np.linspace(40.0, 34.5, 12)
        f["lon"] = np.linspace(-8.0, -1.0, 15)
    # CSV points
    rng = np.random.default_rng(10)
    lat = np.round(rng.uniform(34, 40, 25), 4)
    lon = np.round(rng.uniform(-8, -1, 25), 4)
    with open(os.path.join(DATA, "points.csv"), "w") as f:
        f.write("lat,lon,elevation,temperature\n")
        for a, b in zip(lat, lon):
            f.write(f"{a},{b},{round(100 + 13 * a - 7 * b, 3)},{round(20 - 0.5 * a, 3)}\n")
    return lat, lon


def file_cases(lat, lon):
    tif = os.path.join(DATA, "utm.tif")
    grid_utm = Coordinates([clinspace(40.62, 40.55, 6, "lat"), clinspace(-77.35, -77.22, 7, "lon")])
    add_case("rasterio_utm_nearest", "UTM GeoTIFF (nodata corner) on a WGS84 grid, nearest", grid_utm,
             interp(Rasterio(source=tif), "nearest"))
    add_anomaly("rasterio_utm_bilinear", "UTM GeoTIFF on a WGS84 grid, bilinear: PODPAC raises", grid_utm,
                interp(Rasterio(source=tif), "bilinear"))
    add_case("rasterio_band_2", "band 2 of the UTM GeoTIFF, nearest", grid_utm, interp(Rasterio(source=tif, band=2), "nearest"))
    wgs = os.path.join(DATA, "wgs84.tif")
    grid = Coordinates([clinspace(44.9, 38.1, 9, "lat"), clinspace(-79.8, -71.3, 11, "lon")])
    for method in ("nearest", "bilinear"):
        add_case(f"rasterio_wgs84_{method}", f"WGS84 GeoTIFF on a finer-than-pixel grid, {method}", grid, interp(Rasterio(source=wgs), method))
    add_case("rasterio_wgs84_3857_request", "WGS84 GeoTIFF on an EPSG:3857 grid, bilinear",
             Coordinates([clinspace(5.5e6, 4.8e6, 5, "lat"), clinspace(-8.8e6, -8.0e6, 6, "lon")], crs="EPSG:3857"),
             interp(Rasterio(source=wgs), "bilinear"))

    cube = os.path.join(DATA, "cube.zarr")
    zgrid = Coordinates([["2020-01-02", "2020-01-04"], clinspace(44.3, 40.6, 5, "lat"), clinspace(-79.1, -75.0, 6, "lon")],
                        dims=["time", "lat", "lon"])
    for method in ("nearest", "bilinear"):
        add_case(f"zarr_{method}", f"Zarr store with time, {method}", zgrid,
                 interp(Zarr(source=cube, data_key="data", cf_time=True, cf_units="days since 2020-01-01"), method))

    h5 = os.path.join(DATA, "grid.h5")
    hgrid = Coordinates([clinspace(39.7, 35.1, 4, "lat"), clinspace(-7.3, -1.6, 5, "lon")])
    for method in ("nearest", "bilinear"):
        add_case(f"h5py_{method}", f"HDF5 file, {method}", hgrid,
                 interp(H5PY(source=h5, data_key="/data", lat_key="/lat", lon_key="/lon"), method))

    csv = os.path.join(DATA, "points.csv")
    at_points = Coordinates([[lat[:6], lon[:6]]], dims=["lat_lon"])
    add_case("csv_at_its_points", "CSV points at six of its own points", at_points, interp(CSV(source=csv, data_key="elevation"), "nearest"))
    add_case("csv_on_a_grid", "CSV points on a grid, nearest", Coordinates([clinspace(39, 35, 5, "lat"), clinspace(-7, -2, 6, "lon")]),
             interp(CSV(source=csv, data_key="temperature"), "nearest"))


def reproject_cases():
    coarse = Coordinates([clinspace(45.0, 30.0, 6, "lat"), clinspace(-10.0, 0.0, 5, "lon")])
    fine = Coordinates([clinspace(44.0, 31.0, 14, "lat"), clinspace(-9.5, -0.5, 10, "lon")])
    geo = Array(source=field(GEO.shape, 4), coordinates=GEO)
    for method in ("nearest", "bilinear"):
        add_case(f"reproject_coarse_{method}", f"Reproject an Array onto a coarse grid, then {method} onto a fine one", fine,
                 Reproject(source=interp(geo, "nearest"), coordinates=coarse.json, interpolation=method))
    add_case("reproject_sincoords_bilinear", "Reproject SinCoords (an algorithm) onto a coarse grid, bilinear", fine,
             Reproject(source=SinCoords(), coordinates=coarse.json, interpolation="bilinear"))
    in_merc = Coordinates([clinspace(5.0e6, 4.0e6, 6, "lat"), clinspace(-1.0e6, -1.0e5, 7, "lon")], crs="EPSG:3857")
    add_case("reproject_onto_3857_grid", "Reproject SinCoords onto an EPSG:3857 grid, bilinear onto WGS84", IN_MERC,
             Reproject(source=SinCoords(), coordinates=in_merc.json, interpolation="bilinear"))


def _write(path, document):
    with open(path, "w") as f:
        f.write("{\n")
        items = list(document.items())
        for i, (key, value) in enumerate(items):
            f.write(" %s: " % json.dumps(key))
            if isinstance(value, list):
                f.write("[\n" + ",\n".join("  " + json.dumps(v) for v in value) + "\n ]")
            else:
                f.write(json.dumps(value))
            f.write(",\n" if i < len(items) - 1 else "\n")
        f.write("}\n")


def main():
    crs_cases()
    reproject_cases()
    lat, lon = write_files()
    file_cases(lat, lon)
    _write(os.path.join(HERE, "realdata_cases.json"),
           OrderedDict([("podpac", podpac.__version__), ("cases", CASES), ("anomalies", ANOMALIES)]))
    print("wrote %d cases, %d anomalies" % (len(CASES), len(ANOMALIES)))


if __name__ == "__main__":
    sys.exit(main())
