"""Batch jobs on a real dask.distributed LocalCluster into real zarr stores (local and emulated S3).

One LocalCluster (2 worker processes bound to 127.0.0.1) serves the in-process tests; the SIGKILL
test starts the CLI in its own process group, whose own LocalCluster workers must die with it.
Test nodes (a slow one, one that fails while a flag file exists) come from a fake installed
plugin on ``sys.path``, which worker processes inherit.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import psutil
import pytest
import xarray as xr

import podpac_exec as pe
from podpac_exec.batch.run import run_batch
from podpac_exec.batch.spec import load_spec, parse_spec
from podpac_exec.batch.store import BatchStoreError
from podpac_exec.plugins.manager import BUILTIN_PLUGINS, reset_plugin_manager

pytestmark = pytest.mark.timeout(180)

REPO = Path(__file__).resolve().parents[2]
WAVE = json.loads((REPO / "examples/pipelines/wave_field.json").read_text())
TEST_MODULE = "podpac_exec_batch_testnodes"
TEST_NODES = f'''
import os, time
import numpy as np
import traitlets as tl
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.utility import SinCoords
from podpac_exec.plugins.manager import hookimpl


class SlowWave(Node):
    """SinCoords after sleeping ``delay`` seconds: a slow tile."""

    delay = tl.Float(0.0).tag(attr=True)

    def _eval(self, coordinates):
        time.sleep(self.delay)
        return SinCoords()._eval(coordinates)


class FailWhile(Node):
    """SinCoords, but raises for tiles reaching above ``lat_above`` while the file ``flag`` exists."""

    flag = tl.Unicode("").tag(attr=True)
    lat_above = tl.Float(0.0).tag(attr=True)

    def _eval(self, coordinates):
        if os.path.exists(self.flag) and float(np.max(coordinates["lat"].coordinates)) > self.lat_above:
            raise RuntimeError("the flag file exists: failing on purpose")
        return SinCoords()._eval(coordinates)


@hookimpl
def podpac_exec_register_nodes():
    return [SlowWave, FailWhile]
'''


def grid(nlat: int, nlon: int, lat: tuple[float, float] = (-60, 60)) -> dict[str, Any]:
    return {"coords": [{"start": lat[0], "stop": lat[1], "size": nlat, "name": "lat"},
                       {"start": -170, "stop": 170, "size": nlon, "name": "lon"}]}


def node_def(name: str, **attrs: Any) -> dict[str, Any]:
    return {"N": {"node": f"{TEST_MODULE}.{name}", "attrs": attrs}}


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plugin_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fake installed distribution with the test nodes and the batch command as plugins."""
    path = tmp_path_factory.mktemp("batch-plugins")
    (path / f"{TEST_MODULE}.py").write_text(textwrap.dedent(TEST_NODES))
    info = path / f"{TEST_MODULE}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {TEST_MODULE}\nVersion: 1.0\n")
    # the batch command too, until podpac_exec.batch.command is a built-in (then this entry is skipped)
    (info / "entry_points.txt").write_text(
        f"[podpac_exec.backends]\nbatch_testnodes = {TEST_MODULE}\nbatch_cli = podpac_exec.batch.command\n"
    )
    return path


