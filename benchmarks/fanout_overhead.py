"""Client work per tile of a fanned-out request, against copying the tile's bytes once.

A 4096 x 4096 SinCoords request runs through ``evaluate()`` on a test backend registered at
run time (``plugins.register_plugin``): the Lambda client itself (``LambdaBackend``: request
building and JSON encoding, the retry wrapper, response reading with ``envelope.load_response``
and ``protocol.parse_response``) with only the remote call replaced, by a response encoded ahead
of time for each tile (``json.dumps``, as the Lambda runtime does). So the time is the client's:
planning, encoding, decoding, per-tile alignment and writing each tile into the result. Tiles are sized for Lambda's 6 MB response (29
tiles of about 4.7 MB); one thread, so that the time per tile is work, not overlap. The baseline
is copying the tile's bytes once: ``np.copyto`` of every tile into its place in a preallocated
(and touched) result, per tile. The assembled result is checked against the values the
responses were made from. ``detail`` breaks the time down by step (medians of each step run
alone on one tile; ``backend_evaluate_ms`` is the backend's whole call, request to DataArray;
``unattributed`` is what the steps alone do not account for: orchestration, and memory that the
steps run alone reuse warm) and gives the same request on two threads.
"""

from __future__ import annotations

import io
import json
import math
import threading
import time
from typing import Any, Callable, Iterator

import numpy as np

from benchmarks.harness import median_seconds, record
from benchmarks.local_overhead import ms, timed_in_turns

NAME = "fanout_overhead"
BACKEND = "bench_replay"
SIZE = 4096
ROUNDS = 5


def _replay_classes() -> tuple[type, type]:
    """A LambdaBackend whose invoke answers from ``responses`` (tile id -> response bytes), and
    the plugin registering it."""
    from podpac_exec.plugins.backends import BackendSpec
    from podpac_exec.backends.aws_lambda.client.backend import LambdaBackend
    from podpac_exec.backends.aws_lambda.plugin import SETTINGS as LAMBDA_SETTINGS
    from podpac_exec.plugins.manager import hookimpl

    current = threading.local()

    class ReplayBackend(LambdaBackend):
        name = BACKEND
        responses: dict[int, bytes] = {}

        def evaluate(self, node: Any, coordinates: Any, options: Any) -> Any:
            current.tile = options.tile
            return super().evaluate(node, coordinates, options)

        def _call_lambda(self, payload: bytes) -> dict[str, Any]:
            return {"StatusCode": 200, "Payload": io.BytesIO(self.responses[current.tile.id])}

    class ReplayPlugin:
        @hookimpl
        def podpac_exec_register_backends(self) -> list[BackendSpec]:
            return [
                BackendSpec(
                    name=BACKEND,
                    backend_class=ReplayBackend,
                    description="benchmark: the Lambda client answered by replayed responses",
                    # the Lambda section's settings, its own max_concurrency (instances are cached per section)
                    settings={**LAMBDA_SETTINGS, "max_concurrency": 1, "check_version": False},
                )
            ]

        @hookimpl
        def podpac_exec_evaluate_node(self, node: Any, coordinates: Any, backend: Any, options: Any) -> Any:
            return backend.evaluate(node, coordinates, options) if isinstance(backend, ReplayBackend) else None

    return ReplayBackend, ReplayPlugin


def step_breakdown(
    node: Any, coords: Any, backend: Any, effective: Any, plan: Any, full: np.ndarray
) -> dict[str, float]:
    """Median ms of each client step, run alone on the first tile (planning and assembly per tile)."""
    from podpac_exec.backends.aws_lambda.wire.envelope import load_response
    from podpac_exec.plugins.backends import EvaluationOptions
    from podpac_exec.backends.aws_lambda.client.backend import request_payload
    from podpac_exec.backends.aws_lambda.wire.protocol import OutputSpec, parse_response
    from podpac_exec.engine.dispatch import aligned_values, result_array
    from podpac_exec.engine.executor import plan_request
    from podpac_exec.engine.stats import EvaluationStats

    tile = plan.tiles[0]
    tile_coords = coords[tile.eval_index]
    body = backend.responses[tile.id]
    parsed = load_response(body)
    values = parse_response(parsed).values
    out_coords = node.output_coordinates(tile_coords)
    options = EvaluationOptions(effective, EvaluationStats(), tile=tile)

    def request() -> bytes:
        return request_payload(node, tile_coords, OutputSpec(), effective.public())

    def wrap_and_align() -> np.ndarray:
        result = result_array(values.reshape(out_coords.shape), out_coords.dims)
        return np.asarray(aligned_values(result, node, out_coords)[tile.crop], dtype=np.float64)

    target = np.ones_like(full)
    steps: dict[str, Callable[[], Any]] = {
        "plan": lambda: plan_request(node, coords, backend, effective),
        "request": request,
        "response_read": lambda: io.BytesIO(body).read(),
        "response_json": lambda: load_response(body),
        "response_decode": lambda: parse_response(parsed),
        "wrap_align_crop": wrap_and_align,
        "write_into_result": lambda: target[tile.out_index].__setitem__(Ellipsis, values),
    }
    n = len(plan)
    per_tile = {"plan"}
    out = {
        f"{name}_ms": ms(median_seconds(fn, repeats=7) / (n if name in per_tile else 1)) for name, fn in steps.items()
    }
    out["backend_evaluate_ms"] = ms(median_seconds(lambda: backend.evaluate(node, tile_coords, options), repeats=7))
    return out


