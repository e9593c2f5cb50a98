"""Array and Dataset data sources: PODPAC's definitions, values and errors."""

from __future__ import annotations

import json
import socket
import warnings
from pathlib import Path

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.data import Array, Dataset
from podpac_exec.nodes.interpolation import Interpolate

DATA = Path(__file__).resolve().parents[1] / "data"
REFERENCE = json.loads((DATA / "podpac_reference" / "cases.json").read_text())
EXTRA = json.loads((DATA / "podpac_nodes_extra" / "cases.json").read_text())["cases"]
DATASET_CASES = [c for c in EXTRA if c["kind"] == "dataset"]
ARRAY_CASES = [c for c in REFERENCE if c["nodes"] == ["Array"]]

GRID = Coordinates([clinspace(0, 3, 4, "lat"), [0.0, 1.0, 2.5]], dims=["lat", "lon"])

# PODPAC 4.0.5's node.json for these two Arrays, byte for byte
PODPAC_ARRAY_JSON = (
    '{"Array":{"node":"core.data.array_source.Array","attrs":{"boundary":{},"coordinate_index_type":"numpy",'
    '"coordinates":{"coords":[{"start":0.0,"stop":3.0,"step":1.0,"name":"lat"},{"values":[0.0,1.0,2.5],"name":"lon"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"},"nan_val":NaN,"nan_vals":[],'
    '"source":[[0.0,1.0,2.0],[3.0,4.0,5.0],[6.0,7.0,8.0],[9.0,10.0,11.0]]}},"podpac_version":"4.0.5"}'
)
PODPAC_ARRAY_NAN_JSON = (
    '{"Array":{"node":"core.data.array_source.Array","attrs":{"boundary":{},"coordinate_index_type":"numpy",'
    '"coordinates":{"coords":[{"values":[0.0,1.0],"name":"lat"},{"values":[0.0,1.0],"name":"lon"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"},"nan_val":NaN,"nan_vals":[3],'
    '"source":[[1.0,NaN],[3.0,4.0]]}},"podpac_version":"4.0.5"}'
)
PODPAC_DATASET_JSON = (
    '{"Dataset":{"node":"core.data.dataset_source.Dataset","attrs":{"alt_key":"alt","anon":false,"boundary":{},'
    '"cf_calendar":null,"cf_time":false,"cf_units":null,"crs":null,"data_key":"data","infer_podpac_coords":false,'
    '"lat_key":"lat","lon_key":"lon","nan_val":NaN,"nan_vals":[],"selection":null,"skip_validation":false,'
    '"source":"/tmp/t1.nc","time_key":"time"}},"podpac_version":"4.0.5"}'
)


# -- Array ---------------------------------------------------------------------------------------


def test_array_json_is_podpacs():
    node = Array(source=np.arange(12.0).reshape(4, 3), coordinates=GRID)
    assert node.json == PODPAC_ARRAY_JSON
    coords = Coordinates([[0, 1], [0, 1]], dims=["lat", "lon"])
    nan = Array(source=[[1, np.nan], [3, 4]], coordinates=coords, nan_vals=[3])
    assert nan.json == PODPAC_ARRAY_NAN_JSON


@pytest.mark.parametrize("text", [PODPAC_ARRAY_JSON, PODPAC_ARRAY_NAN_JSON])
def test_array_podpac_json_round_trip(text):
    node = Node.from_json(text)
    assert node.json == text
    assert Node.from_json(node.json).hash == node.hash


@pytest.mark.parametrize("case", ARRAY_CASES, ids=[c["name"] for c in ARRAY_CASES])
def test_array_reference_cases(case):
    node = Node.from_json(json.dumps(case["pipeline"]))
    assert node.json == json.dumps(case["pipeline"], separators=(",", ":"))
    out = node.eval(Coordinates.from_definition(case["coordinates"]))
    np.testing.assert_allclose(out.values, np.array(case["output"]["data"], dtype=float), rtol=1e-12, equal_nan=True)


