"""Zarr and H5PY: PODPAC's key rules, chunked reads, S3, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.coordinates import ArrayCoordinates1d
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation import Interpolate
from podpac_exec.nodes.keyed_files import H5PY, Zarr

zarr = pytest.importorskip("zarr")
h5py = pytest.importorskip("h5py")

VALUES = np.arange(6 * 8, dtype=float).reshape(6, 8)
LAT, LON = np.linspace(10.0, 15.0, 6), np.linspace(-5.0, 2.0, 8)


def write_zarr(path: Path, zarr_format: int = 3) -> Path:
    g = zarr.open_group(str(path), mode="w", zarr_format=zarr_format)
    for key, values, chunks, dims in (("data", VALUES, (3, 4), ["lat", "lon"]), ("lat", LAT, (6,), ["lat"]), ("lon", LON, (8,), ["lon"])):
        if zarr_format == 3:
            g.create_array(key, data=values, chunks=chunks, dimension_names=dims)
        else:
            a = g.create_array(key, shape=values.shape, dtype=values.dtype, chunks=chunks)
            a[...] = values
            a.attrs["_ARRAY_DIMENSIONS"] = dims
    return path


def write_h5(path: Path) -> Path:
    with h5py.File(path, "w") as f:
        f["group/data"] = VALUES
        f["lat"], f["lon"] = LAT, LON
    return path


GRID = pe.Coordinates([ArrayCoordinates1d(LAT, name="lat"), ArrayCoordinates1d(LON, name="lon")])


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarr_values_and_inferred_data_key(tmp_path, zarr_format):
    node = Zarr(source=str(write_zarr(tmp_path / "s.zarr", zarr_format)))
    np.testing.assert_array_equal(pe.evaluate(node, GRID).values, VALUES)


def test_zarr_dims_attr_and_transposed_store(tmp_path):
    g = zarr.open_group(str(tmp_path / "t.zarr"), mode="w")
    g.create_array("v", data=VALUES.T)  # no dimension names: dims must be given
    g.create_array("lat", data=LAT)
    g.create_array("lon", data=LON)
    node = Zarr(source=str(tmp_path / "t.zarr"), data_key="v", dims=["lon", "lat"])
    np.testing.assert_array_equal(pe.evaluate(node, GRID).values, VALUES)


def test_h5py_keys_with_or_without_the_leading_slash(tmp_path):
    path = str(write_h5(tmp_path / "f.h5"))
    for key in ("/group/data", "group/data"):
        node = H5PY(source=path, data_key=key, dims=["lat", "lon"])
        np.testing.assert_array_equal(pe.evaluate(node, GRID).values, VALUES)


def test_zarr_on_s3_reads_only_the_chunks_of_a_tile(tmp_path, aws_emulator):
    import boto3

    store = write_zarr(tmp_path / "s3.zarr")
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="cubes")
    for path in store.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), "cubes", "s.zarr/" + str(path.relative_to(store)))
    node = Zarr(source="s3://cubes/s.zarr")
    sub = GRID[0:2, 0:3]
    np.testing.assert_array_equal(pe.evaluate(node, sub).values, VALUES[0:2, 0:3])
    bilinear = pe.Coordinates([pe.clinspace(10.5, 14.5, 4, "lat"), pe.clinspace(-4.5, 1.5, 5, "lon")])
    np.testing.assert_array_equal(
        pe.evaluate(Interpolate(source=node, interpolation="bilinear"), bilinear).values,
        pe.evaluate(Interpolate(source=Zarr(source=str(store)), interpolation="bilinear"), bilinear).values,
    )


@pytest.mark.parametrize(
    ("attrs", "field", "message"),
    [
        ({"data_key": "missing"}, "attrs.data_key", "no data key 'missing'"),
        ({"dims": ["lat", "depth"]}, "attrs.dims[1]", "expected one of"),
        ({"dims": ["lat"]}, "attrs.dims", "has 2 dims"),
        ({"file_mode": "w"}, "attrs.file_mode", "read-only"),
        ({"lat_key": "latitude", "data_key": "data"}, "attrs.lat_key", "no lat coordinates 'latitude'"),
        ({"source": "/nonexistent.zarr"}, "attrs.source", "does not exist"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(tmp_path, attrs, field, message):
    store = str(write_zarr(tmp_path / "b.zarr"))
    with pytest.raises(PipelineError) as info:
        node = Zarr(**{"source": store, **attrs})
        pe.evaluate(node, GRID)
    assert field in str(info.value) and message in str(info.value) and "\n" not in str(info.value)


def test_two_data_keys_need_a_data_key(tmp_path):
    path = tmp_path / "two.h5"
    with h5py.File(path, "w") as f:
        f["a"], f["b"], f["lat"], f["lon"] = VALUES, VALUES, LAT, LON
    with pytest.raises(PipelineError, match="2 data keys .*a, b.*name one with data_key"):
        pe.evaluate(H5PY(source=str(path)), GRID)