def run() -> Iterator[dict[str, Any]]:
    import podpac_exec as pe
    from podpac_exec.plugins.backends import get_backend
    from podpac_exec.backends.aws_lambda.wire.envelope import dump_response
    from podpac_exec.backends.aws_lambda.wire.protocol import build_response
    from podpac_exec.engine.executor import plan_request
    from podpac_exec.nodes import SinCoords
    from podpac_exec.plugins.manager import register_plugin, unregister_plugin
    from podpac_exec.settings import settings

    ReplayBackend, ReplayPlugin = _replay_classes()
    register_plugin(ReplayPlugin(), name=BACKEND)
    try:
        coords = pe.Coordinates([pe.clinspace(-45, 45, SIZE, "lat"), pe.clinspace(-90, 90, SIZE, "lon")])
        node = SinCoords()
        full = pe.evaluate(node, coords, backend="local").values
        effective = settings.snapshot({"backend": BACKEND, f"{BACKEND}.max_concurrency": 1, "tiling.progress": "off"})
        backend = get_backend(BACKEND, effective)
        plan = plan_request(node, coords, backend, effective)
        dims = list(plan.out_dims)
        ReplayBackend.responses = {
            # the function's answer as it leaves it (remote.wire_answer: meta first, payload last)
            tile.id: dump_response({**build_response(full[tile.out_index], dims), "meta": {"invocations": 1}})
            for tile in plan
        }

        def fanout(workers: int) -> Callable[[], Any]:
            options = {f"{BACKEND}__max_concurrency": workers, "tiling__progress": "off"}
            return lambda: pe.evaluate(node, coords, backend=BACKEND, **options)

        if not np.array_equal(fanout(1)().values, full):
            raise AssertionError("the assembled result differs from the tiles' values")

        tiles = [np.array(full[tile.out_index]) for tile in plan]
        target = np.ones_like(full)  # touched: the copy pays no page faults

        def copy_tiles() -> None:
            for tile, values in zip(plan, tiles):
                np.copyto(target[tile.out_index], values)

        medians = timed_in_turns(
            {
                "fanout": fanout(1),
                "fanout_two_threads": fanout(2),
                "copy": copy_tiles,
                "copy_one_cached": lambda: np.copyto(target[plan.tiles[0].out_index], tiles[0]),
            },
            ROUNDS,
            3,
            cpu_clock=time.process_time,
        )
        n = len(plan)
        per_tile = medians["fanout"]["wall"] / n
        breakdown = step_breakdown(node, coords, backend, effective, plan, full)
        steps = sum(v for k, v in breakdown.items() if k != "backend_evaluate_ms")
        yield record(
            NAME,
            "client_time_per_tile_vs_copy",
            per_tile / (medians["copy"]["wall"] / n),
            "ratio",
            "<= 5",
            client_ms_per_tile=ms(per_tile),
            client_cpu_ms_per_tile=ms(medians["fanout"]["cpu"] / n),
            copy_ms_per_tile=ms(medians["copy"]["wall"] / n),
            copy_one_tile_cache_hot_ms=ms(medians["copy_one_cached"]["wall"]),
            request_median_ms=ms(medians["fanout"]["wall"]),
            two_threads_ms_per_tile=ms(medians["fanout_two_threads"]["wall"] / n),
            tiles=n,
            tile_shape=list(tiles[0].shape),
            tile_bytes=tiles[0].nbytes,
            response_bytes=len(ReplayBackend.responses[plan.tiles[0].id]),
            copy_gb_per_s=round(full.nbytes / medians["copy"]["wall"] / 1e9, 3),
            breakdown_per_tile=breakdown,
            unattributed_ms_per_tile=round(per_tile * 1e3 - steps, 3),
            request=f"{SIZE}x{SIZE} float64 SinCoords, Lambda budget, one thread",
            tile_mean_cells=math.prod(plan.out_shape) // n,
            rounds=ROUNDS,
        )
    finally:
        unregister_plugin(BACKEND)
        ReplayBackend.responses = {}
