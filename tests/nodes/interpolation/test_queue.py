"""PODPAC's interpolator queue: which interpolator each group of dims gets, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation import Interpolation
from podpac_exec.nodes.interpolation.queue import build_queue

GRID = Coordinates([clinspace(0, 7, 8, "lat"), clinspace(10, 18, 9, "lon")])
ARRAY_GRID = Coordinates([[0.0, 1.0, 3.0, 4.0], [10.0, 11.0, 12.0]], dims=["lat", "lon"])
POINTS = Coordinates([[[0.0, 1.0, 2.0], [10.0, 12.0, 11.0]]], dims=["lat_lon"])
TIMED = Coordinates([clinspace(0, 7, 8, "lat"), clinspace(10, 18, 9, "lon"), ["2020-01-01", "2020-01-02"]],
                    dims=["lat", "lon", "time"])  # fmt: skip
REQUEST = Coordinates([clinspace(0.5, 6.5, 5, "lat"), clinspace(10.5, 17.5, 4, "lon")])


def names(definition, source, request=REQUEST, kind="interpolate"):
    return [(s.udims, s.interpolator) for s in build_queue(Interpolation.parse(definition), source, request, kind)]


@pytest.mark.parametrize(
    "definition, source, expected",
    [
        ("nearest", GRID, [(("lat", "lon"), "NearestNeighbor")]),
        ("bilinear", GRID, [(("lat", "lon"), "XarrayInterpolator")]),
        ("cubic_spline", GRID, [(("lat", "lon"), "RasterioInterpolator")]),
        ("cubic_spline", ARRAY_GRID, [(("lat", "lon"), "ScipyGrid")]),  # not uniform: Rasterio cannot
        ("lanczos", GRID, [(("lat", "lon"), "RasterioInterpolator")]),
        ("spline_3", GRID, [(("lat", "lon"), "ScipyGrid")]),
        ("nearest", POINTS, [(("lat", "lon"), "NearestNeighbor")]),
        ({"method": "nearest", "interpolators": ["ScipyPoint"]}, POINTS, [(("lat", "lon"), "ScipyPoint")]),
        ({"method": "bilinear", "interpolators": ["RasterioInterpolator", "ScipyGrid"]}, ARRAY_GRID,
         [(("lat", "lon"), "ScipyGrid")]),
        ([{"method": "lanczos", "dims": ["lat", "lon"]}, {"method": "linear", "dims": ["time"]}], TIMED,
         [(("lat", "lon"), "RasterioInterpolator"), (("time",), "XarrayInterpolator")]),
        ("none", GRID, [(("lat", "lon"), "NoneInterpolator")]),
        ("nearest_preview", GRID, [(("lat", "lon"), "NearestPreview")]),
    ],
)
def test_first_able_interpolator_gets_the_dims(definition, source, expected):
    assert names(definition, source) == expected


def test_a_rule_that_cannot_falls_to_the_catch_all():
    # PODPAC: dims a rule's interpolators cannot take are left to the default rule (nearest)
    rules = [{"method": "bilinear", "dims": ["lat", "lon"], "interpolators": ["ScipyGrid"]}]
    assert names(rules, POINTS) == [(("lat", "lon"), "NearestNeighbor")]


def test_select_queue_only_for_selector_methods():
    assert names("lanczos", GRID, kind="select") == []
    assert names("cubic", GRID, kind="select") == [(("lat", "lon"), "XarrayInterpolator")]
    unselected = {"method": "nearest", "interpolators": ["NearestNeighbor"], "params": {"use_selector": False}}
    assert names(unselected, GRID, kind="select") == []


@pytest.mark.parametrize(
    "definition, source, words",
    [
        ("lanczos", POINTS, ["'lanczos'", "RasterioInterpolator", "stacked", "'lat'", "'lon'"]),
        ("bilinear", POINTS, ["'bilinear'", "XarrayInterpolator", "ScipyGrid"]),
        ({"method": "lanczos", "interpolators": ["RasterioInterpolator"]}, ARRAY_GRID, ["'lanczos'", "'lat'"]),
    ],
)
def test_nothing_able_raises_naming_method_interpolators_and_dims(definition, source, words):
    with pytest.raises(PipelineError) as info:
        names(definition, source)
    assert info.value.field == "attrs.interpolation"
    for word in words:
        assert word in str(info.value)


def test_rasterio_on_a_stacked_request_raises():
    stacked = Coordinates([[np.array([0.5, 1.5]), np.array([10.5, 11.5])]], dims=["lat_lon"])
    with pytest.raises(PipelineError, match="RasterioInterpolator"):
        names({"method": "bilinear", "interpolators": ["RasterioInterpolator"]}, GRID, stacked)
