"""The adaptive fan-out on the emulator, with the real function, real memory limits and faults:
tiles over the function's memory split to the exact result, 429 storms shrink the in-flight
window without losing a tile, a straggler is overtaken by its backup, a cost cap below the
estimate stops the run before any invocation, a mismatched function gives the rebuild message."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.backends.aws_lambda.client import adaptive
from podpac_exec.backends.aws_lambda.client.version import VersionMismatchError, status_lines
from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build
from podpac_exec.engine.estimate import CostLimitError
from podpac_exec.plugins.backends import get_backend

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[3]
FIELD = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lon"), eqn="A * 10 + B")
FAST = {"retry": {"max_attempts": 8, "base_delay_s": 0.02, "max_delay_s": 0.2}}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Any], dict[str, Any]]]:
    from podpac_exec.backends.aws_lambda.emulator import Emulator

    package = build_packages(
        PackageSpec(
            deps_mode="layers",
            without_packages=("scipy", "zarr", "numcodecs", "rasterio", "pyproj"),
            output_dir=REPO / "build" / "aws_lambda_layers",
            wheel_cache_dir=REPO / "build" / "aws_lambda" / "wheels",
        )
    )
    options = BuildOptions(dist_zip=package.dist_zip, layer_zips=tuple(package.layer_zips))
    with pytest.MonkeyPatch.context() as mp, Emulator(state_dir=tmp_path_factory.mktemp("adaptive-emulator")) as emu:
        for key, value in emu.env().items():
            mp.setenv(key, value)
        base = {"endpoint_url": emu.endpoint_url, "bucket": "podpac-exec-adaptive", "timeout_s": 60}
        normal = {**base, "max_concurrency": 8}
        small = {**base, "function_name": "podpac-exec-128", "memory_mb": 128, "max_concurrency": 2}
        build(pe.settings.snapshot({"aws_lambda": normal}), options)
        build(pe.settings.snapshot({"aws_lambda": small}), options)
        yield emu, normal, small


def grid(nlat: int, nlon: int) -> pe.Coordinates:
    return pe.Coordinates([pe.clinspace(-60, 60, nlat, "lat"), pe.clinspace(-170, 170, nlon, "lon")])


def test_tiles_over_the_functions_memory_split_to_the_exact_result(deployed) -> None:
    _, _, small = deployed
    node = pe.nodes.Mean(source=FIELD, dims=["time"])  # time is reduced: never split
    # one float64 array of the request is 117 MB: above the 128 MB function with its interpreter,
    # however few copies the evaluation makes
    coords = pe.Coordinates([pe.clinspace(-60, 60, 1000, "lat"), pe.clinspace(-170, 170, 40, "lon"),
                             pe.clinspace("2024-01-01", "2024-12-31", 366, "time")])
    stats = pe.EvaluationStats()
    remote = pe.evaluate(node, coords, backend="aws_lambda", aws_lambda=small, stats=stats, **FAST)
    np.testing.assert_array_equal(remote.values, pe.evaluate(node, coords).values)
    assert stats.adaptive.get("splits", 0) >= 1, stats.summary()
    assert any(inv.get("error_type") == "Runtime.OutOfMemory" for inv in stats.invocations)


def test_a_429_storm_shrinks_the_in_flight_window_and_loses_no_tile(deployed) -> None:
    emu, normal, _ = deployed
    coords = grid(64, 40)
    emu.set_faults(throttle=0.5, seed=11)
    try:
        stats = pe.EvaluationStats()
        remote = pe.evaluate(FIELD, coords, backend="aws_lambda", aws_lambda=normal, stats=stats,
                             max_tile_bytes=430, **FAST)  # one 40-cell row per tile: 64 tiles
    finally:
        emu.set_faults()
    np.testing.assert_array_equal(remote.values, pe.evaluate(FIELD, coords).values)
    windows = [s[2] for s in stats.concurrency_samples]
    assert stats.adaptive["throttle_decreases"] > 0 and min(windows) < 8 <= max(windows)
    assert max(s[1] for s in stats.concurrency_samples) <= 8
    ok = [inv for inv in stats.invocations if not inv.get("error_type")]
    assert len(ok) >= 64 and stats.retries > 0


def test_an_injected_straggler_is_overtaken_by_its_backup(deployed) -> None:
    emu, normal, _ = deployed
    coords = grid(32, 40)
    pe.evaluate(FIELD, coords, backend="aws_lambda", aws_lambda=normal, max_tile_bytes=430)  # warm containers
    emu.set_faults(stragglers=1, straggler_s=20.0)
    try:
        stats = pe.EvaluationStats()
        t0 = time.monotonic()
        remote = pe.evaluate(FIELD, coords, backend="aws_lambda", aws_lambda=normal, stats=stats, max_tile_bytes=430,
                             stragglers={"min_seconds": 0.5, "min_done_fraction": 0.5})
        elapsed = time.monotonic() - t0
    finally:
        emu.set_faults()
    np.testing.assert_array_equal(remote.values, pe.evaluate(FIELD, coords).values)
    assert elapsed < 15, elapsed
    assert stats.adaptive["backups"] >= 1 and stats.adaptive["backups_won"] >= 1


def test_a_cost_cap_below_the_estimate_stops_the_run_before_the_first_invocation(deployed) -> None:
    _, normal, _ = deployed
    coords = grid(16, 40)
    stats = pe.EvaluationStats()
    pe.evaluate(FIELD, coords, backend="aws_lambda", aws_lambda=normal, max_tile_bytes=430, stats=stats)
    estimate = pe.evaluate(FIELD, coords, backend="aws_lambda", aws_lambda=normal, max_tile_bytes=430, estimate=True)
    assert estimate.backend["basis"] == "REPORT history of recent runs" and estimate.cost_usd > 0
    assert estimate.plan.tiles == 16 and "estimated cost: $" in str(estimate)
    capped = pe.EvaluationStats()
    with pytest.raises(CostLimitError) as info:
        pe.evaluate(FIELD, coords, backend="aws_lambda", aws_lambda={**normal, "max_cost_usd": estimate.cost_usd / 2},
                    max_tile_bytes=430, stats=capped)
    assert "aws_lambda.max_cost_usd" in str(info.value) and "nothing was run" in str(info.value)
    assert capped.invocations == [] and capped.tiles == 0
    assert len(str(info.value).splitlines()) == 1


def test_a_cost_cap_below_the_floor_needs_no_calibration(deployed) -> None:
    _, normal, _ = deployed
    adaptive.HISTORY.clear()
    stats = pe.EvaluationStats()
    with pytest.raises(CostLimitError, match="at least"):
        pe.evaluate(FIELD, grid(16, 40), backend="aws_lambda", aws_lambda={**normal, "max_cost_usd": 1e-9},
                    max_tile_bytes=430, stats=stats)
    assert stats.invocations == []


OLD_FUNCTION = """
import json
def handler(event, context):
    unknown = sorted(set(event) - {"version", "pipeline", "coordinates", "output", "settings"})
    if unknown:  # what podpac-exec's handler answered before functions reported their version
        raise type("ProtocolError", (Exception,), {})("unknown request field %r" % unknown[0])
    raise RuntimeError("evaluated by an old function")
