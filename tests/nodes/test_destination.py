"""The tile's region of the whole result: given to the tile's root node once, used by Arithmetic."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.nodes import Arithmetic, CoordData, SinCoords
from podpac_exec.nodes.destination import destination, is_region, writing_into


def _coords(nlat: int = 300, nlon: int = 500) -> pe.Coordinates:
    return pe.Coordinates([pe.clinspace(-40, 40, nlat, "lat"), pe.clinspace(-80, 80, nlon, "lon")])


def test_the_region_is_given_once_to_the_root_node_only_and_only_of_its_shape():
    root, other = SinCoords(), CoordData(coord_name="lat")
    region = np.empty((3, 4))
    assert destination(root, (3, 4)) is None  # outside a tile
    with writing_into(root, region):
        assert destination(other, (3, 4)) is None
        assert destination(root, (3, 5)) is None  # a tile with a halo: the root's shape is larger
        assert destination(root, (3, 4)) is region
        assert destination(root, (3, 4)) is None  # once
    with writing_into(root, region.astype(np.float32)):
        assert destination(root, (3, 4)) is None  # only float64, the result's dtype


def test_arithmetic_writes_its_values_into_the_region():
    coords = _coords()
    node = Arithmetic(A=SinCoords(), B=CoordData(coord_name="lat"), eqn="A * cos(B) + 1")
    expected, _ = node.eval_values(coords)
    whole = np.full((600, 500), -1.0)
    region = whole[100:400]  # a band of rows of a larger result
    with writing_into(node, region):
        values, dims = node.eval_values(coords)
    assert dims == ("lat", "lon") and is_region(values, region)
    np.testing.assert_array_equal(region, expected)
    assert (whole[:100] == -1).all() and (whole[400:] == -1).all()


@pytest.mark.parametrize("b", ["lon", "arange"])  # blocks of rows (B broadcasts), of the flattened arrays
def test_a_small_result_is_copied_into_the_region_and_a_block_that_is_not_contiguous_works(b):
    for coords, index in ((_coords(4, 5), np.s_[:, :]), (_coords(), np.s_[:, 100:600])):
        source = CoordData(coord_name="lon") if b == "lon" else pe.nodes.Arange()
        node = Arithmetic(A=SinCoords(), B=source, eqn="A - B")
        expected, _ = node.eval_values(coords)
        whole = np.zeros((coords.shape[0], 700))
        region = whole[index][:, : coords.shape[1]]
        with writing_into(node, region):
            values, _ = node.eval_values(coords)
        assert is_region(values, region)
        np.testing.assert_array_equal(region, expected)


def test_an_integer_first_input_gives_its_dtype_and_the_region_is_not_the_result():
    """PODPAC casts the result to the first input's dtype: that array is a new one, to copy."""
    coords = _coords()
    node = Arithmetic(A=pe.nodes.Count(source=SinCoords()), B=SinCoords(), eqn="A / 7 + B")
    expected, _ = node.eval_values(coords)
    region = np.empty(coords.shape)
    with writing_into(node, region):
        values, _ = node.eval_values(coords)
    assert values.dtype == np.int64 and not is_region(values, region)
    np.testing.assert_array_equal(values, expected)


def test_is_region_compares_memory_and_layout():
    a = np.zeros((4, 6))
    assert is_region(a[:2], a[:2]) and not is_region(a[:2].copy(), a[:2])
    assert not is_region(a[:, ::2], a[:, :3]) and not is_region(a.T, a)


def test_sincoords_computes_into_the_region_and_arithmetic_hands_it_its_region():
    coords = _coords()
    sin = SinCoords()
    expected, _ = sin.eval_values(coords)
    whole = np.zeros((300, 900))
    region = whole[:, 200:700]  # not contiguous: the outer product writes through the strides
    with writing_into(sin, region):
        values, _ = sin.eval_values(coords)
    assert is_region(values, region)
    np.testing.assert_array_equal(region, expected)

    seen = []

    class Spy(SinCoords):
        fresh_values = True  # a subclass with its own _eval declares it anew

        def _eval(self, coordinates):
            values = super()._eval(coordinates)
            seen.append(values)
            return values

    inner = Arithmetic(A=Spy(), eqn="A * 2")  # nested: the region is handed down twice
    node = Arithmetic(A=inner, B=CoordData(coord_name="lat"), C=Spy(), eqn="A + B * C")
    expected, _ = node.eval_values(coords)
    region = np.empty(coords.shape)
    with writing_into(node, region):
        values, _ = node.eval_values(coords)
    assert is_region(values, region)
    np.testing.assert_array_equal(region, expected)
    first_spy, other_spy = seen[-2:]
    assert is_region(first_spy, region) and not np.shares_memory(other_spy, region)  # only the first fresh input


def test_one_dimensional_sincoords_copies_into_the_region():
    coords = pe.Coordinates([pe.clinspace(-40, 40, 50, "lat")])
    sin = SinCoords()
    expected, _ = sin.eval_values(coords)
    region = np.empty(50)
    with writing_into(sin, region):
        values, _ = sin.eval_values(coords)
    assert is_region(values, region)
    np.testing.assert_array_equal(region, expected)
