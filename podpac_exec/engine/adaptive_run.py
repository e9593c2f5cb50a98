"""The adaptive fan-out: tiles on threads, AIMD-limited, split on limits, stragglers backed up.

Used by :func:`podpac_exec.engine.fanout.evaluate_plan` for backends that wait on a service
(``BackendLimits.cpu_bound`` false) when the result is computed at once. Each tile runs through
the same :class:`~podpac_exec.engine.fanout.TileRunner` as the dask path; only this loop writes
into the output, so the first answer of a tile wins and a later one (its backup's, or the
straggler's) is ignored.
"""

from __future__ import annotations

import time
from collections import deque
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
    set here, for its calls) and return the assembled output array. ``start_with``: parts of the
    plan's tiles to run instead (after a split of a one-tile plan)."""
    return _AdaptiveRun(evaluate, plan, backend, options, describe).run(list(start_with or plan))


class _AdaptiveRun:
    """The state of one run: tiles waiting, calls running, answers kept."""

    def __init__(self, evaluate: Callable[[Tile], np.ndarray], plan: TilePlan, backend: "Backend",
                 options: "EvaluationOptions", describe: Callable[[Tile], str]) -> None:
        settings = options.settings
        limits = backend.limits()
        self.evaluate, self.plan, self.backend, self.stats, self.describe = evaluate, plan, backend, options.stats, describe
        self.controller = AimdController(
            AimdPolicy.from_settings(settings, max(1, min(limits.concurrency, len(plan))), limits.scale_up_per_s)
        )
        options.control = FanoutControl(
            self.controller,
            split_on_limit=bool(settings["adaptive.split_on_limit"]),
            max_throttle_retries=int(settings["concurrency.max_throttle_retries"]),
        )
        self.split_policy = SplitPolicy.from_settings(settings)
        self.straggler_policy = StragglerPolicy.from_settings(settings)
        self.cap = backend.max_cost_usd()
        self.out = np.empty(plan.out_shape, dtype=np.float64)
        self.waiting: deque[Tile] = deque()
        self.outstanding: dict[str, Tile] = {}  # what must still arrive, by tile label
        self.parts_left = {tile.id: 0 for tile in plan}  # per planned tile, for progress
        self.running: dict[Future, _Attempt] = {}
        self.backed_up: set[str] = set()
        self.durations: list[float] = []
        self.done = 0
        self.bar = make_progress(settings["tiling.progress"], len(plan))
        self.pool = ThreadPoolExecutor(
            max_workers=self.controller.policy.ceiling + self.straggler_policy.max_backups,
            thread_name_prefix="podpac-exec-tile",
        )

    def run(self, first: list[Tile]) -> np.ndarray:
        self._add(first)
        try:
            while self.outstanding:
                self._fill()
                finished, _ = wait(list(self.running), timeout=POLL_S, return_when=FIRST_COMPLETED)
                for future in finished:
                    self._answer(future, self.running.pop(future))
                self._back_up_stragglers()
        finally:
            self.bar.close()
            self.pool.shutdown(wait=False, cancel_futures=True)  # a straggler that lost finishes on its own
            self.stats.concurrency_samples.extend(self.controller.samples)
            self.stats.add_adaptive("throttle_decreases", self.controller.decreases)
        return self.out

    def _add(self, tiles: list[Tile], front: bool = False) -> None:
        for tile in tiles:
            self.outstanding[tile.label] = tile
            self.parts_left[tile.id] += 1
        if front:  # parts of a split tile run next
            self.waiting.extendleft(reversed(tiles))
        else:
            self.waiting.extend(tiles)

    def _fill(self) -> None:
        """Start waiting tiles while the window has room, so a call's time is its own, not a queue's."""
        primaries = sum(1 for a in self.running.values() if not a.backup)
        while self.waiting and primaries < self.controller.limit:
            self._start(self.waiting.popleft())
            primaries += 1

    def _start(self, tile: Tile, backup: bool = False) -> None:
        self.running[self.pool.submit(self.evaluate, tile)] = _Attempt(tile, time.monotonic(), backup)

    def _answer(self, future: Future, attempt: _Attempt) -> None:
        label = attempt.tile.label
        if label not in self.outstanding:
            return  # the other attempt of this tile answered first
        exc = future.exception()
        if exc is None:
            self._keep(future.result(), attempt)
        elif not any(a.tile.label == label for a in self.running.values()):  # else its twin may still answer
            self._split_or_raise(exc, attempt.tile)

    def _keep(self, values: np.ndarray, attempt: _Attempt) -> None:
        tile = attempt.tile
        self.out[tile.out_index] = values
        del self.outstanding[tile.label]
        self.done += 1
        if attempt.backup:
            self.stats.add_adaptive("backups_won")
        else:
            self.durations.append(time.monotonic() - attempt.started)
        self.parts_left[tile.id] -= 1
        if self.parts_left[tile.id] == 0:
            self.bar.update(1)
        check_spent(self.backend.cost_usd(self.stats), self.cap, f"{self.backend.name}.max_cost_usd",
                    self.done, self.done + len(self.outstanding))

    def _split_or_raise(self, exc: BaseException, tile: Tile) -> None:
        kind = self.backend.failure_kind(_cause(exc))
        if kind not in LIMIT_KINDS:
            raise exc
        parts = split_tile(self.plan, tile, self.split_policy)
        if not parts:
            raise limit_error(tile, kind, self.describe(tile), _cause(exc), self.split_policy) from exc
        self.stats.add_adaptive("splits")
        del self.outstanding[tile.label]
        self.parts_left[tile.id] -= 1
        self._add(parts, front=True)

    def _back_up_stragglers(self) -> None:
        now = time.monotonic()
        late = stragglers(
            self.straggler_policy,
            done=self.done,
            total=self.done + len(self.outstanding),
            durations=self.durations,
            running={a.tile.label: now - a.started for a in self.running.values() if not a.backup},
            backed_up=self.backed_up,
            backups_started=len(self.backed_up),
        )
        for label in late:
            self.backed_up.add(str(label))
            self.stats.add_adaptive("backups")
            self._start(self.outstanding[str(label)], backup=True)


def _cause(exc: BaseException) -> BaseException:
    """The backend's error inside the fan-out's ``TileEvaluationError``."""
    if isinstance(exc, TileEvaluationError) and exc.cause is not None:
        return exc.cause
    return exc

