"""Split-on-limit: parts keep halos, never split reduced dims, and stop at the floor."""

from __future__ import annotations

import numpy as np

from podpac_exec.engine.adaptive import SplitPolicy, limit_error, split_tile
from podpac_exec.engine.tiling import plan_tiles


def test_parts_cover_the_tile_and_keep_the_halo():
    plan = plan_tiles((20, 30), ("lat", "lon"), max_result_bytes=8 * 600, halo={"lat": 2, "lon": 1})
    tile = plan.tiles[0]
    parts = split_tile(plan, tile, SplitPolicy())
    assert [p.label for p in parts] == [f"{tile.id}.0", f"{tile.id}.1"]
    covered = np.zeros(plan.out_shape, int)
    for part in parts:
        covered[part.out_index] += 1
        for window, region, cut, pad, n in zip(part.eval_index, part.out_index, part.crop, (2, 1), (20, 30)):
            assert window.start == max(0, region.start - pad) and window.stop == min(n, region.stop + pad)
            assert cut.stop - cut.start == region.stop - region.start
    expected = np.zeros(plan.out_shape, int)
    expected[tile.out_index] = 1
    np.testing.assert_array_equal(covered, expected)


def test_reduced_dims_are_never_split_and_the_floor_stops_splitting():
    plan = plan_tiles((8, 6, 5), ("lat", "lon", "time"), max_result_bytes=8 * 48, reduce_dims={"time"})
    tile = plan.tiles[0]
    parts = split_tile(plan, tile, SplitPolicy())
    assert all(p.eval_index[2] == slice(0, 5) for p in parts)
    assert split_tile(plan, tile, SplitPolicy(min_tile_cells=10**6)) == []
    assert split_tile(plan, tile, SplitPolicy(enabled=False)) == []
    one = plan_tiles((1, 1), ("lat", "lon"), max_result_bytes=8)
    assert split_tile(one, one.tiles[0], SplitPolicy()) == []


def test_the_limit_error_names_the_tile_and_the_limit():
    plan = plan_tiles((4, 4), ("lat", "lon"), max_result_bytes=8 * 16)
    error = limit_error(plan.tiles[0], "memory", "lat 0..3", MemoryError("out"), SplitPolicy(min_tile_cells=16))
    assert "tile 0 (lat 0..3) hit the memory limit" in str(error) and "adaptive.min_tile_cells=16" in str(error)
    assert error.kind == "memory" and error.tile is plan.tiles[0]