def test_array_nan_vals_become_nan_val():
    coords = Coordinates([[0.0, 1.0], [0.0, 1.0]], dims=["lat", "lon"])
    node = Array(source=[[1.0, -9999.0], [3.0, 4.0]], coordinates=coords, nan_vals=[-9999, 3])
    np.testing.assert_array_equal(node.eval(coords).values, [[1, np.nan], [np.nan, 4]])
    filled = Array(source=[[1.0, -9999.0], [3.0, 4.0]], coordinates=coords, nan_vals=[-9999], nan_val=0)
    np.testing.assert_array_equal(filled.eval(coords).values, [[1, 0], [3, 4]])
    assert node.source[0, 1] == -9999  # the node's data is untouched


def test_bare_array_answers_on_the_request():
    node = Array(source=np.arange(12.0).reshape(4, 3), coordinates=GRID)
    request = Coordinates([[0.4, 2.6], [2.4, 0.0]], dims=["lat", "lon"])
    out = node.eval(request)
    assert out.dims == ("lat", "lon")
    np.testing.assert_array_equal(out["lat"].values, [0.4, 2.6])
    np.testing.assert_array_equal(out.values, [[2, 0], [11, 9]])


def test_array_short_name_and_defaults():
    attrs = {"source": [1, 2], "coordinates": {"coords": [{"values": [0, 1], "name": "lat"}]}}
    text = json.dumps({"a": {"node": "data.Array", "attrs": attrs}})
    node = Node.from_json(text)
    assert node.coordinate_index_type == "numpy" and node.nan_vals == [] and np.isnan(node.nan_val)
    assert node.boundary == {}


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"source": np.zeros((3, 3))}, "attrs.source"),  # shape differs from the coordinates
        ({"source": [["a", "b", "c"]] * 4}, "attrs.source"),
        ({"coordinates": None}, "attrs.coordinates"),
        ({"coordinates": {"coords": [{"values": "x", "name": "lat"}]}}, "attrs.coordinates"),
        ({"nan_vals": ["x"]}, "attrs.nan_vals[0]"),
        ({"nan_val": "none"}, "attrs.nan_val"),
        ({"coordinate_index_type": "pandas"}, "attrs.coordinate_index_type"),
        ({"boundary": {"depth": 1}}, "attrs.boundary.depth"),
        ({"boundary": {"lat": -1}}, "attrs.boundary.lat"),
        ({"boundary": {"lat": [0.5, 0.5]}}, "attrs.boundary.lat"),
        ({"colour": 1}, "attrs.colour"),
    ],
)
def test_array_bad_attrs_name_the_field(kwargs, field):
    base = {"source": np.arange(12.0).reshape(4, 3), "coordinates": GRID}
    base.update(kwargs)
    with pytest.raises(PipelineError) as info:
        Array(**base)
    assert info.value.field == field


def test_array_shape_error_names_both():
    with pytest.raises(PipelineError, match=r"\(3, 3\).*coordinates.*\(4, 3\)"):
        Array(source=np.zeros((3, 3)), coordinates=GRID)


def test_array_is_immutable():
    node = Array(source=np.arange(12.0).reshape(4, 3), coordinates=GRID)
    with pytest.raises(AttributeError):
        node.nan_vals = [1]


# -- Dataset: files --------------------------------------------------------------------------------

LAT = np.array([10.0, 10.5, 11.0, 11.5, 12.0])
LON = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
TIME = np.array(["2020-01-01", "2020-01-03", "2020-01-05"], dtype="datetime64[ns]")
VALUES = np.arange(5 * 7 * 3, dtype=float).reshape(5, 7, 3) / 4.0
VALUES[2, 3, 1] = np.nan
SOURCE_COORDS = Coordinates([LAT, LON, TIME.astype("datetime64[D]")], dims=["lat", "lon", "time"])