@pytest.fixture(scope="module")
def cluster(plugin_dir: Path, aws_emulator_session: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A 2-worker LocalCluster whose workers see the test plugins and the emulator; its address."""
    from podpac_exec.batch.run import local_cluster

    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(plugin_dir))
        mp.setenv("PYTHONPATH", os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        mp.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("cluster-home")))
        for key, value in aws_emulator_session.env().items():
            mp.setenv(key, value)
        reset_plugin_manager()
        with local_cluster(n_workers=2) as lc:
            yield lc.scheduler_address
    reset_plugin_manager()


@pytest.fixture
def client_plugins(cluster: str, plugin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test plugins in this process too (the cluster fixture put them on sys.path)."""
    monkeypatch.syspath_prepend(str(plugin_dir))
    reset_plugin_manager()
    yield
    reset_plugin_manager()


def write_spec(path: Path, spec: dict[str, Any]) -> Path:
    path.write_text(json.dumps(spec))
    return path


def evaluate_request(spec_path: Path, index: int = 0) -> xr.DataArray:
    request = load_spec(spec_path).requests[index]
    return pe.evaluate(request.node, request.coordinates)


def assert_same(stored: xr.DataArray, expected: xr.DataArray) -> None:
    assert stored.dims == expected.dims
    np.testing.assert_array_equal(stored.values, expected.values)
    for name in expected.coords:
        np.testing.assert_array_equal(stored[name].values, expected[name].values)


def markers(store: Path, request: str) -> set[int]:
    done = store / ".podpac_exec" / "done" / request
    return {int(p.name) for p in done.iterdir()} if done.exists() else set()


def run_cli(*argv: str) -> tuple[int, str]:
    from podpac_exec.cli.main import main

    out = io.StringIO()
    with redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


# -- spec ------------------------------------------------------------------------------------------


GOOD = {"output": "out.zarr", "requests": [{"name": "wave", "pipeline": WAVE, "coordinates": grid(4, 5)}]}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"output": 3}, "output"),
        ({"requests": []}, "requests"),
        ({"colour": "red"}, "colour"),
        ({"settings": {"tiling.max_tile_bytez": 1}}, "settings.tiling.max_tile_bytez"),
        ({"settings": {"tiling.max_tile_bytes": "big"}}, "settings.tiling.max_tile_bytes"),
        ({"storage_options": {"secret": "x"}}, "storage_options.secret"),
        ({"chunks": {"lat": 0}}, "chunks.lat"),
        ({"chunks": {"height": 4}}, "chunks.height"),
        ({"requests": [{"name": "wave", "pipeline": WAVE}]}, "requests[0].coordinates"),
        ({"requests": [{"name": "1st", "pipeline": WAVE, "coordinates": grid(4, 5)}]}, "requests[0].name"),
        ({"requests": [{"name": "w", "pipeline": {"A": {"node": "Nope"}}, "coordinates": grid(4, 5)}]}, "requests[0].pipeline"),
        ({"requests": [{"name": "w", "pipeline": "missing.json", "coordinates": grid(4, 5)}]}, "requests[0].pipeline"),
        ({"requests": [{"name": "w", "pipeline": WAVE, "coordinates": grid(4, 5), "chunks": {"time": 2}}]}, "requests[0].chunks.time"),
        ({"requests": [GOOD["requests"][0], {"name": "wave", "pipeline": WAVE, "coordinates": grid(4, 5)}]}, "requests[1].name"),
        ({"requests": [GOOD["requests"][0], {"name": "lat", "pipeline": WAVE, "coordinates": grid(4, 5)}]}, "requests[1].name"),
        ({"requests": [GOOD["requests"][0], {"name": "b", "pipeline": WAVE, "coordinates": grid(6, 5)}]}, "requests[1].coordinates"),
    ],
)
def test_spec_errors_name_the_field(tmp_path: Path, change: dict[str, Any], field: str) -> None:
    with pytest.raises(pe.PodpacExecError) as info:
        parse_spec({**GOOD, **change}, base_dir=tmp_path)
    assert info.value.field == field, str(info.value)


def test_spec_toml_relative_paths_and_groups(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "wave.json").write_text(json.dumps(WAVE))
    (tmp_path / "in" / "grid.json").write_text(json.dumps(grid(4, 5)))
    (tmp_path / "job.toml").write_text(textwrap.dedent("""
        output = "s3://bucket/out.zarr"
        chunks = {lat = 2}
        [settings]
        tiling = {max_tile_bytes = 4096}
        [[requests]]
        name = "wave"
        pipeline = "in/wave.json"
        coordinates = "in/grid.json"
        [[requests]]
        name = "wide"
        group = "other"
        pipeline = "in/wave.json"
        coordinates = {coords = [{start = 0, stop = 1, size = 9, name = "lat"}]}
    """))
    spec = load_spec(tmp_path / "job.toml")
    assert spec.output == "s3://bucket/out.zarr" and spec.settings == {"tiling.max_tile_bytes": 4096}
    assert [r.array_path for r in spec.requests] == ["wave", "other/wide"]
    assert spec.requests[0].chunks == {"lat": 2} and spec.requests[0].node.hash == pe.Node.from_definition(WAVE).hash
    local = parse_spec({**GOOD, "output": "sub/out.zarr"}, base_dir=tmp_path)
    assert local.output == str(tmp_path / "sub" / "out.zarr")


# -- runs ------------------------------------------------------------------------------------------


