"""CSV: points with lat/lon/time columns, at stacked points and on a grid."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation import Interpolate
from podpac_exec.nodes.tables import CSV

ROWS = "lat,lon,time,value,other\n1.0,10.0,2020-01-01,5.0,0\n2.0,11.0,2020-01-02,6.0,0\n3.0,12.5,2020-01-03,7.5,0\n"


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(ROWS)
    return str(path)


def test_coordinates_are_one_stacked_dim_in_column_order(csv):
    coords = CSV(source=csv, data_key="value").native_coordinates()
    assert coords.dims == ("lat_lon_time",) and coords.size == 3


def test_values_at_its_points_and_by_column_number(csv):
    points = pe.Coordinates([[[1.0, 3.0], [10.0, 12.5], ["2020-01-01", "2020-01-03"]]], dims=["lat_lon_time"])
    np.testing.assert_array_equal(pe.evaluate(CSV(source=csv, data_key="value"), points).values, [5.0, 7.5])
    np.testing.assert_array_equal(pe.evaluate(CSV(source=csv, data_key=3), points).values, [5.0, 7.5])


def test_on_a_grid_through_interpolate(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("lat,lon,v\n0,0,1\n0,1,2\n1,0,3\n1,1,4\n")
    grid = pe.Coordinates([pe.clinspace(0, 1, 2, "lat"), pe.clinspace(0, 1, 2, "lon")])
    out = pe.evaluate(Interpolate(source=CSV(source=str(path)), interpolation="nearest"), grid)
    np.testing.assert_array_equal(out.values, [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    ("attrs", "field", "message"),
    [
        ({}, "attrs.data_key", "2 data columns"),
        ({"data_key": "nope"}, "attrs.data_key", "no data column 'nope'"),
        ({"data_key": 9}, "attrs.data_key", "no column 9"),
        ({"data_key": "value", "header": "x"}, "attrs.header", "row number"),
    ],
)
def test_bad_input_is_one_line_naming_the_field(csv, attrs, field, message):
    with pytest.raises(PipelineError) as info:
        node = CSV(source=csv, **attrs)
        node.native_coordinates()
    assert field in str(info.value) and message in str(info.value)
