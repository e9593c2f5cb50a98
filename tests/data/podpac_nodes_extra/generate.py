"""Generate cases.json: PODPAC 4.0.5 values for randomised Interpolate, Convolution and Dataset cases.

Run with PODPAC's interpreter (not part of the test suite):

    /work/podpac-ref/bin/python tests/data/podpac_nodes_extra/generate.py

Each case holds PODPAC's own pipeline JSON, the request coordinates JSON and PODPAC's output
(NaN as null), or PODPAC's error. Dataset cases also hold the data written to the file.
"""

import json
import logging
import os
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
logging.disable(logging.CRITICAL)

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from podpac import Coordinates, clinspace, crange  # noqa: E402
from podpac.coordinates import ArrayCoordinates1d  # noqa: E402
from podpac.core.algorithm.signal import Convolution  # noqa: E402
from podpac.core.interpolation.interpolation import Interpolate  # noqa: E402
from podpac.data import Array, Dataset  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261127)


def result(node, req):
    try:
        out = node.eval(req)
        out = out.transpose(*[d for d in req.dims if d in out.dims])
        return {"dims": list(out.dims), "data": np.where(np.isnan(out.values), None, out.values).tolist()}
    except Exception as e:  # noqa: BLE001
        return {"error": "%s: %s" % (type(e).__name__, str(e).splitlines()[0][:200])}


def src_dim(name):
    n = int(rng.integers(1, 7))
    a = float(rng.integers(-4, 4))
    step = float(rng.choice([1.0, 0.5, 2.0, 0.25])) * (-1 if rng.random() < 0.3 else 1)
    kind = rng.integers(0, 3)
    if kind == 0 and n > 1:
        return clinspace(a, a + step * (n - 1), n, name)
    if kind == 1:
        return ArrayCoordinates1d(a + step * np.arange(n), name=name)
    v = np.sort(rng.choice(np.arange(-8, 8, 0.5), size=n, replace=False))
    return ArrayCoordinates1d(v[::-1] if rng.random() < 0.3 else v, name=name)


def req_values(v, k=None):
    lo, hi = float(np.min(v)), float(np.max(v))
    cands = list(v) + list((v[1:] + v[:-1]) / 2) + list(rng.uniform(lo - 2, hi + 2, 5).round(2))
    cands += [lo - 0.5, hi + 0.5, lo - 0.3, hi + 0.3]
    r = rng.choice(np.array(cands, dtype=float), size=k or int(rng.integers(1, 8)))
    return np.unique(r) if rng.random() < 0.5 else r


