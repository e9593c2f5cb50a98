"""The pipelines ``vs_podpac`` runs: PODPAC JSON for every node type PODPAC 4.0.5 and podpac-exec share.

Sources are synthetic: ``SinCoords``/``Arange``/``CoordData`` combined by ``Arithmetic`` on a
1500 x 1500 grid or a 731-day x 60 x 60 cube (NaN holes from ``Mask``), inline ``Array`` data
read through ``Interpolate``, and files (GeoTIFF, Zarr, HDF5, CSV, NetCDF) written by
:func:`write_files`. ``SKIPPED`` names shared types no case can time, with the reason (none today).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

N = 1500  # grid cells per side
CUBE = 60  # cube cells per side (x 731 days)
CRS = "+proj=longlat +datum=WGS84 +no_defs +vunits=m"

GRID = {"coords": [{"start": -59.98, "stop": 59.98, "size": N, "name": "lat"},
                   {"start": -119.96, "stop": 119.96, "size": N, "name": "lon"}], "crs": CRS}
DAYS = {"start": "2019-01-01", "stop": "2020-12-31", "step": "1,D", "name": "time"}
CUBE_COORDS = {"coords": [DAYS, {"start": 30.25, "stop": 59.75, "size": CUBE, "name": "lat"},
                          {"start": -99.75, "stop": -70.25, "size": CUBE, "name": "lon"}], "crs": CRS}

SKIPPED: dict[str, str] = {}

ALG = "core.algorithm."
ARRAY_ATTRS = {"boundary": {}, "coordinate_index_type": "numpy", "nan_val": float("nan"), "nan_vals": []}
FILE_ATTRS = {"boundary": {}, "crs": None, "nan_val": float("nan"), "nan_vals": [], "skip_validation": False,
              "cf_calendar": None, "cf_time": False, "cf_units": None, "alt_key": "alt", "time_key": "time",
              "lat_key": "lat", "lon_key": "lon"}


class Pipeline:
    """A PODPAC definition built node by node; the last node added is the output."""

    def __init__(self) -> None:
        self.nodes: dict[str, dict[str, Any]] = {}

    def add(self, ref: str, node: str, attrs: dict | None = None, inputs: dict | None = None) -> str:
        if ref not in self.nodes:
            entry: dict[str, Any] = {"node": node}
            if attrs:
                entry["attrs"] = attrs
            if inputs:
                entry["inputs"] = inputs
            self.nodes[ref] = entry
        return ref

    def output(self, ref: str) -> dict[str, Any]:
        entry = self.nodes.pop(ref)
        return {**self.nodes, ref: entry}


def arith(p: Pipeline, ref: str, eqn: str, **inputs: str) -> str:
    attrs = {"eqn": eqn, "params": {}, "xarray_floating_point_correction": False}
    return p.add(ref, ALG + "generic.Arithmetic", attrs, inputs)


def field(p: Pipeline) -> str:
    """sin/arange mixture on any lat/lon request (the Arithmetic and Mask cases' input)."""
    a = p.add("Arange", ALG + "utility.Arange")
    s = p.add("SinCoords", ALG + "utility.SinCoords")
    return arith(p, "Field", "sin(A * 0.00137) * 3 + S * 2", A=a, S=s)


def holes(p: Pipeline, source: str, eqn: str = "A % 31 == 0") -> str:
    """``source`` with NaN where ``eqn`` of the request's Arange holds (1 cell in 31 by default)."""
    a = p.add("Arange", ALG + "utility.Arange")
    mask = arith(p, "HoleMask", eqn, A=a)
    attrs = {"bool_op": "==", "bool_val": 1.0, "in_place": False, "masked_val": None,
             "xarray_floating_point_correction": False}
    return p.add(source + "Holes", ALG + "generic.Mask", attrs, {"source": source, "mask": mask})


def ramp(p: Pipeline, nan: bool = False) -> str:
    """Arange: cheap in both, so a node's own work dominates its case (NaN holes if ``nan``)."""
    a = p.add("Arange", ALG + "utility.Arange")
    return holes(p, a) if nan else a


def cube(p: Pipeline, nan: bool = True) -> str:
    """Skewed (concave) values along time on a time, lat, lon request, from cheap operations."""
    a = p.add("Arange", ALG + "utility.Arange")
    out = arith(p, "Skewed", "sqrt(A) * 1.3 + log(A + 1)", A=a)
    return holes(p, out) if nan else out


def daily(p: Pipeline) -> str:
    """Values within (-15, 15) that follow the day of year (BetaFitDayOfYear's input)."""
    a = p.add("Arange", ALG + "utility.Arange")
    t = p.add("Days", ALG + "utility.CoordData", {"coord_name": "time", "xarray_floating_point_correction": False})
    return arith(p, "Daily", "sin(A * 0.37) * 10 + cos(B * 0.05) * 3", A=a, B=t)


def array(p: Pipeline, ref: str, shape: tuple[int, int], lat: tuple[float, float], lon: tuple[float, float], seed: int,
          nan: bool = True) -> str:
    i = np.arange(shape[0] * shape[1], dtype=float)
    values = (np.sin(i * 0.37 + seed) * 10 + np.cos(i * 0.051) * 3).reshape(shape)
    if nan:
        values[(np.arange(i.size).reshape(shape) * 7 + seed) % 23 == 0] = np.nan
    coords = {"coords": [{"start": lat[0], "stop": lat[1], "size": shape[0], "name": "lat"},
                         {"start": lon[0], "stop": lon[1], "size": shape[1], "name": "lon"}], "crs": CRS}
    attrs = {**ARRAY_ATTRS, "source": values.tolist(), "coordinates": coords}
    return p.add(ref, "core.data.array_source.Array", attrs)


def interp(p: Pipeline, source: str, method: Any, ref: str | None = None) -> str:
    ref = ref or f"Interpolate_{source}"
    return p.add(ref, "core.interpolation.interpolation.Interpolate",
                 {"interpolation": method, "source_id": ""}, {"source": source})


def case(name: str, node_type: str, p: Pipeline, out: str, coords: dict) -> dict[str, Any]:
    return {"name": name, "node_type": node_type, "pipeline": p.output(out), "coordinates": coords}


#: CoordData's work is the length of its axis, not the grid's: on GRID both sides pay only their
#: fixed per-call costs (PODPAC returns 1500 values), so its case has one long axis
LONG_AXIS = {"coords": [{"start": -59.98, "stop": 59.98, "size": 1_000_000, "name": "lat"},
                        {"start": -119.96, "stop": 119.96, "size": 3, "name": "lon"}], "crs": CRS}


def grid_cases() -> list[dict[str, Any]]:
    out = []
    for name, node in [("SinCoords", "SinCoords"), ("Arange", "Arange")]:
        p = Pipeline()
        out.append(case(name, name, p, p.add(name, ALG + f"utility.{node}"), GRID))
    p = Pipeline()
    out.append(case("CoordData", "CoordData", p, p.add("CoordData", ALG + "utility.CoordData",
                                                          {"coord_name": "lat", "xarray_floating_point_correction": False}), LONG_AXIS))
    p = Pipeline()
    f = field(p)
    out.append(case("Arithmetic", "Arithmetic", p, arith(p, "Out", "sqrt(abs(F)) * F - cos(F) * 2", F=f), GRID))
    p = Pipeline()
    out.append(case("Mask", "Mask", p, holes(p, field(p)), GRID))
    p = Pipeline()
    f = field(p)
    s = p.add("SinCoords", ALG + "utility.SinCoords")
    out.append(case("Combine", "Combine", p, p.add("Combine", ALG + "generic.Combine",
                    {"output": "B", "outputs": ["A", "B"], "xarray_floating_point_correction": False},
                    {"A": f, "B": s}), GRID))
    kernels = {
        "mean_5": {"kernel_type": "mean,5"},
        "gaussian_9": {"kernel_type": "gaussian,9,2"},
        "laplacian_3": {"kernel": [[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]},
        "random_5": {"kernel": np.round(np.sin(np.arange(25.0) * 1.7).reshape(5, 5), 3).tolist()},
    }
    for kname, kattrs in kernels.items():
        p = Pipeline()
        # a Laplacian of a ramp is 0 up to PODPAC's FFT noise: that one filters SinCoords
        src = p.add("SinCoords", ALG + "utility.SinCoords") if kname == "laplacian_3" else ramp(p)
        out.append(case(f"Convolution_{kname}", "Convolution", p, p.add("Convolution", ALG + "signal.Convolution",
                        {**kattrs, "kernel_dims": ["lat", "lon"]}, {"source": src}), GRID))
    p = Pipeline()
    out.append(case("Convolution_mean_5_nan", "Convolution", p, p.add("Convolution", ALG + "signal.Convolution",
                    {"kernel_type": "mean,5", "kernel_dims": ["lat", "lon"]}, {"source": ramp(p, nan=True)}), GRID))
    p = Pipeline()
    out.append(case("Mean_lat_lon", "Mean", p, p.add("Mean", ALG + "stats.Mean", {"dims": ["lat", "lon"]},
                                                        {"source": ramp(p, nan=True)}), GRID))
    p = Pipeline()
    out.append(case("OrderedCompositor", "OrderedCompositor", p, p.add("OrderedCompositor",
                    "core.compositor.ordered_compositor.OrderedCompositor", {"dims": [], "source_coordinates": None},
                    {"sources": [ramp(p, nan=True), p.add("SinCoords", ALG + "utility.SinCoords")]}), GRID))
    reproject_to = json.dumps({"coords": [{"start": -59.9, "stop": 59.9, "size": 400, "name": "lat"},
                                          {"start": -119.9, "stop": 119.9, "size": 400, "name": "lon"}], "crs": CRS},
                              separators=(",", ":"))
    p = Pipeline()
    out.append(case("Reproject", "Reproject", p, p.add("Reproject", ALG + "reprojection.Reproject",
                    {"coordinates": reproject_to, "interpolation": "bilinear", "reproject_dims": None, "source_id": ""},
                    {"source": p.add("SinCoords", ALG + "utility.SinCoords")}), GRID))  # not Arange: it numbers
    return out  # whatever grid it is evaluated on, and Reproject's grids differ


def interpolation_cases() -> list[dict[str, Any]]:
    out = []
    for method in ["nearest", "bilinear", "cubic", "spline_3", "lanczos", "average"]:
        p = Pipeline()
        # PODPAC's cubic (scipy RectBivariateSpline) refuses NaN: "RHS must contain only finite numbers"
        a = array(p, "Array", (300, 300), (-60.0, 60.0), (-120.0, 120.0), 1, nan=method != "cubic")
        out.append(case(f"Interpolate_{method}", "Interpolate", p, interp(p, a, method), GRID))
    p = Pipeline()
    halves = [interp(p, array(p, "West", (300, 150), (-60.0, 60.0), (-120.0, -0.4), 2), "nearest"),
              interp(p, array(p, "East", (300, 150), (-60.0, 60.0), (0.4, 120.0), 3), "nearest")]
    out.append(case("TileCompositor", "TileCompositor", p, p.add("TileCompositor",
                    "core.compositor.tile_compositor.TileCompositor", {"dims": [], "source_coordinates": None},
                    {"sources": halves}), GRID))
    return out


def cube_cases() -> list[dict[str, Any]]:
    out = []
    # the streaming reductions over a bare Arange (their own work is a few ms, so a costlier source
    # would decide the ratio), and once with NaN holes; the sorting/moment ones over NaN holes,
    # where PODPAC (numpy nanmedian, scipy nan_policy="omit") works cell by cell
    for node in ["Mean", "Sum", "Min", "Max", "StandardDeviation", "Variance", "Count"]:
        p = Pipeline()
        out.append(case(f"{node}_time", node, p, p.add(node, ALG + f"stats.{node}", {"dims": ["time"]},
                                                        {"source": ramp(p)}), CUBE_COORDS))
    for node in ["Mean", "Median", "Skew", "Kurtosis"]:
        p = Pipeline()
        out.append(case(f"{node}_time_nan", node, p, p.add(node, ALG + f"stats.{node}", {"dims": ["time"]},
                                                            {"source": cube(p)}), CUBE_COORDS))
    p = Pipeline()
    out.append(case("Percentile_time_nan", "Percentile", p, p.add("Percentile", ALG + "stats.Percentile",
                    {"dims": ["time"], "percentile": 90.0}, {"source": cube(p)}), CUBE_COORDS))
    grouped = [("GroupReduce_month", "GroupReduce", {"groupby": "month"}),
               ("DayOfYear", "DayOfYear", {}),
               ("ResampleReduce_MS", "ResampleReduce", {"resample": "MS"})]
    for name, node, extra in grouped:
        p = Pipeline()
        src = cube(p)
        out.append(case(name, node, p, p.add(node, ALG + f"stats.{node}",
                        {"custom_reduce_fn": None, "reduce_fn": "mean", **extra},
                        {"source": src, "coordinates_source": src}), CUBE_COORDS))
    p = Pipeline()
    src = cube(p)
    expand = p.add("Expand", ALG + "coord_select.ExpandCoordinates",
                   {"alt": [], "bounds_only": False, "lat": [], "lon": [], "time": ["-3,D", "3,D", "1,D"]},
                   {"source": src, "coordinates_source": src})
    out.append(case("ExpandCoordinates_mean", "ExpandCoordinates", p,
                    p.add("Mean", ALG + "stats.Mean", {"dims": ["time"]}, {"source": expand}), CUBE_COORDS))
    p = Pipeline()
    src = cube(p)
    out.append(case("SelectCoordinates", "SelectCoordinates", p, p.add("Select", ALG + "coord_select.SelectCoordinates",
                    {"alt": [], "lat": [], "lon": [], "substitute_eval_coords": False,
                     "time": ["2019-03-01", "2020-08-31", "1,D"]}, {"source": src, "coordinates_source": src}), CUBE_COORDS))
    p = Pipeline()
    out.append(case("YearSubstituteCoordinates", "YearSubstituteCoordinates", p,
                    p.add("YearSub", ALG + "coord_select.YearSubstituteCoordinates",
                          {"substitute_eval_coords": False, "year": "2020"}, {"source": cube(p)}), CUBE_COORDS))
    p = Pipeline()
    a = p.add("Arange", ALG + "utility.Arange")
    src = arith(p, "Wave", "(A % 17) * 10", A=a)
    out.append(case("TransformTimeUnits", "TransformTimeUnits", p,
                    p.add("Transform", ALG + "coord_select.TransformTimeUnits",
                          {"substitute_eval_coords": False, "time_units": "dayofyear"}, {"source": src}), CUBE_COORDS))
    p = Pipeline()
    out.append(case("Convolution_time_7", "Convolution", p, p.add("Convolution", ALG + "signal.Convolution",
                    {"kernel_type": "mean,7", "kernel_dims": ["time"]}, {"source": cube(p, nan=False)}), CUBE_COORDS))
    beta_coords = {"coords": [DAYS, {"start": 40.0, "stop": 41.0, "size": 3, "name": "lat"},
                              {"start": -80.0, "stop": -79.0, "size": 2, "name": "lon"}], "crs": CRS}
    p = Pipeline()
    out.append(case("BetaFitDayOfYear", "BetaFitDayOfYear", p, p.add("BetaFit", "alglib.climatology.BetaFitDayOfYear",
                    {"output": "d0", "percentiles": [0.1, 0.5], "rescale": True, "scale_float": [-15.0, 15.0],
                     "scale_max": None, "scale_min": None, "window": 7, "xarray_floating_point_correction": False},
                    {"source": daily(p)}), beta_coords))
    return out


FILES = {"Rasterio": "grid.tif", "H5PY": "grid.h5", "Zarr": "grid.zarr", "Dataset": "grid.nc", "CSV": "points.csv"}
FILE_GRID = 1000  # cells per side of the file grid (45..35 N, 80..70 W)
POINTS = 20000


def file_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lat, lon and values (with NaN) of the file grid."""
    lat = np.linspace(44.9995, 35.0005, FILE_GRID)
    lon = np.linspace(-79.9995, -70.0005, FILE_GRID)
    data = np.sin(np.add.outer(lat * 3.1, lon * 1.7)) * 100
    data[::37, ::41] = np.nan
    return lat, lon, data


def file_points() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """lat, lon and values of the CSV points (written with 17 digits, so read back exactly)."""
    rng = np.random.default_rng(5)
    lat, lon = rng.uniform(35, 45, POINTS), rng.uniform(-80, -70, POINTS)
    return lat, lon, np.sin(lat * 3.1 + lon * 1.7) * 100


def file_cases(folder: Path) -> list[dict[str, Any]]:
    """Reads of the files :func:`write_files` writes into ``folder`` (gridded ones through Interpolate)."""
    out = []
    lat_lon = {"coords": [{"start": 44.9995, "stop": 35.0005, "size": FILE_GRID, "name": "lat"},
                          {"start": -79.9995, "stop": -70.0005, "size": FILE_GRID, "name": "lon"}], "crs": CRS}
    readers = {
        "Rasterio": ("core.data.rasterio_source.Rasterio", {"anon": False, "aws_https": True, "band": 1, "boundary": {},
                     "crs": None, "nan_val": float("nan"), "prefer_overviews": False, "prefer_overviews_closest": False}),
        "H5PY": ("core.data.h5py_source.H5PY", {**FILE_ATTRS, "data_key": "/data", "lat_key": "/lat", "lon_key": "/lon"}),
        "Zarr": ("core.data.zarr_source.Zarr", {**FILE_ATTRS, "anon": False, "data_key": "data"}),
        "Dataset": ("core.data.dataset_source.Dataset", {**FILE_ATTRS, "data_key": "data"}),
    }
    for name, (node, attrs) in readers.items():
        p = Pipeline()
        src = p.add(name, node, {**attrs, "source": str(folder / FILES[name])})
        out.append(case(f"{name}_nearest", name, p, interp(p, src, "nearest"), lat_lon))
    p = Pipeline()
    attrs = {**FILE_ATTRS, "anon": False, "coordinate_index_type": "numpy", "data_key": "value", "header": 0,
             "source": str(folder / FILES["CSV"])}
    lat, lon, _ = file_points()
    points = {"coords": [[{"values": lat.tolist(), "name": "lat"}, {"values": lon.tolist(), "name": "lon"}]], "crs": CRS}
    out.append(case("CSV_at_points", "CSV", p, p.add("CSV", "core.data.csv_source.CSV", attrs), points))
    return out


def write_files(folder: Path) -> dict[str, str]:
    """Writes the files of :func:`file_cases`; returns ``{node type: why not}`` for those it cannot write."""
    folder.mkdir(parents=True, exist_ok=True)
    lat, lon, data = file_grid()
    n = FILE_GRID
    missing: dict[str, str] = {}
    try:
        import rasterio
        from rasterio.transform import from_origin

        with rasterio.open(folder / FILES["Rasterio"], "w", driver="GTiff", height=n, width=n, count=1, dtype="float64",
                           crs="EPSG:4326", transform=from_origin(-80.0, 45.0, 0.01, 0.01), nodata=np.nan) as f:
            f.write(data, 1)
    except ImportError:
        missing["Rasterio"] = "rasterio is not installed here"
    try:
        import h5py

        with h5py.File(folder / FILES["H5PY"], "w") as f:
            f["data"], f["lat"], f["lon"] = data, lat, lon
    except ImportError:
        missing["H5PY"] = "h5py is not installed here"
    try:
        import zarr

        g = zarr.open_group(str(folder / FILES["Zarr"]), mode="w", zarr_format=2)
        for key, values in (("data", data), ("lat", lat), ("lon", lon)):
            a = g.create_array(key, shape=values.shape, dtype="float64", chunks=values.shape)
            a[...] = values
            a.attrs["_ARRAY_DIMENSIONS"] = ["lat", "lon"] if values.ndim == 2 else [key]
    except ImportError:
        missing["Zarr"] = "zarr is not installed here"
    try:
        import xarray as xr

        dataset = xr.Dataset({"data": (("lat", "lon"), data)}, coords={"lat": lat, "lon": lon})
        dataset.to_netcdf(folder / FILES["Dataset"], engine="scipy")
    except (ImportError, ValueError) as exc:
        missing["Dataset"] = f"cannot write NetCDF here: {exc}"
    plat, plon, value = file_points()
    np.savetxt(folder / FILES["CSV"], np.column_stack([plat, plon, value]), delimiter=",", header="lat,lon,value",
               comments="", fmt="%.17g")
    return missing


def all_cases(folder: Path) -> list[dict[str, Any]]:
    """Every case; file readers' cases read files in ``folder`` (see :func:`write_files`)."""
    return grid_cases() + interpolation_cases() + cube_cases() + file_cases(folder)


def shared_node_types() -> set[str]:
    """Class names of the concrete PODPAC 4.0.5 node types that podpac-exec also registers."""
    from podpac_exec.nodes.registry import get_node_registry
    from podpac_exec.pipelines.classes import podpac_classes

    ours = {name for record in get_node_registry().records for name in record.names}
    return {c.name for c in podpac_classes().classes if not c.abstract and any(n in ours for n in c.names)}


def node_types(pipeline: dict[str, Any]) -> set[str]:
    """Short class names of every node in ``pipeline``."""
    return {v["node"].rsplit(".", 1)[-1] for v in pipeline.values() if isinstance(v, dict) and "node" in v}