REQUESTS = [
    Coordinates(
        [[10.2, 10.25, 11.0, 11.8, 12.3], [-2.5, 0.4, 2.9], ["2020-01-02", "2020-01-04T12"]], dims=["lat", "lon", "time"]
    ),
    Coordinates([clinspace(9.8, 12.2, 9), clinspace(-3.5, 3.5, 8), ["2020-01-03"]], dims=["lat", "lon", "time"]),
    Coordinates([["2020-01-01", "2020-01-06"], [[10.1, 11.3, 11.9], [-1.6, 0.5, 2.5]]], dims=["time", "lat_lon"]),
    Coordinates([[1.0, 0.0], [11.0, 10.5], ["2020-01-05"]], dims=["lon", "lat", "time"]),
]


def _write(path: Path, values: np.ndarray = VALUES, *, zarr: bool = False, names=("lat", "lon", "time")) -> str:
    import xarray as xr

    ds = xr.Dataset(
        {"t2m": (names, values), "mask": (names[:2], values[..., 0] > 5)},
        coords={names[0]: LAT, names[1]: LON, names[2]: TIME},
    )
    if zarr:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zarr 3 warns that consolidated metadata is an extension
            ds.to_zarr(path, mode="w")
    else:
        ds.to_netcdf(path, engine="h5netcdf")
    return str(path)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    base = tmp_path_factory.mktemp("datasets")
    return {"netcdf": _write(base / "grid.nc"), "zarr": _write(base / "grid.zarr", zarr=True)}