def interpolation_cases(n):
    cases = []
    while len(cases) < n:
        kind = rng.integers(0, 5)
        if kind == 0:
            lat = src_dim("lat")
            sc, udims = Coordinates([lat]), {"lat": lat.coordinates}
        elif kind == 1:
            m = int(rng.integers(1, 7))
            la, lo = rng.choice(np.arange(-4, 4, 0.5), m), rng.choice(np.arange(-4, 4, 0.5), m)
            sc, udims = Coordinates([[la, lo]], dims=["lat_lon"]), {"lat": la, "lon": lo}
        else:
            lat, lon = src_dim("lat"), src_dim("lon")
            sc, udims = Coordinates([lat, lon]), {"lat": lat.coordinates, "lon": lon.coordinates}
        data = (rng.normal(size=sc.shape) * 10).round(2)
        if rng.random() < 0.4:
            data[rng.random(sc.shape) < 0.15] = np.nan
        kw = {"coordinate_index_type": "slice"} if rng.random() < 0.2 else {}
        src = Array(source=data, coordinates=sc, **kw)
        names = list(udims)
        rk = rng.integers(0, 4)
        if rk == 0 or len(names) == 1:
            rc, rdims = [req_values(udims[d]) for d in names], list(names)
            if len(names) == 2 and rng.random() < 0.5:
                rc, rdims = rc[::-1], rdims[::-1]
        elif rk == 1:
            k = int(rng.integers(1, 7))
            rc, rdims = [[req_values(udims["lat"], k), req_values(udims["lon"], k)]], ["lat_lon"]
        elif rk == 2:
            v = udims["lat"]
            rc = [clinspace(float(np.min(v)) - 1, float(np.max(v)) + 1, int(rng.integers(2, 12))), req_values(udims["lon"])]
            rdims = ["lat", "lon"]
        else:
            rc, rdims = [req_values(udims[d], 1) for d in names], list(names)
        try:
            req = Coordinates(rc, dims=rdims)
        except Exception:  # noqa: BLE001
            continue
        method = str(rng.choice(["nearest", "nearest", "bilinear", "linear", "params", "dict"]))
        if method == "params":
            params = {}
            if rng.random() < 0.5:
                params["spatial_tolerance"] = float(rng.choice([0.1, 0.3, 0.6, 1.1]))
            if rng.random() < 0.4:
                params["respect_bounds"] = False
            if rng.random() < 0.4:
                params["ambiguous_rounding"] = str(rng.choice(["+infinity", "unbiased"]))
            method = {"method": "nearest", "params": params}
        elif method == "dict":
            method = [{"method": "bilinear", "dims": ["lat"]}, {"method": "nearest", "dims": ["lon"]}]
        node = Interpolate(source=src, interpolation=method)
        res = result(node, req)
        if "error" in res:
            continue
        cases.append({"kind": "interpolate", "pipeline": json.loads(node.json), "coordinates": json.loads(req.json), **res})
    return cases


