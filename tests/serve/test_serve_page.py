"""The map page: self-contained (no CDN), and in a real headless Chromium it shows tiles, the
colour bar, the pipeline's name and hash, and the value under the cursor."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import requests

from serve_support import pipelines, wait_for

NODES = {p.name: p.node for p in pipelines()}


def test_page_names_the_pipelines_and_loads_nothing_from_elsewhere(url):
    page = requests.get(url + "/").text
    assert NODES["wave"].hash in page and '"name": "styled"' in page
    static = Path(__file__).resolve().parents[2] / "podpac_exec" / "serve" / "static"
    for text in (page, (static / "map.js").read_text()):
        refs = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text) + re.findall(r'fetch\("([^"]*)', text)
        assert refs and not [r for r in refs if re.match(r"(https?:)?//", r)], refs
    for asset in ("static/leaflet/leaflet.js", "static/leaflet/leaflet.css", "static/map.js", "static/map.css"):
        r = requests.get(f"{url}/{asset}")
        assert r.status_code == 200 and len(r.content) > 500, asset
    assert requests.get(f"{url}/static/leaflet/leaflet.js").text.startswith("/* @preserve\n * Leaflet 1.9.4")


def test_page_escapes_its_config():
    from podpac_exec.serve.context import ServeContext
    from podpac_exec.serve.page import page_html
    from podpac_exec.serve.registry import Registry, ServedPipeline
    from serve_support import serve_config

    pipeline = ServedPipeline("x", NODES["wave"], title="</script><script>alert(1)</script>")
    html = page_html(ServeContext(Registry([pipeline]), serve_config()))
    assert "</script><script>alert" not in html and "\\u003c/script>" in html


def test_map_page_in_chromium(browser, url, tmp_path):
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    browser.get(url + "/")
    wait_for(browser, "return window.podpacMap && window.podpacMap.tilesLoaded")
    wait_for(browser, "var i = document.querySelector('#colorbar img'); return i && i.complete && i.naturalWidth > 0")
    assert browser.find_element(By.ID, "name").text == "Wave field"
    assert browser.find_element(By.ID, "hash").get_attribute("title") == NODES["wave"].hash
    tiles = browser.execute_script(
        "return Array.from(document.querySelectorAll('img.leaflet-tile-loaded')).map(function (i) { return i.src; })")
    assert tiles and all("/tiles/WebMercatorQuad/" in src and "layer=wave" in src for src in tiles)

    shot = tmp_path / "serve-map.png"
    browser.save_screenshot(str(shot))
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    map_rect = browser.find_element(By.ID, "map").rect
    top = int(map_rect["y"]) + 10
    area = pixels[top : top + 300, 60:900].reshape(-1, 3)
    assert len(np.unique(area, axis=0)) > 200  # a coloured field, not a blank page
    assert area.std(axis=0).min() > 10

    bar = browser.find_element(By.CSS_SELECTOR, "#colorbar img").rect
    y = int(bar["y"] + bar["height"] / 2)
    row = pixels[y, int(bar["x"]) + 3 : int(bar["x"] + bar["width"]) - 3].astype(int)
    import matplotlib

    viridis = matplotlib.colormaps["viridis"](np.linspace(0, 1, len(row)), bytes=True)[:, :3].astype(int)
    assert np.abs(row - viridis).max() < 40  # the colour bar is the viridis ramp, left to right
    ticks = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#colorbar .ticks span")]
    legend = requests.get(f"{url}/legend.json", params={"layer": "wave"}).json()
    assert ticks == [f"{legend['vmin']:#.4g}", f"{legend['vmax']:#.4g}"]  # JavaScript's toPrecision(4)

    ActionChains(browser).move_to_element_with_offset(browser.find_element(By.ID, "map"), 40, 30).perform()
    point = wait_for(browser, "return window.podpacMap.lastPoint")
    expected = requests.get(f"{url}/point", params={"layer": "wave", "lat": point["lat"], "lon": point["lon"]}).json()
    assert point["value"] == expected["value"] and point["layer"] == "wave"
    assert ": " in browser.find_element(By.ID, "cursor").text

    if os.environ.get("SERVE_MAP_SCREENSHOT"):  # SERVE_MAP_SCREENSHOT=docs/serve-map.png refreshes the docs' one
        browser.save_screenshot(os.environ["SERVE_MAP_SCREENSHOT"])
