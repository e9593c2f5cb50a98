"""The registry: only pipelines registered by name are reachable, each named and bounded."""

from __future__ import annotations

import pytest

from serve_support import EXAMPLES, pipelines
from podpac_exec.errors import PipelineError
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.registry import Registry, ServedPipeline, load_pipeline


def test_lookup_by_name_and_the_only_one():
    wave, styled, masked = pipelines()
    registry = Registry([wave, styled])
    assert registry.get("styled") is styled and registry.names() == ["wave", "styled"]
    with pytest.raises(ServeRequestError, match="layer is required: this server serves wave, styled") as info:
        registry.get(None)
    assert info.value.status == 400 and info.value.code == "LayerNotDefined"
    with pytest.raises(ServeRequestError, match="unknown COVERAGE 'masked'") as info:
        registry.get("masked", field="COVERAGE", code="CoverageNotDefined")
    assert (info.value.status, info.value.code) == (404, "CoverageNotDefined")
    assert Registry([masked]).get(None) is masked  # one pipeline: the name may be left out


def test_names_are_unique_and_plain():
    wave = pipelines()[0]
    with pytest.raises(ServeRequestError, match="registered twice"):
        Registry([wave, ServedPipeline("wave", wave.node)])
    for bad in ("", "a b", "../x", "x" * 65, "-lead"):
        with pytest.raises(ServeRequestError, match="pipeline name"):
            ServedPipeline(bad, wave.node)


def test_bounds_must_be_a_lat_lon_box():
    node = pipelines()[0].node
    assert ServedPipeline("box", node, bounds=(-10.0, -5.0, 10.0, 5.0)).bounds == (-10.0, -5.0, 10.0, 5.0)
    for bounds in ((10.0, 0.0, -10.0, 5.0), (-200.0, 0.0, 0.0, 5.0), (0.0, -95.0, 1.0, 0.0)):
        with pytest.raises(ServeRequestError, match="not a lat/lon box"):
            ServedPipeline("box", node, bounds=bounds)


def test_load_pipeline_names_it_after_the_file_or_as_told(tmp_path):
    assert load_pipeline(str(EXAMPLES / "wave_field.json")).name == "wave_field"
    named = load_pipeline(f"w={EXAMPLES / 'wave_field.json'}")
    assert (named.name, named.title) == ("w", "w")
    with pytest.raises(ServeRequestError, match="cannot read pipeline file"):
        load_pipeline(str(tmp_path / "none.json"))
    (tmp_path / "bad.json").write_text('{"A": {"node": "NoSuchNode"}}')
    with pytest.raises(PipelineError):
        load_pipeline(str(tmp_path / "bad.json"))
