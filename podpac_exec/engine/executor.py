"""``evaluate()``: resolve the backend, check limits, plan tiles, dispatch, assemble."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from podpac_exec.plugins.backends import Backend, EvaluationOptions, get_backend
from podpac_exec.coordinates import Coordinates
from podpac_exec.engine.dispatch import evaluate_values
from podpac_exec.engine.scheduler import check_scheduler_address
from podpac_exec.errors import LimitExceededError, PodpacExecError
from podpac_exec.nodes.base import Node, output_array
from podpac_exec.settings import EffectiveSettings, settings
from podpac_exec.engine.stats import EvaluationStats
from podpac_exec.nodes.opening import READ_BYTES

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.engine.tiling import TilePlan


def evaluate(
    node: "Node | str | Mapping[str, Any]",
    coordinates: "Coordinates | str | Mapping[str, Any]",
    backend: str | None = None,
    *,
    stats: EvaluationStats | None = None,
    compute: bool = True,
    **options: Any,
) -> "xr.DataArray":
    """Evaluate ``node`` at ``coordinates`` on a backend and return an ``xarray.DataArray``.

    ``node`` and ``coordinates`` may be objects, PODPAC JSON text or parsed definitions. The
    backend is ``backend`` > settings ``backend`` > ``"local"``. Keyword ``options`` are settings
    for this call (``max_tile_bytes=...``, ``tiling__max_tile_bytes=...`` or
    ``local={...}`` for a backend section). Pass ``stats=EvaluationStats()`` to receive per-tile statistics.
    The result has the request's dims (minus reduced dims) and coordinates, and attrs ``crs``
    and ``node_hash``. A request larger than one tile is split (``tiling.py``) and its tiles run
    in parallel as dask tasks; ``compute=False`` returns the dask-backed result unevaluated.
    The call's settings are resolved once and used by everything it runs (``Settings.use``):
    loading the pipeline and the nodes' own limits see them too.
    """
    effective = settings_for_call(backend, options)  # resolved once; everything below sees it
    with settings.use(effective):
        call = start_call(node, coordinates, effective, stats)
        if not compute:
            from podpac_exec.engine.fanout import evaluate_plan

            with call.accounted(report=False):
                return evaluate_plan(call.node, call.coords, call.backend, call.options, call.plan, compute=False)
        values = call.values()
        return output_array(call.out_coords, values, {"crs": call.coords.crs, "node_hash": call.node.hash})


def evaluate_array(
    node: "Node | str | Mapping[str, Any]",
    coordinates: "Coordinates | str | Mapping[str, Any]",
    backend: str | None = None,
    *,
    stats: EvaluationStats | None = None,
    **options: Any,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """:func:`evaluate`'s values and dims, without the DataArray (for callers that only need the
    numbers, such as map tiles: building its coordinate indexes costs more than a small tile)."""
    effective = settings_for_call(backend, options)
    with settings.use(effective):
        call = start_call(node, coordinates, effective, stats)
        return call.values(), tuple(call.out_coords.dims)


@dataclass
class Call:
    """One ``evaluate()`` call, checked and planned."""

    node: Node
    coords: Coordinates
    backend: Backend
    options: EvaluationOptions
    plan: "TilePlan"

    @property
    def out_coords(self) -> Coordinates:
        return self.node.output_coordinates(self.coords)

    def values(self) -> np.ndarray:
        """Every tile evaluated, assembled into one array on :attr:`out_coords`."""
        with self.accounted():
            if len(self.plan) == 1:
                return evaluate_values(self.node, self.coords, self.backend, self.options)
            from podpac_exec.engine.fanout import compute_plan

            return compute_plan(self.node, self.coords, self.backend, self.options, self.plan)

    @contextmanager
    def accounted(self, report: bool = True) -> Iterator[None]:
        """Wall time, bytes read and (``report``) the backend's report on the call's statistics."""
        stats = self.options.stats
        t0 = time.perf_counter()
        read_before = READ_BYTES.total
        try:
            yield
        finally:
            stats.wall_seconds = time.perf_counter() - t0
            stats.bytes_read += READ_BYTES.total - read_before
            if report:
                stats.backend_report = self.backend.report(stats)


def start_call(
    node: "Node | str | Mapping[str, Any]",
    coordinates: "Coordinates | str | Mapping[str, Any]",
    effective: EffectiveSettings,
    stats: EvaluationStats | None,
) -> Call:
    """Parse, check limits, resolve the backend and plan the tiles of one call (inside
    ``settings.use(effective)``, so that loading the pipeline sees the call's settings)."""
    node = as_node(node)
    coords = as_coordinates(coordinates)
    if effective["dask.scheduler_address"]:  # malformed fails here even when one tile runs in-process
        check_scheduler_address(effective["dask.scheduler_address"])
    check_request_limits(coords, effective)
    backend_obj = get_backend(effective["backend"], effective)
    evaluation = EvaluationOptions(effective, stats if stats is not None else EvaluationStats())
    return Call(node, coords, backend_obj, evaluation, plan_request(node, coords, backend_obj, effective))


def plan_request(
    node: Node,
    coords: Coordinates,
    backend: Backend,
    effective: EffectiveSettings,
    chunks: Mapping[str, int] | None = None,
) -> "TilePlan":
    """Tiles for this request on this backend (one tile when it fits the backend's budget).

    ``chunks`` (output dim -> chunk length) aligns tile edges to a zarr store's chunks (batch jobs).
    """
    from podpac_exec.engine.tiling import plan_tiles

    limits = backend.limits()
    requirements = node.graph_requirements()
    out_coords = node.output_coordinates(coords)
    return plan_tiles(
        coords.shape,
        coords.dims,
        out_dims=out_coords.dims,
        out_shape=out_coords.shape,
        whole_request=requirements.whole_request,
        itemsize=8,
        max_result_bytes=min(limits.max_result_bytes, effective["tiling.max_tile_bytes"]),
        concurrency=max(limits.concurrency, effective["tiling.min_tiles"]),
        reduce_dims=requirements.reduce_dims,
        halo=requirements.halo,
        max_eval_cells=min(limits.max_request_cells or effective["limits.max_tile_cells"], effective["limits.max_tile_cells"]),
        overhead=limits.encoding_overhead,
        chunks=chunks,  # added for batch.py: tiles cover whole chunks of the output store
    )


def settings_for_call(backend: str | None, options: Mapping[str, Any]) -> EffectiveSettings:
    """The effective settings of one ``evaluate(..., backend=..., **options)`` call."""
    arguments = _short_option_names(options)
    if backend is not None:
        arguments["backend"] = backend
    return settings.snapshot(arguments)


def as_node(node: "Node | str | bytes | Mapping[str, Any]") -> Node:
    if isinstance(node, Node):
        return node
    if isinstance(node, (str, bytes)):
        return Node.from_json(node)
    if isinstance(node, Mapping):
        return Node.from_definition(node)
    raise PodpacExecError(f"expected a Node, pipeline JSON or definition, got {type(node).__name__}", field="node")


def as_coordinates(coordinates: "Coordinates | str | Mapping[str, Any]") -> Coordinates:
    if isinstance(coordinates, Coordinates):
        return coordinates
    if isinstance(coordinates, (str, bytes)):
        text = coordinates.decode() if isinstance(coordinates, bytes) else coordinates
        return Coordinates.from_json(text)
    if isinstance(coordinates, (Mapping, list)):
        return Coordinates.from_definition(coordinates)
    raise PodpacExecError(
        f"expected Coordinates, coordinates JSON or definition, got {type(coordinates).__name__}", field="coordinates"
    )


def check_request_limits(coords: Coordinates, effective: EffectiveSettings) -> None:
    limit = effective["limits.max_cells"]
    if coords.size > limit:
        raise LimitExceededError(
            f"the request has {coords.size} cells ({' x '.join(map(str, coords.shape))}), "
            f"above limits.max_cells={limit}",
            field="coordinates",
        )


def _short_option_names(options: Mapping[str, Any]) -> dict[str, Any]:
    """Accept ``max_tile_bytes=`` for ``tiling.max_tile_bytes`` when the key is unambiguous."""
    from podpac_exec.settings import normalize_keys

    if not options:
        return {}
    known = settings.known_keys()
    out: dict[str, Any] = {}
    for key, value in normalize_keys(options).items():
        if key in known:
            out[key] = value
            continue
        matches = [k for k in known if k.split(".", 1)[-1] == key and "." in k]
        out[matches[0] if len(matches) == 1 else key] = value
    return out
