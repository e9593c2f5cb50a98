"""ServeConfig: the serve.* settings, range-checked, and the options every evaluation gets."""

from __future__ import annotations

import numpy as np
import pytest
import requests

import podpac_exec as pe
from serve_support import load_npy, pipelines
from podpac_exec.errors import SettingsError
from podpac_exec.serve.app import create_app
from podpac_exec.serve.config import ServeConfig
from podpac_exec.serve.grids import tile_grid
from podpac_exec.serve.server import ServerThread


def test_defaults_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("PODPAC_EXEC_SERVE__MAX_ZOOM", "9")
    config = ServeConfig.from_settings()
    assert (config.backend, config.min_zoom, config.max_zoom, config.max_tile_size) == ("local", 0, 9, 512)
    assert config.evaluate_options == {} and config.api_token == ""


def test_overrides_split_into_server_and_evaluation_settings():
    config = ServeConfig.from_settings("local", {"serve.max_request_cells": 1000, "tiling.min_tiles": 4})
    assert config.max_request_cells == 1000 and config.evaluate_options == {"tiling.min_tiles": 4}
    with pytest.raises(SettingsError, match="serve.max_zoom"):
        ServeConfig.from_settings(None, {"serve.max_zoom": 31})
    with pytest.raises(SettingsError, match="unknown setting 'serve.colour'"):
        ServeConfig.from_settings(None, {"serve.colour": "red"})


def test_the_token_never_shows_in_the_repr():
    assert "hunter2" not in repr(ServeConfig(backend="local", api_token="hunter2"))


def test_evaluation_options_reach_every_evaluate():
    """Options go to each evaluate(): a tighter limits.max_cells refuses a whole tile, not a point."""
    config = ServeConfig.from_settings("local", {"limits.max_cells": 1000, "tiling.min_tiles": 4})
    with ServerThread(create_app(pipelines()[:1], config)) as url:
        r = requests.get(f"{url}/tiles/WGS1984Quad/1/1/0.npy")
        assert r.status_code == 400 and "above limits.max_cells=1000" in r.json()["error"]
        assert requests.get(f"{url}/point", params={"lat": 1, "lon": 2}).status_code == 200
        small = requests.get(f"{url}/tiles/WGS1984Quad/1/1/0.npy", params={"tilesize": 16})
    # 16 x 16 = 256 cells, split into 4 tiles by tiling.min_tiles: still evaluate()'s values
    expected = pe.evaluate(pipelines()[0].node, tile_grid("WGS1984Quad", 1, 1, 0, 16, 0, 22).coordinates())
    np.testing.assert_array_equal(load_npy(small.content), expected.values)


def test_evaluation_settings_are_resolved_once_per_server(monkeypatch):
    """A tile does not read the settings files or the environment again (the serve.* ones are
    read once too): what the server started with stays what it computes with."""
    config = ServeConfig.from_settings("local", {"tiling.min_tiles": 3})
    ctx = create_app(pipelines(), config).state.context
    first = ctx.evaluation_settings()
    assert first["tiling.min_tiles"] == 3 and first["backend"] == "local"
    monkeypatch.setenv("PODPAC_EXEC_TILING__MIN_TILES", "7")
    assert ctx.evaluation_settings() is first
    pipeline = next(iter(ctx.registry))
    grid = tile_grid("WebMercatorQuad", 2, 1, 1, 16, 0, 22)
    assert ctx.grid_values(pipeline, grid).shape == (16, 16)
