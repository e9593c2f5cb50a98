"""OrderedCompositor against PODPAC 4.0.5: fill order, inf, dims, source_coordinates, laziness, JSON."""

from __future__ import annotations

import numpy as np
import pytest
from algorithm_helpers import (
    C1,
    C2,
    assert_matches_reference,
    assert_round_trips,
    assert_values,
    case_id,
    load,
    reference_cases,
)
from numpy import inf, nan

from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.errors import PipelineError
from podpac_exec.nodes import stats
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.compositor import OrderedCompositor
from podpac_exec.nodes.generic import Mask
from podpac_exec.nodes.utility import Arange


_a = Arange()
S1 = Mask(source=_a, mask=_a, bool_op=">=", bool_val=6)  # NaN from 6 on
# NaN below 3, -7.25 from 6 on, +inf at 13 (inf does not count as filled)
S2 = Mask(
    source=Mask(
        source=Mask(source=_a, mask=_a, bool_op=">=", bool_val=6, masked_val=-7.25), mask=_a, bool_op="<", bool_val=3
    ),
    mask=_a,
    bool_val=13,
    masked_val=inf,
)
S3 = Mask(source=Mask(source=_a, mask=_a, bool_val=20), mask=_a, bool_val=10, masked_val=-1.5)

_FILLED_C1 = [
    [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [-7.25, -7.25]],
    [[-7.25, -7.25], [-7.25, -7.25], [-7.25, nan], [-7.25, -7.25]],
    [[-7.25, -7.25], [-7.25, -7.25], [-7.25, -7.25], [-7.25, -7.25]],
]
# PODPAC 4.0.5: OrderedCompositor(sources=...).eval(c).data
EXPECTED = {
    ("two", "C1"): _FILLED_C1,
    ("two", "C2"): [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]],
    ("three", "C1"): [
        [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [-7.25, -7.25]],
        [[-7.25, -7.25], [-7.25, -7.25], [-7.25, 13.0], [-7.25, -7.25]],
        [[-7.25, -7.25], [-7.25, -7.25], [-7.25, -7.25], [-7.25, -7.25]],
    ],
    ("three", "C2"): [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]],
    ("inf_not_filled", "C1"): _FILLED_C1,
    ("inf_not_filled", "C2"): [[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]],
}
COMPOSITORS = {
    "two": OrderedCompositor(sources=[S1, S2]),
    "three": OrderedCompositor(sources=[S1, S2, S3]),
    "inf_not_filled": OrderedCompositor(sources=[S2, S1]),
}