def time_cases(n):
    cases = []
    base = np.datetime64("2018-01-01T00", "h")
    while len(cases) < n:
        k, m = rng.integers(0, 3), int(rng.integers(1, 6))
        if k == 0:
            t = crange("2018-01-01", str(np.datetime64("2018-01-01") + np.timedelta64(2 * (m - 1), "D")), "2,D", "time")
        elif k == 1:
            t = ArrayCoordinates1d(base + np.sort(rng.choice(np.arange(0, 200, 6), m, replace=False)).astype("timedelta64[h]"), name="time")
        else:
            days = np.sort(rng.choice(np.arange(0, 10), m, replace=False)).astype("timedelta64[D]")
            t = ArrayCoordinates1d(np.datetime64("2018-01-01") + days, name="time")
        sc = Coordinates([t, clinspace(0, 2, 3, "lat")])
        src = Array(source=rng.normal(size=sc.shape).round(2), coordinates=sc)
        tv = t.coordinates.astype("datetime64[h]")
        cands = [tv, tv[:1] - np.timedelta64(12, "h"), tv[-1:] + np.timedelta64(11, "h"), base + rng.integers(-24, 230, 6).astype("timedelta64[h]")]
        if tv.size > 1:
            cands.append(tv[:-1] + (tv[1:] - tv[:-1]) // 2)
        r = np.unique(rng.choice(np.concatenate(cands), size=int(rng.integers(1, 7))))
        req = Coordinates([r, [0.0, 1.5]], dims=["time", "lat"])
        method = str(rng.choice(["nearest", "linear", "tol"]))
        if method == "tol":
            method = {"method": "nearest", "params": {"time_tolerance": "%d,h" % int(rng.choice([6, 13, 30]))}}
        node = Interpolate(source=src, interpolation=method)
        res = result(node, req)
        if "error" not in res:
            cases.append({"kind": "interpolate", "pipeline": json.loads(node.json), "coordinates": json.loads(req.json), **res})
    return cases


def convolution_cases(n):
    cases = []
    sc = Coordinates([clinspace(-8, 8, 17, "lat"), clinspace(-4, 4, 17, "lon")])
    while len(cases) < n:
        data = rng.normal(size=sc.shape).round(2)
        if rng.random() < 0.4:
            data[rng.random(sc.shape) < 0.03] = np.nan
        src = Interpolate(source=Array(source=data, coordinates=sc), interpolation=str(rng.choice(["nearest", "bilinear"])))
        nl, nn = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        l0, n0 = float(rng.integers(-5, 3)), float(rng.integers(-2, 1))
        if rng.random() < 0.5:
            lat = clinspace(l0, l0 + nl - 1, nl, "lat") if nl > 1 else [l0]
        else:
            lat = l0 + np.sort(rng.choice(np.arange(0, 5, 0.5), nl, replace=False))
            lat = lat[::-1] if rng.random() < 0.3 else lat
        lon = clinspace(n0, n0 + 0.5 * (nn - 1), nn, "lon") if (nn > 1 and rng.random() < 0.7) else n0 + 0.5 * np.arange(nn)
        req = Coordinates([lat, lon], dims=["lat", "lon"])
        kd = [["lat", "lon"], ["lon", "lat"], ["lat"], ["lat", "lon", "time"], ["time", "lat", "lon"]][int(rng.integers(0, 5))]
        if rng.random() < 0.6:
            kernel = rng.integers(-3, 4, [int(rng.integers(1, 6)) for _ in kd]).astype(float)
            if not kernel.any():
                kernel[(0,) * len(kd)] = 1.0
            node = Convolution(source=src, kernel=kernel, kernel_dims=kd)
        else:
            kt = str(rng.choice(["mean,3", "mean,2", "mean,4", "gaussian,5,1", "gaussian,3,0.5", "hann,5", "triang,3"]))
            node = Convolution(source=src, kernel_type=kt, kernel_dims=kd)
        res = result(node, req)
        if "error" not in res:
            cases.append({"kind": "convolution", "pipeline": json.loads(node.json), "coordinates": json.loads(req.json), **res})
    return cases


def dataset_cases():
    """A non-square lat x lon x time netCDF variable read by PODPAC's Dataset, through Interpolate."""
    lat = np.array([10.0, 10.5, 11.0, 11.5, 12.0])
    lon = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    time = np.array(["2020-01-01", "2020-01-03", "2020-01-05"], dtype="datetime64[ns]")
    data = np.round(rng.normal(size=(5, 7, 3)) * 10, 2)
    data[2, 3, 1] = np.nan
    spec = {"lat": lat.tolist(), "lon": lon.tolist(), "time": [str(t)[:10] for t in time], "data": np.where(np.isnan(data), None, data).tolist()}
    path = os.path.join(tempfile.mkdtemp(), "grid.nc")
    xr.Dataset({"t2m": (("lat", "lon", "time"), data), "other": (("lat", "lon"), data[..., 0])},
               coords={"lat": lat, "lon": lon, "time": time}).to_netcdf(path)
    requests = [
        Coordinates([[10.2, 10.25, 11.0, 11.8, 12.3], [-2.5, 0.4, 2.9], ["2020-01-02", "2020-01-04T12"]], dims=["lat", "lon", "time"]),
        Coordinates([clinspace(9.8, 12.2, 9, "lat"), clinspace(-3.5, 3.5, 8, "lon"), ["2020-01-03"]], dims=["lat", "lon", "time"]),
        Coordinates([["2020-01-01", "2020-01-06"], [[10.1, 11.3, 11.9], [-1.6, 0.5, 2.5]]], dims=["time", "lat_lon"]),
    ]
    cases = []
    for method in ["nearest", "bilinear"]:
        for req in requests:
            node = Interpolate(source=Dataset(source=path, data_key="t2m"), interpolation=method)
            res = result(node, req)
            cases.append({"kind": "dataset", "file": spec, "interpolation": method, "coordinates": json.loads(req.json), **res})
    return cases


def main():
    cases = interpolation_cases(60) + time_cases(20) + convolution_cases(30) + dataset_cases()
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump({"podpac": "4.0.5", "cases": cases}, f, separators=(",", ":"))
    print(len(cases), "cases", file=sys.stderr)


if __name__ == "__main__":
    main()
