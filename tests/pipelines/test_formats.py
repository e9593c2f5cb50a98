"""Which PODPAC format a definition is in."""

from __future__ import annotations

import pytest

from podpac_exec.pipelines.formats import CURRENT, detect
from podpac_exec.pipelines.paths import resolve


@pytest.mark.parametrize(
    "definition, label, interpolating",
    [
        ({"nodes": {"a": {"node": "algorithm.Arange"}}, "output": {"node": "a"}}, "1.x pipeline", True),
        ({"a": {"node": "data.Array", "source": [1.0]}}, "1.x node definitions", True),
        ({"a": {"node": "data.Array", "attrs": {}}, "podpac_version": "3.5.4"}, "PODPAC 3.5.4", True),
        ({"a": {"node": "core.algorithm.algorithm.SinCoords"}}, "old class paths", True),
        ({"a": {"node": "core.data.array_source.ArrayRaw"}}, "old class paths", True),
        ({"a": {"node": "algorithm.Arange"}, "podpac_version": "4.0.5"}, "PODPAC 4.x", False),
        # a 4.x pipeline may name a node "nodes": not the 1.x wrapper
        ({"nodes": {"node": "algorithm.Arange"}}, "PODPAC 4.x", False),
        ({"a": {"node": "SMAP", "plugin": "myplugin"}}, "PODPAC 4.x", False),
    ],
)
def test_detect(definition, label, interpolating):
    fmt = detect(definition)
    assert label in fmt.label and fmt.interpolating_sources is interpolating


def test_current_is_4x():
    assert detect({"a": {"node": "core.algorithm.utility.SinCoords"}}) is CURRENT


@pytest.mark.parametrize(
    "old, new, raw",
    [
        ("core.algorithm.algorithm.SinCoords", "core.algorithm.utility.SinCoords", False),
        ("core.data.types.Array", "core.data.array_source.Array", False),
        ("core.data.file.Rasterio", "core.data.rasterio_source.Rasterio", False),
        ("core.data.types.NumpyArray", "core.data.array_source.Array", False),
        ("core.data.zarr_source.ZarrRaw", "core.data.zarr_source.Zarr", True),
        ("algorithm.Mean", "core.algorithm.stats.Mean", False),
    ],
)
def test_old_class_paths(old, new, raw):
    found = resolve(old)
    assert found is not None and found.cls.path == new and found.raw is raw


def test_unknown_classes_are_left_to_the_loader():
    assert resolve("datalib.smap.SMAP") is None
