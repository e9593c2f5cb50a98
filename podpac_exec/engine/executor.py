"""``evaluate()``: resolve the backend, check limits, plan tiles, dispatch, assemble."""

from __future__ import annotations

import functools
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

    from podpac_exec.engine.estimate import Estimate
    from podpac_exec.engine.tiling import TilePlan


def evaluate(
    node: "Node | str | Mapping[str, Any]",
    coordinates: "Coordinates | str | Mapping[str, Any]",
    backend: str | None = None,
    *,
    stats: EvaluationStats | None = None,
    compute: bool = True,
    estimate: bool = False,
    **options: Any,
) -> "xr.DataArray | Estimate":
    """Evaluate ``node`` at ``coordinates`` on a backend and return an ``xarray.DataArray``.

    ``node`` and ``coordinates`` may be objects, PODPAC JSON text or parsed definitions. The
    backend is ``backend`` > settings ``backend`` > ``"local"``. Keyword ``options`` are settings
    for this call (``max_tile_bytes=...``, ``tiling__max_tile_bytes=...`` or
    ``local={...}`` for a backend section). Pass ``stats=EvaluationStats()`` to receive per-tile statistics.
    The result has the request's dims (minus reduced dims) and coordinates, and attrs ``crs``
    and ``node_hash``. A request larger than one tile is split (``tiling.py``) and its tiles run
    in parallel as dask tasks; ``compute=False`` returns the dask-backed result unevaluated.
    The call's settings are resolved once and used by everything it runs (``Settings.use``):
    loading the pipeline and the nodes' own limits see them too. ``estimate=True`` prints the
    plan and its estimated cost and returns that :class:`~podpac_exec.engine.estimate.Estimate`
    instead of running (a backend with no history of the pipeline runs one tile to calibrate).
    A backend's cost cap (``<backend>.max_cost_usd``) refuses a run estimated above it before
    any tile runs.
    """
    effective = settings_for_call(backend, options)  # resolved once; everything below sees it
    with settings.use(effective):
        call = start_call(node, coordinates, effective, stats, estimate=estimate)
        if estimate:
            return call.estimate()
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
            from podpac_exec.engine.fanout import compute_plan

            if len(self.plan) == 1:
                try:
                    return evaluate_values(self.node, self.coords, self.backend, self.options)
                except Exception as exc:  # noqa: BLE001 - a limit splits the tile, anything else propagates
                    parts = split_after_limit(self.backend, self.plan, exc, self.options.settings)
                    self.options.stats.add_adaptive("splits")
                    return compute_plan(self.node, self.coords, self.backend, self.options, self.plan, start_with=parts)
            return compute_plan(self.node, self.coords, self.backend, self.options, self.plan)

    def estimate(self) -> "Estimate":
        """Print the plan and its estimated cost, and return that estimate (nothing runs but,
        without history, one calibration tile)."""
        from podpac_exec.engine.estimate import estimate_plan

        found = estimate_plan(self.node, self.coords, self.backend, self.options, self.plan, calibrate=True)
        print(found, flush=True)
        return found

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
    *,
    estimate: bool = False,
) -> Call:
    """Parse, check limits, resolve the backend and plan the tiles of one call (inside
    ``settings.use(effective)``, so that loading the pipeline sees the call's settings); a run
    estimated above the backend's cost cap is refused here (unless only ``estimate`` is asked)."""
    node = as_node(node)
    coords = as_coordinates(coordinates)
    if effective["dask.scheduler_address"]:  # malformed fails here even when one tile runs in-process
        check_scheduler_address(effective["dask.scheduler_address"])
    check_request_limits(coords, effective)
    backend_obj = get_backend(effective["backend"], effective)
    stats = stats if stats is not None else EvaluationStats()
    stats.node_hash = node.hash
    evaluation = EvaluationOptions(effective, stats)
    plan = plan_request(node, coords, backend_obj, effective)
    if not estimate:  # before the backend's own checks (a Lambda identify call is an invocation)
        check_cost_before(node, coords, backend_obj, evaluation, plan)
    backend_obj.before_run(evaluation)
    return Call(node, coords, backend_obj, evaluation, plan)


