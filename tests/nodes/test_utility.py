"""SinCoords, Arange and CoordData against PODPAC 4.0.5 values; JSON; bad attrs."""

from __future__ import annotations

import numpy as np
import pytest
from algorithm_helpers import (
    LAT_LON,
    assert_matches_reference,
    assert_round_trips,
    assert_values,
    case_id,
    load,
    reference_cases,
)

from podpac_exec.coordinates import Coordinates, clinspace, crange
from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.utility import Arange, CoordData, SinCoords

TIME_LAT = Coordinates([["2020-01-01", "2020-01-02T05"], clinspace(-10, 40, 3, "lat")], dims=["time", "lat"])
STACKED = Coordinates(
    [[[1.0, 20.0, 50.0], [10.0, 30.0, 100.0]], ["2020-01-01", "2020-01-02T05"]], dims=["lat_lon", "time"]
)

# PODPAC 4.0.5: SinCoords().eval(c).data
SIN_LAT_LON = [
    [-0.0593911746138847, -0.29619813272602386, 0.2620026302293849, 0.11697777844051092],
    [0.08682408883346515, 0.4330127018922193, -0.3830222215594889, -0.17101007166283427],
    [0.17101007166283433, 0.8528685319524433, -0.7544065067354888, -0.33682408883346504],
]
SIN_TIME_LAT = [
    [7.8144093100411780e-10, -1.1423902162686893e-09, -2.2500694838933969e-09],
    [5.8570294299878348e-10, -8.5624042096415649e-10, -1.6864644100158763e-09],
]
SIN_MORE = {
    "lat_lon_alt": (
        Coordinates(
            [clinspace(-10, 40, 3, "lat"), [100.0, 5.0], clinspace(0, 1000, 2, "alt")], dims=["lat", "lon", "alt"]
        ),
        [
            [[0.0, -0.040008756548141296], [-0.0, 0.020312978053720367]],
            [[-0.0, 0.05848888922025462], [0.0, -0.029695587306941915]],
            [[-0.0, 0.11520062313835784], [0.0, -0.05848888922025463]],
        ],
    ),
    "lon_descending_lat_array": (
        Coordinates([clinspace(170, 5, 4, "lon"), [-10.0, 15.5, 40.0]], dims=["lon", "lat"]),
        [
            [0.11697777844051092, -0.17615339619891315, -0.33682408883346504],
            [0.2620026302293849, -0.39454205527954284, -0.7544065067354888],
            [-0.29619813272602386, 0.44603605678833963, 0.8528685319524433],
            [-0.0593911746138847, 0.08943542313721485, 0.17101007166283433],
        ],
    ),
    "hourly_time_across_epoch": (
        Coordinates([crange("1969-12-31T22", "1970-01-01T01", "1,h"), [-45.0, 30.0]], dims=["time", "lat"]),
        [
            [-9.797174393178826e-15, 8.484601909799256e-15],
            [-4.898587196589413e-15, 4.242300954899628e-15],
            [-0.0, 0.0],
            [4.898587196589413e-15, -4.242300954899628e-15],
        ],
    ),
    "millisecond_times": (
        Coordinates([["2020-03-01T10:59:59.750", "2021-07-04T00:00:00.000"]], dims=["time"]),
        [-3.4721232897793907e-09, -4.61544783299961e-09],
    ),
}

PODPAC_JSON = {
    "SinCoords": '{"SinCoords":{"node":"core.algorithm.utility.SinCoords","attrs":{"xarray_floating_point_correction":false},'
    '"style":{"colormap":"jet","clim":[-1.0,1.0]}},"podpac_version":"4.0.5"}',
    "Arange": '{"Arange":{"node":"core.algorithm.utility.Arange","attrs":{"xarray_floating_point_correction":false}},'
    '"podpac_version":"4.0.5"}',
    "CoordData": '{"CoordData":{"node":"core.algorithm.utility.CoordData","attrs":{"coord_name":"lon",'
    '"xarray_floating_point_correction":false}},"podpac_version":"4.0.5"}',
}


def test_sincoords_lat_lon_matches_podpac():
    out = SinCoords().eval(LAT_LON)
    assert out.dims == ("lat", "lon")
    assert_values(out, SIN_LAT_LON)


def test_sincoords_time_enters_as_hour_floored_seconds_like_podpac():
    assert_values(SinCoords().eval(TIME_LAT), SIN_TIME_LAT)


@pytest.mark.parametrize("name", sorted(SIN_MORE))
def test_sincoords_more_grids_match_podpac(name):
    coords, expected = SIN_MORE[name]
    assert_values(SinCoords().eval(coords), expected)


def test_sincoords_stacked_is_pointwise_product():
    # PODPAC 4.0.5 raises TypeError on any stacked request; we multiply each member's factor.
    out = SinCoords().eval(STACKED)
    lat, lon = np.array([1.0, 20.0, 50.0]), np.array([10.0, 30.0, 100.0])
    hours = np.array(["2020-01-01T00", "2020-01-02T05"], dtype="datetime64[h]")
    seconds = hours.astype("datetime64[s]").astype(np.int64).astype(float)
    expected = np.outer(np.sin(np.pi * lat / 90.0) * np.sin(np.pi * lon / 90.0), np.sin(np.pi * seconds / 90.0))
    assert out.dims == ("lat_lon", "time")
    assert_values(out, expected)


def test_arange_is_row_major_in_request_order():
    coords = Coordinates(
        [clinspace(5, 170, 4, "lon"), [-10.0, 15.5, 40.0], ["2018-01-01", "2018-01-03"]], dims=["lon", "lat", "time"]
    )
    out = Arange().eval(coords)
    assert out.dims == ("lon", "lat", "time") and out.dtype == np.float64
    assert_values(out, np.arange(24.0).reshape(4, 3, 2))
    assert_values(Arange().eval(STACKED), [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])


