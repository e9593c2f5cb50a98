"""Tiled evaluation equals untiled evaluation exactly; lazy results; tile errors name the tile."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings as hsettings, strategies as st

import podpac_exec as pe
from podpac_exec.nodes.base import Node


def grid(nlat: int, nlon: int, ntime: int = 0) -> pe.Coordinates:
    items = [pe.clinspace(-40, -40 + 3.5 * (nlat - 1), nlat, "lat"), pe.clinspace(-100, -100 + 7.0 * (nlon - 1), nlon, "lon")]
    if ntime:
        items.append(pe.clinspace("2024-01-01", "2024-01-%02d" % ntime, ntime, "time"))
    return pe.Coordinates(items)


FIELD = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lon"), eqn="A + B / 1000")


def pipelines():
    smooth = pe.nodes.Convolution(source=FIELD, kernel_type="mean,3", kernel_dims=["lat", "lon"])
    wide = pe.nodes.Convolution(source=smooth, kernel_type="gaussian,5,1", kernel_dims=["lat", "lon"])
    return {
        "field": FIELD,
        "smooth": smooth,
        "chained_focal": wide,
        "time_mean": pe.nodes.Mean(source=FIELD, dims=["time"]),
        "lat_max_of_smooth": pe.nodes.Max(source=smooth, dims=["lat"]),
        "broadcast_over_reduction": pe.nodes.Arithmetic(
            A=pe.nodes.Mean(source=FIELD, dims=["time"]), B=FIELD, eqn="B - A"
        ),
    }


PIPELINES = pipelines()


@hsettings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(PIPELINES)),
    nlat=st.integers(1, 17),
    nlon=st.integers(1, 19),
    ntime=st.integers(1, 3),
    budget_cells=st.integers(6, 200),
    workers=st.integers(1, 3),
)
def test_tiled_equals_untiled(name, nlat, nlon, ntime, budget_cells, workers):
    node = PIPELINES[name]
    coords = grid(nlat, nlon, ntime)
    untiled = pe.evaluate(node, coords)
    stats = pe.EvaluationStats()
    tiled = pe.evaluate(node, coords, stats=stats, max_tile_bytes=8 * budget_cells, local__max_workers=workers)
    np.testing.assert_array_equal(tiled.values, untiled.values)
    assert tiled.dims == untiled.dims
    for dim in tiled.coords:
        np.testing.assert_array_equal(tiled[dim].values, untiled[dim].values)
    assert stats.tiles >= 1


def test_tiles_run_in_parallel_and_are_counted():
    coords = grid(64, 80)
    stats = pe.EvaluationStats()
    out = pe.evaluate(FIELD, coords, stats=stats, max_tile_bytes=8 * 64 * 10, local__max_workers=2)
    assert stats.tiles == 8 and out.shape == (64, 80)
    np.testing.assert_array_equal(out.values, pe.evaluate(FIELD, coords).values)


def test_request_dependent_graphs_run_as_one_tile():
    node = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.Arange(), eqn="A + B")
    coords = grid(30, 40)
    stats = pe.EvaluationStats()
    out = pe.evaluate(node, coords, stats=stats, max_tile_bytes=8 * 100)
    assert stats.tiles == 1
    np.testing.assert_array_equal(out.values, node.eval(coords).values)


def test_stacked_points_split_along_the_stacked_dim():
    lat = np.linspace(-30, 30, 101)
    coords = pe.Coordinates([[lat, lat[::-1] * 2]], dims=["lat_lon"])
    stats = pe.EvaluationStats()
    out = pe.evaluate(FIELD, coords, stats=stats, max_tile_bytes=8 * 10)
    assert stats.tiles == 11
    np.testing.assert_array_equal(out.values, pe.evaluate(FIELD, coords).values)
    np.testing.assert_array_equal(out["lon"].values, lat[::-1] * 2)


def test_compute_false_is_lazy():
    coords = grid(30, 30)
    stats = pe.EvaluationStats()
    lazy = pe.evaluate(FIELD, coords, compute=False, stats=stats, max_tile_bytes=8 * 100)
    import dask.array as da

    assert isinstance(lazy.data, da.Array) and stats.tiles == 0
    np.testing.assert_array_equal(lazy.compute().values, pe.evaluate(FIELD, coords).values)
    assert stats.tiles == lazy.data.npartitions


class FailsInOneCorner(Node):
    """Fails for tiles containing lat > 30: a stand-in for a remote error."""

    def _eval(self, coordinates):
        if coordinates["lat"].coordinates.max() > 30:
            raise pe.BackendError("remote blew up")
        return np.zeros(coordinates.shape)


def test_failed_tile_is_named_never_silent_nan():
    coords = grid(40, 10)
    with pytest.raises(pe.TileEvaluationError) as err:
        pe.evaluate(FailsInOneCorner(), coords, max_tile_bytes=8 * 50)
    message = str(err.value)
    assert "lat" in message and "remote blew up" in message and "BackendError" in message
    assert isinstance(err.value.cause, pe.BackendError) and err.value.tile is not None


def test_progress_setting_on_prints_to_stderr(capsys):
    pe.evaluate(FIELD, grid(20, 20), max_tile_bytes=8 * 40, tiling__progress="on")
    assert "tile" in capsys.readouterr().err


def test_tiles_on_pool_threads_see_settings_overrides():
    """Overrides are context variables: worker threads must run tiles in the caller's context."""
    seen = []

    class SeesSettings(Node):
        def _eval(self, coordinates):
            seen.append(pe.settings.get("limits.max_nodes"))
            return np.zeros(coordinates.shape)

    with pe.settings.override(limits__max_nodes=7):
        pe.evaluate(SeesSettings(), grid(20, 20), max_tile_bytes=8 * 40, local__max_workers=2)
    assert len(seen) > 1 and set(seen) == {7}


