"""Mean, Min, Max, Sum, StandardDeviation, Count against PODPAC 4.0.5; dims, NaN, stacked; JSON."""

from __future__ import annotations

import warnings

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
from podpac_exec.nodes.generic import Mask
from podpac_exec.nodes.traits import ArrayTrait
from podpac_exec.nodes.utility import Arange, SinCoords

COORDS = {"C1": C1, "C2": C2}

_a = Arange()
# Arange with NaN from 16 on (a whole lat row on C1), NaN at 5 and +inf at 9
SOURCE = Mask(
    source=Mask(source=Mask(source=_a, mask=_a, bool_op=">=", bool_val=16), mask=_a, bool_val=5),
    mask=_a,
    bool_val=9,
    masked_val=float("inf"),
)
SOURCE_JSON = (
    '{"Arange":{"node":"core.algorithm.utility.Arange","attrs":{"xarray_floating_point_correction":false}},'
    '"Mask":{"node":"core.algorithm.generic.Mask","attrs":{"bool_op":">=","bool_val":16.0,"in_place":false,'
    '"masked_val":null,"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Arange"}},'
    '"Mask_1":{"node":"core.algorithm.generic.Mask","attrs":{"bool_op":"==","bool_val":5.0,"in_place":false,'
    '"masked_val":null,"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Mask"}},'
    '"Mask_2":{"node":"core.algorithm.generic.Mask","attrs":{"bool_op":"==","bool_val":9.0,"in_place":false,'
    '"masked_val":Infinity,"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":"Mask_1"}},'
)
MEAN_JSON = (
    SOURCE_JSON + '"Mean":{"node":"core.algorithm.stats.Mean","attrs":{"dims":["lat","time"]},'
    '"inputs":{"source":"Mask_2"}},"podpac_version":"4.0.5"}'
)

