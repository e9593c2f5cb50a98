"""podpac_exec.nodes.coord_math: elementwise add_coord, shifted time windows."""

from __future__ import annotations

import numpy as np

from podpac_exec.nodes.coord_math import _nominal, _shifted_windows, add_coord


def test_add_coord_on_an_array_equals_it_point_by_point():
    times = np.array(["2020-01-31T06", "2020-02-29T12", "2019-12-31T23"], dtype="datetime64[h]")
    for delta in (np.timedelta64(1, "M"), np.timedelta64(-1, "Y"), np.timedelta64(5, "h")):
        expected = np.array([add_coord(t, delta) for t in times])
        got = add_coord(times, np.full(times.shape, delta))
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_shifted_windows_are_refused_when_a_checked_window_differs():
    values = np.array(["2020-01-01", "2020-01-05", "2020-01-09"], dtype="datetime64[D]")
    step = np.timedelta64(1, "D")

    def window(t):
        return np.arange(t - 2 * step, t + step, step)

    shifted = _shifted_windows(values, window)
    np.testing.assert_array_equal(shifted, np.concatenate([window(t) for t in values]))
    # a window that is not a shift of the first (as month steps are not) is refused
    assert _shifted_windows(values, lambda t: window(t)[: 2 if t == values[-1] else 3]) is None
    assert _nominal(np.timedelta64(1, "M"), step) and not _nominal(step, np.timedelta64(3, "h"))
