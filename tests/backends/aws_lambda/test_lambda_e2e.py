"""The AWS Lambda backend end to end: package -> build -> evaluate, on the offline emulator.

The real deployment zips run in the emulator's isolated python3.12: the handler downloads the
dependencies zip from (emulated) S3 at cold start and evaluates with the local backend inside.
With ``PODPAC_EXEC_TEST_REAL_AWS=1`` and AWS credentials present, the same tests run against real
AWS (settings from the environment, e.g. ``PODPAC_EXEC_AWS_LAMBDA__BUCKET``); otherwise the
emulator is used.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.plugins.backends import get_backend
from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build, delete
from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
from podpac_exec.backends.aws_lambda.wire.protocol import OutputSpec, build_request, parse_response

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[3]
REAL_AWS = os.environ.get("PODPAC_EXEC_TEST_REAL_AWS") == "1"
#: Distinctive fake credentials: the tests check they never appear in a payload or log.
FAKE_KEY_ID = "FAKEKEYIDPODPACEXEC7"
FAKE_SECRET = "fake+secret/podpac-exec-e2e-never-sent-anywhere"

NODE = pe.nodes.Arithmetic(
    A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lat"), eqn="A * cos(B * {deg}) + 0.25",
    params={"deg": 0.017453292519943295},
)


@dataclass
class Deployment:
    settings: dict[str, Any]
    emulator: Any
    report: Any
    package: Any

    def snapshot(self) -> Any:
        return pe.settings.snapshot({"aws_lambda": self.settings})

    def evaluate(self, node: Any, coords: Any, **options: Any) -> Any:
        return pe.evaluate(node, coords, backend="aws_lambda", aws_lambda=self.settings, **options)

    def client(self, service: str) -> Any:
        return get_backend("aws_lambda", self.snapshot()).client(service)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    package = build_packages(PackageSpec(output_dir=REPO / "build" / "aws_lambda"))
    with pytest.MonkeyPatch.context() as mp:
        if REAL_AWS:
            import boto3

            if boto3.Session().get_credentials() is None:
                pytest.skip("PODPAC_EXEC_TEST_REAL_AWS=1 but no AWS credentials are configured")
            settings = {"function_name": f"podpac-exec-test-{uuid.uuid4().hex[:8]}", "max_concurrency": 8}
            report = build(pe.settings.snapshot({"aws_lambda": settings}),
                           BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip, s3_trigger=True))
            yield Deployment(settings, None, report, package)
            delete(pe.settings.snapshot({"aws_lambda": settings}), yes=True)
            return
        from podpac_exec.backends.aws_lambda.emulator import Emulator

        with Emulator(state_dir=tmp_path_factory.mktemp("e2e-emulator")) as emu:
            for key, value in emu.env().items():
                mp.setenv(key, value)
            mp.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
            mp.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
            mp.delenv("AWS_PROFILE", raising=False)
            settings = {"endpoint_url": emu.endpoint_url, "bucket": "podpac-exec-e2e", "max_concurrency": 8}
            report = build(pe.settings.snapshot({"aws_lambda": settings}),
                           BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip, s3_trigger=True))
            yield Deployment(settings, emu, report, package)


def grid(nlat: int, nlon: int) -> pe.Coordinates:
    return pe.Coordinates([pe.clinspace(-60, 60, nlat, "lat"), pe.clinspace(-170, 170, nlon, "lon")])


def invoke(deployment: Deployment, payload: Any) -> dict[str, Any]:
    response = deployment.client("lambda").invoke(
        FunctionName=deployment.report.function_name, Payload=json.dumps(payload).encode()
    )
    body = json.loads(response["Payload"].read())
    assert not response.get("FunctionError"), body
    return body


def test_fanout_equals_local_and_reports_cost(deployment: Deployment) -> None:
    coords = grid(96, 130)
    stats = pe.EvaluationStats()
    remote = deployment.evaluate(NODE, coords, stats=stats, max_tile_bytes=8 * 96 * 2)
    local = pe.evaluate(NODE, coords)
    np.testing.assert_array_equal(remote.values, local.values)
    assert remote.dims == local.dims and remote.attrs["node_hash"] == NODE.hash
    assert stats.tiles >= 64 and stats.failures == 0  # 64+ tiles at concurrency 8
    assert len(stats.invocations) >= stats.tiles
    assert 1 <= sum(1 for inv in stats.invocations if inv["cold_start"]) <= 8
    from podpac_exec.backends.aws_lambda.client.reports import cost_report

    cost = cost_report(stats.invocations, price_per_gb_second=0.0000166667, price_per_request=0.0000002)
    assert cost["billed_gb_seconds"] > 0 and cost["estimated_cost_usd"] > 0


def test_focal_pipeline_tiles_with_halos_equal_local(deployment: Deployment) -> None:
    """Convolution over Lambda: each tile is evaluated with its halo and cropped."""
    smooth = pe.nodes.Convolution(source=NODE, kernel_type="gaussian,5,1", kernel_dims=["lat", "lon"])
    coords = grid(60, 70)
    stats = pe.EvaluationStats()
    remote = deployment.evaluate(smooth, coords, stats=stats, max_tile_bytes=8 * 70 * 8, compression="zstd")
    np.testing.assert_array_equal(remote.values, pe.evaluate(smooth, coords).values)
    assert stats.tiles >= 8


def test_real_data_on_s3_fanned_out_equals_local(deployment: Deployment, tmp_path: Path) -> None:
    """A UTM Cloud-Optimized GeoTIFF and a Zarr store staged in S3, requested on a lat/lon grid,
    fanned out over several Lambda tiles: the same values as the local backend."""
    import rasterio
    import zarr
    from rasterio.transform import from_origin

    values = np.add.outer(np.arange(256.0), np.arange(192.0) * 0.5).astype("float32")
    cog = tmp_path / "utm.tif"
    with rasterio.open(cog, "w", driver="COG", height=256, width=192, count=1, dtype="float32", crs="EPSG:32618",
                       transform=from_origin(300000.0, 4500000.0, 125.0, 125.0), nodata=-9999.0, blocksize=128) as f:
        f.write(values, 1)
    store = tmp_path / "cube.zarr"
    group = zarr.open_group(str(store), mode="w")
    group.create_array("data", data=values.astype(float)[:64, :80], chunks=(16, 16), dimension_names=["lat", "lon"])
    group.create_array("lat", data=np.linspace(40.6, 40.0, 64), dimension_names=["lat"])
    group.create_array("lon", data=np.linspace(-77.4, -76.6, 80), dimension_names=["lon"])
    s3 = deployment.client("s3")
    data_bucket = deployment.report.bucket  # the function's role may read its own bucket
    s3.upload_file(str(cog), data_bucket, "data/utm.tif")
    for path in store.rglob("*"):
        if path.is_file():
            s3.upload_file(str(path), data_bucket, "data/cube.zarr/" + str(path.relative_to(store)))
    request = pe.Coordinates([pe.clinspace(40.6, 40.36, 24, "lat"), pe.clinspace(-77.34, -77.1, 20, "lon")])  # inside both
    pipelines = [
        pe.nodes.Interpolate(source=pe.Node.from_definition({"R": {"node": "data.Rasterio", "attrs": {"source": f"s3://{data_bucket}/data/utm.tif"}}}),
                             interpolation="bilinear"),
        pe.nodes.Interpolate(source=pe.Node.from_definition({"Z": {"node": "data.Zarr", "attrs": {"source": f"s3://{data_bucket}/data/cube.zarr"}}}),
                             interpolation="nearest"),
    ]
    for node in pipelines:
        stats = pe.EvaluationStats()
        remote = deployment.evaluate(node, request, stats=stats, max_tile_bytes=8 * 24 * 5)
        local = pe.evaluate(node, request)
        assert stats.tiles >= 4 and stats.failures == 0
        assert np.isfinite(local.values).all()
        np.testing.assert_array_equal(remote.values, local.values)


def test_build_verification_matches_and_pays_the_cold_start(deployment: Deployment) -> None:
    from podpac_exec.backends.aws_lambda.client.version import verify

    if deployment.emulator is not None:
        deployment.emulator.stop_containers()
    ok, line = verify(get_backend("aws_lambda", deployment.snapshot()))
    assert ok, line
    assert line.startswith(f"verified: function {deployment.report.function_name!r} answers as podpac-exec {pe.__version__}")
    assert "a cold start" in line
    ok, line = verify(get_backend("aws_lambda", deployment.snapshot()))
    assert ok and "cold start" not in line  # the container it started is warm


def test_dependencies_fetched_at_cold_start_only(deployment: Deployment) -> None:
    if deployment.emulator is not None:
        deployment.emulator.stop_containers()
    request = build_request(NODE.definition, grid(3, 4).full_definition, OutputSpec(), {})
    first = invoke(deployment, request)
    second = invoke(deployment, request)
    # the emulator's containers share one unpack per host (docs/emulator.md): a new one reuses it
    expected = "reused" if deployment.emulator is not None else "downloaded"
    assert first["meta"]["deps"] == expected and first["meta"]["cold"] is True
    assert second["meta"]["deps"] == "warm" and second["meta"]["cold"] is False


def test_large_result_travels_through_s3(deployment: Deployment) -> None:
    coords = grid(40, 50)
    settings = dict(deployment.settings, s3_threshold_bytes=1024)
    stats = pe.EvaluationStats()
    remote = pe.evaluate(NODE, coords, backend="aws_lambda", aws_lambda=settings, stats=stats, max_tile_bytes=10**8)
    assert stats.tiles == 1  # one 16 kB tile, above the 1 kB threshold: spilled to S3 and fetched
    np.testing.assert_array_equal(remote.values, pe.evaluate(NODE, coords).values)
    s3 = deployment.client("s3")
    listed = s3.list_objects_v2(Bucket=deployment.report.bucket, Prefix="podpac-exec/results/")
    assert listed.get("KeyCount", 0) == 0  # the client deletes what it fetched


def test_api_gateway_proxy_event(deployment: Deployment) -> None:
    request = build_request(NODE.definition, grid(5, 6).full_definition, OutputSpec(), {})
    event = {
        "httpMethod": "POST",
        "path": "/evaluate",
        "requestContext": {"requestId": "req-1", "stage": "prod"},
        "isBase64Encoded": True,
        "body": base64.b64encode(json.dumps(request).encode()).decode(),
    }
    response = invoke(deployment, event)
    assert response["statusCode"] == 200
    parsed = parse_response(json.loads(response["body"]))
    np.testing.assert_array_equal(parsed.values, pe.evaluate(NODE, grid(5, 6)).values)


def test_s3_trigger_writes_the_result_under_output(deployment: Deployment) -> None:
    """A pipeline JSON put under input/ triggers the function (a real S3 notification on the
    emulator), which writes the result under output/."""
    import io

    import xarray as xr

    s3 = deployment.client("s3")
    bucket = deployment.report.bucket
    document = {"pipeline": NODE.definition, "coordinates": grid(4, 5).full_definition}
    s3.put_object(Bucket=bucket, Key="podpac-exec/input/job 1.json", Body=json.dumps(document).encode())
    s3.put_object(Bucket=bucket, Key="podpac-exec/input/broken.json", Body=b"{not json")
    out_key = "podpac-exec/output/job 1.nc"
    if deployment.emulator is not None:
        runs = deployment.emulator.wait_async(timeout_s=120)
        assert len([r for r in runs if r.get("request_id")]) >= 2, runs
    data = _wait_for_object(s3, bucket, out_key)
    with xr.open_dataset(io.BytesIO(data), engine="h5netcdf") as ds:
        np.testing.assert_array_equal(ds["result"].values, pe.evaluate(NODE, grid(4, 5)).values)
    error = json.loads(_wait_for_object(s3, bucket, "podpac-exec/output/broken.error.json"))
    assert error["errorType"] == "ProtocolError" and error["source"].endswith("input/broken.json")


def _wait_for_object(s3: Any, bucket: str, key: str, timeout_s: float = 120.0) -> bytes:
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_remote_errors_carry_type_message_and_traceback(deployment: Deployment) -> None:
    outside = pe.nodes.Dataset(source="/no/such/file.nc", data_key="t")  # outside the function's task root
    with pytest.raises(pe.RemoteEvaluationError) as err:
        deployment.evaluate(outside, grid(3, 3))
    assert err.value.remote_type == "SourceNotAllowedError" and "/no/such/file.nc" in err.value.remote_message
    assert err.value.remote_traceback and "Traceback" not in str(err.value)


def test_no_credentials_in_payloads_or_logs(deployment: Deployment) -> None:
    if REAL_AWS:
        pytest.skip("fake credentials are only set on the emulator")
    sent: list[bytes] = []
    backend = get_backend("aws_lambda", deployment.snapshot())
    backend.client("lambda").meta.events.register(
        "before-send.lambda.Invoke", lambda request, **kw: sent.append(bytes(request.body or b""))
    )
    deployment.evaluate(NODE, grid(20, 30), max_tile_bytes=8 * 100)
    assert len(sent) >= 6
    logs = deployment.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{deployment.report.function_name}")
    texts = sent + [e["message"].encode() for e in logs["events"]]
    for secret in (FAKE_KEY_ID, FAKE_SECRET):
        assert not any(secret.encode() in t for t in texts), "a credential value left the client"


def test_rebuild_is_a_no_op_and_delete_leaves_nothing(deployment: Deployment) -> None:
    snapshot = deployment.snapshot()
    options = BuildOptions(dist_zip=deployment.package.dist_zip, deps_zip=deployment.package.deps_zip, s3_trigger=True)
    again = build(snapshot, options)
    assert again.mutating_calls == 0, again.mutating_operations
    if REAL_AWS:
        return  # the module fixture deletes at the end
    s3 = deployment.client("s3")
    s3.put_object(Bucket=deployment.report.bucket, Key="someone-else/keep.txt", Body=b"not ours")
    delete(snapshot, yes=True)
    lam = deployment.client("lambda")
    assert deployment.report.function_name not in [f["FunctionName"] for f in lam.list_functions()["Functions"]]
    assert s3.get_object(Bucket=deployment.report.bucket, Key="someone-else/keep.txt")["Body"].read() == b"not ours"
    assert s3.list_objects_v2(Bucket=deployment.report.bucket, Prefix="podpac-exec/").get("KeyCount", 0) == 0