# PODPAC 4.0.5: getattr(stats, CLASS)(source=SOURCE, dims=DIMS).eval(COORDS[C]) -> (dims, dtype, data)
EXPECTED = {
    ('Mean', 'C1', None): ((), 'float64', inf),
    ('Mean', 'C1', ('lat',)): (('lon', 'time'), 'float64', [[4.0, inf], [6.0, 7.0], [8.0, 13.0], [10.0, 11.0]]),
    ('Mean', 'C1', ('time',)): (('lat', 'lon'), 'float64', [[0.5, 2.5, 4.0, 6.5], [inf, 10.5, 12.5, 14.5], [nan, nan, nan, nan]]),
    ('Mean', 'C1', ('lat', 'lon')): (('time',), 'float64', [7.0, inf]),
    ('Mean', 'C1', ('lon', 'time')): (('lat',), 'float64', [3.2857142857142856, inf, nan]),
    ('Mean', 'C1', ('alt',)): (('lat', 'lon', 'time'), 'float64', [[[0.0, 1.0], [2.0, 3.0], [4.0, nan], [6.0, 7.0]], [[8.0, inf], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0]], [[nan, nan], [nan, nan], [nan, nan], [nan, nan]]]),
    ('Mean', 'C2', None): ((), 'float64', 2.0),
    ('Mean', 'C2', ('lat', 'lon')): (('lat_lon', 'time'), 'float64', [[0.0, 1.0], [2.0, 3.0], [4.0, nan]]),
    ('Mean', 'C2', ('time',)): (('lat_lon',), 'float64', [0.5, 2.5, 4.0]),
    ('Min', 'C1', None): ((), 'float64', 0.0),
    ('Min', 'C1', ('lat',)): (('lon', 'time'), 'float64', [[0.0, 1.0], [2.0, 3.0], [4.0, 13.0], [6.0, 7.0]]),
    ('Min', 'C1', ('time',)): (('lat', 'lon'), 'float64', [[0.0, 2.0, 4.0, 6.0], [8.0, 10.0, 12.0, 14.0], [nan, nan, nan, nan]]),
    ('Min', 'C1', ('lat', 'lon')): (('time',), 'float64', [0.0, 1.0]),
    ('Min', 'C1', ('lon', 'time')): (('lat',), 'float64', [0.0, 8.0, nan]),
    ('Min', 'C1', ('alt',)): (('lat', 'lon', 'time'), 'float64', [[[0.0, 1.0], [2.0, 3.0], [4.0, nan], [6.0, 7.0]], [[8.0, inf], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0]], [[nan, nan], [nan, nan], [nan, nan], [nan, nan]]]),
    ('Min', 'C2', None): ((), 'float64', 0.0),
    ('Min', 'C2', ('lat', 'lon')): (('lat_lon', 'time'), 'float64', [[0.0, 1.0], [2.0, 3.0], [4.0, nan]]),
    ('Min', 'C2', ('time',)): (('lat_lon',), 'float64', [0.0, 2.0, 4.0]),
    ('Max', 'C1', None): ((), 'float64', inf),
    ('Max', 'C1', ('lat',)): (('lon', 'time'), 'float64', [[8.0, inf], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0]]),
    ('Max', 'C1', ('time',)): (('lat', 'lon'), 'float64', [[1.0, 3.0, 4.0, 7.0], [inf, 11.0, 13.0, 15.0], [nan, nan, nan, nan]]),
    ('Max', 'C1', ('lat', 'lon')): (('time',), 'float64', [14.0, inf]),
    ('Max', 'C1', ('lon', 'time')): (('lat',), 'float64', [7.0, inf, nan]),
    ('Max', 'C1', ('alt',)): (('lat', 'lon', 'time'), 'float64', [[[0.0, 1.0], [2.0, 3.0], [4.0, nan], [6.0, 7.0]], [[8.0, inf], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0]], [[nan, nan], [nan, nan], [nan, nan], [nan, nan]]]),
    ('Max', 'C2', None): ((), 'float64', 4.0),
    ('Max', 'C2', ('lat', 'lon')): (('lat_lon', 'time'), 'float64', [[0.0, 1.0], [2.0, 3.0], [4.0, nan]]),
    ('Max', 'C2', ('time',)): (('lat_lon',), 'float64', [1.0, 3.0, 4.0]),
    ('Sum', 'C1', None): ((), 'float64', inf),
    ('Sum', 'C1', ('lat',)): (('lon', 'time'), 'float64', [[8.0, inf], [12.0, 14.0], [16.0, 13.0], [20.0, 22.0]]),
    ('Sum', 'C1', ('time',)): (('lat', 'lon'), 'float64', [[1.0, 5.0, 4.0, 13.0], [inf, 21.0, 25.0, 29.0], [0.0, 0.0, 0.0, 0.0]]),
    ('Sum', 'C1', ('lat', 'lon')): (('time',), 'float64', [56.0, inf]),
    ('Sum', 'C1', ('lon', 'time')): (('lat',), 'float64', [23.0, inf, 0.0]),
    ('Sum', 'C1', ('alt',)): (('lat', 'lon', 'time'), 'float64', [[[0.0, 1.0], [2.0, 3.0], [4.0, nan], [6.0, 7.0]], [[8.0, inf], [10.0, 11.0], [12.0, 13.0], [14.0, 15.0]], [[nan, nan], [nan, nan], [nan, nan], [nan, nan]]]),
    ('Sum', 'C2', None): ((), 'float64', 10.0),
    ('Sum', 'C2', ('lat', 'lon')): (('lat_lon', 'time'), 'float64', [[0.0, 1.0], [2.0, 3.0], [4.0, nan]]),
    ('Sum', 'C2', ('time',)): (('lat_lon',), 'float64', [1.0, 5.0, 4.0]),
    ('StandardDeviation', 'C1', None): ((), 'float64', nan),
    ('StandardDeviation', 'C1', ('lat',)): (('lon', 'time'), 'float64', [[4.0, nan], [4.0, 4.0], [4.0, 0.0], [4.0, 4.0]]),
    ('StandardDeviation', 'C1', ('time',)): (('lat', 'lon'), 'float64', [[0.5, 0.5, 0.0, 0.5], [nan, 0.5, 0.5, 0.5], [nan, nan, nan, nan]]),
    ('StandardDeviation', 'C1', ('lat', 'lon')): (('time',), 'float64', [4.58257569495584, nan]),
    ('StandardDeviation', 'C1', ('lon', 'time')): (('lat',), 'float64', [2.3733211036908783, nan, nan]),
    ('StandardDeviation', 'C1', ('alt',)): (('lat', 'lon', 'time'), 'float64', [[[0.0, 0.0], [0.0, 0.0], [0.0, nan], [0.0, 0.0]], [[0.0, nan], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], [[nan, nan], [nan, nan], [nan, nan], [nan, nan]]]),
    ('StandardDeviation', 'C2', None): ((), 'float64', 1.4142135623730951),
    ('StandardDeviation', 'C2', ('lat', 'lon')): (('lat_lon', 'time'), 'float64', [[0.0, 0.0], [0.0, 0.0], [0.0, nan]]),
    ('StandardDeviation', 'C2', ('time',)): (('lat_lon',), 'float64', [0.5, 0.5, 0.0]),
    ('Count', 'C1', None): ((), 'int64', 14),
    ('Count', 'C1', ('lat',)): (('lon', 'time'), 'float64', [[2.0, 1.0], [2.0, 2.0], [2.0, 1.0], [2.0, 2.0]]),
    ('Count', 'C1', ('time',)): (('lat', 'lon'), 'float64', [[2.0, 2.0, 1.0, 2.0], [1.0, 2.0, 2.0, 2.0], [0.0, 0.0, 0.0, 0.0]]),
    ('Count', 'C1', ('lat', 'lon')): (('time',), 'float64', [8.0, 6.0]),
    ('Count', 'C1', ('lon', 'time')): (('lat',), 'float64', [7.0, 7.0, 0.0]),
    ('Count', 'C1', ('alt',)): (('lat', 'lon', 'time'), 'float64', [[[1.0, 1.0], [1.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0], [1.0, 1.0], [1.0, 1.0]], [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]]),
    ('Count', 'C2', None): ((), 'int64', 5),
    ('Count', 'C2', ('lat', 'lon')): (('lat_lon', 'time'), 'float64', [[1.0, 1.0], [1.0, 1.0], [1.0, 0.0]]),
    ('Count', 'C2', ('time',)): (('lat_lon',), 'float64', [2.0, 2.0, 1.0]),
}