def test_local_store_equals_evaluate_and_rerun_skips(cluster: str, tmp_path: Path) -> None:
    time_grid = json.loads((REPO / "examples/coordinates/grid_time.json").read_text())
    spec_path = write_spec(tmp_path / "job.json", {
        "output": "out.zarr",
        "settings": {"tiling.max_tile_bytes": 8 * 40 * 91 * 4},
        "chunks": {"lat": 16, "lon": 50},
        "requests": [
            {"name": "wave", "pipeline": WAVE, "coordinates": time_grid},
            {"name": "wave_mean", "coordinates": time_grid, "pipeline": {
                **WAVE, "Mean": {"node": "core.algorithm.stats.Mean", "attrs": {"dims": ["time"]}, "inputs": {"source": "Wave"}}}},
            {"name": "points", "group": "stacked", "pipeline": WAVE, "coordinates": str(REPO / "examples/coordinates/points.json")},
        ],
    })
    report = run_batch(spec_path, scheduler=cluster)
    assert report.ok and report.created and report.skipped == 0
    assert report.computed == report.tiles_total == len(report.stats.records) > 3
    store = tmp_path / "out.zarr"
    with xr.open_zarr(store) as ds:
        for i, name in enumerate(["wave", "wave_mean"]):
            assert_same(ds[name], evaluate_request(spec_path, i))
            assert ds[name].attrs["node_hash"] == load_spec(spec_path).requests[i].node.hash
    with xr.open_zarr(store, group="stacked") as ds:
        assert_same(ds["points"], evaluate_request(spec_path, 2))
    job = json.loads((store / ".podpac_exec" / "job.json").read_text())
    for entry in job["requests"]:  # every tile edge is a chunk edge: no chunk has two writers
        for lengths, chunk in zip(entry["tile_grid"], entry["chunks"]):
            assert all(n % chunk == 0 for n in lengths[:-1]), entry
    assert job["requests"][0]["chunks"][:2] == [16, 50]

    again = run_batch(spec_path, scheduler=cluster)
    assert (again.computed, again.skipped, again.created) == (0, report.tiles_total, False)

    changed = json.loads(spec_path.read_text())
    changed["chunks"] = {"lat": 8}
    write_spec(spec_path, changed)
    with pytest.raises(BatchStoreError, match="holds another job.*'wave' differs in chunks.*--overwrite"):
        run_batch(spec_path, scheduler=cluster)
    redone = run_batch(spec_path, scheduler=cluster, overwrite=True)
    assert redone.created and redone.computed == redone.tiles_total
    with xr.open_zarr(store) as ds:
        assert ds["wave"].encoding["chunks"][0] == 8
        assert_same(ds["wave"], evaluate_request(spec_path, 0))


def test_refuses_a_store_it_did_not_make(cluster: str, tmp_path: Path) -> None:
    (tmp_path / "out.zarr").mkdir()
    (tmp_path / "out.zarr" / "precious.txt").write_text("keep me")
    spec_path = write_spec(tmp_path / "job.json", GOOD)
    with pytest.raises(BatchStoreError, match="not a podpac-exec batch store"):
        run_batch(spec_path, scheduler=cluster)
    assert (tmp_path / "out.zarr" / "precious.txt").exists()


def test_s3_store_on_the_emulator(cluster: str, aws_emulator: Any, tmp_path: Path) -> None:
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="batch-results")
    spec_path = write_spec(tmp_path / "job.json", {
        "output": "s3://batch-results/runs/wave.zarr",
        "settings": {"tiling.max_tile_bytes": 8 * 30 * 64},
        "requests": [{"name": "wave", "pipeline": WAVE, "coordinates": grid(90, 64)}],
    })
    report = run_batch(spec_path, scheduler=cluster)
    assert report.ok and report.computed == report.tiles_total == 3
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="batch-results", Prefix="runs/wave.zarr/")["Contents"]}
    assert {f"runs/wave.zarr/.podpac_exec/done/wave/{i}" for i in range(3)} <= keys
    assert "runs/wave.zarr/.podpac_exec/job.json" in keys
    with xr.open_zarr("s3://batch-results/runs/wave.zarr") as ds:
        assert_same(ds["wave"], evaluate_request(spec_path))
    again = run_batch(spec_path, scheduler=cluster)
    assert (again.computed, again.skipped) == (0, 3)


def test_failed_tiles_are_reported_kept_and_retried_alone(cluster: str, client_plugins: None, tmp_path: Path) -> None:
    flag = tmp_path / "fail.flag"
    flag.write_text("")
    spec_path = write_spec(tmp_path / "job.json", {
        "output": "out.zarr",
        "settings": {"tiling.max_tile_bytes": 8 * 10 * 20, "retry.max_attempts": 1},
        "requests": [{"name": "flaky", "pipeline": node_def("FailWhile", flag=str(flag), lat_above=25.0),
                      "coordinates": grid(60, 20)}],
    })
    code, out = run_cli("batch", str(spec_path), "--scheduler", cluster, "--json")
    summary = json.loads(out)
    assert code == 1
    # 6 tiles of 10 rows over lat -60..60: the two reaching above 25 fail
    assert (summary["tiles_total"], summary["computed"], summary["failed"]) == (6, 4, 2)
    assert {f["tile"] for f in summary["failures"]} == {4, 5}
    assert "tile 4 (lat 21.3559..39.661, lon -170..170; shape (10, 20)) failed" in summary["failures"][0]["message"]
    assert "failing on purpose" in summary["failures"][0]["message"]
    assert markers(tmp_path / "out.zarr", "flaky") == {0, 1, 2, 3}

    flag.unlink()
    code, out = run_cli("batch", str(spec_path), "--scheduler", cluster, "--json")
    summary = json.loads(out)
    assert code == 0 and (summary["computed"], summary["skipped"], summary["failed"]) == (2, 4, 0)
    with xr.open_zarr(tmp_path / "out.zarr") as ds:
        assert_same(ds["flaky"], evaluate_request(spec_path))


