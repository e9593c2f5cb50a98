"""GroupReduce, DayOfYear, ResampleReduce: planner declarations, construction, bad input
(values: test_podpac_reference_pipelines)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.coordinates import Coordinates
from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes import Array
from podpac_exec.nodes.time_stats import DayOfYear, GroupReduce, ResampleReduce

DAYS = np.arange("2019-01-01", "2021-01-01", dtype="datetime64[D]")
COORDS = Coordinates([[0.0, 1.0, 2.0], DAYS], dims=["lat", "time"])
SOURCE = Array(source=np.arange(COORDS.size, dtype=float).reshape(COORDS.shape), coordinates=COORDS)


def test_output_time_is_the_group_labels_and_never_split():
    node = DayOfYear(source=SOURCE, reduce_fn="mean")
    assert node.requirements().reduce_dims == {"time"}
    out = node.output_coordinates(COORDS)
    assert out.shape == (3, 366) and out["time"].coordinates[0] == 1
    plan_out = pe.evaluate(node, COORDS, max_tile_bytes=8 * 366, min_tiles=3)
    np.testing.assert_array_equal(plan_out.values, node.eval(COORDS).values)


def test_monthly_mean_equals_xarray():
    import xarray as xr

    ours = pe.evaluate(ResampleReduce(source=SOURCE, resample="MS", reduce_fn="mean"), COORDS)
    x = xr.DataArray(SOURCE.source, coords={"time": DAYS}, dims=["lat", "time"])
    np.testing.assert_allclose(ours.values, x.resample(time="MS").mean().values, rtol=1e-12)


def test_dayofyear_does_not_write_groupby():
    attrs = DayOfYear(source=SOURCE, reduce_fn="max").definition["DayOfYear"]["attrs"]
    assert "groupby" not in attrs and attrs["reduce_fn"] == "max"


@pytest.mark.parametrize(
    "build, field",
    [
        (lambda: GroupReduce(source=SOURCE, groupby="season", reduce_fn="mean"), "attrs.groupby"),
        (lambda: GroupReduce(source=SOURCE, groupby="month", reduce_fn="mode"), "attrs.reduce_fn"),
        (lambda: DayOfYear(source=SOURCE, reduce_fn="custom"), "attrs.reduce_fn"),
        (lambda: ResampleReduce(source=SOURCE, resample="fortnightly", reduce_fn="mean"), "attrs.resample"),
    ],
)
def test_bad_attrs_are_one_line_errors(build, field):
    with pytest.raises(PipelineError) as info:
        build()
    assert info.value.field == field and "\n" not in str(info.value)


def test_request_without_datetime_time_is_refused():
    with pytest.raises(CoordinatesError):
        DayOfYear(source=SOURCE, reduce_fn="mean").eval(Coordinates([[0.0]], dims=["lat"]))


@pytest.mark.parametrize("fn", ["mean", "sum", "count", "max", "min"])
@pytest.mark.parametrize("axis", [0, 1, 2])
def test_segment_reductions_equal_the_per_group_reducers(fn, axis):
    from podpac_exec.nodes.time_stats import _REDUCERS, _segment_reduce

    rng = np.random.default_rng(3)
    values = rng.normal(size=(4, 9, 3))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[1, :, 0] = np.nan  # an all-NaN group along axis 1 for some cells
    n = values.shape[axis]
    groups = [np.array([0, 2], dtype=np.intp), np.zeros(0, dtype=np.intp), np.arange(3, n, dtype=np.intp), np.array([1])]
    got = _segment_reduce(fn, values, axis, groups)
    moved = np.moveaxis(values, axis, -1)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.stack([_REDUCERS[fn](np.take(moved, g, axis=-1)) for g in groups], axis=-1)
    np.testing.assert_allclose(got, np.moveaxis(want, -1, axis), rtol=1e-13, equal_nan=True)


@pytest.mark.parametrize("owned", [False, True])
@pytest.mark.parametrize("fn", ["mean", "sum", "count"])
@pytest.mark.parametrize("shape", [(731, 20, 20), (400, 1, 701)])
def test_blocked_segment_sums_are_bitwise_those_of_whole_segments(shape, fn, owned, monkeypatch):
    from podpac_exec.nodes import time_stats

    rng = np.random.default_rng(shape[-1])
    values = rng.standard_normal(shape) * 1e3 + 5e4
    values[rng.random(shape) < 0.04] = np.nan
    values[:40, 0] = np.nan
    month = (np.arange(shape[0]) // 30) % 12
    groups = [np.flatnonzero(month == m) for m in range(12)] + [np.zeros(0, dtype=np.intp)]
    got = time_stats._segment_reduce(fn, values.copy(), 0, groups, owned)
    monkeypatch.setattr(time_stats, "BLOCK", 10**12)  # the whole-segment path
    expected = time_stats._segment_reduce(fn, values, 0, groups)
    assert np.array_equal(got.view(np.int64), expected.view(np.int64))
    assert np.isnan(got[-1]).all()  # an empty group
