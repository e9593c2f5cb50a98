"""What every served request shares: the registry, the bounds, the cache, and the one path by
which values are computed (``podpac_exec.evaluate`` on a grid's lat/lon pixel centres)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
from starlette.concurrency import run_in_threadpool

from podpac_exec.coordinates import Coordinates, clinspace
from podpac_exec.errors import LimitExceededError
from podpac_exec.serve.cache import TileCache, cache_key
from podpac_exec.serve.config import ServeConfig
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.grids import Grid
from podpac_exec.serve.placement import RenderPlacement
from podpac_exec.serve.registry import Registry, ServedPipeline
from podpac_exec.serve.style import Style, resolve_style
from podpac_exec.serve import encode
from podpac_exec.settings import EffectiveSettings, settings

RANGE_SAMPLE = (91, 181)  # lat x lon points of the sample that sets a default colour scale
INLINE_MAX_CELLS = 512 * 512  # a map tile at most: a larger render never runs on the event loop


@dataclass
class ServeContext:
    registry: Registry
    config: ServeConfig
    cache: TileCache | None = None  # default: the one the config describes
    placement: RenderPlacement = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.placement = RenderPlacement(self.config.inline_render_ms)
        if self.cache is None:
            config = self.config
            self.cache = TileCache(config.cache_memory_bytes, config.cache_dir or None, config.cache_s3 or None)

    # -- values -----------------------------------------------------------------------------

    def evaluate(self, pipeline: ServedPipeline, coords: Coordinates) -> np.ndarray:
        """The pipeline's values at ``coords`` (lat x lon) on the configured backend."""
        from podpac_exec.engine.executor import evaluate_array  # evaluate()'s values, no DataArray

        cells = coords.size
        if cells > self.config.max_request_cells:
            raise ServeRequestError(
                f"the request has {cells} cells, above serve.max_request_cells={self.config.max_request_cells}",
                field="WIDTH/HEIGHT",
            )
        try:
            with settings.use(self.evaluation_settings()):
                values, dims = evaluate_array(pipeline.node, coords)
        except LimitExceededError as exc:
            raise ServeRequestError(str(exc), field=exc.field) from None
        if dims != ("lat", "lon"):
            raise ServeRequestError(
                f"pipeline {pipeline.name!r} does not give a lat/lon map: its output dims are {list(dims)}",
                field="layer",
                status=500,
            )
        return np.asarray(values, dtype=float)

    def evaluation_settings(self) -> EffectiveSettings:
        """The settings every evaluation of this server runs with, resolved once (as the
        ``serve.*`` ones are): no settings files or environment read per tile."""
        effective = self.__dict__.get("_evaluation_settings")
        if effective is None:
            arguments = {**self.config.evaluate_options, "backend": self.config.backend}
            effective = self._evaluation_settings = settings.snapshot(arguments)
        return effective

    def grid_values(self, pipeline: ServedPipeline, grid: Grid) -> np.ndarray:
        return self.evaluate(pipeline, grid.coordinates())

    def value_range(self, pipeline: ServedPipeline) -> tuple[float, float]:
        """(min, max) of the pipeline on a coarse grid over its bounds (computed once)."""

        def compute() -> tuple[float, float]:
            west, south, east, north = pipeline.bounds
            rows, cols = RANGE_SAMPLE
            coords = Coordinates([clinspace(north, south, rows, "lat"), clinspace(west, east, cols, "lon")])
            values = self.evaluate(pipeline, coords)
            finite = values[np.isfinite(values)]
            return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)

        return pipeline.value_range(compute)

    def prepare(self) -> None:
        """Evaluate every pipeline once (its default colour scale): a pipeline that cannot give
        a lat/lon map fails now, not at the first tile."""
        for pipeline in self.registry:
            self.value_range(pipeline)

    # -- rendering --------------------------------------------------------------------------

    def style(self, pipeline: ServedPipeline, params: Mapping[str, str]) -> Style:
        return resolve_style(params, pipeline.node.style, lambda: self.value_range(pipeline))

    def known_style(self, pipeline: ServedPipeline, params: Mapping[str, str]) -> Style | None:
        """:meth:`style` when resolving it computes nothing (the node declares its limits, the
        request gives them, or the value range is known); None when it would evaluate."""

        def known_range() -> tuple[float, float]:
            found = pipeline.known_range
            if found is None:
                raise _RangeUnknown
            return found

        try:
            return resolve_style(params, pipeline.node.style, known_range)
        except _RangeUnknown:
            return None

    @staticmethod
    def render_key(pipeline: ServedPipeline, grid: Grid, fmt: str, style: Style | None) -> str:
        """What identifies a rendering: the cache key, and the ETag of the response."""
        return cache_key(pipeline.hash, fmt, style.key if style else "", grid.crs, grid.bounds, grid.width, grid.height)

    def render(self, pipeline: ServedPipeline, grid: Grid, fmt: str, style: Style | None) -> bytes:
        """The grid encoded as ``fmt`` (png needs a style), from the cache when seen before."""
        return self._render_keyed(pipeline, grid, fmt, style)[0]

    def _render_keyed(self, pipeline: ServedPipeline, grid: Grid, fmt: str, style: Style | None) -> tuple[bytes, str]:
        key = self.render_key(pipeline, grid, fmt, style)
        return self.cached(key, lambda: self.encode(pipeline, grid, fmt, style)), key

    async def render_request(
        self, pipeline: ServedPipeline, grid: Grid, fmt: str, params: Mapping[str, str]
    ) -> tuple[bytes, str]:
        """(bytes, :meth:`render_key`) of a request's rendering (its style from ``params`` for a
        png), for the event loop: what the memory cache holds is answered at once; a tile that
        :class:`RenderPlacement` finds short and waiting on nothing renders on the loop; anything
        else (a large grid, a style whose value range is still to compute, a backend computing
        elsewhere, any render when a directory or S3 store backs the cache) on a worker thread."""
        style = self.known_style(pipeline, params) if fmt == "png" else None
        if fmt != "png" or style is not None:
            key = self.render_key(pipeline, grid, fmt, style)
            assert self.cache is not None
            data = self.cache.get_memory(key)
            if data is not None:
                return data, key

        def produce(on_loop: bool) -> tuple[bytes, str]:
            with self.placement.measuring(pipeline.name, on_loop):
                return self._render_keyed(pipeline, grid, fmt, self.style(pipeline, params) if fmt == "png" else None)

        known = fmt != "png" or style is not None  # else the style's value range may evaluate
        if known and self._renders_inline(pipeline, grid):
            return produce(on_loop=True)
        return await run_in_threadpool(produce, False)

    def _renders_inline(self, pipeline: ServedPipeline, grid: Grid) -> bool:
        assert self.cache is not None
        if self.cache.stores or grid.cells > INLINE_MAX_CELLS:  # a store read is I/O; a big render, long
            return False
        if not self._backend_computes_here():  # a remote backend's call is I/O, however fast
            return False
        return self.placement.on_loop(pipeline.name)

    def _backend_computes_here(self) -> bool:
        """Whether the backend computes in this process (``BackendLimits.cpu_bound``: the local one)."""
        found = self.__dict__.get("_computes_here")
        if found is None:
            from podpac_exec.plugins.backends import get_backend

            effective = self.evaluation_settings()
            found = self._computes_here = get_backend(effective["backend"], effective).limits().cpu_bound
        return found

    def cached(self, key: str, produce: Callable[[], bytes]) -> bytes:
        """The cache's bytes for ``key``, or ``produce()``'s, then kept."""
        assert self.cache is not None
        data = self.cache.get(key)
        if data is None:
            data = produce()
            self.cache.put(key, data)
        return data

    def encode(self, pipeline: ServedPipeline, grid: Grid, fmt: str, style: Style | None) -> bytes:
        encoders: dict[str, Callable[[np.ndarray], bytes]] = {
            "png": lambda v: encode.styled_png(v, style),  # type: ignore[arg-type]
            "npy": encode.npy,
            "tif": lambda v: encode.geotiff(v, grid, pipeline.name),
            "nc": lambda v: encode.netcdf(v, grid, pipeline.name, {"pipeline_hash": pipeline.hash}),
        }
        return encoders[fmt](self.grid_values(pipeline, grid))


class _RangeUnknown(Exception):
    """The value range is needed and not computed yet."""
