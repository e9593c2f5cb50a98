"""Serving and Lambda, on the offline emulator with the real deployment zips (serve extra included).

1. A local server on the aws_lambda backend: every tile, map and point is evaluated by Lambda
   invocations (one per tile), with the same bytes as a local server.
2. The function itself serving (``serve.pipelines``): API Gateway REST, HTTP API and Function URL
   events answered by the serve app through Mangum, binary bodies base64-encoded.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests

from serve_support import function_url_event, pipelines, rest_event, serve_config
from podpac_exec.serve.app import create_app
from podpac_exec.serve.config import ServeConfig
from podpac_exec.serve.server import ServerThread

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
#: zips of their own (the e2e tests package without the serve extra into build/aws_lambda), same wheel cache
OUTPUT = REPO / "build" / "aws_lambda_serve"
ZIPS = dict(dist_zip=OUTPUT / "podpac_dist.zip", deps_zip=OUTPUT / "podpac_deps.zip")


@dataclass
class Deployed:
    emulator: Any
    settings: dict[str, Any]
    function_name: str
    bucket: str

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        import podpac_exec as pe
        from podpac_exec.plugins.backends import get_backend

        client = get_backend("aws_lambda", pe.settings.snapshot(self.settings)).client("lambda")
        response = client.invoke(FunctionName=self.function_name, Payload=json.dumps(event).encode())
        body = json.loads(response["Payload"].read())
        assert not response.get("FunctionError"), body
        return body


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    """The real function on the emulator, serving ``wave`` and ``styled`` itself."""
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.emulator import Emulator
    from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
    from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build

    package = build_packages(PackageSpec(output_dir=OUTPUT, wheel_cache_dir=REPO / "build" / "aws_lambda" / "wheels", serve=True))
    with pytest.MonkeyPatch.context() as mp, Emulator(state_dir=tmp_path_factory.mktemp("serve-emulator")) as emu:
        for key, value in emu.env().items():
            mp.setenv(key, value)
        mp.delenv("AWS_PROFILE", raising=False)
        settings = {"aws_lambda.endpoint_url": emu.endpoint_url, "aws_lambda.bucket": "podpac-exec-serve",
                    "aws_lambda.max_concurrency": 4}
        files = tmp_path_factory.mktemp("served")
        served = []
        for p in pipelines()[:2]:
            (files / f"{p.name}.json").write_text(p.node.json)
            served.append(f"{p.name}={files / f'{p.name}.json'}")
        options = BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip, serve=tuple(served),
                               function_url="AWS_IAM")
        report = build(pe.settings.snapshot(settings), options)
        assert report.get("served pipeline").action == "created"
        yield Deployed(emu, settings, report.function_name, report.bucket)


@pytest.fixture(scope="module")
def lambda_url(deployed: Deployed) -> Iterator[tuple[str, object]]:
    """A local server whose every value is computed by the deployed function."""
    config = ServeConfig.from_settings("aws_lambda", {**deployed.settings, "serve.cache_memory_bytes": 0})
    with ServerThread(create_app(pipelines(), config)) as url:
        yield url, deployed.emulator


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    with ServerThread(create_app(pipelines(), serve_config(cache_memory_bytes=0))) as url:
        yield url


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/WebMercatorQuad/2/1/1.png?layer=wave",
        "/tiles/WebMercatorQuad/3/5/2.npy?layer=styled",
        "/tiles/WGS1984Quad/1/0/0.png?layer=masked",
        "/tiles/WGS1984Quad/2/3/1.tif?layer=wave",
        "/wms?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=wave,masked&STYLES=&CRS=EPSG:3857"
        "&BBOX=-2e7,-1e7,2e7,1e7&WIDTH=128&HEIGHT=64&FORMAT=image/png",
        "/wcs?SERVICE=WCS&VERSION=1.0.0&REQUEST=GetCoverage&COVERAGE=styled&CRS=EPSG:4326&BBOX=-20,-10,20,10"
        "&WIDTH=40&HEIGHT=20&FORMAT=NetCDF",
        "/point?layer=wave&lat=12.5&lon=-70.25",
        "/legend.json?layer=wave",
    ],
)
def test_lambda_backed_server_answers_the_same_bytes_as_local(lambda_url, local_url, path):
    url, emulator = lambda_url
    remote = requests.get(url + path, timeout=300)
    local = requests.get(local_url + path, timeout=300)
    assert remote.status_code == local.status_code == 200, remote.text[:300]
    if path.startswith("/wcs"):  # netCDF files carry no timestamps here, but compare the values to be sure
        import io

        import numpy as np
        import xarray as xr

        with xr.open_dataset(io.BytesIO(remote.content), engine="h5netcdf") as a, \
                xr.open_dataset(io.BytesIO(local.content), engine="h5netcdf") as b:
            np.testing.assert_array_equal(a["styled"].values, b["styled"].values)
    else:
        assert remote.content == local.content


def test_tiles_were_computed_by_lambda_invocations(lambda_url):
    url, emulator = lambda_url
    emulator.stop_containers()
    assert emulator.containers() == []
    assert requests.get(url + "/tiles/WebMercatorQuad/4/7/6.npy?layer=wave", timeout=300).status_code == 200
    assert len(emulator.containers()) >= 1  # the tile started a function container


def test_function_url_tiles_come_back_base64_and_equal_local(deployed, local_url):
    import podpac_exec as pe
    from podpac_exec.plugins.backends import get_backend

    for path, query in (("/tiles/WebMercatorQuad/2/1/1.png", "layer=wave"),
                        ("/tiles/WGS1984Quad/1/0/0.npy", "layer=styled"),
                        ("/tiles/WebMercatorQuad/3/2/3.tif", "layer=wave&colormap=gray")):
        answer = deployed.invoke(function_url_event(path, query))
        assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is True, answer.get("body", "")[:300]
        local = requests.get(f"{local_url}{path}?{query}", timeout=60)
        assert base64.b64decode(answer["body"]) == local.content
        assert answer["headers"]["content-type"] == local.headers["content-type"]
    # the function's containers share their tiles under <prefix>/results/serve-cache/ (expired with results)
    s3 = get_backend("aws_lambda", pe.settings.snapshot(deployed.settings)).client("s3")
    cached = s3.list_objects_v2(Bucket=deployed.bucket, Prefix="podpac-exec/results/serve-cache/").get("KeyCount", 0)
    assert cached >= 3


def test_function_url_page_static_files_and_errors(deployed):
    page = deployed.invoke(function_url_event("/"))
    assert page["statusCode"] == 200 and page["isBase64Encoded"] is False
    assert '"name": "wave"' in page["body"] and "static/leaflet/leaflet.js" in page["body"]
    leaflet = deployed.invoke(function_url_event("/static/leaflet/leaflet.js"))
    assert leaflet["statusCode"] == 200 and "Leaflet 1.9.4" in leaflet["body"][:200]
    icon = deployed.invoke(function_url_event("/static/leaflet/images/layers.png"))
    assert icon["statusCode"] == 200 and base64.b64decode(icon["body"])[:4] == b"\x89PNG"
    missing = deployed.invoke(function_url_event("/tiles/WebMercatorQuad/0/0/0.png", "layer=masked"))
    assert missing["statusCode"] == 404 and "unknown layer 'masked'; served: wave, styled" in missing["body"]


def test_rest_api_stage_is_in_the_urls_the_app_writes(deployed):
    answer = deployed.invoke(rest_event("/wms", {"SERVICE": "WMS", "REQUEST": "GetCapabilities"}))
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is False
    assert 'xlink:href="https://abcd.execute-api.us-east-1.amazonaws.com/prod/wms?"' in answer["body"]
    tilejson = deployed.invoke(function_url_event("/tilejson.json", "layer=wave", stage="beta"))
    tiles = json.loads(tilejson["body"])["tiles"][0]
    assert tiles.startswith("https://abcd.lambda-url.us-east-1.on.aws/beta/tiles/WebMercatorQuad/{z}/{x}/{y}.png")
    bad = deployed.invoke(rest_event("/wms", {"SERVICE": "WMS", "REQUEST": "GetMap", "VERSION": "1.3.0",
                                             "LAYERS": "wave", "CRS": "EPSG:9", "BBOX": "0,0,1,1", "WIDTH": "2",
                                             "HEIGHT": "2", "FORMAT": "image/png"}))
    assert bad["statusCode"] == 400 and 'code="InvalidCRS"' in bad["body"]


def test_the_evaluate_api_keeps_its_path(deployed):
    """A GET carrying pipeline= is still the evaluate API, even on a function that serves."""
    import podpac_exec as pe

    node = pipelines()[0].node
    coords = pe.Coordinates([pe.clinspace(10, 0, 3, "lat"), pe.clinspace(0, 10, 4, "lon")])
    event = rest_event("/evaluate", {"pipeline": node.json, "coordinates": coords.json})
    answer = deployed.invoke(event)
    assert answer["statusCode"] == 200 and answer["headers"]["Content-Type"] == "application/json"
    from podpac_exec.backends.aws_lambda.wire.protocol import parse_response

    values = parse_response(json.loads(answer["body"])).values
    assert (values == pe.evaluate(node, coords).values).all()


def test_build_keeps_the_url_and_served_pipelines_idempotently(deployed, tmp_path):
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.resources.build import BuildInputError, BuildOptions, build, status

    snapshot = pe.settings.snapshot(deployed.settings)
    zips = ZIPS
    again = build(snapshot, BuildOptions(**zips))  # no --serve, no --function-url: both stay
    url = again.get("function url")
    assert url.action == "unchanged" and url.name.startswith("http") and url.detail == "AWS_IAM"
    assert again.get("function config").action == "unchanged"  # the environment still names the served pipelines
    assert status(snapshot, BuildOptions(**zips)).up_to_date

    with pytest.raises(BuildInputError, match="add --public"):
        build(snapshot, BuildOptions(**zips, function_url="NONE"))
    public = build(snapshot, BuildOptions(**zips, function_url="NONE", public=True))
    assert public.get("function url").action == "updated" and public.get("url permission").action == "created"
    assert "lambda.AddPermission" in public.mutating_operations
    back = build(snapshot, BuildOptions(**zips, function_url="AWS_IAM"))
    assert back.get("url permission").action == "deleted"  # an AWS_IAM URL keeps no public statement
    assert build(snapshot, BuildOptions(**zips)).mutating_calls == 0


def test_served_pipelines_must_pass_the_allowlist(deployed, tmp_path):
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.resources.build import BuildInputError, BuildOptions, build

    path = tmp_path / "other.json"
    path.write_text(pipelines()[2].node.json)
    settings = {**deployed.settings, "aws_lambda.allowed_pipeline_hashes": [pipelines()[0].node.hash]}
    with pytest.raises(BuildInputError, match="is not on aws_lambda.allowed_pipeline_hashes"):
        build(pe.settings.snapshot(settings), BuildOptions(**ZIPS, serve=(f"other={path}",)))


def _function_url(deployed) -> str:
    import podpac_exec as pe
    from podpac_exec.plugins.backends import get_backend

    lam = get_backend("aws_lambda", pe.settings.snapshot(deployed.settings)).client("lambda")
    return lam.get_function_url_config(FunctionName=deployed.function_name)["FunctionUrl"]


def _signed_get(url: str) -> requests.Response:
    """A SigV4-signed GET (service lambda), as an AWS_IAM function URL requires."""
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    request = AWSRequest(method="GET", url=url)
    SigV4Auth(botocore.session.get_session().get_credentials(), "lambda", "us-east-1").add_auth(request)
    return requests.get(url, headers=dict(request.headers), timeout=120)


def test_the_emulator_serves_the_function_url_for_real(deployed, local_url, browser):
    """The URL build created answers HTTP on 127.0.0.1 through the real function; AWS_IAM needs
    SigV4; with NONE (--public) the map page works in Chromium straight from the function."""
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build
    from selenium.webdriver.common.by import By

    from serve_support import wait_for

    url = _function_url(deployed)
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    assert [u["url"] for u in deployed.emulator.function_urls()] == [url]
    tile = "tiles/WebMercatorQuad/2/1/1.png?layer=wave"
    assert requests.get(url + tile, timeout=120).status_code == 403  # AWS_IAM: unsigned is refused
    signed = _signed_get(url + tile)
    assert signed.status_code == 200 and signed.content == requests.get(f"{local_url}/{tile}", timeout=60).content

    build(pe.settings.snapshot(deployed.settings), BuildOptions(**ZIPS, function_url="NONE", public=True))
    try:
        assert _function_url(deployed) == url  # the same listener, now open
        wms = requests.get(url + "wms", params={"SERVICE": "WMS", "REQUEST": "GetCapabilities"}, timeout=120)
        assert wms.status_code == 200 and f'xlink:href="{url}wms?"' in wms.text
        bad = requests.get(url + "tiles/WebMercatorQuad/40/0/0.png?layer=wave", timeout=120)
        assert bad.status_code == 404 and "zoom 40 is outside" in bad.json()["error"]
        browser.get(url)
        wait_for(browser, "return window.podpacMap && window.podpacMap.tilesLoaded", timeout=120)
        wait_for(browser, "var i = document.querySelector('#colorbar img'); return i && i.complete && i.naturalWidth > 0",
                 timeout=120)
        assert browser.find_element(By.ID, "hash").get_attribute("title") == pipelines()[0].node.hash
        loaded = browser.execute_script("return document.querySelectorAll('img.leaflet-tile-loaded').length")
        assert loaded >= 4
    finally:
        build(pe.settings.snapshot(deployed.settings), BuildOptions(**ZIPS, function_url="AWS_IAM"))
