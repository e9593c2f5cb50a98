"""/point, /legend.json, /colorbar.png and /pipelines.json from a running server."""

from __future__ import annotations

import numpy as np
import pytest
import requests

import podpac_exec as pe
from serve_support import decode_png, pipelines

NODES = {p.name: p.node for p in pipelines()}


@pytest.mark.parametrize("lat, lon", [(10.0, 20.0), (-33.25, 151.5), (89.9, -179.9)])
def test_point_is_evaluate_at_the_point(url, lat, lon):
    r = requests.get(f"{url}/point", params={"layer": "wave", "lat": lat, "lon": lon})
    body = r.json()
    coords = pe.Coordinates([[lat], [lon]], dims=["lat", "lon"])
    assert body["value"] == float(pe.evaluate(NODES["wave"], coords, backend="local").values[0, 0])
    assert (body["lat"], body["lon"], body["layer"], body["hash"]) == (lat, lon, "wave", NODES["wave"].hash)


def test_point_nodata_is_null(url):
    assert requests.get(f"{url}/point", params={"layer": "masked", "lat": -45, "lon": 45}).json()["value"] is None


@pytest.mark.parametrize(
    "params, message",
    [({"layer": "wave", "lat": 91, "lon": 0}, "lat must be in -90..90"),
     ({"layer": "wave", "lat": "x", "lon": 0}, "lat must be a number"),
     ({"layer": "wave", "lat": 0}, "lon is required"),
     ({"layer": "wave", "lat": "nan", "lon": 0}, "lat must be in"),
     ({"layer": "nope", "lat": 0, "lon": 0}, "unknown layer 'nope'")],
)
def test_bad_points(url, params, message):
    r = requests.get(f"{url}/point", params=params)
    assert 400 <= r.status_code < 500 and message in r.json()["error"]


def test_legend_follows_the_nodes_style_and_the_value_range(server):
    url, ctx = server
    styled = requests.get(f"{url}/legend.json", params={"layer": "styled"}).json()
    assert (styled["colormap"], styled["vmin"], styled["vmax"]) == ("jet", -1.0, 1.0)
    assert styled["hash"] == NODES["styled"].hash and len(styled["colors"]) == 16
    wave = requests.get(f"{url}/legend.json", params={"layer": "wave"}).json()
    assert wave["colormap"] == "viridis"  # PODPAC's default; the wave node declares no style itself
    assert (wave["vmin"], wave["vmax"]) == ctx.value_range(ctx.registry.get("wave"))
    assert -1.0 < wave["vmin"] < 0 < 1.0 < wave["vmax"] < 1.3  # A*cos(lat)+0.25 over the world


def test_colorbar_is_the_colormap_ramp(url):
    import matplotlib

    pixels = decode_png(requests.get(f"{url}/colorbar.png", params={"layer": "styled", "width": 128, "height": 10}).content)
    assert pixels.shape == (10, 128, 4)
    ramp = matplotlib.colormaps["jet"](np.arange(128) * 2, bytes=True)
    np.testing.assert_array_equal(pixels[5], ramp)
    assert requests.get(f"{url}/colorbar.png", params={"layer": "styled", "width": 5000}).status_code == 400


def test_pipelines_lists_only_the_registered(url):
    listed = requests.get(f"{url}/pipelines.json").json()
    assert [p["name"] for p in listed] == ["wave", "styled", "masked"]
    assert listed[0]["title"] == "Wave field" and listed[1]["style"] == {"colormap": "jet", "clim": [-1.0, 1.0]}
