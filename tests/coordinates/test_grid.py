"""podpac_exec.coordinates.grid: uniform grid arithmetic (exact point counts)."""

from __future__ import annotations

from podpac_exec.coordinates import Coordinates


def test_long_time_grid_is_counted_exactly() -> None:
    # float64 division miscounts this span (2.5e11 steps of 571 ms in microseconds)
    text = '{"coords":[{"start":"0410-01-01T00:01:00.000001","stop":"4977-02-01T00:00:01","step":"571,ms","name":"time"}]}'
    c = Coordinates.from_json(text)
    again = Coordinates.from_json(c.json)
    assert again == c and again.hash == c.hash and again.shape == c.shape
