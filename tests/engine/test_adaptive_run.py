"""The adaptive fan-out on a service-like backend: splits, throttles, stragglers, cost cap."""

from __future__ import annotations

import random
import threading
import time

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.engine.estimate import CostLimitError
from podpac_exec.engine.executor import plan_request
from podpac_exec.engine.fanout import evaluate_plan
from podpac_exec.engine.concurrency import call_in_window
from podpac_exec.plugins.backends import BackendLimits, EvaluationOptions
from podpac_exec.backends.local.backend import LocalBackend

NODE = pe.nodes.Convolution(
    source=pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lon"), eqn="A + B / 100"),
    kernel_type="mean,3", kernel_dims=["lat", "lon"],
)
COORDS = pe.Coordinates([pe.clinspace(-40, 40, 24, "lat"), pe.clinspace(-90, 90, 30, "lon")])


class Throttled(Exception):
    pass


class Service(LocalBackend):
    """A local backend that behaves like a remote service: limits, throttles, a slow call."""

    name = "local"

    def __init__(self, *, max_cells=10**9, throttle=0.0, slow_first_s=0.0, concurrency=4, cost=None):
        super().__init__({"max_workers": concurrency, "memory_budget_bytes": 0})
        self.max_cells, self.throttle, self.slow = max_cells, throttle, slow_first_s
        self.concurrency, self.cost = concurrency, cost
        self.rng = random.Random(3)
        self.lock = threading.Lock()
        self.calls = 0
        self.peak = 0

    def limits(self):
        return BackendLimits(max_result_bytes=8 * 60, concurrency=self.concurrency)

    def failure_kind(self, exc):
        return "throttle" if isinstance(exc, Throttled) else super().failure_kind(exc)

    def estimate(self, figures, calibration):
        return None if self.cost is None else {"cost_usd": self.cost * figures.tiles, "basis": "test"}

    def max_cost_usd(self):
        return None if self.cost is None else 0.5

    def evaluate(self, node, coordinates, options):
        def call():
            with self.lock:
                self.calls += 1
                first = self.calls == 1
                self.peak = max(self.peak, options.control.controller.in_flight)
                throttled = self.rng.random() < self.throttle
            if throttled:
                raise Throttled()
            if coordinates.size > self.max_cells:
                raise MemoryError(f"{coordinates.size} cells")
            if first and self.slow:
                time.sleep(self.slow)
            return node.eval(coordinates)

        return call_in_window(call, options.control, self.failure_kind, delay=lambda n: 0.001,
                              on_throttle=options.stats.add_retry)


def run(backend, **settings):
    stats = pe.EvaluationStats()
    effective = pe.settings.snapshot(settings)
    plan = plan_request(NODE, COORDS, backend, effective)
    out = evaluate_plan(NODE, COORDS, backend, EvaluationOptions(effective, stats), plan)
    return out, stats, plan


def test_tiles_over_the_memory_limit_are_split_to_the_exact_result():
    out, stats, plan = run(Service(max_cells=40))
    np.testing.assert_array_equal(out.values, pe.evaluate(NODE, COORDS).values)
    assert stats.adaptive["splits"] >= len(plan) and stats.failures >= len(plan)


def test_a_tile_at_the_floor_is_reported_with_its_limit():
    with pytest.raises(pe.TileEvaluationError, match=r"hit the memory limit .*adaptive.min_tile_cells=20"):
        run(Service(max_cells=10), adaptive={"min_tile_cells": 20})


def test_throttles_shrink_the_window_and_no_tile_is_lost():
    backend = Service(throttle=0.3, concurrency=8)
    out, stats, _ = run(backend)
    np.testing.assert_array_equal(out.values, pe.evaluate(NODE, COORDS).values)
    assert stats.adaptive["throttle_decreases"] > 0 and stats.retries > 0
    assert min(s[2] for s in stats.concurrency_samples) < 8 and backend.peak <= 8


def test_a_straggler_is_overtaken_by_its_backup():
    t0 = time.monotonic()
    out, stats, _ = run(Service(slow_first_s=4.0), stragglers={"min_seconds": 0.2, "min_done_fraction": 0.5})
    assert time.monotonic() - t0 < 3.5
    np.testing.assert_array_equal(out.values, pe.evaluate(NODE, COORDS).values)
    assert stats.adaptive["backups"] == 1 and stats.adaptive["backups_won"] == 1


def test_a_cost_cap_below_the_estimate_stops_the_run_before_any_call():
    backend = Service(cost=0.1)
    with pytest.raises(CostLimitError, match=r"above local.max_cost_usd=\$0.500000; nothing was run"):
        from podpac_exec.engine.executor import check_cost_before

        effective = pe.settings.snapshot({})
        check_cost_before(NODE, COORDS, backend, EvaluationOptions(effective, pe.EvaluationStats()),
                          plan_request(NODE, COORDS, backend, effective))
    assert backend.calls == 0
