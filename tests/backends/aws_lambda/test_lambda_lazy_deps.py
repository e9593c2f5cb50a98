"""Lazy dependencies on the emulator: the real zips, pieces fetched per request at cold start.

A numpy-only pipeline fetches no scipy piece, a Convolution fetches it, a corrupted piece is a
one-line error that leaves nothing half unpacked, and the results equal local evaluation.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build
from podpac_exec.backends.aws_lambda.wire.protocol import OutputSpec, build_request, parse_response

pytestmark = [pytest.mark.emulator, pytest.mark.slow, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[3]
ARITHMETIC = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lat"), eqn="A * B + 1")
CONVOLUTION = pe.nodes.Convolution(source=ARITHMETIC, kernel_type="gaussian,3,1", kernel_dims=["lat", "lon"])


def grid() -> pe.Coordinates:
    return pe.Coordinates([pe.clinspace(-60, 60, 12, "lat"), pe.clinspace(-170, 170, 16, "lon")])


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    package = build_packages(PackageSpec(output_dir=REPO / "build" / "aws_lambda"))
    from podpac_exec.backends.aws_lambda.emulator import Emulator

    state = tmp_path_factory.mktemp("lazy-emulator")
    with pytest.MonkeyPatch.context() as mp, Emulator(state_dir=state) as emu:
        for key, value in emu.env().items():
            mp.setenv(key, value)
        settings = {"endpoint_url": emu.endpoint_url, "bucket": "podpac-exec-lazy", "max_concurrency": 2}
        report = build(pe.settings.snapshot({"aws_lambda": settings}),
                       BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip))  # fmt: skip
        yield {"emu": emu, "report": report, "package": package, "state": state, "settings": settings}


def _invoke(deployed: dict[str, Any], node: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    request = build_request(node.definition, grid().full_definition, OutputSpec(), {})
    client = deployed["emu"].client("lambda")
    response = client.invoke(FunctionName=deployed["report"].function_name, Payload=json.dumps(request).encode())
    return response, json.loads(response["Payload"].read())


def _shared(deployed: dict[str, Any]) -> Path:
    sha = deployed["package"].manifest["artifacts"]["deps"]["sha256"]
    return Path(deployed["state"]) / "shared" / "podpac_exec_deps" / sha


def test_numpy_only_fetches_no_scipy_then_convolution_fetches_it(deployed: dict[str, Any]) -> None:
    response, body = _invoke(deployed, ARITHMETIC)
    assert not response.get("FunctionError"), body
    meta = body["meta"]
    fetched = set(meta["deps_pieces_fetched"].split(","))
    assert {"numpy", "xarray", "dask"} <= fetched and "scipy" not in fetched and "rasterio" not in fetched
    assert meta["deps_fetched_bytes"] <= 0.3 * meta["deps_total_bytes"]
    assert meta["deps_wall_s"] >= 0 and meta["deps_import_s"] >= 0 and meta["deps_fetch_s"] > 0
    np.testing.assert_array_equal(parse_response(body).values, pe.evaluate(ARITHMETIC, grid()).values)
    assert not (_shared(deployed) / "scipy").exists()

    deployed["emu"].stop_containers()
    response, body = _invoke(deployed, CONVOLUTION)
    assert not response.get("FunctionError"), body
    meta = body["meta"]
    assert meta["deps_pieces_fetched"] == "scipy" and "numpy" in meta["deps_pieces_reused"].split(",")
    np.testing.assert_array_equal(parse_response(body).values, pe.evaluate(CONVOLUTION, grid()).values)
    assert (_shared(deployed) / "scipy" / "scipy" / "__init__.py").exists()


def test_fan_out_equals_local(deployed: dict[str, Any]) -> None:
    remote = pe.evaluate(CONVOLUTION, grid(), backend="aws_lambda", aws_lambda=deployed["settings"],
                         max_tile_bytes=8 * 16 * 4)  # fmt: skip
    np.testing.assert_array_equal(remote.values, pe.evaluate(CONVOLUTION, grid()).values)


def test_a_corrupted_piece_fails_in_one_line_and_is_not_reused(deployed: dict[str, Any]) -> None:
    emu, package = deployed["emu"], deployed["package"]
    s3 = emu.client("s3")
    key = next(v for k, v in _environment(deployed).items() if k == "PODPAC_LAMBDA_DEPS_KEY")
    data = bytearray(package.deps_zip.read_bytes())
    piece = next(p for p in package.manifest["artifacts"]["pieces"] if p["name"] == "zarr")
    data[piece["offset"] + piece["length"] - 10] ^= 0xFF  # inside the piece's last member
    s3.put_object(Bucket=deployed["settings"]["bucket"], Key=key, Body=bytes(data))
    try:
        emu.stop_containers()
        zarr_node = pe.Node.from_json(json.dumps({"z": {"node": "data.Zarr", "attrs": {"source": "s3://podpac-exec-lazy/nowhere.zarr"}}}))
        response, body = _invoke(deployed, zarr_node)
        assert response.get("FunctionError"), body
        assert body["errorType"] == "DependencyError" and "\n" not in body["errorMessage"]
        assert "dependency piece zarr" in body["errorMessage"] or "CRC" in body["errorMessage"]
        root = _shared(deployed)
        assert not (root / "zarr").exists() and not [p for p in root.iterdir() if ".partial-" in p.name]
    finally:
        s3.put_object(Bucket=deployed["settings"]["bucket"], Key=key, Body=package.deps_zip.read_bytes())
    emu.stop_containers()
    response, body = _invoke(deployed, ARITHMETIC)  # the good object again: nothing corrupted reused
    assert not response.get("FunctionError"), body


def _environment(deployed: dict[str, Any]) -> dict[str, str]:
    config = deployed["emu"].client("lambda").get_function_configuration(FunctionName=deployed["report"].function_name)
    return config["Environment"]["Variables"]
