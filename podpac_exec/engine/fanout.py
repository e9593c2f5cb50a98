"""Run a tile plan as dask tasks and assemble the exact result (lazy with ``compute=False``).

Remote backends run on a thread pool as wide as their concurrency; when a dask.distributed
Client is active, or ``dask.scheduler_address`` is set, the tasks go to that cluster instead
(each worker then rebuilds the node and backend from their JSON and settings).
"""

from __future__ import annotations

import contextvars
import functools
import json
import sys
import uuid
from contextlib import nullcontext
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from podpac_exec.plugins.backends import Backend, EvaluationOptions, get_backend
from podpac_exec.coordinates import Coordinates
from podpac_exec.engine.adaptive_run import adaptive_enabled, run_adaptive
from podpac_exec.engine.dispatch import evaluate_values
from podpac_exec.engine.progress import make_progress
from podpac_exec.errors import TileEvaluationError
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.destination import is_region, writing_into
from podpac_exec.settings import settings
from podpac_exec.engine.stats import EvaluationStats
from podpac_exec.engine.tiling import Tile, TilePlan

if TYPE_CHECKING:
    import xarray as xr


class TileRunner:
    """Evaluates one tile of one request; pickles as JSON + settings for distributed workers."""

    def __init__(self, node: Node, coords: Coordinates, backend: Backend, options: EvaluationOptions) -> None:
        self.node = node
        self.coords = coords
        self.backend = backend
        self.options = options
        # settings overrides live in context variables: tiles on pool threads must see the caller's
        self._context = contextvars.copy_context()

    def __call__(self, tile: Tile, into: np.ndarray | None = None) -> np.ndarray:
        """The tile's values; written into ``into`` (its region of the result) when the tile's
        root node can put them there (``nodes/destination.py``)."""
        return self._context.copy().run(self._evaluate, tile, None, into)

    def write(self, out: np.ndarray, tile: Tile) -> None:
        """Evaluate ``tile`` into its place in ``out``, the whole result (copied there unless the
        root node wrote them there itself)."""
        region = out[tile.out_index]
        values = self(tile, into=region)
        if not is_region(values, region):
            region[...] = values

    def on_worker(self, tile: Tile) -> tuple[np.ndarray, EvaluationStats]:
        """For a dask.distributed worker: the tile's values and its own statistics, which the
        client merges (the caller's stats object does not travel to other processes)."""
        stats = EvaluationStats()
        values = self._context.copy().run(self._evaluate, tile, stats)
        return values, stats

    def _evaluate(self, tile: Tile, stats: EvaluationStats | None = None, into: np.ndarray | None = None) -> np.ndarray:
        tile_coords = self.coords[tile.eval_index]
        options = replace(self.options, stats=stats or self.options.stats, tile=tile)  # keeps the fan-out's control
        try:
            # on a cluster worker too: the call's settings
            with settings.use(options.settings), writing_into(self.node, into) if into is not None else nullcontext():
                values = evaluate_values(self.node, tile_coords, self.backend, options)
        except Exception as exc:  # noqa: BLE001 - every failure is reported with its tile
            raise TileEvaluationError(
                f"tile {tile.label} ({describe_tile(tile_coords)}) failed: {type(exc).__name__}: {exc}",
                tile=tile,
                cause=exc,
            ) from exc
        return np.asarray(values[tile.crop], dtype=np.float64)

    def describe(self, tile: Tile) -> str:
        return describe_tile(self.coords[tile.eval_index])

    def __getstate__(self) -> dict[str, Any]:
        return {
            "node": self.node.json,
            "coords": json.dumps(self.coords.exact_definition),
            "backend": self.backend.name,
            "settings": {rec.key: rec.value for rec in self.options.settings.records() if rec.layer != "default"},
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        effective = settings.snapshot(state["settings"])
        self.node = Node.from_json(state["node"])
        self.coords = Coordinates.from_json(state["coords"])
        self.backend = get_backend(state["backend"], effective)
        self.options = EvaluationOptions(effective, EvaluationStats())
        self._context = contextvars.copy_context()


def describe_tile(coords: Coordinates) -> str:
    """``lat 10..20 (16), lon -5..5 (32)``: where a tile lies, for error messages."""
    parts = []
    for dim, (lo, hi) in coords.bounds.items():
        parts.append(f"{dim} {_fmt(lo)}..{_fmt(hi)}")
    return ", ".join(parts) + f"; shape {coords.shape}"


def _fmt(value: Any) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return str(value)


def evaluate_plan(
    node: Node,
    coords: Coordinates,
    backend: Backend,
    options: EvaluationOptions,
    plan: TilePlan,
    *,
    compute: bool = True,
) -> "xr.DataArray":
    """Evaluate every tile of ``plan`` as a dask task and return the assembled DataArray."""
    import dask.array as da
    import xarray as xr

    runner = TileRunner(node, coords, backend, options)
    name = f"podpac-exec-tiles-{uuid.uuid4().hex[:12]}"
    graph = {(name, *tile.block): (runner, tile) for tile in plan}
    array = da.Array(graph, name, chunks=plan.chunks, dtype=np.float64)
    out_coords = node.output_coordinates(coords)
    result = xr.DataArray(
        array, coords=out_coords.xcoords, dims=out_coords.dims, attrs={"crs": coords.crs, "node_hash": node.hash}
    ).rename(None)  # not the dask graph's name
    if not compute:
        return result  # computed by whoever computes it (threads, or an active Client)
    return result.copy(data=compute_plan(node, coords, backend, options, plan))


def compute_plan(
    node: Node,
    coords: Coordinates,
    backend: Backend,
    options: EvaluationOptions,
    plan: TilePlan,
    *,
    start_with: "list[Tile] | None" = None,
) -> np.ndarray:
    """Evaluate every tile of ``plan``, each written straight into its place in one result array.

    ``start_with``: parts of the plan's tiles to run instead (the adaptive fan-out only)."""
    import dask.threaded

    runner = TileRunner(node, coords, backend, options)
    client = active_client(options.settings["dask.scheduler_address"])
    if client is not None:
        return gather_on_cluster(client, runner, plan, options)
    if adaptive_enabled(backend) or start_with:
        return run_adaptive(runner, plan, backend, options, describe=runner.describe, start_with=start_with)
    out = np.empty(plan.out_shape, dtype=np.float64)
    name = f"podpac-exec-tiles-{uuid.uuid4().hex[:12]}"
    write = functools.partial(runner.write, out)
    graph = {(name, *tile.block): (write, tile) for tile in plan}
    workers = max(1, min(backend.limits().concurrency, len(plan)))
    with progress_reporter(options, len(plan), name):
        dask.threaded.get(graph, list(graph), num_workers=workers)
    return out


def gather_on_cluster(client: Any, runner: TileRunner, plan: TilePlan, options: EvaluationOptions) -> np.ndarray:
    """Run every tile on a dask.distributed cluster; assemble values and merge each tile's stats."""
    from distributed import as_completed

    out = np.empty(plan.out_shape, dtype=np.float64)
    futures = client.map(runner.on_worker, list(plan), pure=False)
    tiles = {future.key: tile for future, tile in zip(futures, plan)}
    bar = make_progress(options.settings["tiling.progress"], len(plan))
    try:
        for future, (values, stats) in as_completed(futures, loop=client.loop, with_results=True):
            out[tiles[future.key].out_index] = values
            options.stats.merge(stats)
            bar.update(1)
    finally:
        bar.close()
    return out


def active_client(address: str) -> Any:
    """The dask.distributed Client to use: one at ``address``, else the active one, else None."""
    if address:
        if address not in _clients:
            from podpac_exec.engine.scheduler import connect_scheduler

            _clients[address] = connect_scheduler(address)
        return _clients[address]
    if "distributed" not in sys.modules:
        return None  # nobody started a Client: don't pay for importing distributed
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


_clients: dict[str, Any] = {}


class progress_reporter:
    """Counts the tiles of one dask graph (keys named ``name``) on a :mod:`progress` display."""

    def __init__(self, options: EvaluationOptions, total: int, name: str = "") -> None:
        from podpac_exec.engine.progress import make_progress

        self.bar = make_progress(options.settings["tiling.progress"], total)
        self.name = name
        self.callback: Any = None

    def __enter__(self) -> "progress_reporter":
        from dask.callbacks import Callback

        from podpac_exec.engine.progress import NoProgress

        if isinstance(self.bar, NoProgress):
            return self
        bar, name = self.bar, self.name

        class _TileProgress(Callback):
            def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
                if not name or (isinstance(key, tuple) and key and key[0] == name):  # tiles, not assembly
                    bar.update(1)

        self.callback = _TileProgress()
        self.callback.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.callback is not None:
            self.callback.__exit__(*exc)
        self.bar.close()