def split_after_limit(backend: Backend, plan: "TilePlan", exc: Exception, effective: EffectiveSettings) -> list:
    """The parts of a one-tile plan whose tile hit a memory or time limit; re-raises ``exc`` otherwise."""
    from podpac_exec.engine.adaptive import LIMIT_KINDS, SplitPolicy, split_tile

    if backend.failure_kind(exc) not in LIMIT_KINDS or not effective["adaptive.split_on_limit"]:
        raise exc
    parts = split_tile(plan, plan.tiles[0], SplitPolicy.from_settings(effective))
    if not parts:
        raise exc
    return parts


def check_cost_before(node: Node, coords: Coordinates, backend: Backend, evaluation: EvaluationOptions, plan: "TilePlan") -> None:
    """Keep the estimate for the summary; refuse the run when it is above the backend's cost cap
    (calibrating on one tile first only when a cap is set and no history gives more than a floor)."""
    from podpac_exec.engine.estimate import check_cost, estimate_plan

    cap = backend.max_cost_usd()
    if cap is None and type(backend).estimate is Backend.estimate:
        return  # a backend with no cost model: nothing to keep or to check
    found = estimate_plan(node, coords, backend, evaluation, plan, calibrate=False)
    if cap is not None:
        check_cost(found, cap, f"{backend.name}.max_cost_usd")  # the floor alone may be too much
        if found.backend.get("lower_bound"):
            backend.before_run(evaluation)  # the calibration tile runs on a checked backend
            found = estimate_plan(node, coords, backend, evaluation, plan, calibrate=True)
            check_cost(found, cap, f"{backend.name}.max_cost_usd")
    if found.backend:
        evaluation.stats.estimate = found.as_dict()


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
    limits = backend.limits()
    requirements = node.graph_requirements()
    out_coords = node.output_coordinates(coords)
    return _plan(
        tuple(coords.shape),
        tuple(coords.dims),
        tuple(out_coords.dims),
        tuple(out_coords.shape),
        requirements.whole_request,
        min(limits.max_result_bytes, effective["tiling.max_tile_bytes"]),
        max(limits.concurrency, effective["tiling.min_tiles"]),
        frozenset(requirements.reduce_dims),
        tuple(sorted(requirements.halo.items())),
        min(limits.max_request_cells or effective["limits.max_tile_cells"], effective["limits.max_tile_cells"]),
        limits.encoding_overhead,
        tuple(sorted(chunks.items())) if chunks else None,  # batch.py: tiles cover whole chunks of the output store
    )


@functools.lru_cache(maxsize=256)
def _plan(
    shape: tuple[int, ...],
    dims: tuple[str, ...],
    out_dims: tuple[str, ...],
    out_shape: tuple[int, ...],
    whole_request: bool,
    max_result_bytes: int,
    concurrency: int,
    reduce_dims: frozenset[str],
    halo: tuple[tuple[str, int], ...],
    max_eval_cells: int,
    overhead: float,
    chunks: tuple[tuple[str, int], ...] | None,
) -> "TilePlan":
    """``plan_tiles`` of hashable arguments, kept: a plan is immutable, and a server or a batch
    asks for the same one again and again (planning costs more than evaluating a small tile)."""
    from podpac_exec.engine.tiling import plan_tiles

    return plan_tiles(
        shape, dims, out_dims=out_dims, out_shape=out_shape, whole_request=whole_request, itemsize=8,
        max_result_bytes=max_result_bytes, concurrency=concurrency, reduce_dims=reduce_dims, halo=dict(halo),
        max_eval_cells=max_eval_cells, overhead=overhead, chunks=dict(chunks) if chunks else None,
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
