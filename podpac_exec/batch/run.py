"""Batch jobs: many (pipeline, coordinates) requests evaluated on dask.distributed into one zarr store.

Each request is planned into chunk-aligned tiles (``plan_request(..., chunks=...)``); each dask task
evaluates one tile through the normal hook path (:class:`~podpac_exec.engine.fanout.TileRunner`), writes
its region of the store itself, records a completion marker and returns only small metadata, so
the client never holds result data. A rerun submits only tiles without a marker. See
``batch_spec.py`` for the spec format and ``batch_store.py`` for the store layout.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from podpac_exec.plugins.backends import Backend, EvaluationOptions, get_backend
from podpac_exec.batch.spec import BatchRequest, BatchSpec, load_spec
from podpac_exec.batch.store import ArrayLayout, BatchStore, StoreRef, job_record, mark_done, write_tile
from podpac_exec.errors import TileEvaluationError
from podpac_exec.engine.executor import check_request_limits, plan_request, settings_for_call
from podpac_exec.engine.fanout import TileRunner, describe_tile
from podpac_exec.engine.scheduler import connect_scheduler, probe_scheduler
from podpac_exec.settings import EffectiveSettings
from podpac_exec.engine.stats import EvaluationStats, TileRecord

if TYPE_CHECKING:
    from podpac_exec.engine.tiling import Tile, TilePlan


@dataclass(frozen=True)
class TileFailure:
    """A tile that failed after its retries; ``message`` says where it lies and why."""

    request: str
    tile: int
    message: str


@dataclass
class BatchReport:
    """What a batch run did; ``stats`` holds one record per tile evaluation (for timelines)."""

    output: str
    backend: str
    tiles_total: int
    skipped: int
    computed: int = 0
    failures: list[TileFailure] = field(default_factory=list)
    created: bool = False
    wall_seconds: float = 0.0
    stats: EvaluationStats = field(default_factory=EvaluationStats)
    backend_report: dict[str, Any] | None = None  # e.g. Lambda invocations, billed GB-s, cost

    @property
    def ok(self) -> bool:
        return not self.failures and self.computed + self.skipped == self.tiles_total

    def summary(self) -> dict[str, Any]:
        out = {
            "output": self.output,
            "backend": self.backend,
            "store": "created" if self.created else "resumed",
            "tiles_total": self.tiles_total,
            "computed": self.computed,
            "skipped": self.skipped,
            "failed": len(self.failures),
            "retries": self.stats.retries,
            "wall_seconds": round(self.wall_seconds, 3),
            # in tile order, however the cluster finished them
            "failures": [f.__dict__ for f in sorted(self.failures, key=lambda f: (f.request, f.tile))],
        }
        if self.backend_report:
            out["backend_report"] = self.backend_report
        if self.stats.estimate:
            out["estimate"] = self.stats.estimate
        return out


@dataclass(frozen=True)
class TileTask:
    """Everything a worker needs for the tiles of one request (pickles small: JSON + settings)."""

    request: str
    array_path: str
    runner: TileRunner
    store: StoreRef


@dataclass(frozen=True)
class PlannedRequest:
    request: BatchRequest
    plan: "TilePlan"
    layout: ArrayLayout
    entry: dict[str, Any]


def estimate_job(planned: "list[PlannedRequest]", backend: Any, effective: Any) -> dict[str, Any]:
    """The backend's estimate of every request of the job (from its history; nothing is run)."""
    from podpac_exec.engine.estimate import combine, estimate_plan

    options = EvaluationOptions(effective, EvaluationStats())
    found = [estimate_plan(p.request.node, p.request.coordinates, backend, options, p.plan, calibrate=False)
             for p in planned]
    return combine([f for f in found if f.backend])