def test_client_memory_stays_far_below_the_result(cluster: str, tmp_path: Path) -> None:
    """A 128 MiB result through 4 MiB tiles; the client's allocations peak under a 16 MiB cap."""
    nlat, nlon = 2048, 8192  # 16.8M cells = 128 MiB of float64
    spec_path = write_spec(tmp_path / "job.json", {
        "output": "big.zarr",
        "settings": {"tiling.max_tile_bytes": 4 * 2**20},
        "requests": [{"name": "big", "pipeline": {"S": {"node": "core.algorithm.utility.SinCoords"}},
                      "coordinates": grid(nlat, nlon, lat=(-80, 80))}],
    })
    result_bytes = nlat * nlon * 8
    cap = 16 * 2**20
    rss0 = psutil.Process().memory_info().rss
    tracemalloc.start()
    try:
        report = run_batch(spec_path, scheduler=cluster)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    rss_growth = psutil.Process().memory_info().rss - rss0
    assert report.ok and report.computed == 32
    assert result_bytes >= 8 * cap and peak < cap, f"client peak {peak / 2**20:.1f} MiB"
    assert rss_growth < result_bytes / 4, f"client RSS grew {rss_growth / 2**20:.1f} MiB"
    with xr.open_zarr(tmp_path / "big.zarr") as ds:  # spot-check the far corner and one tile edge
        expected = pe.evaluate(pe.nodes.SinCoords(), load_spec(spec_path).requests[0].coordinates[nlat - 3 :, :])
        np.testing.assert_array_equal(ds["big"][nlat - 3 :, :].values, expected.values)
    print(f"result {result_bytes / 2**20:.0f} MiB, client peak {peak / 2**20:.1f} MiB, RSS +{rss_growth / 2**20:.1f} MiB")


