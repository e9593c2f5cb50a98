"""Reproject: a source evaluated on fixed coordinates, interpolated onto the request."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.reprojection import BLOCK, Reproject
from podpac_exec.nodes.utility import SinCoords

COARSE = pe.Coordinates([pe.clinspace(45.0, 30.0, 6, "lat"), pe.clinspace(-10.0, 0.0, 5, "lon")])
FINE = pe.Coordinates([pe.clinspace(44.0, 31.0, 14, "lat"), pe.clinspace(-9.5, -0.5, 10, "lon")])


def test_on_the_grid_points_it_is_the_source():
    node = Reproject(source=SinCoords(), coordinates=COARSE, interpolation="bilinear")
    np.testing.assert_allclose(pe.evaluate(node, COARSE).values, pe.evaluate(SinCoords(), COARSE).values, rtol=1e-12)


def test_coordinates_as_pODPACs_json_text_and_round_trip():
    node = Reproject(source=SinCoords(), coordinates=COARSE.json, interpolation="bilinear")
    again = pe.Node.from_json(node.json)
    np.testing.assert_array_equal(pe.evaluate(again, FINE).values, pe.evaluate(node, FINE).values)


def test_reproject_dims_keep_the_requests_other_dims():
    grid = pe.Coordinates([pe.clinspace(45.0, 30.0, 6, "lat"), pe.clinspace(-10.0, 0.0, 5, "lon"), ["2020-01-01"]],
                          dims=["lat", "lon", "time"])
    node = Reproject(source=SinCoords(), coordinates=grid, reproject_dims=["lat", "lon"], interpolation="nearest")
    request = pe.Coordinates([pe.clinspace(44.0, 31.0, 3, "lat"), pe.clinspace(-9.5, -0.5, 4, "lon"), ["2021-06-01", "2021-07-01"]],
                             dims=["lat", "lon", "time"])
    out = pe.evaluate(node, request)
    assert out.shape == (3, 4, 2)
    want = pe.evaluate(Reproject(source=SinCoords(), coordinates=COARSE, interpolation="nearest"), request)
    np.testing.assert_array_equal(out.values, want.values)


def test_a_grid_larger_than_a_block_tiles_exactly():
    big = pe.Coordinates([pe.clinspace(60.0, -60.0, BLOCK + 40, "lat"), pe.clinspace(-100.0, 100.0, 30, "lon")])
    request = pe.Coordinates([pe.clinspace(59.0, -59.0, 70, "lat"), pe.clinspace(-99.0, 99.0, 11, "lon")])
    node = Reproject(source=SinCoords(), coordinates=big, interpolation="bilinear")
    whole = pe.evaluate(node, request)
    np.testing.assert_array_equal(pe.evaluate(node, request, max_tile_bytes=8 * 40, min_tiles=4).values, whole.values)


@pytest.mark.parametrize(
    ("attrs", "field"),
    [({"coordinates": None}, "attrs.coordinates"), ({"reproject_dims": ["lat", "time"]}, "attrs.reproject_dims[1]")],
)
def test_bad_input_names_the_field(attrs, field):
    with pytest.raises(PipelineError) as info:
        Reproject(**{"source": SinCoords(), "coordinates": COARSE, **attrs})
    assert field in str(info.value)