REDUCTIONS = ["Mean", "Min", "Max", "Sum", "StandardDeviation", "Count"]


class Fixed(Node):
    """Test source: fixed data laid out on the request's shape."""

    data = ArrayTrait().tag(attr=True)

    def _eval(self, coordinates):
        return np.asarray(self.data).reshape(coordinates.shape)


@pytest.mark.parametrize("key", sorted(EXPECTED, key=repr), ids=repr)
def test_reductions_match_podpac(key):
    name, cname, dims = key
    want_dims, want_dtype, want = EXPECTED[key]
    node = getattr(stats, name)(source=SOURCE, dims=list(dims) if dims else None)
    coords = COORDS[cname]
    out = node.eval(coords)
    assert out.dims == want_dims
    assert str(out.dtype) == want_dtype
    assert_values(out, want)
    assert node.output_coordinates(coords).dims == want_dims


def test_source_definition_equals_podpacs():
    assert SOURCE.json == SOURCE_JSON + '"podpac_version":"4.0.5"}'


def test_podpac_json_loads_and_writes_back_identically():
    node = load(MEAN_JSON)
    assert isinstance(node, stats.Mean) and node.dims == ["lat", "time"]
    assert node.json == MEAN_JSON
    assert_round_trips(node)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_every_reduction_round_trips_by_full_and_short_name(name):
    node = getattr(stats, name)(source=SOURCE, dims=["time"])
    assert_round_trips(node)
    short = node.definition
    short[name]["node"] = f"algorithm.{name}"
    assert load(short).hash == node.hash


def test_style_passes_through_from_the_source_like_podpac():
    expected = (
        '{"SinCoords":{"node":"core.algorithm.utility.SinCoords","attrs":{"xarray_floating_point_correction":false},'
        '"style":{"colormap":"jet","clim":[-1.0,1.0]}},"Mean":{"node":"core.algorithm.stats.Mean","attrs":{"dims":'
        '["lon"]},"inputs":{"source":"SinCoords"},"style":{"colormap":"jet","clim":[-1.0,1.0]}},"podpac_version":"4.0.5"}'
    )
    node = stats.Mean(source=SinCoords(), dims="lon")  # a string is one dim, as in PODPAC
    assert node.dims == ["lon"]
    assert node.json == expected
    assert load(expected).json == expected


def test_source_with_fewer_dims_is_broadcast_onto_the_reduced_request_like_podpac():
    out = stats.Sum(dims=["lon"], source=stats.Mean(source=_a, dims=["time"])).eval(C1)
    assert out.dims == ("lat", "time")
    assert_values(out, [[14.0, 14.0], [46.0, 46.0], [78.0, 78.0]])
    out = stats.StandardDeviation(dims=["lat"], source=stats.Sum(source=_a, dims=["time"])).eval(C1)
    assert out.dims == ("lon", "time")
    assert_values(out, np.full((4, 2), 13.063945294843617))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("axes", [(0,), (1,), (2,), (0, 2), (0, 1, 2)])