def test_sigkill_then_rerun_computes_only_the_missing_tiles(cluster: str, client_plugins: None, plugin_dir: Path, tmp_path: Path) -> None:
    total = 24
    spec_path = write_spec(tmp_path / "job.json", {
        "output": "out.zarr",
        "settings": {"tiling.max_tile_bytes": 8 * 12},
        "requests": [{"name": "slow", "pipeline": node_def("SlowWave", delay=0.15), "coordinates": grid(total, 12)}],
    })
    store = tmp_path / "out.zarr"
    env = {**os.environ, "PYTHONPATH": str(plugin_dir)}
    with open(tmp_path / "stdout", "wb") as out, open(tmp_path / "stderr", "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "podpac_exec.cli.main", "batch", str(spec_path), "--workers", "2"],
            stdout=out, stderr=err, env=env, cwd=tmp_path, start_new_session=True,
        )
    pgid = proc.pid
    try:
        deadline = time.monotonic() + 90
        while len(markers(store, "slow")) < 4:
            assert proc.poll() is None, (tmp_path / "stderr").read_text()
            assert time.monotonic() < deadline, "no tile finished in time"
            time.sleep(0.02)
        group = group_members(pgid)
        assert len(group) >= 3, group  # the CLI and its 2 LocalCluster workers share the group
        os.killpg(pgid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
        deadline = time.monotonic() + 30
        while group_members(pgid):
            assert time.monotonic() < deadline, f"still alive after SIGKILL: {group_members(pgid)}"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            os.killpg(pgid, signal.SIGKILL)
            proc.wait()
    done = markers(store, "slow")
    assert 4 <= len(done) < total

    code, out = run_cli("batch", str(spec_path), "--scheduler", cluster, "--json")
    summary = json.loads(out)
    assert code == 0, summary
    assert (summary["computed"], summary["skipped"], summary["failed"]) == (total - len(done), len(done), 0)
    assert markers(store, "slow") == set(range(total))
    with xr.open_zarr(store) as ds:
        assert_same(ds["slow"], evaluate_request(spec_path))


def group_members(pgid: int) -> list[str]:
    """Live (non-zombie) processes of a process group."""
    alive = []
    for proc in psutil.process_iter(["pid", "status", "name"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                alive.append(f"{proc.pid} {proc.info['name']}")
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return alive


def test_example_spec_runs(cluster: str, tmp_path: Path) -> None:
    spec = load_spec(REPO / "examples/batch/global_wave.json")
    spec = dataclasses.replace(spec, output=str(tmp_path / "global_wave.zarr"))
    t0 = time.perf_counter()
    report = run_batch(spec, scheduler=cluster)
    assert report.ok and report.computed == report.tiles_total
    assert time.perf_counter() - t0 < 30
    with xr.open_zarr(spec.output) as ds:
        request = spec.requests[0]
        assert_same(ds["wave"], pe.evaluate(request.node, request.coordinates))


def test_text_summary_and_timeline(cluster: str, tmp_path: Path) -> None:
    spec_path = write_spec(tmp_path / "job.json", {**GOOD, "settings": {"tiling.max_tile_bytes": 8 * 5}})
    code, out = run_cli("batch", str(spec_path), "--scheduler", cluster, "--timeline", str(tmp_path / "t.png"))
    assert code == 0
    assert "4 total: 4 computed, 0 skipped" in out and "wall time" in out
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_batch_command_is_a_builtin_plugin() -> None:
    assert "podpac_exec.batch.command" in BUILTIN_PLUGINS, "add podpac_exec.batch.command to BUILTIN_PLUGINS (plugins.py)"


@pytest.mark.emulator
@pytest.mark.slow
def test_lambda_batch_reports_invocations_cold_starts_and_cost(cluster: str, aws_emulator: Any, tmp_path: Path) -> None:
    """The real function built on the emulator; workers invoke it, tiles land in an S3 store."""
    from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build
    from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages

    package = build_packages(PackageSpec(output_dir=REPO / "build" / "aws_lambda"))
    lam = {"endpoint_url": aws_emulator.endpoint_url, "bucket": "podpac-exec-batch", "max_concurrency": 2,
           "memory_mb": 1024}
    build(pe.settings.snapshot({"aws_lambda": lam}), BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip))
    spec_path = write_spec(tmp_path / "job.json", {
        "output": "s3://podpac-exec-batch/batch/wave.zarr",
        "backend": "aws_lambda",
        "settings": {"aws_lambda": lam, "tiling.max_tile_bytes": 8 * 10 * 30},
        "requests": [{"name": "wave", "pipeline": WAVE, "coordinates": grid(7, 30)}],
    })
    png = tmp_path / "timeline.png"
    code, out = run_cli("batch", str(spec_path), "--scheduler", cluster, "--json", "--timeline", str(png))
    summary = json.loads(out)
    assert code == 0, summary
    # one tile (the emulator's cold start costs ~10 s of the 2 shared cores: one is enough here)
    assert summary["computed"] == summary["tiles_total"] == 1 and summary["failed"] == 0
    cost = summary["backend_report"]
    assert cost["invocations"] >= 1 and cost["cold_starts"] == 1
    assert cost["billed_gb_seconds"] > 0 and cost["estimated_cost_usd"] > 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    with xr.open_zarr("s3://podpac-exec-batch/batch/wave.zarr") as ds:
        assert_same(ds["wave"], evaluate_request(spec_path))


# -- scheduler addresses ---------------------------------------------------------------------------


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("how", ["--scheduler", "setting"])
@pytest.mark.parametrize("address, code, fragment", [
    ("notanaddress", 2, "expected tcp://HOST:PORT"),
    ("unreachable", 1, "no dask scheduler reachable"),
])
def test_bad_scheduler_fails_fast_and_creates_nothing(tmp_path: Path, how: str, address: str, code: int, fragment: str) -> None:
    """The address is checked before the store exists: one line, a few seconds, no zarr store."""
    if address == "unreachable":
        address = f"tcp://127.0.0.1:{_closed_port()}"
    spec = dict(GOOD, settings={"dask.scheduler_address": address}) if how == "setting" else GOOD
    spec_path = write_spec(tmp_path / "job.json", spec)
    argv = [sys.executable, "-m", "podpac_exec.cli.main", "batch", str(spec_path)]
    if how == "--scheduler":
        argv += ["--scheduler", address]
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    elapsed = time.perf_counter() - t0
    assert proc.returncode == code, proc.stderr
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and fragment in err and "Traceback" not in err
    assert ("error: scheduler:" if how == "--scheduler" else "dask.scheduler_address") in err
    assert not (tmp_path / "out.zarr").exists()
    assert elapsed < 20  # the interpreter and imports included; the probe itself gives up after 3 s
