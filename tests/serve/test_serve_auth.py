"""The optional API key: every request but static files needs it; it never reaches the log."""

from __future__ import annotations


import pytest
import requests

from serve_support import pipelines, serve_config
from podpac_exec.serve.app import create_app
from podpac_exec.serve.access_log import access_line
from podpac_exec.serve.server import ServerThread

TOKEN = "s3cr3t-test-key"


@pytest.fixture(scope="module")
def guarded():
    with ServerThread(create_app(pipelines()[:1], serve_config(api_token=TOKEN))) as url:
        yield url


@pytest.mark.parametrize("path", ["/", "/tiles/WebMercatorQuad/0/0/0.png", "/point?lat=0&lon=0",
                                  "/wms?SERVICE=WMS&REQUEST=GetCapabilities", "/pipelines.json"])
def test_requests_without_the_key_are_401(guarded, path):
    r = requests.get(guarded + path)
    assert r.status_code == 401 and "API key missing" in r.json()["error"]
    wrong = requests.get(guarded + path, headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401 and "API key wrong" in wrong.json()["error"]


def test_header_bearer_query_and_cookie_are_accepted(guarded):
    tile = "/tiles/WebMercatorQuad/0/0/0.png"
    assert requests.get(guarded + tile, headers={"X-API-Key": TOKEN}).status_code == 200
    assert requests.get(guarded + tile, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    session = requests.Session()
    page = session.get(guarded + "/", params={"api_key": TOKEN})
    assert page.status_code == 200 and "HttpOnly" in page.headers["set-cookie"]
    assert session.get(guarded + tile).status_code == 200  # the page's tiles carry the cookie


def test_static_files_are_public(guarded):
    assert requests.get(guarded + "/static/leaflet/leaflet.js").status_code == 200


def test_access_log_masks_a_key_in_the_query():
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": f"API_KEY={TOKEN}&x=1".encode(),
             "http_version": "1.1", "client": ("127.0.0.1", 1)}
    line = access_line(scope, 200)
    assert TOKEN not in line and "API_KEY=****&x=1" in line