def test_tiles_go_to_a_distributed_cluster_when_configured():
    """``dask.scheduler_address`` sends tiles to that cluster; values and stats come back."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, scheduler_port=0, silence_logs=50) as cluster:
        coords = grid(40, 30)
        stats = pe.EvaluationStats()
        out = pe.evaluate(FIELD, coords, stats=stats, max_tile_bytes=8 * 150,
                          dask__scheduler_address=cluster.scheduler_address)
        np.testing.assert_array_equal(out.values, pe.evaluate(FIELD, coords).values)
        assert stats.tiles == 8 and stats.failures == 0
        assert "on_worker" in cluster.scheduler.task_prefixes  # the tiles ran as the cluster's tasks
        from podpac_exec.engine.fanout import _clients

        client = _clients.pop(cluster.scheduler_address)
        ran_on = client.run(lambda: __import__("os").getpid())  # the tiles' worker processes
        client.close()
    assert len(set(ran_on.values())) == 2 and os.getpid() not in ran_on.values()
    assert all(r.tile is not None for r in stats.records)


def test_an_arithmetic_tile_is_written_into_its_place_in_the_result():
    """The in-process fan-out hands each tile's root its region of the result: no copy after."""
    from podpac_exec.engine.executor import settings_for_call, start_call
    from podpac_exec.engine.fanout import TileRunner
    from podpac_exec.nodes import Arithmetic, CoordData, SinCoords
    from podpac_exec.nodes.destination import is_region
    from podpac_exec.settings import settings

    coords = pe.Coordinates([pe.clinspace(-40, 40, 600, "lat"), pe.clinspace(-80, 80, 500, "lon")])
    node = Arithmetic(A=SinCoords(), B=CoordData(coord_name="lat"), eqn="A * cos(B)")
    effective = settings_for_call("local", {"max_tile_bytes": 600 * 500 * 8 // 4})
    with settings.use(effective):
        call = start_call(node, coords, effective, None)
        runner = TileRunner(node, coords, call.backend, call.options)
        out = np.full(call.plan.out_shape, np.nan)
        tile = call.plan.tiles[1]
        region = out[tile.out_index]
        assert is_region(runner(tile, into=region), region)
        assert not is_region(runner(tile), region)
        for tile in call.plan:
            runner.write(out, tile)
    assert len(call.plan) >= 4
    np.testing.assert_array_equal(out, pe.evaluate(node, coords, max_tile_bytes=2**40).values)
