"""ServeContext.render_request: where a request's rendering runs (the event loop or a worker
thread) and that the bytes are :meth:`ServeContext.render`'s wherever it runs."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest
from serve_support import pipelines, serve_config

from podpac_exec.serve import context as context_module
from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.grids import tile_grid
from podpac_exec.serve.registry import Registry, ServedPipeline

GRID = tile_grid("WebMercatorQuad", 3, 2, 3, 64, 0, 22)


def _context(**config: object) -> tuple[ServeContext, ServedPipeline]:
    ctx = ServeContext(Registry(pipelines()), serve_config(**config))
    return ctx, ctx.registry.get("wave")


def _render_threads(ctx: ServeContext, pipeline: ServedPipeline, grids: list, params: dict | None = None) -> list[bool]:
    """For each grid in turn: whether its render ran on another thread than the event loop's."""
    ran_on: list[int] = []
    encode = ctx.encode

    def recording(*args: object) -> bytes:
        ran_on.append(threading.get_ident())
        return encode(*args)  # type: ignore[arg-type]

    async def main() -> list[bool]:
        loop_thread = threading.get_ident()
        for grid in grids:
            ctx.encode = recording  # type: ignore[method-assign]
            data, key = await ctx.render_request(pipeline, grid, "png", params or {})
            ctx.encode = encode  # type: ignore[method-assign]
            style = ctx.style(pipeline, params or {})
            assert data == encode(pipeline, grid, "png", style)
            assert key == ctx.render_key(pipeline, grid, "png", style)
        return [ident != loop_thread for ident in ran_on]

    return asyncio.run(main())


def _tiles(n: int, size: int = 64) -> list:
    return [tile_grid("WebMercatorQuad", 5, x, 9, size, 0, 22) for x in range(n)]


def test_a_fast_pipeline_renders_on_the_loop_after_its_first_two_tiles():
    ctx, wave = _context(cache_memory_bytes=0)
    assert _render_threads(ctx, wave, _tiles(4)) == [True, True, False, False]  # the first one warms up


def test_a_slow_pipeline_renders_on_worker_threads():
    ctx, wave = _context(cache_memory_bytes=0, inline_render_ms=0.0)
    assert _render_threads(ctx, wave, _tiles(3)) == [True, True, True]


def test_one_slow_tile_sends_the_next_ones_to_threads_until_the_average_recovers():
    ctx, wave = _context(cache_memory_bytes=0)
    ctx.prepare()  # the value range: no request computes it
    ctx.placement.note("wave", 1.0)  # the first render: no sample
    ctx.placement.note("wave", 0.001)
    ctx.placement.note("wave", 0.1)  # one tile of 100 ms of CPU: the average is 26 ms
    assert _render_threads(ctx, wave, _tiles(2)) == [True, True]
    for _ in range(20):  # fast tiles (as measured: test_serve_placement.py) bring the average back
        ctx.placement.note("wave", 0.0005)
    assert _render_threads(ctx, wave, _tiles(1)) == [False]


def test_a_backend_computing_elsewhere_renders_on_worker_threads():
    ctx, wave = _context(cache_memory_bytes=0)
    assert ctx._backend_computes_here()  # the local backend: BackendLimits.cpu_bound
    ctx._computes_here = False  # as a remote backend's limits say (its call is I/O, however fast)
    assert _render_threads(ctx, wave, _tiles(4)) == [True, True, True, True]


def test_a_large_grid_never_renders_on_the_loop():
    ctx, _ = _context(cache_memory_bytes=0)
    styled = ctx.registry.get("styled")  # declares its colour scale: no range to compute first
    ctx.placement.note("styled", 1.0)
    ctx.placement.note("styled", 1e-6)
    big = tile_grid("WebMercatorQuad", 2, 1, 1, 512, 0, 22)
    assert context_module.INLINE_MAX_CELLS == big.cells
    bigger = [type(big)(big.crs, big.bounds, 513, 512)]
    assert _render_threads(ctx, styled, [big, *bigger]) == [False, True]


def test_a_style_that_needs_the_value_range_is_resolved_on_a_thread_the_first_time():
    ctx, wave = _context()
    styled = ctx.registry.get("styled")
    assert styled.known_range is None
    assert ctx.known_style(styled, {}) == ctx.style(styled, {})  # its node declares clim: nothing to compute
    masked = ctx.registry.get("masked")  # no clim: the range comes from an evaluation
    ctx.placement.note("masked", 1.0)
    ctx.placement.note("masked", 1e-6)  # fast, but the range is unknown: the first request may evaluate
    assert ctx.known_style(masked, {}) is None
    assert _render_threads(ctx, masked, [GRID]) == [True]
    assert masked.known_range is not None and ctx.known_style(masked, {}) == ctx.style(masked, {})
    assert ctx.known_style(masked, {"vmin": "0", "vmax": "1"}).vmax == 1.0


def test_a_tile_the_memory_cache_holds_is_answered_without_rendering():
    ctx, wave = _context()
    first = _render_threads(ctx, wave, [GRID])
    assert first == [True]
    assert _render_threads(ctx, wave, [GRID, GRID]) == []  # nothing rendered, on any thread
    assert ctx.cache.get_memory(ctx.render_key(wave, GRID, "png", ctx.style(wave, {}))) is not None


def test_with_a_store_every_render_runs_on_a_thread(tmp_path):
    ctx, wave = _context(cache_dir=str(tmp_path))
    assert _render_threads(ctx, wave, _tiles(3)) == [True, True, True]  # a render may read the store: I/O


def test_a_tile_only_a_store_holds_is_read_on_a_thread(tmp_path):
    ctx, wave = _context(cache_dir=str(tmp_path))
    _render_threads(ctx, wave, [GRID])
    ctx.cache.clear_memory()
    key = ctx.render_key(wave, GRID, "png", ctx.style(wave, {}))
    assert ctx.cache.get_memory(key) is None
    read_on: list[int] = []
    store = ctx.cache.stores[0]
    read = store.read
    store.read = lambda k: read_on.append(threading.get_ident()) or read(k)  # type: ignore[method-assign]

    async def main() -> int:
        await ctx.render_request(wave, GRID, "png", {})
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert read_on and read_on[0] != loop_thread  # the directory was read off the loop


def test_bad_style_parameters_fail_before_any_render():
    ctx, wave = _context()
    from podpac_exec.serve.errors import ServeRequestError

    with pytest.raises(ServeRequestError, match="colormap"):
        asyncio.run(ctx.render_request(wave, GRID, "png", {"colormap": "no-such-map"}))


def test_values_rendered_inline_are_the_evaluated_values():
    ctx, wave = _context(cache_memory_bytes=0)
    _render_threads(ctx, wave, _tiles(2))
    data, _ = asyncio.run(ctx.render_request(wave, GRID, "npy", {}))
    from serve_support import load_npy

    np.testing.assert_array_equal(load_npy(data), ctx.grid_values(wave, GRID))
