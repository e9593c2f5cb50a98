"""podpac_exec.coordinates.axes: uniform and array 1-D coordinates (PODPAC values, slicing, equality)."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates, UniformCoordinates1d, clinspace, crange
from podpac_exec.errors import CoordinatesError

from coordinates_helpers import FUZZ, values_of


def test_uniform_values_are_start_plus_arange_times_step() -> None:
    u = crange(0, 1, 0.1, "lat")
    assert u.coordinates.tolist() == (u.start + np.arange(u.size) * u.step).tolist()
    assert u.coordinates[3] == 0.30000000000000004  # not linspace's 0.3
    assert u.size == 11 and u.stop == 1.0  # stop on the grid is included


def test_stop_moves_onto_grid_and_float_step_is_renormalised() -> None:
    u = UniformCoordinates1d(0, 1, step=0.3)
    assert (u.start, u.stop, u.step, u.size) == (0.0, 0.8999999999999999, 0.3, 4)
    u = clinspace(0.1, 0.7, 7)
    assert u.step == 0.09999999999999999


# ----------------------------------------------------------------------------------------------
# 1-D coordinates
# ----------------------------------------------------------------------------------------------


def test_uniform_properties() -> None:
    u = clinspace(45, -45, 4, "lat")
    assert u.name == "lat" and u.size == 4 and len(u) == 4 and u.shape == (4,)
    assert u.dtype == np.float64 and u.is_uniform and u.is_monotonic and u.is_descending
    assert u.bounds == (-45.0, 45.0)
    assert u.definition == {"start": 45.0, "stop": -45.0, "step": -30.0, "name": "lat"}
    assert clinspace(0, 1, 3).definition == {"start": 0.0, "stop": 1.0, "step": 0.5}
    assert UniformCoordinates1d(0, 0, step=1).is_descending is None


def test_uniform_coordinates_are_cached_and_read_only() -> None:
    u = clinspace(0, 1, 1000, "lat")
    first = u.coordinates
    assert u.coordinates is first
    with pytest.raises(ValueError):
        first[0] = 5.0


def test_huge_uniform_is_lazy() -> None:
    u = clinspace(0, 1, 10**11, "lat")
    assert u.size == 10**11
    assert u[5:8].coordinates.tolist() == (0.0 + np.arange(5, 8) * u.step).tolist()
    assert u.bounds == (0.0, 0.0 + (10**11 - 1) * u.step)  # PODPAC: start + step * (size - 1)


def test_array_properties_follow_podpac() -> None:
    a = ArrayCoordinates1d([3, 2, 1], name="lat")
    assert (a.is_monotonic, a.is_descending, a.is_uniform) == (True, True, True)
    assert a.bounds == (1.0, 3.0) and a.dtype == np.float64 and not a.is_datetime
    one = ArrayCoordinates1d([3])
    assert (one.is_monotonic, one.is_descending, one.is_uniform) == (True, None, None)
    empty = ArrayCoordinates1d([])
    assert (empty.is_monotonic, empty.is_descending, empty.is_uniform) == (None, None, None)
    assert empty.coordinates.dtype == np.float64
    messy = ArrayCoordinates1d([1, 5, 2], name="lon")
    assert (messy.is_monotonic, messy.is_uniform) == (False, False) and messy.bounds == (1.0, 5.0)


def test_array_copies_its_input() -> None:
    src = np.array([1.0, 2.0, 3.0])
    a = ArrayCoordinates1d(src, name="lat")
    src[0] = 99
    assert a.coordinates[0] == 1.0
    assert not a.coordinates.flags.writeable


def test_array_datetimes() -> None:
    a = ArrayCoordinates1d(["2018-01-01", "2018-01-02T12:00"], name="time")
    assert a.coordinates.dtype == np.dtype("datetime64[m]") and a.is_datetime
    assert a.bounds == (np.datetime64("2018-01-01T00:00"), np.datetime64("2018-01-02T12:00"))
    b = ArrayCoordinates1d(np.array(["2018-01-01"], dtype="datetime64[ns]"), name="time")
    assert b.definition == {"values": ["2018-01-01T00:00:00.000000000"], "name": "time"}
    z = ArrayCoordinates1d(["2018-01-01T00:00Z"], name="time")  # UTC designator accepted
    assert z.definition["values"] == ["2018-01-01T00:00"]


def test_scalar_becomes_size_one() -> None:
    assert ArrayCoordinates1d(5, name="lat").coordinates.tolist() == [5.0]
    c = Coordinates([5, "2018-01-01"], dims=["lat", "time"])
    assert c.shape == (1, 1)


def test_uniform_time_steps() -> None:
    u = crange("2018-01-01", "2018-01-02", np.timedelta64(6, "h"), "time")
    assert u.size == 5 and u.dtype == np.dtype("datetime64[h]")
    u = crange(datetime.date(2018, 1, 1), "2018-01-03", datetime.timedelta(days=1), "time")
    assert u.size == 3
    # PODPAC counts whole months from start to stop ignoring the day, so May 31 is included
    months = crange("2018-01-31", "2018-05-01", "1,M", "time")
    assert values_of(months) == [
        "2018-01-31T00:00:00.000000",
        "2018-02-28T00:00:00.000000",
        "2018-03-31T00:00:00.000000",
        "2018-04-30T00:00:00.000000",
        "2018-05-31T00:00:00.000000",
    ]
    assert months.dtype == np.dtype("datetime64[us]")


@pytest.mark.parametrize(
    ("index", "expected"),
    [(slice(2, 8, 2), [2, 4, 6]), (slice(None, None, -3), [10, 7, 4, 1]), (slice(-3, None), [8, 9, 10])],
)
def test_uniform_slice_stays_uniform_with_the_parents_exactvalues_of(index: slice, expected: list[int]) -> None:
    u = clinspace(0, 1, 11, "lat")
    s = u[index]
    assert isinstance(s, UniformCoordinates1d)
    assert s.coordinates.tolist() == u.coordinates[expected].tolist()
    assert s.name == "lat"


def test_uniform_int_and_array_index() -> None:
    u = clinspace(0, 1, 11, "lat")
    assert isinstance(u[3], ArrayCoordinates1d) and u[3].coordinates.tolist() == [u.coordinates[3]]
    assert u[-1].coordinates.tolist() == [1.0]
    assert u[[1, 2]].coordinates.tolist() == u.coordinates[[1, 2]].tolist()
    mask = np.zeros(11, bool)
    mask[[0, 5]] = True
    assert u[mask].coordinates.tolist() == [0.0, 0.5]
    assert u[5:5].size == 0 and u[5:5].dtype == np.float64
    with pytest.raises(IndexError):
        u[11]
    with pytest.raises(IndexError):
        u[np.zeros(3, bool)]


def test_array_slice_is_a_view() -> None:
    a = ArrayCoordinates1d([1, 2, 3, 4], name="lat")
    s = a[1:3]
    assert s.coordinates.base is not None and s.coordinates.tolist() == [2.0, 3.0]


def test_month_slice_falls_back_to_values_when_a_fresh_grid_would_drift() -> None:
    months = crange("2018-01-31", "2018-05-01", "1,M", "time")
    s = months[1:]
    assert s.coordinates.tolist() == months.coordinates[1:].tolist()
    assert isinstance(s, ArrayCoordinates1d)
    days = crange("2018-01-01", "2018-01-10", "1,D", "time")
    assert isinstance(days[2:6], UniformCoordinates1d)


def test_eq_1d() -> None:
    assert clinspace(0, 1, 3, "lat") == ArrayCoordinates1d([0, 0.5, 1], name="lat")
    assert clinspace(0, 1, 3, "lat") != clinspace(0, 1, 3, "lon")
    assert clinspace(0, 1, 3, "lat") != clinspace(0, 1, 4, "lat")
    assert crange("2018-01-01", "2018-01-03", "1,D", "time") == crange("2018-01-01", "2018-01-03", "24,h", "time")
    assert ArrayCoordinates1d([np.nan, 1], name="lat") == ArrayCoordinates1d([np.nan, 1], name="lat")
    assert clinspace(0, 1, 3, "lat") != "lat"


def test_module_cap_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    import podpac_exec.coordinates.axes as module

    monkeypatch.setattr(module, "MAX_UNIFORM_SIZE", 100)
    with pytest.raises(CoordinatesError, match="exceeds the maximum of 100"):
        clinspace(0, 1, 101)
    assert clinspace(0, 1, 100).size == 100


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@FUZZ
@given(finite, finite, st.integers(2, 500))
def test_property_uniform_size_round_trip(start: float, stop: float, size: int) -> None:
    if start == stop:
        return
    try:
        u = clinspace(start, stop, size, "lat")
    except CoordinatesError:
        return  # spacing below float64 resolution
    assert u.size == size
    assert u.coordinates.tolist() == (u.start + np.arange(size) * u.step).tolist()
    c = Coordinates([u])
    again = Coordinates.from_json(c.json)
    assert again == c and again.hash == c.hash


@FUZZ
@given(finite, st.floats(min_value=1e-3, max_value=1e3), st.integers(1, 300), st.data())
def test_property_slices_keep_the_parentsvalues_of(start: float, step: float, size: int, data: st.DataObject) -> None:
    u = UniformCoordinates1d(start, start + step * (size - 1), step=step, name="lon")
    i = data.draw(st.integers(-u.size - 2, u.size + 2))
    j = data.draw(st.integers(-u.size - 2, u.size + 2))
    k = data.draw(st.sampled_from([None, 1, 2, 3, -1, -2]))
    s = u[i:j:k]
    assert s.coordinates.tolist() == u.coordinates[i:j:k].tolist()
    if s.size:
        again = Coordinates.from_json(Coordinates([s]).json)
        assert again == Coordinates([s]) and again.hash == Coordinates([s]).hash