_MASKS_JSON = (
    '{"Arange":{"node":"core.algorithm.utility.Arange","attrs":{"xarray_floating_point_correction":false}},'
    '"Mask":{"node":"core.algorithm.generic.Mask","attrs":{"bool_op":">=","bool_val":2.0,"in_place":false,"masked_val":null,'
    '"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Arange"}},'
    '"Mask_1":{"node":"core.algorithm.generic.Mask","attrs":{"bool_op":">=","bool_val":4.0,"in_place":false,"masked_val":null,'
    '"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Arange"}},'
    '"Mask_2":{"node":"core.algorithm.generic.Mask","attrs":{"bool_op":">=","bool_val":6.0,"in_place":false,"masked_val":null,'
    '"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Arange"}},'
    '"Mask_3":{"node":"core.algorithm.generic.Mask","attrs":{"bool_op":">=","bool_val":100.0,"in_place":false,"masked_val":null,'
    '"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Arange"}},'
)
SOURCE_COORDINATES_JSON = (
    _MASKS_JSON + '"OrderedCompositor":{"node":"core.compositor.ordered_compositor.OrderedCompositor",'
    '"attrs":{"dims":[],"source_coordinates":{"coords":[{"values":["2018-01-01","2018-01-02","2018-01-03","2018-01-05"],"name":"time"}],'
    '"crs":"+proj=longlat +datum=WGS84 +no_defs +vunits=m"}},"inputs":{"sources":["Mask","Mask_1","Mask_2","Mask_3"]}},'
    '"podpac_version":"4.0.5"}'
)
DIMS_JSON = (
    '{"Arange":{"node":"core.algorithm.utility.Arange","attrs":{"xarray_floating_point_correction":false}},"Mask":{"node":'
    '"core.algorithm.generic.Mask","attrs":{"bool_op":">=","bool_val":6.0,"in_place":false,"masked_val":null,'
    '"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Arange"}},"Mask_1":{"node":'
    '"core.algorithm.generic.Mask","attrs":{"bool_op":">=","bool_val":6.0,"in_place":false,"masked_val":-7.25,'
    '"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Arange"}},"Mask_2":{"node":'
    '"core.algorithm.generic.Mask","attrs":{"bool_op":"<","bool_val":3.0,"in_place":false,"masked_val":null,'
    '"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Mask_1"}},"Mask_3":{"node":'
    '"core.algorithm.generic.Mask","attrs":{"bool_op":"==","bool_val":13.0,"in_place":false,"masked_val":Infinity,'
    '"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Mask_2"}},"OrderedCompositor":{"node":'
    '"core.compositor.ordered_compositor.OrderedCompositor","attrs":{"dims":["lat","lon"],"source_coordinates":null},'
    '"inputs":{"sources":["Mask","Mask_3"]}},"podpac_version":"4.0.5"}'
)
_BY_THRESHOLD = [Mask(source=_a, mask=_a, bool_op=">=", bool_val=k) for k in (2.0, 4.0, 6.0, 100.0)]
# PODPAC 4.0.5 on a (lat 2, lon 3, time n) request, flattened; sources NaN from 2, 4, 6, 100 on
BY_TIME = {
    ("2018-01-02T12",): [0.0, 1.0, 2.0, 3.0, nan, nan],  # hour bounds floored to the source's days
    ("2018-01-02", "2018-01-03"): [0.0, 1.0, 2.0, 3.0, 4.0, 5.0] + [nan] * 6,
    ("2018-01-03T00:00:01",): [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
    ("2017-12-01",): [nan] * 6,
    ("2019-01-01",): [nan] * 6,
    ("2018-01-04",): [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],  # outer: the sources on either side
    ("2017-01-01", "2019-01-01"): list(np.arange(12.0)),
    ("2018-01-02T00:00:00",): [0.0, 1.0, 2.0, 3.0, nan, nan],
}
BY_LAT = {
    (12.0, 14.0): [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
    (10.0, 20.0): [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
    (-5.0, 0.0): [0.0, 1.0, nan, nan, nan, nan],
    (31.0, 40.0): [nan] * 6,
    (15.0, 35.0): [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
    (20.0,): [0.0, 1.0, 2.0],
}


class Exploding(Node):
    """A source that must not be evaluated."""

    def _eval(self, coordinates):
        raise AssertionError("evaluated a source after the output was full")


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=repr)
def test_fills_nan_in_source_order_like_podpac(key):
    name, cname = key
    coords = {"C1": C1, "C2": C2}[cname]
    out = COMPOSITORS[name].eval(coords)
    assert out.dims == coords.dims
    assert_values(out, EXPECTED[key])


def test_stops_evaluating_once_full():
    node = OrderedCompositor(sources=[Arange(), Exploding()])
    assert_values(node.eval(C1), np.arange(24.0).reshape(3, 4, 2))
    with pytest.raises(AssertionError, match="evaluated a source"):
        OrderedCompositor(sources=[S1, Exploding()]).eval(C1)


def test_infinite_values_never_fill():
    only_inf = Mask(source=_a, mask=_a, bool_op=">=", bool_val=0, masked_val=inf)
    out = OrderedCompositor(sources=[only_inf]).eval(C2)
    assert np.isnan(out.values).all()


def test_dims_drops_extra_request_dims_like_podpac():
    node = OrderedCompositor(sources=[S1, S2], dims=["lat", "lon"])
    out = node.eval(C1)
    assert out.dims == ("lat", "lon")
    assert_values(out, [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, -7.25, -7.25], [-7.25, -7.25, -7.25, -7.25]])
    assert node.output_coordinates(C1).dims == ("lat", "lon")
    assert node.requirements(C1).reduce_dims == {"time"}
    assert node.requirements().reduce_dims == {"alt", "time"}
    assert node.json == DIMS_JSON
    assert OrderedCompositor(sources=[S1], dims=["lat"]).eval(C2).dims == ("lat_lon",)  # stacked kept by a part
    assert OrderedCompositor(sources=[S1], dims=["time"]).eval(C2).dims == ("time",)


def test_sources_with_fewer_dims_are_broadcast():
    # PODPAC raises here (source dims differ from the request's); we broadcast onto the request
    out = OrderedCompositor(sources=[S1, stats.Mean(source=_a, dims=["time"])]).eval(C1)
    want = np.where(np.arange(24.0) >= 6, np.repeat(np.arange(0.5, 24.0, 2.0), 2), np.arange(24.0))
    assert_values(out, want.reshape(3, 4, 2))


@pytest.mark.parametrize("times", sorted(BY_TIME), ids=repr)
def test_source_coordinates_select_by_time_like_podpac(times):
    node = load(SOURCE_COORDINATES_JSON)
    coords = Coordinates(
        [clinspace(0, 1, 2, "lat"), clinspace(0, 2, 3, "lon"), list(times)], dims=["lat", "lon", "time"]
    )
    assert_values(node.eval(coords).values.ravel(), BY_TIME[times])


def test_source_coordinates_ignored_when_the_request_lacks_their_dim():
    node = load(SOURCE_COORDINATES_JSON)
    out = node.eval(Coordinates([clinspace(0, 1, 2, "lat"), clinspace(0, 2, 3, "lon")]))
    assert_values(out, np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("lats", sorted(BY_LAT), ids=repr)
def test_source_coordinates_select_by_lat_like_podpac(lats):
    lat_sources = Coordinates([[0.0, 10.0, 20.0, 30.0]], dims=["lat"])
    node = OrderedCompositor(sources=_BY_THRESHOLD, source_coordinates=lat_sources)
    coords = Coordinates([list(lats), clinspace(0, 2, 3, "lon")], dims=["lat", "lon"])
    assert_values(node.eval(coords).values.ravel(), BY_LAT[lats])


def test_podpac_json_loads_and_writes_back_identically():
    for text in (SOURCE_COORDINATES_JSON, DIMS_JSON):
        node = load(text)
        assert node.json == text
        assert_round_trips(node)
    time_sources = load(SOURCE_COORDINATES_JSON).source_coordinates
    assert OrderedCompositor(sources=_BY_THRESHOLD, source_coordinates=time_sources).json == SOURCE_COORDINATES_JSON


def test_multithreading_is_accepted_and_not_written():
    definition = {
        "a": {"node": "algorithm.Arange"},
        "c": {"node": "compositor.OrderedCompositor", "attrs": {"multithreading": False}, "inputs": {"sources": ["a"]}},
    }
    node = load(definition)
    assert "multithreading" not in node.json
    assert node.hash == OrderedCompositor(sources=[Arange()], multithreading=True).hash
    assert load({**definition, "c": {**definition["c"], "node": "core.compositor.OrderedCompositor"}}).hash == node.hash


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"sources": []}, "inputs.sources"),
        ({"sources": [3]}, "attrs.sources"),
        ({"dims": ["lat_lon"]}, "attrs.dims"),
        ({"multithreading": "yes"}, "attrs.multithreading"),
        ({"interpolation": "nearest"}, "attrs.interpolation"),
        ({"source_coordinates": {"coords": [[0.0, 1.0]]}}, "attrs.source_coordinates"),
        ({"source_coordinates": Coordinates([[0.0, 1.0], [2.0, 3.0]], dims=["lat", "lon"])}, "attrs.source_coordinates"),
        ({"source_coordinates": Coordinates([[0.0, 1.0, 2.0]], dims=["lat"])}, "attrs.source_coordinates"),
    ],
)
def test_bad_attrs_name_the_field(kwargs, field):
    kwargs.setdefault("sources", [S1, S2])
    with pytest.raises(PipelineError) as info:
        OrderedCompositor(**kwargs)
    assert info.value.field == field


def test_sources_order_matters_for_the_hash():
    assert OrderedCompositor(sources=[S1, S2]).hash != OrderedCompositor(sources=[S2, S1]).hash


_SHARED = reference_cases(
    "Array", "Interpolate", "Arange", "Mask", "SinCoords", "Mean", "OrderedCompositor", using="OrderedCompositor"
)


@pytest.mark.parametrize("case", _SHARED, ids=case_id)
def test_shared_podpac_reference_cases(case):
    assert_matches_reference(load(case["pipeline"]), case)
