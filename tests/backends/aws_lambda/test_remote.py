"""The function side in-process: direct, API Gateway and malformed events, limits, allowlist.

The S3-trigger path and the handler's dependency staging run for real on the emulator in
test_lambda_e2e.py; here the function code is called directly.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.backends.aws_lambda.function import remote
from podpac_exec.backends.aws_lambda.wire.protocol import (
    ProtocolError,
    build_request,
    OutputSpec,
    parse_response,
)

NODE = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.Arange(), eqn="A + B")
COORDS = pe.Coordinates([pe.clinspace(-10, 10, 5, "lat"), pe.clinspace(0, 30, 7, "lon")])


def request(**output):
    return build_request(NODE.definition, COORDS.full_definition, OutputSpec(**output), {"limits.max_cells": 10**6})


def test_direct_invoke_matches_local():
    response = remote.handle_event(json.loads(json.dumps(request())))
    parsed = parse_response(response)
    np.testing.assert_array_equal(parsed.values, pe.evaluate(NODE, COORDS).values)
    assert parsed.dims == ["lat", "lon"]


def test_request_settings_only_tighten_function_limits(monkeypatch):
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_CELLS", "20")
    req = request()
    req["settings"]["limits.max_cells"] = 10**9
    with pytest.raises(pe.LimitExceededError, match="max_cells=20"):
        remote.handle_event(req)


def test_secret_or_unknown_settings_are_refused():
    req = request()
    req["settings"] = {"aws_lambda.function_name": "x"}
    with pytest.raises(ProtocolError) as err:
        remote.handle_event(req)
    assert err.value.field == "settings.aws_lambda.function_name"


def test_allowlist(monkeypatch):
    monkeypatch.setenv(remote.ENV_ALLOWED_HASHES, "deadbeef")
    with pytest.raises(remote.PipelineNotAllowedError):
        remote.handle_event(request())
    response = remote.handle_event(api_gateway(request()))  # the S3 path: test_remote_fuzz.py
    assert response["statusCode"] == 403 and json.loads(response["body"])["errorType"] == "PipelineNotAllowedError"
    monkeypatch.setenv(remote.ENV_ALLOWED_HASHES, f"deadbeef,{NODE.hash}")
    assert "result" in remote.handle_event(request())


def api_gateway(body):
    return {"httpMethod": "POST", "requestContext": {}, "body": json.dumps(body)}


def test_function_limits_apply_to_parsed_requests(monkeypatch):
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_TILE_CELLS", "20")  # COORDS has 35 cells
    with pytest.raises(pe.LimitExceededError, match="max_tile_cells=20") as err:
        remote.handle_event(request())
    assert err.value.field == "coordinates"
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_PIPELINE_BYTES", "100")  # a definition arrives parsed
    with pytest.raises(pe.LimitExceededError, match="max_pipeline_bytes=100"):
        remote.handle_event(request())
    response = remote.handle_event(api_gateway(request()))
    assert response["statusCode"] == 413 and json.loads(response["body"])["field"] == "pipeline"


def test_request_settings_tighten_loading_limits_too():
    req = request()
    req["settings"]["limits.max_nodes"] = 1
    with pytest.raises(pe.LimitExceededError, match="max_nodes=1"):
        remote.handle_event(req)
    req["settings"] = {"limits.max_kernel_cells": 8}
    req["pipeline"] = pe.nodes.Convolution(source=pe.nodes.Arange(), kernel_type="mean,3", kernel_dims=["lat", "lon"]).definition
    with pytest.raises(pe.LimitExceededError, match="max_kernel_cells=8"):
        remote.handle_event(req)


def test_function_reads_no_local_file_outside_its_code(monkeypatch, tmp_path):
    req = request()
    req["pipeline"] = pe.nodes.Dataset(source="/etc/passwd", data_key="v").definition  # fine on a client
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "podpac-exec")
    monkeypatch.setenv("LAMBDA_TASK_ROOT", str(tmp_path))
    with pytest.raises(pe.PipelineError, match="outside the allowed directories") as err:
        remote.handle_event(req)
    assert type(err.value).__name__ == "SourceNotAllowedError" and err.value.field.endswith("attrs.source")
    response = remote.handle_event(api_gateway(req))
    assert response["statusCode"] == 403


def test_api_gateway_internal_errors_answer_500_without_details(monkeypatch, capsys):
    def broken(request):
        raise KeyError("internal detail")

    monkeypatch.setattr(remote, "evaluate_request", broken)
    response = remote.handle_event(api_gateway(request()))
    body = json.loads(response["body"])
    assert response["statusCode"] == 500 and body["errorType"] == "KeyError"
    assert "internal detail" not in body["errorMessage"] and "internal detail" in capsys.readouterr().err


@pytest.mark.parametrize(
    "event, field",
    [
        (None, "request"),
        ([], "request"),
        ({"version": 2}, "version"),
        ({"version": 1, "pipeline": 3, "coordinates": {}}, "pipeline"),
        ({"version": 1, "pipeline": {}, "coordinates": 3}, "coordinates"),
        ({"version": 1, "pipeline": "{", "coordinates": {}}, "pipeline"),
        ({"version": 1, "pipeline": {"a": {"node": "algorithm.Arange"}}, "coordinates": {}, "extra": 1}, "extra"),
        ({"version": 1, "pipeline": {"a": {"node": "algorithm.Arange"}}, "coordinates": {}, "output": {"compression": "gzip"}}, "output.compression"),
    ],
)
def test_malformed_direct_events_raise_named_errors(event, field):
    with pytest.raises(pe.PodpacExecError) as err:
        remote.handle_event(event)
    assert err.value.field == field


def test_api_gateway_proxy_event():
    event = {
        "httpMethod": "POST",
        "requestContext": {"requestId": "r1"},
        "isBase64Encoded": True,
        "body": base64.b64encode(json.dumps(request()).encode()).decode(),
    }
    response = remote.handle_event(event)
    assert response["statusCode"] == 200
    parsed = parse_response(json.loads(response["body"]))
    np.testing.assert_array_equal(parsed.values, pe.evaluate(NODE, COORDS).values)

    bad = {"routeKey": "POST /", "requestContext": {}, "body": '{"pipeline": 1}'}
    response = remote.handle_event(bad)
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["field"] == "pipeline"


def test_large_results_need_a_bucket(monkeypatch):
    monkeypatch.delenv(remote.ENV_RESULTS_BUCKET, raising=False)
    with pytest.raises(pe.PodpacExecError, match="no results bucket"):
        remote.handle_event(request(s3_threshold_bytes=10))


def test_output_key_for_s3_trigger():
    assert remote.output_key_for("jobs/input/a/b.json") == "jobs/output/a/b"
    assert remote.output_key_for("x.json") == "output/x"


def test_the_function_resolves_its_settings_once_per_invoke(monkeypatch):
    import importlib

    module = importlib.import_module("podpac_exec.settings")  # the package's `settings` is the object

    reads = []
    read = module._read_environment
    monkeypatch.setattr(module, "_read_environment", lambda: reads.append(1) or read())
    req = request()
    req["pipeline"] = pe.nodes.Convolution(source=pe.nodes.Arange(), kernel_type="mean,3", kernel_dims=["lat", "lon"]).definition
    reads.clear()  # building the node checked its kernel against the settings: not the invoke
    assert "result" in remote.handle_event(req)
    assert len(reads) == 1