@pytest.mark.parametrize(
    "name, coords, values",
    [
        ("lat", STACKED, [1.0, 20.0, 50.0]),
        ("lon", STACKED, [10.0, 30.0, 100.0]),
        ("time", STACKED, [438288.0, 438317.0]),  # datetime64[h]: hours since 1970
        ("time", Coordinates([["2018-01-01", "2018-01-03"]], dims=["time"]), [17532.0, 17534.0]),  # days
        ("time", SIN_MORE["hourly_time_across_epoch"][0], [-2.0, -1.0, 0.0, 1.0]),
        ("time", SIN_MORE["millisecond_times"][0], [1583060399750.0, 1625356800000.0]),
        ("lat", LAT_LON, [-10.0, 15.0, 40.0]),
    ],
)
def test_coorddata_values_match_podpac_broadcast_over_the_request(name, coords, values):
    out = CoordData(coord_name=name).eval(coords)
    assert out.dims == coords.dims
    axis = next(i for i, c in enumerate(coords.values()) if name in c.udims)
    shape = [1] * coords.ndim
    shape[axis] = -1
    assert_values(out, np.broadcast_to(np.reshape(values, shape), coords.shape))


def test_coorddata_missing_dim_is_a_coordinates_error():
    with pytest.raises(CoordinatesError, match="'alt'"):
        CoordData(coord_name="alt").eval(LAT_LON)


@pytest.mark.parametrize(
    "kwargs, field",
    [({}, "attrs.coord_name"), ({"coord_name": "height"}, "attrs.coord_name"), ({"coord_name": 3}, "attrs.coord_name")],
)
def test_coorddata_bad_coord_name(kwargs, field):
    with pytest.raises(PipelineError) as info:
        CoordData(**kwargs)
    assert info.value.field == field


def test_bad_bookkeeping_attr_names_the_field():
    with pytest.raises(PipelineError) as info:
        SinCoords(xarray_floating_point_correction="yes")
    assert info.value.field == "attrs.xarray_floating_point_correction"
    with pytest.raises(PipelineError) as info:
        Arange(colour=1)
    assert info.value.field == "attrs.colour"


def test_definitions_equal_podpacs():
    assert SinCoords().json == PODPAC_JSON["SinCoords"]
    assert Arange().json == PODPAC_JSON["Arange"]
    assert CoordData(coord_name="lon").json == PODPAC_JSON["CoordData"]


@pytest.mark.parametrize("name", sorted(PODPAC_JSON))
def test_podpac_json_loads_and_writes_back_identically(name):
    node = load(PODPAC_JSON[name])
    assert node.json == PODPAC_JSON[name]
    assert_round_trips(node)


def test_short_names_load():
    node = load(
        {"s": {"node": "algorithm.SinCoords"}, "c": {"node": "algorithm.CoordData", "attrs": {"coord_name": "lat"}}}
    )
    assert isinstance(node, CoordData) and node.coord_name == "lat"
    assert load({"a": {"node": "algorithm.Arange"}}).hash == Arange().hash


def test_hash_ignores_style_but_not_attrs():
    assert SinCoords().hash == SinCoords(style={}).hash
    assert CoordData(coord_name="lat").hash != CoordData(coord_name="lon").hash


@pytest.mark.parametrize("case", reference_cases("SinCoords", "Arange", "CoordData"), ids=case_id)
def test_shared_podpac_reference_cases(case):
    assert_matches_reference(load(case["pipeline"]), case)


def test_coord_data_broadcastable_values_are_its_values_without_the_repeats():
    import podpac_exec as pe

    coords = pe.Coordinates([pe.clinspace(0, 1, 3, "lat"), pe.clinspace(10, 12, 4, "lon")])
    node = CoordData(coord_name="lon")
    compact, dims = node.eval_broadcastable(coords)
    full, full_dims = node.eval_values(coords)
    assert compact.shape == (1, 4) and dims == full_dims == ("lat", "lon")
    np.testing.assert_array_equal(np.broadcast_to(compact, full.shape), full)
    out = node.eval(coords)
    # like PODPAC's, one value per coordinate: a read-only broadcast view, written to only as a copy
    assert out.values.base is not None and not out.values.flags.writeable
    assert out.values.strides[0] == 0
    with pytest.raises(ValueError, match="read-only"):
        out.values[0, 0] = -1.0
    copied = out.copy()
    copied.values[0, 0] = -1.0
    assert copied.values[0, 0] == -1.0 and out.values[0, 0] == 10.0


def test_arithmetic_of_coord_data_equals_it_on_full_inputs_and_is_writable():
    import podpac_exec as pe
    from podpac_exec.nodes.generic import Arithmetic

    coords = pe.Coordinates([pe.clinspace(-60, 60, 256, "lat"), pe.clinspace(-10, 10, 300, "lon")])
    node = Arithmetic(A=SinCoords(), B=CoordData(coord_name="lat"), eqn="A * cos(B * {deg}) + 0.25",
                      params={"deg": 0.017453292519943295})  # fmt: skip
    got = pe.evaluate(node, coords)
    a = node._named_inputs["A"].eval_values(coords)[0]
    b = np.broadcast_to(coords["lat"].coordinates[:, None], a.shape)
    expected = a * np.cos(b * 0.017453292519943295) + 0.25
    assert got.values.view(np.int64).tolist() == expected.view(np.int64).tolist()
    got.values[0, 0] = 0.0
