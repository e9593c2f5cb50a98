"""Serving from the aws_lambda backend on the offline emulator: the same bytes as local.

The real deployment zips are built and deployed to the emulator; every tile, map and point the
server answers is then evaluated by Lambda invocations (one per tile).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import requests

from conftest import pipelines, serve_config
from podpac_exec.serve.app import create_app
from podpac_exec.serve.config import ServeConfig
from podpac_exec.serve.server import ServerThread

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lambda_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.emulator import Emulator
    from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
    from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build

    package = build_packages(PackageSpec(output_dir=REPO / "build" / "aws_lambda"))
    with pytest.MonkeyPatch.context() as mp, Emulator(state_dir=tmp_path_factory.mktemp("serve-emulator")) as emu:
        for key, value in emu.env().items():
            mp.setenv(key, value)
        mp.delenv("AWS_PROFILE", raising=False)
        lambda_settings = {"aws_lambda.endpoint_url": emu.endpoint_url, "aws_lambda.bucket": "podpac-exec-serve",
                           "aws_lambda.max_concurrency": 4}
        build(pe.settings.snapshot(lambda_settings), BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip))
        config = ServeConfig.from_settings("aws_lambda", {**lambda_settings, "serve.cache_memory_bytes": 0})
        app = create_app(pipelines(), config)
        with ServerThread(app) as url:
            yield url, emu


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