@pytest.mark.parametrize("kind", ["netcdf", "zarr"])
@pytest.mark.parametrize("method", ["nearest", "bilinear"])
@pytest.mark.parametrize("request_index", range(len(REQUESTS)))
def test_dataset_equals_array(files, kind, method, request_index):
    request = REQUESTS[request_index]
    dataset = Interpolate(source=Dataset(source=files[kind], data_key="t2m"), interpolation=method)
    array = Interpolate(source=Array(source=VALUES, coordinates=SOURCE_COORDS), interpolation=method)
    np.testing.assert_allclose(dataset.eval(request).values, array.eval(request).values, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("case", DATASET_CASES, ids=[f"{c['interpolation']}{i}" for i, c in enumerate(DATASET_CASES)])
def test_dataset_podpac_values(tmp_path, case):
    """PODPAC 4.0.5's Interpolate(Dataset) on the same netCDF file."""
    import xarray as xr

    spec = case["file"]
    data = np.array(spec["data"], dtype=float)
    coords = {"lat": spec["lat"], "lon": spec["lon"], "time": np.array(spec["time"], dtype="datetime64[ns]")}
    path = tmp_path / "grid.nc"
    variables = {"t2m": (("lat", "lon", "time"), data), "other": (("lat", "lon"), data[..., 0])}
    xr.Dataset(variables, coords=coords).to_netcdf(path)
    node = Interpolate(source=Dataset(source=str(path), data_key="t2m"), interpolation=case["interpolation"])
    out = node.eval(Coordinates.from_definition(case["coordinates"]))
    assert list(out.dims) == case["dims"]
    np.testing.assert_allclose(out.values, np.array(case["data"], dtype=float), rtol=1e-9, atol=1e-12, equal_nan=True)


def test_dataset_reads_only_a_window(files, monkeypatch):
    import xarray as xr

    windows = []
    original = xr.DataArray.isel

    def spy(self, indexers=None, **kwargs):
        windows.append(dict(indexers or kwargs))
        return original(self, indexers, **kwargs)

    monkeypatch.setattr(xr.DataArray, "isel", spy)
    node = Dataset(source=files["netcdf"], data_key="t2m")
    node.eval(Coordinates([[11.0, 11.4], [0.2], ["2020-01-03"]], dims=["lat", "lon", "time"]))
    (window,) = [w for w in windows if set(w) == {"lat", "lon", "time"}]
    assert window == {"lat": slice(2, 4), "lon": slice(3, 4), "time": slice(1, 2)}


def test_dataset_with_one_variable_needs_no_data_key(tmp_path):
    import xarray as xr

    path = tmp_path / "one.nc"
    xr.Dataset({"v": (("lat", "lon"), VALUES[..., 0])}, coords={"lat": LAT, "lon": LON}).to_netcdf(path)
    node = Dataset(source=str(path))
    assert "data_key" not in node.definition["Dataset"]["attrs"]  # PODPAC picks the only variable too
    request = Coordinates([[10.5], [0.0]], dims=["lat", "lon"])
    assert node.eval(request).values.tolist() == [[VALUES[1, 3, 0]]]


def test_dataset_keys_and_selection(tmp_path):
    import xarray as xr

    four = np.stack([VALUES, -VALUES], axis=-1)
    path = tmp_path / "bands.nc"
    xr.Dataset(
        {"v": (("y", "x", "t", "band"), four)}, coords={"y": LAT, "x": LON, "t": TIME, "band": [0, 1]}
    ).to_netcdf(path)
    node = Dataset(source=str(path), data_key="v", lat_key="y", lon_key="x", time_key="t", selection={"band": 1})
    request = Coordinates([[11.0], [2.0], ["2020-01-05"]], dims=["lat", "lon", "time"])
    assert node.eval(request).values.tolist() == [[[-VALUES[2, 5, 2]]]]
    with pytest.raises(PipelineError) as info:
        Dataset(source=str(path), data_key="v", lat_key="y", lon_key="x", time_key="t").eval(request)
    assert info.value.field == "attrs.data_key" and "band" in str(info.value)


def test_dataset_nan_vals_and_cf_time(tmp_path):
    import xarray as xr

    path = tmp_path / "cf.nc"
    values = np.arange(15.0).reshape(3, 5)
    values[0, 1] = -999.0
    # raw numbers as time, decoded by the node (cf_time), not by xarray
    xr.Dataset({"v": (("time", "lat"), values)}, coords={"time": ("time", [0, 2, 4]), "lat": LAT}).to_netcdf(path)
    node = Dataset(source=str(path), data_key="v", nan_vals=[-999], cf_time=True, cf_units="days since 2020-01-01")
    request = Coordinates([["2020-01-01", "2020-01-05"], [10.0, 10.5]], dims=["time", "lat"])
    np.testing.assert_array_equal(node.eval(request).values, [[0, np.nan], [10, 11]])


def test_dataset_json_is_podpacs():
    assert Dataset(source="/tmp/t1.nc", data_key="data").json == PODPAC_DATASET_JSON
    node = Node.from_json(PODPAC_DATASET_JSON)
    assert node.json == PODPAC_DATASET_JSON and Node.from_json(node.json).hash == node.hash
    assert isinstance(Node.from_json(json.dumps({"d": {"node": "data.Dataset", "attrs": {"source": "x.nc"}}})), Dataset)


def test_dataset_construction_does_not_open_the_file():
    Dataset(source="/nonexistent/file.nc", data_key="v")  # opened lazily, at evaluation


# -- Dataset: errors -------------------------------------------------------------------------------


def test_missing_file(tmp_path):
    node = Dataset(source=str(tmp_path / "missing.nc"), data_key="t2m")
    with pytest.raises(PipelineError, match="does not exist") as info:
        node.eval(REQUESTS[0])
    assert info.value.field == "attrs.source"


def test_missing_variable_lists_the_available_ones(files):
    with pytest.raises(PipelineError, match="no variable 'precip'; available: t2m, mask") as info:
        Dataset(source=files["netcdf"], data_key="precip").eval(REQUESTS[0])
    assert info.value.field == "attrs.data_key"


def test_ambiguous_variable(files):
    with pytest.raises(PipelineError, match="2 variables"):
        Dataset(source=files["zarr"]).eval(REQUESTS[0])


def test_unknown_dims(files):
    with pytest.raises(PipelineError, match="'lat'") as info:
        Dataset(source=files["netcdf"], data_key="t2m", lat_key="latitude").eval(REQUESTS[0])
    assert info.value.field == "attrs.data_key"


def test_not_a_dataset(tmp_path):
    path = tmp_path / "junk.nc"
    path.write_text("not netcdf")
    with pytest.raises(PipelineError, match="cannot open") as info:
        Dataset(source=str(path), data_key="v").eval(REQUESTS[0])
    assert info.value.field == "attrs.source"


def test_request_missing_a_dim(files):
    from podpac_exec.errors import CoordinatesError

    with pytest.raises(CoordinatesError, match="time"):
        Dataset(source=files["netcdf"], data_key="t2m").eval(Coordinates([[11.0], [0.0]], dims=["lat", "lon"]))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"source": None}, "attrs.source"),
        ({"data_key": ["a", "b"]}, "attrs.data_key"),
        ({"selection": {"band": "x"}}, "attrs.selection.band"),
        ({"cf_time": True}, "attrs.cf_units"),
        ({"lat_key": 3}, "attrs.lat_key"),
        ({"url": "s3://x"}, "attrs.url"),
    ],
)
def test_dataset_bad_attrs(kwargs, field):
    base = {"source": "x.nc", "data_key": "v"}
    base.update(kwargs)
    with pytest.raises(PipelineError) as info:
        Dataset(**base)
    assert info.value.field == field


