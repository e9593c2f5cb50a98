"""The tile planner (pure): coverage, budgets, halos, reduced dims, alignment, concurrency."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

from podpac_exec.engine.tiling import lower_bound_tiles, plan_tiles

DIMS = ("time", "lat", "lon", "alt")


@st.composite
def requests(draw):
    ndim = draw(st.integers(1, 3))
    dims = DIMS[:ndim]
    shape = tuple(draw(st.integers(1, 40)) for _ in dims)
    budget = draw(st.integers(8, 8 * 2000))
    reduce_dims = frozenset(d for d in dims if draw(st.booleans()) and ndim > 1)
    halo = {d: draw(st.integers(0, 3)) for d in dims if draw(st.booleans())}
    concurrency = draw(st.integers(1, 8))
    return dims, shape, budget, reduce_dims, halo, concurrency


@hsettings(max_examples=300, deadline=None)
@given(requests())
def test_tiles_cover_output_once_within_budget(req):
    dims, shape, budget, reduce_dims, halo, concurrency = req
    plan = plan_tiles(shape, dims, itemsize=8, max_result_bytes=budget, concurrency=concurrency,
                      reduce_dims=reduce_dims, halo=halo)
    out_shape = tuple(n for d, n in zip(dims, shape) if d not in reduce_dims)
    assert plan.out_shape == out_shape
    cover = np.zeros(out_shape, dtype=int)
    cells_budget = max(1, budget // 8)
    for tile in plan:
        cover[tile.out_index] += 1
        assert math.prod(tile.out_shape) <= max(cells_budget, 1)
        for d, n, ev in zip(dims, shape, tile.eval_index):
            if d in reduce_dims:
                assert (ev.start, ev.stop) == (0, n)  # reduced dims are never split
        # the crop of the evaluated region is exactly the tile's output region
        ev_out = [ev for d, ev in zip(dims, tile.eval_index) if d not in reduce_dims]
        for ev, crop, out, d in zip(ev_out, tile.crop, tile.out_index, [d for d in dims if d not in reduce_dims]):
            assert ev.start + crop.start == out.start and crop.stop - crop.start == out.stop - out.start
            pad = halo.get(d, 0)
            assert ev.start == max(0, out.start - pad)
            assert ev.stop == min(shape[dims.index(d)], out.stop + pad)
    assert (cover == 1).all()
    assert tuple(sum(c) for c in plan.chunks) == out_shape


def test_one_tile_when_it_fits():
    plan = plan_tiles((100, 200), ("lat", "lon"), max_result_bytes=10**9, concurrency=8)
    assert len(plan) == 1 and plan.tiles[0].eval_index == (slice(0, 100), slice(0, 200))


def test_concurrency_is_used_when_request_exceeds_one_tile():
    plan = plan_tiles((1000, 1000), ("lat", "lon"), max_result_bytes=8 * 600_000, concurrency=8)
    assert len(plan) >= 8


@pytest.mark.parametrize("shape, budget", [((20000, 20000), 4_500_000), ((4096, 4096), 2**22), ((3, 1000, 999), 10**6), ((1, 50000), 8 * 1000)])
def test_efficiency_against_lower_bound(shape, budget):
    dims = ("time", "lat", "lon")[-len(shape):]
    plan = plan_tiles(shape, dims, max_result_bytes=budget, concurrency=1)
    bound = lower_bound_tiles(plan.out_shape, 8, budget)
    assert len(plan) / bound <= 1.25, (len(plan), bound)


def test_stacked_dims_split_along_points_and_count_as_reduced_by_part():
    plan = plan_tiles((10000,), ("lat_lon",), max_result_bytes=8 * 1000)
    assert len(plan) == 10
    plan = plan_tiles((50, 4), ("lat_lon", "time"), max_result_bytes=8 * 20, reduce_dims=frozenset({"lat"}))
    assert plan.out_dims == ("time",)


def test_chunk_alignment():
    plan = plan_tiles((1000, 1000), ("lat", "lon"), max_result_bytes=8 * 150_000, chunks={"lat": 64, "lon": 1000})
    for tile in plan:
        assert tile.out_index[0].start % 64 == 0
    assert all(c % 64 == 0 for c in plan.chunks[0][:-1])


def test_eval_cell_cap_accounts_for_reduced_dims():
    plan = plan_tiles((100, 100, 10), ("lat", "lon", "time"), max_result_bytes=10**9,
                      reduce_dims=frozenset({"time"}), max_eval_cells=10_000)
    assert all(math.prod(t.eval_shape) <= 10_000 for t in plan)


def test_encoding_overhead_shrinks_tiles():
    raw = plan_tiles((1000, 1000), ("lat", "lon"), max_result_bytes=8 * 100_000)
    b64 = plan_tiles((1000, 1000), ("lat", "lon"), max_result_bytes=8 * 100_000, overhead=4 / 3)
    assert len(b64) > len(raw)


def test_chunk_aligned_plans_stay_within_budget_and_near_the_bound():
    """A chunk row over the budget splits the next axis too (never a tile over budget)."""
    budget = 6 * 2**20 - 16 * 1024
    plan = plan_tiles((20000, 20000), ("lat", "lon"), max_result_bytes=budget, overhead=4 / 3,
                      chunks={"lat": 256, "lon": 256})
    assert all(math.prod(t.out_shape) * 8 * 4 / 3 <= budget for t in plan)
    assert all(t.out_index[0].start % 256 == 0 and t.out_index[1].start % 256 == 0 for t in plan)
    assert len(plan) / lower_bound_tiles(plan.out_shape, 8, budget, 4 / 3) <= 1.25
    local = plan_tiles((20000, 20000), ("lat", "lon"), max_result_bytes=64 * 2**20, chunks={"lat": 256, "lon": 256})
    assert len(local) / lower_bound_tiles(local.out_shape, 8, 64 * 2**20) <= 1.25


def test_resized_output_dim_is_never_split_and_kept_whole():
    """A node that resizes a dim (time grouped into 12 months) gives the output's sizes: the dim is
    evaluated whole in every tile and each tile returns all of it."""
    plan = plan_tiles((4, 365), ("lat", "time"), out_dims=("lat", "time"), out_shape=(4, 12), max_result_bytes=8 * 12)
    assert plan.out_shape == (4, 12)
    assert len(plan) == 4
    for tile in plan:
        assert tile.eval_index[1] == slice(0, 365)
        assert tile.crop[1] == slice(0, 12)
        assert tile.out_index[1] == slice(0, 12)


def _fewest_tiles_by_every_block(shape, blocks, align, axis, following, budget):
    """Every block size that fits, the fewest tiles and then the smaller block winning (what
    ``_fewest_tiles`` must equal)."""
    n = shape[axis]
    unit = min(align[axis], n)
    rest = math.prod(blocks) // blocks[axis] // (blocks[following] if following is not None else 1)
    options = []
    for size in sorted({min(s, n) for s in range(unit, n + unit, unit)}):
        along = math.ceil(n / size)
        if following is None:
            if size * rest > budget:
                break
            options.append((along, size, 0))
            continue
        unit_f = min(align[following], shape[following])
        room = budget // (size * rest)
        if room < unit_f:
            break
        other = min(shape[following], room // unit_f * unit_f)
        options.append((along * math.ceil(shape[following] / other), size, other))
    if options:
        _, blocks[axis], other = min(options)
        if following is not None:
            blocks[following] = other


def test_the_fewest_tiles_search_equals_trying_every_block_size():
    import random

    from podpac_exec.engine.tiling import _fewest_tiles

    rng = random.Random(4)
    for _ in range(3000):
        ndim = rng.choice([2, 3])
        shape = tuple(rng.choice([1, 2, 7, 50, 366, 1000, 4096, rng.randint(1, 5000)]) for _ in range(ndim))
        align = [rng.choice([1, 1, 3, 16, 64]) for _ in range(ndim)]
        axis = rng.randrange(ndim - 1)
        following = rng.choice([axis + 1, None])
        blocks = [rng.randint(1, n) for n in shape]
        budget = rng.randint(1, 2 * math.prod(shape))
        ours, theirs = list(blocks), list(blocks)
        _fewest_tiles(shape, ours, align, axis, following, budget)
        _fewest_tiles_by_every_block(shape, theirs, align, axis, following, budget)
        assert ours == theirs, (shape, blocks, align, axis, following, budget)