"""

OTHER_NODES = """
def handler(event, context):
    if event.get("identify"):
        return {"version": 1, "identity": {"podpac_exec": "0.0.9", "protocol": 1, "node_set": "0123456789abcdef",
                                           "dependencies": "feedfacefeedface"}}
    raise RuntimeError("evaluated by a function with other nodes")
"""


@pytest.mark.parametrize("source", [OLD_FUNCTION, OTHER_NODES], ids=["predates-identity", "other-node-set"])
def test_a_mismatched_function_gives_the_rebuild_message(deployed, deploy_stub, source) -> None:
    emu, normal, _ = deployed
    name = deploy_stub(emu, source)
    with pytest.raises(VersionMismatchError) as info:
        pe.evaluate(FIELD, grid(4, 5), backend="aws_lambda", aws_lambda={**normal, "function_name": name})
    message = str(info.value)
    assert "podpac-exec aws package && podpac-exec aws build" in message and "Traceback" not in message
    assert len(message.splitlines()) == 1


def test_status_compares_the_function_with_the_client(deployed) -> None:
    _, normal, _ = deployed
    lines = status_lines(get_backend("aws_lambda", pe.settings.snapshot({"aws_lambda": normal})))
    assert lines[-1] == "version: the function matches this client"
    assert any(line.startswith("node_set") for line in lines)


@pytest.fixture
def deploy_stub(zip_of):
    """``deploy_stub(emu, source)``: a function answering with ``source`` (another build's handler)."""
    names = iter(f"stub-{i}" for i in range(100))

    def _deploy(emu: Any, source: str) -> str:
        iam, lam = emu.client("iam"), emu.client("lambda")
        try:
            role = iam.get_role(RoleName="stub-role")["Role"]["Arn"]
        except iam.exceptions.NoSuchEntityException:
            role = iam.create_role(RoleName="stub-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        name = f"{next(names)}-{time.monotonic_ns()}"
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="h.handler",
                            Code={"ZipFile": zip_of({"h.py": source})}, MemorySize=128, Timeout=10)
        return name

    return _deploy