def run_batch(
    spec: "BatchSpec | str | Path",
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    overwrite: bool = False,
    memory_limit: str | int | None = None,
) -> BatchReport:
    """Run a batch job to completion (or until only failed tiles remain) and report.

    ``scheduler`` is a ``tcp://host:port`` address (default: settings ``dask.scheduler_address``,
    then an active Client, then a new LocalCluster of ``workers`` processes bound to 127.0.0.1,
    each with ``memory_limit``). ``overwrite`` replaces a store that holds another job.
    """
    t0 = time.perf_counter()
    if not isinstance(spec, BatchSpec):
        spec = load_spec(spec)
    effective = settings_for_call(spec.backend, spec.settings)
    backend = get_backend(effective["backend"], effective)
    planned = plan_job(spec, backend, effective)
    address, named = (scheduler, "scheduler") if scheduler else (effective["dask.scheduler_address"], "dask.scheduler_address")
    if address:  # before the store exists: a wrong address must leave nothing behind
        probe_scheduler(address, field=named)
    ref = StoreRef(spec.output, spec.storage_options)
    store = BatchStore(ref)
    created = store.prepare(job_record([p.entry for p in planned]), [p.layout for p in planned], overwrite)

    pending: list[tuple[TileTask, "Tile"]] = []
    tiles: dict[tuple[str, int], Tile] = {}
    for item in planned:
        done = set() if created else store.done_tiles(item.request.name)
        runner = TileRunner(item.request.node, item.request.coordinates, backend, EvaluationOptions(effective, EvaluationStats()))
        task = TileTask(item.request.name, item.request.array_path, runner, ref)
        for tile in item.plan:
            tiles[(item.request.name, tile.id)] = tile
            if tile.id not in done:
                pending.append((task, tile))
    report = BatchReport(spec.output, backend.name, len(tiles), len(tiles) - len(pending), created=created)
    report.stats.estimate = estimate_job(planned, backend, effective)  # printed against the actual

    if pending:
        with batch_client(address, workers, memory_limit, backend, named=named) as client:
            with _progress(effective, len(pending)) as bar:
                for meta in dispatch(client, pending):
                    _record(report, meta, tiles)
                    bar.update(1)
    report.backend_report = backend.report(report.stats) or None
    report.wall_seconds = report.stats.wall_seconds = time.perf_counter() - t0
    return report


def plan_job(spec: BatchSpec, backend: Backend, effective: EffectiveSettings) -> list[PlannedRequest]:
    """Tiles, zarr chunks and the job-record entry of every request.

    Dims with a chunk length in the spec get tiles covering whole chunks; the other dims are
    chunked as the tiles are, so a tile always covers whole chunks and no two tiles share one.
    """
    out = []
    for request in spec.requests:
        check_request_limits(request.coordinates, effective)
        out_coords = request.node.output_coordinates(request.coordinates)
        plan = plan_request(request.node, request.coordinates, backend, effective, chunks=request.chunks)
        chunks = tuple(
            int((request.chunks or {}).get(dim, lengths[0] or 1)) for dim, lengths in zip(plan.out_dims, plan.chunks)
        )
        attrs = {"crs": request.coordinates.crs, "node_hash": request.node.hash, "pipeline": request.node.json}
        entry = {
            "name": request.name,
            "group": request.group,
            "node_hash": request.node.hash,
            "coordinates_hash": request.coordinates.hash,
            "dims": list(plan.out_dims),
            "shape": list(plan.out_shape),
            "chunks": list(chunks),
            "tile_grid": [list(c) for c in plan.chunks],
        }
        out.append(PlannedRequest(request, plan, ArrayLayout(request.name, request.group, out_coords, chunks, attrs), entry))
    return out


# -- worker side ---------------------------------------------------------------------------------


def run_tile(task: TileTask, tile: "Tile") -> dict[str, Any]:
    """Evaluate one tile, write its region and marker; return metadata only (never the data)."""
    stats = EvaluationStats()
    source = task.runner
    runner = TileRunner(source.node, source.coords, source.backend, EvaluationOptions(source.options.settings, stats))
    t0 = time.perf_counter()
    error = None
    try:
        values = runner(tile)
        try:
            write_tile(task.store, task.array_path, tile.out_index, values)
            del values
            mark_done(task.store, task.request, tile.id, {"tile": tile.id, "finished": time.time()})
        except Exception as exc:  # noqa: BLE001 - reported with the tile, the job goes on
            where = describe_tile(source.coords[tile.eval_index])
            error = f"tile {tile.id} ({where}) was computed but writing it failed: {type(exc).__name__}: {exc}"
    except TileEvaluationError as exc:
        error = str(exc)
    return {
        "request": task.request,
        "tile": tile.id,
        "ok": error is None,
        "error": error,
        "seconds": time.perf_counter() - t0,
        "records": [
            {"backend": r.backend, "cells": r.cells, "seconds": r.seconds, "started": r.started, "ok": r.ok}
            for r in stats.records
        ],
        "retries": stats.retries,
        "invocations": list(stats.invocations),
        "worker": f"{socket.gethostname()}:{os.getpid()}",
    }


