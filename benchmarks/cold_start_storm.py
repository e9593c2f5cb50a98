"""The cold-start storm of issue 12: 64 tiles at the default concurrency on the emulator.

As a user meets it: ``aws build`` (ending with its one verify invocation, which pays the
function's first cold start), then the first run, then the same run warm, in one process.
Targets: the first run within 3x of the warm one, no timed-out invocation, and peak scratch
space (the emulator's state directory: containers' TMPDIRs and the shared directory) within 1.5x
of one unpacked dependency set. ``cold_host_first_vs_warm`` is the first run on a host where
nothing was ever started (containers stopped, the shared dependencies removed, no verify): the
whole cold start inside the run, for comparison.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.harness import record

NAME = "cold_start_storm"
REPO = Path(__file__).resolve().parents[1]


def _disk_bytes(top: Path) -> int:
    total = 0
    for folder, _, files in os.walk(top):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_blocks * 512
            except OSError:
                pass  # removed while walking (a partial unpack renamed into place)
    return total


class _PeakDisk:
    """The largest size of ``top`` seen, sampled every ``interval_s`` on a thread."""

    def __init__(self, top: Path, interval_s: float = 0.25) -> None:
        self.top, self.interval_s, self.peak = top, interval_s, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.peak = max(self.peak, _disk_bytes(self.top))

    def __enter__(self) -> "_PeakDisk":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _disk_bytes(self.top))


def run() -> Iterator[dict[str, Any]]:
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.client.version import verify
    from podpac_exec.backends.aws_lambda.emulator import Emulator
    from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
    from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build
    from podpac_exec.plugins.backends import get_backend

    package = build_packages(PackageSpec(output_dir=REPO / "build" / "aws_lambda"))
    node = pe.Node.from_json((REPO / "examples/pipelines/wave_field.json").read_text())
    coords = pe.Coordinates.from_json((REPO / "examples/coordinates/grid_fanout.json").read_text())
    with tempfile.TemporaryDirectory(prefix="bench-storm-") as state, Emulator(state_dir=state) as emu:
        with emu.exported_env():  # dummy credentials and AWS_ENDPOINT_URL for boto3
            settings = {"endpoint_url": emu.endpoint_url, "bucket": "podpac-exec-bench-storm"}  # default concurrency 64
            snapshot = pe.settings.snapshot({"aws_lambda": settings})
            build(snapshot, BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip))
            t0 = time.perf_counter()
            verified, verify_line = verify(get_backend("aws_lambda", snapshot))  # as `aws build` ends
            verify_s = time.perf_counter() - t0
            if not verified:
                raise RuntimeError(verify_line)
            deps = Path(state) / "shared" / "podpac_exec_deps"
            runs = {}
            for name in ("first", "warm", "cold_host"):
                if name == "cold_host":
                    emu.stop_containers()
                    shutil.rmtree(deps)  # what the first cold start staged for the others
                stats = pe.EvaluationStats()
                with _PeakDisk(Path(state)) as disk:
                    t0 = time.perf_counter()
                    pe.evaluate(node, coords, backend="aws_lambda", aws_lambda=settings, stats=stats,
                                tiling__max_tile_bytes=1048576, tiling__progress="off")
                    wall = time.perf_counter() - t0
                runs[name] = {"wall": wall, "stats": stats, "peak": disk.peak, "report": stats.backend_report}
                if name == "first":
                    unpacked = _disk_bytes(deps)
            waits = emu.status()["cold_start_waits"]
            logs = emu.client("logs").filter_log_events(logGroupName="/aws/lambda/podpac-exec")["events"]
            staging = [e["message"] for e in logs if e["message"].startswith("podpac-exec: dependencies:")]
            cap = emu.settings()["cold_start_concurrency"]
    first, warm, cold_host = runs["first"], runs["warm"], runs["cold_host"]
    tiles = first["stats"].tiles
    timeouts = sum(1 for inv in first["stats"].invocations if inv.get("error_type") == "Sandbox.Timedout"
                   or inv.get("duration_ms", 0) >= 0.999 * 1000 * 60)
    yield record(NAME, "first_vs_warm_wall", first["wall"] / warm["wall"], "ratio", target="<= 3",
                 first_s=first["wall"], warm_s=warm["wall"], tiles=tiles, verify_s=verify_s, verify=verify_line,
                 cold_starts=first["report"]["cold_starts"], cold_start_cap=cap, cold_start_waits=waits,
                 dependency_staging=staging)
    yield record(NAME, "cold_host_first_vs_warm", cold_host["wall"] / warm["wall"], "ratio",
                 cold_host_s=cold_host["wall"], cold_starts=cold_host["report"]["cold_starts"])
    yield record(NAME, "first_run_retries", first["stats"].retries, "count", target="0",
                 invocations=len(first["stats"].invocations), timeouts=timeouts, failures=first["stats"].failures)
    yield record(NAME, "peak_scratch_vs_unpacked_deps", first["peak"] / max(1, unpacked), "ratio", target="<= 1.5",
                 peak_mb=first["peak"] / 2**20, unpacked_deps_mb=unpacked / 2**20)
    yield record(NAME, "first_run_estimate", first["report"]["estimated_cost_usd"], "USD",
                 summary=first["report"]["summary"], billed_invocations=first["report"]["invocations"])
