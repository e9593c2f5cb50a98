"""Reliability of the Lambda backend under injected faults, on the emulator.

The function is deployed in layers mode here (dependencies published as a layer version, which
the emulator unpacks once, leaving out scipy and zarr, which these pipelines do not use, to fit
Lambda's 250 MB), so the many cold starts that crashes and timeouts cause stay cheap; the
S3-staged dependencies path runs in test_lambda_e2e.py.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build
from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[3]
NODE = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lon"), eqn="A * 10 + B")
FAST_RETRIES = {"retry": {"max_attempts": 8, "base_delay_s": 0.02, "max_delay_s": 0.5}}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any]]]:
    from podpac_exec.backends.aws_lambda.emulator import Emulator

    package = build_packages(
        PackageSpec(
            deps_mode="layers",
            without_packages=("scipy", "zarr", "numcodecs", "rasterio", "pyproj"),  # not needed here; the rest fits 250 MB
            output_dir=REPO / "build" / "aws_lambda_layers",
            wheel_cache_dir=REPO / "build" / "aws_lambda" / "wheels",
        )
    )
    with pytest.MonkeyPatch.context() as mp, Emulator(state_dir=tmp_path_factory.mktemp("faults-emulator")) as emu:
        for key, value in emu.env().items():
            mp.setenv(key, value)
        settings = {"endpoint_url": emu.endpoint_url, "bucket": "podpac-exec-faults", "max_concurrency": 8,
                    "timeout_s": 60}
        build(pe.settings.snapshot({"aws_lambda": settings}),
              BuildOptions(dist_zip=package.dist_zip, layer_zips=tuple(package.layer_zips)))
        yield emu, settings


def grid(nlat: int, nlon: int) -> pe.Coordinates:
    return pe.Coordinates([pe.clinspace(-60, 60, nlat, "lat"), pe.clinspace(-170, 170, nlon, "lon")])


def test_256_tiles_with_throttles_crashes_and_timeouts_equal_local(deployed) -> None:
    emu, settings = deployed
    coords = grid(256, 40)
    emu.set_faults(throttle=0.20, crash=0.05, timeout=0.02, seed=7)
    try:
        stats = pe.EvaluationStats()
        remote = pe.evaluate(NODE, coords, backend="aws_lambda", aws_lambda=settings, stats=stats,
                             max_tile_bytes=430, **FAST_RETRIES)  # one 40-cell row (base64: 427 B) per tile
    finally:
        emu.set_faults()
    np.testing.assert_array_equal(remote.values, pe.evaluate(NODE, coords).values)
    # an injected timeout splits its tile in two (test_lambda_adaptive.py): one failed record per split (and per failed twin of a backup);
    # a straggler's backup (a cold start) adds a record, and so may the straggler when it ends in time
    splits = stats.adaptive.get("splits", 0)
    assert stats.failures >= splits and stats.tiles - stats.failures >= 256 + splits, stats.summary()
    # ~27% of attempts fail (20% throttled, 5% crash, 2% time out); every tile ends in success
    assert 256 * 0.15 < stats.retries <= 256 * (8 - 1), stats.summary()
    crashed_or_timed_out = len(stats.invocations) - 256  # their REPORT lines are recorded too
    assert crashed_or_timed_out > 0


def test_persistent_throttling_gives_a_clear_backend_error(deployed) -> None:
    emu, settings = deployed
    emu.set_faults(throttle=1.0)
    try:
        t0 = time.monotonic()
        with pytest.raises(pe.BackendError) as err:
            pe.evaluate(NODE, grid(4, 5), backend="aws_lambda", aws_lambda=settings,
                        retry={"max_attempts": 3, "base_delay_s": 0.01, "max_delay_s": 0.05})
        assert time.monotonic() - t0 < 30
    finally:
        emu.set_faults()
    assert "3 attempts" in str(err.value) and "TooManyRequests" in str(err.value)


def test_emulator_stopped_mid_run_fails_fast_with_backend_error(tmp_path_factory, deployed) -> None:
    """A second emulator that dies part way through a fan-out: no hang, a clear error."""
    from podpac_exec.backends.aws_lambda.emulator import Emulator

    _, base = deployed
    package_dir = REPO / "build" / "aws_lambda_layers"
    with Emulator(state_dir=tmp_path_factory.mktemp("doomed")) as doomed:
        settings = dict(base, endpoint_url=doomed.endpoint_url, bucket="podpac-exec-doomed")
        layer_zips = tuple(sorted(package_dir.glob("podpac_layer*.zip")))
        build(pe.settings.snapshot({"aws_lambda": settings}),
              BuildOptions(dist_zip=package_dir / "podpac_dist.zip", layer_zips=layer_zips))
        doomed.set_faults(latency_s=0.2)
        stop = threading.Timer(2.0, doomed.stop)
        stop.start()
        t0 = time.monotonic()
        with pytest.raises(pe.PodpacExecError) as err:
            pe.evaluate(NODE, grid(64, 40), backend="aws_lambda", aws_lambda=settings, max_tile_bytes=40 * 8,
                        retry={"max_attempts": 3, "base_delay_s": 0.05, "max_delay_s": 0.2})
        stop.join()
    elapsed = time.monotonic() - t0
    assert elapsed < 60, elapsed
    cause = err.value.cause if isinstance(err.value, pe.TileEvaluationError) else err.value
    assert isinstance(cause, pe.BackendError) and "attempts" in str(cause)
