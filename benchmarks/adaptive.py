"""The adaptive fan-out of issue 15: 256 tiles on the emulator with 20% throttling and one straggler.

Median wall time of two runs with the adaptive features off (fixed concurrency, throttles
retried in place, no backups, no splits) against three with them on, in the same process on warm
containers: target >= 1.5x faster with them. For each adaptive run, the estimate made just
before it (from the REPORTs of the run before) against its billed GB-seconds: target within 25%
(the median ratio). The emulator's durations are this host's: on a shared 2-core machine they
swing with other load between runs, which the ratios show. The estimate of a one-tile
calibration run is in the detail: on the emulator one call alone runs faster than eight at once
on this machine's cores, so it reads low here (Lambda gives each call its own CPU).
"""

from __future__ import annotations

import contextlib
import io
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.harness import record

NAME = "adaptive"
REPO = Path(__file__).resolve().parents[1]
STRAGGLER_S = 15.0
REPEATS = 3
OFF = {"concurrency": {"adaptive": False}, "stragglers": {"enabled": False}, "adaptive": {"split_on_limit": False}}


def run() -> Iterator[dict[str, Any]]:
    import numpy as np

    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.client.adaptive import HISTORY
    from podpac_exec.backends.aws_lambda.emulator import Emulator
    from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
    from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build

    package = build_packages(PackageSpec(
        deps_mode="layers", without_packages=("scipy", "zarr", "numcodecs", "rasterio", "pyproj"),
        output_dir=REPO / "build" / "aws_lambda_layers", wheel_cache_dir=REPO / "build" / "aws_lambda" / "wheels"))
    node = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lon"), eqn="A * 10 + B")
    coords = pe.Coordinates([pe.clinspace(-60, 60, 256, "lat"), pe.clinspace(-170, 170, 40, "lon")])
    common = {"max_tile_bytes": 430, "tiling__progress": "off",  # one 40-cell row per tile: 256 tiles
              "retry": {"max_attempts": 8, "base_delay_s": 0.2, "max_delay_s": 5.0}}
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-adaptive-") as state, Emulator(state_dir=state) as emu:
        with emu.exported_env():  # dummy credentials and AWS_ENDPOINT_URL for boto3
            settings = {"endpoint_url": emu.endpoint_url, "bucket": "podpac-exec-bench-adaptive", "max_concurrency": 8,
                        "timeout_s": 60}
            build(pe.settings.snapshot({"aws_lambda": settings}),
                  BuildOptions(dist_zip=package.dist_zip, layer_zips=tuple(package.layer_zips)))
            expected = pe.evaluate(node, coords).values
            pe.evaluate(node, coords, backend="aws_lambda", aws_lambda=settings, **common)  # warm every container
            def estimate() -> Any:
                with contextlib.redirect_stdout(io.StringIO()):  # it prints the plan
                    return pe.evaluate(node, coords, backend="aws_lambda", aws_lambda=settings, estimate=True, **common)

            HISTORY.clear()
            runs["calibrated"] = estimate()  # no history: one tile is run and priced
            for name, extra in [("without", OFF)] * 2 + [("with", {})] * REPEATS:
                if name == "with":  # from the REPORTs of the run before
                    runs.setdefault("estimates", []).append(estimate())
                emu.set_faults(throttle=0.2, stragglers=1, straggler_s=STRAGGLER_S, seed=15)
                stats = pe.EvaluationStats()
                t0 = time.perf_counter()
                out = pe.evaluate(node, coords, backend="aws_lambda", aws_lambda=settings, stats=stats,
                                  **common, **extra)
                runs.setdefault(name, []).append({"wall": time.perf_counter() - t0, "stats": stats,
                                                  "exact": bool(np.array_equal(out.values, expected))})
                emu.set_faults()
    off, on = runs["without"], runs["with"]
    off_s, on_s = statistics.median(r["wall"] for r in off), statistics.median(r["wall"] for r in on)
    last = on[-1]["stats"]
    yield record(NAME, "wall_without_vs_with_adaptive", off_s / on_s, "ratio", target=">= 1.5",
                 without_s=off_s, with_s=on_s, walls_without=[r["wall"] for r in off], walls_with=[r["wall"] for r in on],
                 tiles=256, straggler_s=STRAGGLER_S, exact=all(r["exact"] for r in off + on),
                 adaptive=[r["stats"].adaptive for r in on], retries_without=off[-1]["stats"].retries,
                 retries_with=last.retries, min_window=min((s[2] for s in last.concurrency_samples), default=None))
    pairs = [(e.backend["gb_seconds"], r["stats"].backend_report["billed_gb_seconds"]) for e, r in zip(runs["estimates"], on)]
    ratios = [est / act for est, act in pairs if act]
    calibrated = runs["calibrated"].backend["gb_seconds"]
    first_actual = pairs[0][1]
    yield record(NAME, "estimate_vs_actual_gb_seconds", statistics.median(ratios) if ratios else 0.0, "ratio",
                 target="0.75 .. 1.25", estimated_and_actual_gb_s=pairs, ratios=ratios,
                 basis=runs["estimates"][-1].backend.get("basis"),
                 calibrated_gb_s=calibrated, calibrated_vs_first_actual=calibrated / first_actual if first_actual else 0.0)