def test_unsupported_url_scheme():
    with pytest.raises(PipelineError, match="scheme 'ftp'"):
        Dataset(source="ftp://host/file.nc", data_key="v").eval(REQUESTS[0])


# -- Dataset: S3 (moto server) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3_files(files):
    moto_server = pytest.importorskip("moto.server")
    pytest.importorskip("s3fs")
    import boto3

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    mp = pytest.MonkeyPatch()
    for key, value in {**env, "AWS_ENDPOINT_URL": endpoint}.items():
        mp.setenv(key, value)
    client = boto3.client("s3", endpoint_url=endpoint)
    client.create_bucket(Bucket="podpac-data")
    client.upload_file(files["netcdf"], "podpac-data", "grid.nc")
    for path in Path(files["zarr"]).rglob("*"):
        if path.is_file():
            client.upload_file(str(path), "podpac-data", "grid.zarr/" + str(path.relative_to(files["zarr"])))
    yield {"netcdf": "s3://podpac-data/grid.nc", "zarr": "s3://podpac-data/grid.zarr"}
    mp.undo()
    server.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("kind", ["netcdf", "zarr"])
def test_dataset_on_s3(s3_files, kind):
    request = REQUESTS[0]
    node = Interpolate(source=Dataset(source=s3_files[kind], data_key="t2m"), interpolation="bilinear")
    array = Interpolate(source=Array(source=VALUES, coordinates=SOURCE_COORDS), interpolation="bilinear")
    np.testing.assert_allclose(node.eval(request).values, array.eval(request).values, rtol=1e-12, equal_nan=True)


def test_dataset_missing_on_s3(s3_files):
    with pytest.raises(PipelineError) as info:
        Dataset(source="s3://podpac-data/none.nc", data_key="t2m").eval(REQUESTS[0])
    assert info.value.field == "attrs.source"


def test_a_file_that_is_not_a_dataset_is_one_line_naming_the_node(tmp_path):
    """Not xarray's three lines of advice and URLs: the node, attrs.source and what is wrong."""
    path = tmp_path / "notes.txt"
    path.write_text("not a netCDF file\n")
    node = pe.nodes.Dataset(source=str(path))
    coords = pe.Coordinates([pe.clinspace(0, 1, 3, "lat"), pe.clinspace(0, 1, 3, "lon")])
    with pytest.raises(pe.PipelineError) as info:
        pe.evaluate(node, coords)
    message = str(info.value)
    assert message == f"attrs.source: Dataset cannot open {str(path)!r}: not a netCDF or zarr dataset"
    assert info.value.field == "attrs.source"
    in_pipeline = pe.Node.from_definition({"D": {"node": "data.Dataset", "attrs": {"source": str(path)}}})
    with pytest.raises(pe.PipelineError) as info:
        pe.evaluate(in_pipeline, coords)
    assert str(info.value) == f"D.attrs.source: node 'D': Dataset cannot open {str(path)!r}: not a netCDF or zarr dataset"