# -- client side ---------------------------------------------------------------------------------


def dispatch(client: Any, jobs: list[tuple[TileTask, "Tile"]]) -> Iterator[dict[str, Any]]:
    """Submit tile tasks, a bounded window at a time, and yield each one's metadata as it ends."""
    from distributed import as_completed

    window = max(4, 2 * sum(client.nthreads().values()))
    batch_id = uuid.uuid4().hex[:8]
    remaining = iter(jobs)
    running = as_completed(loop=client.loop)
    submitted: dict[str, tuple[TileTask, Tile]] = {}

    def submit_next() -> None:
        job = next(remaining, None)
        if job is not None:
            task, tile = job
            key = f"podpac-exec-batch-{task.request}-{tile.id}-{batch_id}"
            submitted[key] = job
            running.add(client.submit(run_tile, task, tile, key=key, pure=False, retries=0))

    for _ in range(window):
        submit_next()
    for future in running:
        task, tile = submitted.pop(future.key)
        try:
            meta = future.result()
        except Exception as exc:  # noqa: BLE001 - a dead worker (KilledWorker) or a cancelled task
            where = describe_tile(task.runner.coords[tile.eval_index])
            meta = {
                "request": task.request, "tile": tile.id, "ok": False, "records": [], "retries": 0, "invocations": [],
                "error": f"tile {tile.id} ({where}) failed on the cluster: {type(exc).__name__}: {exc}",
            }
        future.release()
        yield meta
        submit_next()


def _record(report: BatchReport, meta: dict[str, Any], tiles: dict[tuple[str, int], "Tile"]) -> None:
    """Fold one task's metadata into the report and its stats."""
    name, tile_id = meta["request"], meta["tile"]
    tile = tiles[(name, tile_id)]
    cold = any(inv.get("cold_start") for inv in meta["invocations"])
    for rec in meta["records"]:
        extra = {"request": name, "worker": meta.get("worker", ""), "cold_start": cold}
        report.stats.add(TileRecord(tile=tile, extra=extra, **rec))
    report.stats.add_retry(meta["retries"])
    for inv in meta["invocations"]:
        report.stats.add_invocation({**inv, "request": name, "tile": tile_id})
    if meta["ok"]:
        report.computed += 1
    else:
        report.failures.append(TileFailure(name, tile_id, f"request {name!r}: {meta['error']}"))


@contextlib.contextmanager
def batch_client(
    address: str, workers: int | None, memory_limit: str | int | None, backend: Backend, *, named: str = "scheduler"
) -> Iterator[Any]:
    """A Client for ``address``, else the active one, else one on a new LocalCluster (closed after)."""
    from distributed import Client

    from podpac_exec.engine.fanout import active_client

    if address:
        client = connect_scheduler(address, field=named)
        try:
            yield client
        finally:
            client.close()
        return
    active = active_client("")
    if active is not None:
        yield active
        return
    n_workers, threads = cluster_shape(backend, workers)
    cluster = local_cluster(n_workers, threads, memory_limit)
    client = Client(cluster, set_as_default=False)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def local_cluster(n_workers: int, threads_per_worker: int = 1, memory_limit: str | int | None = None) -> Any:
    """A LocalCluster of worker processes, everything bound to 127.0.0.1 on ephemeral ports, no
    dashboard, quiet logs. Worker processes stay in the caller's process group."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        processes=True,
        host="127.0.0.1",
        # the scheduler's HTTP server (health routes) would otherwise take port 8787 on every interface
        dashboard_address="127.0.0.1:0",
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
        memory_limit=memory_limit if memory_limit is not None else "auto",
    )


def cluster_shape(backend: Backend, workers: int | None) -> tuple[int, int]:
    """Worker processes and threads each: one thread per process for local evaluation (CPU bound);
    remote backends wait on the network, so their threads add up to the backend's concurrency."""
    n = max(1, workers or min(4, os.cpu_count() or 1))
    if backend.limits().cpu_bound:
        return n, 1
    return n, max(1, math.ceil(min(backend.limits().concurrency, 256) / n))


@contextlib.contextmanager
def _progress(effective: EffectiveSettings, total: int) -> Iterator[Any]:
    """Tiles done on stderr (setting ``tiling.progress``: a bar on a terminal, else a line every few seconds)."""
    from podpac_exec.engine.progress import make_progress

    bar = make_progress(effective["tiling.progress"], total)
    try:
        yield bar
    finally:
        bar.close()
