"""evaluate(): inputs in every form, backend resolution, limits, output shape and attrs."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe


@pytest.fixture
def grid():
    return pe.Coordinates([pe.clinspace(-45, 45, 7, "lat"), pe.clinspace(-90, 90, 11, "lon")])


def test_result_lies_on_request(grid):
    node = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.Arange(), eqn="A * 2 + B")
    out = pe.evaluate(node, grid)
    assert out.dims == ("lat", "lon") and out.shape == (7, 11)
    np.testing.assert_array_equal(out["lat"].values, grid["lat"].coordinates)
    np.testing.assert_array_equal(out["lon"].values, grid["lon"].coordinates)
    assert out.attrs["crs"] == grid.crs and out.attrs["node_hash"] == node.hash
    direct = node.eval(grid)
    np.testing.assert_array_equal(out.values, direct.values)


def test_dims_follow_request_order(grid):
    flipped = grid.transpose("lon", "lat")
    out = pe.evaluate(pe.nodes.SinCoords(), flipped)
    assert out.dims == ("lon", "lat")
    np.testing.assert_array_equal(out.values, pe.evaluate(pe.nodes.SinCoords(), grid).values.T)


def test_json_inputs(grid):
    node = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), eqn="A + 1")
    out = pe.evaluate(node.json, grid.json)
    np.testing.assert_array_equal(out.values, pe.evaluate(node, grid).values)


def test_stacked_request_gives_one_dim_with_both_coordinates():
    lat, lon = np.array([0.0, 10.0, 20.0]), np.array([5.0, 15.0, 25.0])
    coords = pe.Coordinates([[lat, lon]], dims=["lat_lon"])
    out = pe.evaluate(pe.nodes.CoordData(coord_name="lon"), coords)
    assert out.dims == ("lat_lon",)
    np.testing.assert_array_equal(out["lat"].values, lat)
    np.testing.assert_array_equal(out.values, lon)


def test_reduction_drops_dims():
    coords = pe.Coordinates(
        [pe.clinspace(0, 1, 3, "lat"), pe.clinspace(0, 1, 4, "lon"), ["2020-01-01", "2020-01-02"]],
        dims=["lat", "lon", "time"],
    )
    out = pe.evaluate(pe.nodes.Mean(source=pe.nodes.Arange(), dims=["time"]), coords)
    assert out.dims == ("lat", "lon")


def test_backend_resolution_order(grid):
    with pe.settings.override(backend="nope"):
        with pytest.raises(pe.UnknownBackendError):
            pe.evaluate(pe.nodes.Arange(), grid)
        assert pe.evaluate(pe.nodes.Arange(), grid, backend="local").shape == (7, 11)


def test_cell_limit_names_the_request(grid):
    with pytest.raises(pe.LimitExceededError) as err:
        pe.evaluate(pe.nodes.Arange(), grid, max_cells=10)
    assert err.value.field == "coordinates" and "77 cells" in str(err.value)


def test_bad_inputs_are_package_errors(grid):
    with pytest.raises(pe.PipelineError):
        pe.evaluate("{not json", grid)
    with pytest.raises(pe.CoordinatesError):
        pe.evaluate(pe.nodes.Arange(), '{"coords": [{"start": 0, "stop": 1, "size": 0, "name": "lat"}]}')
    with pytest.raises(pe.PodpacExecError, match="expected a Node"):
        pe.evaluate(42, grid)


def test_stats_are_collected(grid):
    stats = pe.EvaluationStats()
    pe.evaluate(pe.nodes.SinCoords(), grid, stats=stats)
    summary = stats.summary()
    assert summary["tiles"] == 1 and summary["cells"] == 77 and summary["failures"] == 0
    assert stats.records[0].backend == "local" and stats.records[0].seconds > 0


def test_settings_are_resolved_once_per_call_and_reach_the_pipeline(monkeypatch):
    """One resolution for a tiled call whose nodes read their limits; the call's own settings are
    what the loader and the nodes see (not a fresh resolution without them)."""
    import importlib

    module = importlib.import_module("podpac_exec.settings")  # the package's `settings` is the object

    reads = []
    read = module._read_environment
    monkeypatch.setattr(module, "_read_environment", lambda: reads.append(1) or read())
    grid = pe.Coordinates([pe.clinspace(0, 1, 16, "lat"), pe.clinspace(0, 1, 16, "lon")])
    smooth = pe.nodes.Convolution(source=pe.nodes.SinCoords(), kernel_type="mean,3", kernel_dims=["lat", "lon"])
    text = smooth.json
    reads.clear()  # building the node checked its kernel against the settings: not this call
    pe.evaluate(text, grid, tiling__min_tiles=4, tiling__progress="off")
    assert len(reads) == 1
    with pytest.raises(pe.LimitExceededError, match="max_kernel_cells=8"):
        pe.evaluate(text, grid, limits={"max_kernel_cells": 8})  # checked as the pipeline loads
    with pytest.raises(pe.LimitExceededError, match="max_nodes=1"):
        pe.evaluate(text, grid, limits={"max_nodes": 1})


def test_checks_on_tile_threads_see_the_calls_settings():
    """A limit given to one call holds for the checks nodes make while tiles evaluate on pool
    threads (here Convolution's expanded request), not only for those made while loading."""
    grid = pe.Coordinates([pe.clinspace(0, 1, 64, "lat"), pe.clinspace(0, 1, 64, "lon")])
    smooth = pe.nodes.Convolution(source=pe.nodes.SinCoords(), kernel_type="mean,3", kernel_dims=["lat", "lon"])
    with pytest.raises(pe.TileEvaluationError, match="max_tile_cells=1100"):
        pe.evaluate(smooth, grid, tiling__min_tiles=4, tiling__progress="off", limits={"max_tile_cells": 1100})
@pytest.mark.parametrize("options", [{}, {"max_tile_bytes": 8 * 20, "local__max_workers": 2}])
def test_evaluate_array_gives_evaluates_values_and_dims(grid, options):
    from podpac_exec.engine.executor import evaluate_array
    from podpac_exec.engine.stats import EvaluationStats

    node = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lon"), eqn="A * B")
    stats = EvaluationStats()
    values, dims = evaluate_array(node, grid.transpose("lon", "lat"), stats=stats, **options)
    out = pe.evaluate(node, grid.transpose("lon", "lat"), **options)
    assert isinstance(values, np.ndarray) and dims == out.dims == ("lon", "lat")
    np.testing.assert_array_equal(values, out.values)
    assert (stats.tiles > 1) == bool(options) and stats.wall_seconds > 0


def test_backends_may_answer_without_coordinates_in_any_dim_order(grid):
    """Only dims and values count: the executor puts them on the request's coordinates."""
    from podpac_exec.engine.dispatch import aligned_values, result_array

    values = np.arange(77.0).reshape(11, 7)
    bare = result_array(values, ("lon", "lat"))
    assert bare.dims == ("lon", "lat") and not bare.coords
    np.testing.assert_array_equal(aligned_values(bare, pe.nodes.SinCoords(), grid), values.T)
    with pytest.raises(pe.BackendError, match="dims"):
        aligned_values(result_array(values, ("lon", "time")), pe.nodes.SinCoords(), grid)
    with pytest.raises(pe.BackendError, match="shape"):
        aligned_values(result_array(values[:3], ("lon", "lat")), pe.nodes.SinCoords(), grid)


def test_plans_are_kept_for_equal_requests_and_remade_when_an_input_changes(grid):
    from podpac_exec.engine.executor import plan_request
    from podpac_exec.engine.tiling import plan_tiles
    from podpac_exec.plugins.backends import get_backend
    from podpac_exec.settings import settings

    node = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), eqn="A + 1")
    effective = settings.snapshot({"backend": "local"})
    backend = get_backend("local", effective)
    first = plan_request(node, grid, backend, effective)
    again = plan_request(node, pe.Coordinates.from_json(grid.json), backend, effective)  # equal, not the same object
    assert again is first
    limits = backend.limits()
    assert first == plan_tiles(
        grid.shape, grid.dims, max_result_bytes=min(limits.max_result_bytes, effective["tiling.max_tile_bytes"]),
        concurrency=max(limits.concurrency, effective["tiling.min_tiles"]), max_eval_cells=effective["limits.max_tile_cells"],
    )
    small = settings.snapshot({"backend": "local", "tiling.max_tile_bytes": 8 * 20})
    split = plan_request(node, grid, backend, small)
    assert len(split) > 1 and split is not first
    bigger = pe.Coordinates([pe.clinspace(-45, 45, 9, "lat"), pe.clinspace(-90, 90, 11, "lon")])
    assert plan_request(node, bigger, backend, effective).shape == (9, 11)
