"""The Interpolate node's planner requirements and output coordinates per method."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.data import Array
from podpac_exec.nodes.interpolation import Interpolate

SOURCE = Array(
    source=np.arange(72.0).reshape(8, 9),
    coordinates=Coordinates([clinspace(0, 7, 8, "lat"), clinspace(10, 18, 9, "lon")]),
)
REQUEST = Coordinates([clinspace(0.5, 6.5, 13, "lat"), clinspace(10.3, 17.7, 15, "lon")])


@pytest.mark.parametrize(
    "interpolation, whole",
    [
        ("nearest", False),
        ("bilinear", False),
        ("lanczos", False),
        ("spline_3", False),
        ({"method": "cubic", "interpolators": ["RasterioInterpolator"]}, False),
        ("cubic", True),  # XarrayInterpolator: one spline through the selected cells
        ("nearest_preview", True),
        ({"method": "nearest", "interpolators": ["XarrayInterpolator"]}, True),  # NaN past the subset's end
        ({"method": "nearest", "interpolators": ["NearestNeighbor", "XarrayInterpolator"]}, False),
        ("none", True),
        ([{"method": "bilinear", "dims": ["lat", "lon"]}, {"method": "none", "dims": ["time"]}], True),
    ],
)
def test_whole_request_only_where_values_depend_on_it(interpolation, whole):
    node = Interpolate(source=SOURCE, interpolation=interpolation)
    assert node.requirements().whole_request is whole
    assert node.requirements().halo == {}


def test_none_answers_on_the_source_coordinates_within_the_request():
    node = Interpolate(source=SOURCE, interpolation="none")
    out_coords = node.output_coordinates(REQUEST)
    np.testing.assert_array_equal(out_coords["lat"].coordinates, np.arange(1.0, 7.0))
    np.testing.assert_array_equal(out_coords["lon"].coordinates, np.arange(11.0, 18.0))
    out = pe.evaluate(node, REQUEST)
    assert out.shape == (6, 7)
    np.testing.assert_array_equal(out.values, np.arange(72.0).reshape(8, 9)[1:7, 1:8])


def test_other_methods_answer_on_the_request():
    node = Interpolate(source=SOURCE, interpolation="lanczos")
    assert node.output_coordinates(REQUEST) is REQUEST
    assert pe.evaluate(node, REQUEST).shape == REQUEST.shape


def test_gauss_is_refused_when_the_node_is_built():
    with pytest.raises(PipelineError, match="gauss") as info:
        Interpolate(source=SOURCE, interpolation="gauss")
    assert info.value.field.endswith("attrs.interpolation")


def test_cubic_with_too_few_points_is_one_line():
    small = Array(source=np.ones((3, 3)), coordinates=Coordinates([clinspace(0, 2, 3, "lat"), clinspace(0, 2, 3, "lon")]))
    node = Interpolate(source=small, interpolation="cubic")
    with pytest.raises(PipelineError) as info:
        pe.evaluate(node, Coordinates([clinspace(0.2, 1.8, 5, "lat"), clinspace(0.2, 1.8, 5, "lon")]))
    assert "\n" not in str(info.value) and "cubic" in str(info.value)