def test_nan_statistics_equal_numpy_nan_functions(seed, axes):
    rng = np.random.default_rng(seed)
    data = rng.normal(size=(5, 7, 3)) * 10.0 ** rng.integers(-3, 4)
    data[rng.random(data.shape) < 0.3] = np.nan
    data[1, :, :] = np.nan
    coords = Coordinates([clinspace(0, 1, 5, "lat"), clinspace(0, 1, 7, "lon"), clinspace(0, 1, 3, "alt")])
    dims = [coords.dims[i] for i in axes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        reference = {
            "Mean": np.nanmean(data, axis=axes),
            "Min": np.nanmin(data, axis=axes),
            "Max": np.nanmax(data, axis=axes),
            "Sum": np.nansum(data, axis=axes),
            "StandardDeviation": np.nanstd(data, axis=axes),
            "Count": np.sum(np.isfinite(data), axis=axes),
        }
    for name, want in reference.items():
        got = getattr(stats, name)(source=Fixed(data=data), dims=dims).eval(coords).values
        np.testing.assert_array_equal(got, want, err_msg=name)


def test_reductions_do_not_warn_on_all_nan_slices(recwarn):
    data = np.full((2, 3), np.nan)
    coords = Coordinates([clinspace(0, 1, 2, "lat"), clinspace(0, 1, 3, "lon")])
    for name in REDUCTIONS:
        getattr(stats, name)(source=Fixed(data=data), dims=["lon"]).eval(coords)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_requirements_declare_the_reduced_dims():
    assert stats.Mean(source=SOURCE, dims=["time"]).requirements().reduce_dims == {"time"}
    assert stats.Mean(source=SOURCE).requirements().reduce_dims == {"lat", "lon", "alt", "time"}
    # exact for a request: PODPAC does not reduce lat_lon for dims ['lat', 'lon']
    assert stats.Sum(source=SOURCE, dims=["lat", "lon"]).requirements(C2).reduce_dims == frozenset()
    assert stats.Sum(source=SOURCE).requirements(C2).reduce_dims == {"lat_lon", "time"}
    assert stats.Sum(source=SOURCE, dims=["time", "alt"]).requirements(C1).reduce_dims == {"time"}
    graph = stats.Mean(source=stats.Max(source=SOURCE, dims=["lat"]), dims=["time"]).graph_requirements()
    assert graph.reduce_dims == {"lat", "time"}


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"dims": []}, "attrs.dims"),
        ({"dims": ["lat_lon"]}, "attrs.dims"),
        ({"dims": ["x"]}, "attrs.dims"),
        ({"dims": ["lat", "lon", "alt", "time", "lat"]}, "attrs.dims"),
        ({"dims": ["lat", "lat"]}, "attrs.dims"),
        ({"dims": 3}, "attrs.dims"),
        ({"source": 3}, "attrs.source"),
        ({"chunk_size": 10}, "attrs.chunk_size"),
    ],
)
def test_bad_attrs_name_the_field(kwargs, field):
    kwargs.setdefault("source", SOURCE)
    with pytest.raises(PipelineError) as info:
        stats.Mean(**kwargs)
    assert info.value.field == field


def test_missing_source_is_an_error():
    with pytest.raises(PipelineError) as info:
        stats.Count(dims=["lat"])
    assert info.value.field == "inputs.source"


@pytest.mark.parametrize("case", reference_cases("Array", *REDUCTIONS), ids=case_id)
def test_shared_podpac_reference_cases(case):
    assert_matches_reference(load(case["pipeline"]), case)


@pytest.mark.parametrize("percentile", [-0.5, 100.01, float("nan")])
def test_percentile_outside_0_100_is_a_one_line_error(percentile):
    from podpac_exec.errors import PipelineError
    from podpac_exec.nodes.stats import Percentile
    from podpac_exec.nodes.utility import SinCoords

    with pytest.raises(PipelineError) as info:
        Percentile(source=SinCoords(), percentile=percentile)
    assert info.value.field == "attrs.percentile" and "0..100" in str(info.value)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape, axes", [((731, 60, 60), (0,)), ((40, 30, 20), (0, 1)), ((3, 1000), (0,)), ((7, 1), (0,)),
                                         ((5000, 37), (0,)), ((40000, 3), (0,)), ((2, 2), (0,))])
def test_blocked_variance_equals_the_whole_array_formula(shape, axes, threads):
    import contextlib

    from podpac_exec.nodes.parallel import one_thread
    from podpac_exec.nodes.stats import Variance
    from podpac_exec.nodes.utility import Arange

    a = np.random.default_rng(0).normal(1e3, 50, shape) ** 2
    arr = a - np.sum(a, axis=axes, keepdims=True) / np.intp(np.prod([shape[i] for i in axes]))
    arr *= arr
    expected = np.sum(arr, axis=axes) / np.intp(np.prod([shape[i] for i in axes]))
    with one_thread() if threads == 1 else contextlib.nullcontext():
        got = Variance(source=Arange()).reduce(a, axes)
    np.testing.assert_array_equal(got, expected)


