"""The adaptive fan-out: tiles on threads, AIMD-limited, split on limits, stragglers backed up.

Used by :func:`podpac_exec.engine.fanout.evaluate_plan` for backends that wait on a service
(``BackendLimits.cpu_bound`` false) when the result is computed at once. Each tile runs through
the same :class:`~podpac_exec.engine.fanout.TileRunner` as the dask path; only this loop writes
into the output, so the first answer of a tile wins and a later one (its backup's, or the
straggler's) is ignored.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np

from podpac_exec.engine.adaptive import LIMIT_KINDS, SplitPolicy, limit_error, split_tile
from podpac_exec.engine.concurrency import AimdController, AimdPolicy, FanoutControl
from podpac_exec.engine.estimate import check_spent
from podpac_exec.engine.progress import make_progress
from podpac_exec.engine.stragglers import StragglerPolicy, stragglers
from podpac_exec.engine.tiling import Tile, TilePlan
from podpac_exec.errors import TileEvaluationError

if TYPE_CHECKING:
    from podpac_exec.plugins.backends import Backend, EvaluationOptions

#: how often the loop looks for stragglers while it waits for answers
POLL_S = 0.05


def adaptive_enabled(backend: "Backend") -> bool:
    """Whether a plan on ``backend`` runs through this loop (service-bound backends)."""
    return not backend.limits().cpu_bound


@dataclass
class _Attempt:
    tile: Tile
    started: float
    backup: bool = False


def run_adaptive(
    evaluate: Callable[[Tile], np.ndarray],
    plan: TilePlan,
    backend: "Backend",
    options: "EvaluationOptions",
    *,
    describe: Callable[[Tile], str] = lambda tile: "",
    start_with: list[Tile] | None = None,
) -> np.ndarray:
    """Evaluate every tile of ``plan`` with ``evaluate(tile)`` (which must use ``options.control``,
    set here, for its calls) and return the assembled output array."""
    settings, stats = options.settings, options.stats
    limits = backend.limits()
    ceiling = max(1, min(limits.concurrency, len(plan)))
    controller = AimdController(AimdPolicy.from_settings(settings, ceiling, limits.scale_up_per_s))
    options.control = FanoutControl(
        controller,
        split_on_limit=bool(settings["adaptive.split_on_limit"]),
        max_throttle_retries=int(settings["concurrency.max_throttle_retries"]),
    )
    split_policy = SplitPolicy.from_settings(settings)
    cap, cap_setting = backend.max_cost_usd(), f"{backend.name}.max_cost_usd"
    straggler_policy = StragglerPolicy.from_settings(settings)
    out = np.empty(plan.out_shape, dtype=np.float64)
    first = list(start_with or plan)  # parts of planned tiles, after a split of a one-tile plan
    outstanding = {tile.label: tile for tile in first}  # what must still arrive
    parts_left = {tile.id: 0 for tile in plan}  # per planned tile, for progress
    for tile in first:
        parts_left[tile.id] += 1
    running: dict[Future, _Attempt] = {}
    backed_up: set[str] = set()
    durations: list[float] = []
    done = 0
    bar = make_progress(settings["tiling.progress"], len(plan))
    pool = ThreadPoolExecutor(max_workers=ceiling + straggler_policy.max_backups, thread_name_prefix="podpac-exec-tile")

    def start(tile: Tile, backup: bool = False) -> None:
        running[pool.submit(evaluate, tile)] = _Attempt(tile, time.monotonic(), backup)

    try:
        for tile in first:  # threads past the window wait in the controller
            start(tile)
        while outstanding:
            finished, _ = wait(list(running), timeout=POLL_S, return_when=FIRST_COMPLETED)
            for future in finished:
                attempt = running.pop(future)
                label = attempt.tile.label
                if label not in outstanding:
                    continue  # the other attempt of this tile answered first
                exc = future.exception()
                if exc is None:
                    out[attempt.tile.out_index] = future.result()
                    check_spent(backend.cost_usd(stats), cap, cap_setting, done, len(plan))
                    del outstanding[label]
                    if not attempt.backup:
                        durations.append(time.monotonic() - attempt.started)
                    else:
                        stats.add_adaptive("backups_won")
                    done += 1
                    parts_left[attempt.tile.id] -= 1
                    if parts_left[attempt.tile.id] == 0:
                        bar.update(1)
                    continue
                if any(a.tile.label == label for a in running.values()):
                    continue  # its twin still runs: let it answer
                kind = backend.failure_kind(_cause(exc))
                if kind not in LIMIT_KINDS:
                    raise exc
                parts = split_tile(plan, attempt.tile, split_policy)
                if not parts:
                    raise limit_error(attempt.tile, kind, describe(attempt.tile), _cause(exc), split_policy) from exc
                stats.add_adaptive("splits")
                del outstanding[label]
                parts_left[attempt.tile.id] += len(parts) - 1
                for part in parts:
                    outstanding[part.label] = part
                    start(part)
            now = time.monotonic()
            primaries = {a.tile.label: now - a.started for a in running.values() if not a.backup}
            for label in stragglers(
                straggler_policy,
                done=done,
                total=done + len(outstanding),
                durations=durations,
                running=primaries,
                backed_up=backed_up,
                backups_started=len(backed_up),
            ):
                backed_up.add(label)  # type: ignore[arg-type]
                stats.add_adaptive("backups")
                start(outstanding[label], backup=True)  # type: ignore[index]
    finally:
        bar.close()
        pool.shutdown(wait=False, cancel_futures=True)  # a straggler that lost finishes on its own
        stats.concurrency_samples.extend(controller.samples)
        stats.add_adaptive("throttle_decreases", controller.decreases)
    return out


def _cause(exc: BaseException) -> BaseException:
    """The backend's error inside the fan-out's ``TileEvaluationError``."""
    if isinstance(exc, TileEvaluationError) and exc.cause is not None:
        return exc.cause
    return exc

