"""Errors a data source meets while it evaluates name the pipeline node and its field (base.blame).

Each bad input of real data, through the real CLI: one line on stderr, ``node 'R'`` and the
field ``R.attrs.<attr>``, exit code 2, nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.cli.main import main
from podpac_exec.errors import PipelineError, PodpacExecError
from podpac_exec.nodes.base import blame
from podpac_exec.nodes.raster import Rasterio

rasterio = pytest.importorskip("rasterio")
zarr = pytest.importorskip("zarr")
from rasterio.transform import from_origin  # noqa: E402

COORDS = {"coords": [{"name": "lat", "start": 36.0, "stop": 36.1, "size": 3},
                     {"name": "lon", "start": -75.0, "stop": -74.9, "size": 3}]}  # fmt: skip


@pytest.fixture
def files(tmp_path: Path) -> Path:
    with rasterio.open(tmp_path / "utm.tif", "w", driver="GTiff", width=4, height=4, count=1, dtype="float32",
                       crs="EPSG:32618", transform=from_origin(500000, 4000000, 30, 30)) as dst:  # fmt: skip
        dst.write(np.ones((1, 4, 4), dtype="float32"))
    (tmp_path / "corrupt.tif").write_bytes(b"II*\x00" + b"garbage" * 10)
    group = zarr.open_group(str(tmp_path / "store.zarr"), mode="w")
    for name, values in (("data", np.ones((3, 3))), ("lat", np.arange(3.0)), ("lon", np.arange(3.0))):
        group.create_array(name, data=values)
    (tmp_path / "coords.json").write_text(json.dumps(COORDS))
    return tmp_path


CASES = [
    ("data.Rasterio", {"source": "{dir}/missing.tif"}, "R.attrs.source", "does not exist"),
    ("data.Rasterio", {"source": "{dir}/utm.tif", "band": 5}, "R.attrs.band", "band 5 does not exist"),
    ("data.Rasterio", {"source": "{dir}/corrupt.tif"}, "R.attrs.source", "Rasterio cannot open"),
    ("data.Rasterio", {"source": "{dir}/utm.tif", "crs": "EPSG:99999"}, "R.attrs.crs", "unknown CRS 'EPSG:99999'"),
    ("data.Zarr", {"source": "{dir}/store.zarr", "data_key": "nope"}, "R.attrs.data_key", "no data key 'nope'"),
    ("data.Rasterio", {"source": "s3://elsewhere/x.tif"}, "R.attrs.source", "outside sources.allowed_buckets"),
]


@pytest.mark.parametrize(("node", "attrs", "field", "message"), CASES, ids=[c[2] + ":" + c[3][:12] for c in CASES])
def test_bad_real_data_input_is_one_line_naming_node_and_field(files, capsys, node, attrs, field, message):
    attrs = {k: v.format(dir=files) if isinstance(v, str) else v for k, v in attrs.items()}
    pipeline = files / "pipeline.json"
    pipeline.write_text(json.dumps({"R": {"node": node, "attrs": attrs}}))
    out = files / "out.nc"
    argv = ["evaluate", str(pipeline), str(files / "coords.json"), "-o", str(out),
            "--set", 'sources.allowed_buckets=["mine"]']  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith(f"podpac-exec: error: {field}: node 'R': ") and message in err, err
    assert not out.exists()


def test_a_node_made_in_python_is_named_by_its_class(files):
    node = Rasterio(source=str(files / "utm.tif"), crs="EPSG:99999")
    with pytest.raises(PodpacExecError) as info:
        node.eval(pe.Coordinates([pe.clinspace(36, 36.1, 2, "lat"), pe.clinspace(-75, -74.9, 2, "lon")]))
    assert info.value.field == "attrs.crs"
    assert str(info.value) == "attrs.crs: Rasterio: unknown CRS 'EPSG:99999': pyproj cannot parse it"


def test_blame_names_once_and_leaves_other_errors_alone():
    first = blame("R", PipelineError("bad band", field="attrs.band"))
    assert str(first) == "R.attrs.band: node 'R': bad band"
    assert blame("Outer", first) is first  # an inner node's error keeps its own name
    from podpac_exec.errors import TileEvaluationError

    tile_error = TileEvaluationError("tile 3 failed")
    assert blame("R", tile_error) is tile_error


def test_a_bucket_read_without_credentials_says_so(files, capsys, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    pipeline = files / "pipeline.json"
    pipeline.write_text(json.dumps({"R": {"node": "data.Rasterio", "attrs": {"source": "s3://somebucket/x.tif"}}}))
    assert main(["evaluate", str(pipeline), str(files / "coords.json"), "-o", str(files / "out.nc")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("podpac-exec: error: R.attrs.source: node 'R': Rasterio cannot open 's3://somebucket/x.tif': ")
    assert "no AWS credentials were found" in err and "attrs.anon" in err and len(err.splitlines()) == 1


def test_errors_about_the_request_stay_the_requests():
    import podpac_exec.nodes  # noqa: F401 - registers the node types

    pipeline = {"C": {"node": "core.algorithm.utility.CoordData", "attrs": {"coord_name": "time"}}}
    node = pe.Node.from_definition(pipeline)
    with pytest.raises(PodpacExecError) as info:
        node.eval(pe.Coordinates([pe.clinspace(0, 1, 2, "lat"), pe.clinspace(0, 1, 2, "lon")]))
    assert info.value.field == "coordinates" and "node 'C'" not in str(info.value)