def test_blocked_variance_masks_a_column_with_nan_and_gives_nan_for_inf():
    from podpac_exec.nodes.stats import Variance

    a = np.random.default_rng(1).normal(0, 1, (900, 80))
    a[5, 3], a[7, 9], a[800, 9] = np.nan, np.inf, -np.inf
    a[1, 11] = np.inf
    got = Variance(source=Arange()).reduce(a, (0,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanvar(a, axis=0)
    np.testing.assert_array_equal(got, expected)
    assert np.isfinite(got[3]) and np.isnan(got[9]) and np.isnan(got[11])


# -- blockwise NaN sums: the values of the whole-array calls -------------------------------------

def _whole_mean(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    nan = np.isnan(a)
    return np.sum(np.where(nan, 0.0, a), axis=axes) / np.sum(~nan, axis=axes, dtype=np.intp)


BLOCKWISE = [((731, 20, 20), (0,)), ((600, 600), (0, 1)), ((600, 600), (1, 0)), ((731, 20, 20), (1, 2)),
             ((731, 20, 20), (0, 1)), ((731, 20, 20), (2,)), ((300, 1001, 1), (0,)), ((301, 1, 1001), (0, 1)),
             ((3, 100000), (1,)), ((262147,), (0,)), ((4, 300, 300), (1,))]


@pytest.mark.parametrize("threaded", [True, False])
@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("shape,axes", BLOCKWISE, ids=[f"{s}-{a}" for s, a in BLOCKWISE])
def test_blockwise_mean_is_bitwise_the_whole_array_mean(shape, axes, in_place, threaded):
    import contextlib

    from podpac_exec.nodes.parallel import one_thread

    rng = np.random.default_rng(len(shape) + sum(shape))
    a = rng.standard_normal(shape) * 1e4 + 3e5
    a[rng.random(shape) < 0.05] = np.nan
    expected = _whole_mean(a, axes)
    assert stats.nan_sums(a, axes) is not None  # the blockwise path is taken
    with np.errstate(invalid="ignore"), contextlib.nullcontext() if threaded else one_thread():
        got = stats.Mean(source=Arange()).reduce(a.copy(), axes, in_place=in_place)
    assert np.array_equal(np.asarray(got).view(np.int64), np.asarray(expected).view(np.int64))


def test_blockwise_sums_keep_all_nan_cells_and_numpys_chunked_total():
    a = np.full((700, 400), np.nan)
    a[:, 1:] = np.arange(700 * 399, dtype=float).reshape(700, 399) * 1e-3
    sums, counts = stats.nan_sums(a, (0,))
    assert sums[0] == 0.0 and counts[0] == 0 and np.all(counts[1:] == 700)
    assert stats._flat_sums_agree()  # numpy sums contiguous data in 8192-element chunks here
    total, count = stats.nan_sums(a, (0, 1))
    assert total == np.sum(np.where(np.isnan(a), 0.0, a)) and count == 700 * 399


def test_mean_of_a_fresh_source_equals_the_mean_of_a_shared_one():
    coords = Coordinates([clinspace(0, 1, 700, "lat"), clinspace(0, 1, 400, "lon")])
    holes = Mask(source=Arange(), mask=Arange(), bool_op="<", bool_val=1000.0)
    fresh = stats.Mean(source=holes, dims=["lat"]).eval(coords).values
    shared = _whole_mean(holes.eval(coords).values, (0,))
    assert np.array_equal(fresh, shared, equal_nan=True)


def test_a_reduction_never_writes_into_a_view_of_its_sources_array():
    import podpac_exec as pe
    from podpac_exec.nodes.data import Array
    from podpac_exec.nodes.stats import Mean

    coords = pe.Coordinates([pe.clinspace(0, 1, 700, "lat"), pe.clinspace(0, 1, 400, "lon")])
    held = np.ma.masked_array(np.arange(700 * 400, dtype=float).reshape(700, 400))  # np.asarray gives a view
    held[::7, ::3] = np.nan
    kept = np.array(held)
    out = pe.evaluate(Mean(source=Array(source=held, coordinates=coords), dims=["lat", "lon"]), coords)
    assert np.isfinite(out.values) and np.array_equal(np.array(held), kept, equal_nan=True)
