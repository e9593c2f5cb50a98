"""The Lambda client pieces on their own: S3-spilled results, error classification, REPORT parsing.

The whole invoke path runs end to end in test_lambda_e2e.py and under faults in
test_lambda_faults.py; these tests pin down the edges those cannot easily reach.
"""

from __future__ import annotations

import base64
import json
import socket
import time

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.plugins.backends import get_backend
from podpac_exec.backends.aws_lambda.client.backend import (
    RemoteEvaluationError,
    TransientInvokeError,
    TransientRemoteError,
    remote_error,
)
from podpac_exec.backends.aws_lambda.client.reports import cost_report, parse_report
from podpac_exec.backends.aws_lambda.wire.codec import encode_array

FAST = {"retry": {"max_attempts": 3, "base_delay_s": 0.01, "max_delay_s": 0.02}}


def backend_for(endpoint: str):
    return get_backend("aws_lambda", pe.settings.snapshot({"aws_lambda": {"endpoint_url": endpoint}, **FAST}))


def call(**values):
    """The options of one call with these settings (as the executor builds them)."""
    from podpac_exec.engine.stats import EvaluationStats
    from podpac_exec.plugins.backends import EvaluationOptions

    return EvaluationOptions(pe.settings.snapshot({**FAST, **values}), EvaluationStats())


def test_spilled_result_is_fetched_then_deleted(aws_emulator):
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="results")
    values = np.arange(12.0).reshape(3, 4)
    s3.put_object(Bucket="results", Key="p/results/r1.bin", Body=encode_array(values), Metadata={"dims": "lat,lon"})
    backend = backend_for(aws_emulator.endpoint_url)
    fetched, dims = backend._fetch_s3_result("s3://results/p/results/r1.bin", call())
    np.testing.assert_array_equal(fetched, values)
    assert dims == ["lat", "lon"]  # the spilled result's dims are read, as an inline result's are
    assert s3.list_objects_v2(Bucket="results").get("KeyCount", 0) == 0


def test_the_pipeline_is_serialised_once_per_request_not_per_tile(monkeypatch):
    from podpac_exec.backends.aws_lambda.client.backend import request_payload
    from podpac_exec.backends.aws_lambda.wire.protocol import OutputSpec, build_request
    from podpac_exec.nodes.base import Node

    serialised = []
    definition = Node.definition
    monkeypatch.setattr(Node, "definition", property(lambda node: serialised.append(1) or definition.fget(node)))
    node = pe.Node.from_definition({"S": {"node": "algorithm.SinCoords"}, "M": {"node": "algorithm.Arithmetic",
                                    "inputs": {"A": "S"}, "attrs": {"eqn": "A * 2"}}})
    grid = pe.Coordinates([pe.clinspace(0, 1, 8, "lat"), pe.clinspace(0, 1, 8, "lon")])
    output, public = OutputSpec(None, 1000), pe.settings.snapshot().public()
    payloads = [request_payload(node, grid[i : i + 2, :], output, public) for i in range(0, 8, 2)]
    assert len(serialised) == 1
    whole = build_request(definition.fget(node), grid[2:4, :].exact_definition, output, public)
    assert payloads[1] == json.dumps(whole, separators=(",", ":")).encode()  # the same bytes as before


def test_missing_spilled_result_is_reported_not_retried(aws_emulator):
    aws_emulator.client("s3").create_bucket(Bucket="results")
    backend = backend_for(aws_emulator.endpoint_url)
    calls = []
    backend.client("s3").meta.events.register("before-call.s3.GetObject", lambda **kw: calls.append(1))
    with pytest.raises(pe.BackendError, match="s3://results/nope.bin.*NoSuchKey"):
        backend._fetch_s3_result("s3://results/nope.bin", call())
    assert len(calls) == 1


def test_unreachable_s3_is_retried_then_reported_quickly(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    backend = backend_for(f"http://127.0.0.1:{port}")
    t0 = time.monotonic()
    with pytest.raises(TransientInvokeError, match="fetching s3://b/k"):
        backend._fetch_s3_result("s3://b/k", call())
    assert time.monotonic() - t0 < 20


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_s3_fetch_follows_the_calls_retry_settings_not_the_first_ones(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    backend = backend_for(f"http://127.0.0.1:{closed_port()}")  # built with retry.max_attempts=3
    attempts = []
    backend.client("s3").meta.events.register("before-call.s3.GetObject", lambda **kw: attempts.append(1))
    with pytest.raises(TransientInvokeError):
        backend._fetch_s3_result("s3://b/k", call(retry={"max_attempts": 1}))
    assert len(attempts) == 1
    with pytest.raises(TransientInvokeError):
        backend._fetch_s3_result("s3://b/k", call(retry={"max_attempts": 2, "base_delay_s": 0.0}))
    assert len(attempts) == 3


def test_a_changed_aws_environment_gets_new_clients(aws_emulator, deploy, monkeypatch):
    """A successful run, then the same settings after AWS_ENDPOINT_URL moved to a closed port:
    a clean one-line BackendError, not the cached clients of the earlier, working environment."""
    from podpac_exec.backends.aws_lambda.wire.protocol import build_response

    coords = pe.Coordinates([pe.clinspace(0, 1, 2, "lat"), pe.clinspace(0, 1, 2, "lon")])
    answer = json.dumps(build_response(pe.evaluate(pe.nodes.Arange(), coords).values, ["lat", "lon"]))
    deploy(f"import json\n\ndef handler(event, context):\n    return json.loads({answer!r})\n", name="answers")
    options = {**FAST, "aws_lambda": {"function_name": "answers"}}
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_emulator.endpoint_url)
    first = get_backend("aws_lambda", pe.settings.snapshot(options))
    out = pe.evaluate(pe.nodes.Arange(), coords, backend="aws_lambda", **options)  # works against the emulator
    np.testing.assert_array_equal(out.values, pe.evaluate(pe.nodes.Arange(), coords).values)
    assert get_backend("aws_lambda", pe.settings.snapshot(options)) is first
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    assert get_backend("aws_lambda", pe.settings.snapshot(options)) is not first
    with pytest.raises(pe.BackendError, match="failed after 3 attempts") as info:
        pe.evaluate(pe.nodes.Arange(), coords, backend="aws_lambda", **options)
    assert "\n" not in str(info.value) and "Could not connect" in str(info.value)


@pytest.mark.parametrize(
    "payload, cls, remote_type",
    [
        ({"errorType": "Runtime.ExitError", "errorMessage": "signal: killed"}, TransientRemoteError, "Runtime.ExitError"),
        ({"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 3.00 seconds"}, TransientRemoteError, "Sandbox.Timedout"),
        ({"errorType": "PipelineError", "errorMessage": "x: bad", "stackTrace": ["a", "b"]}, RemoteEvaluationError, "PipelineError"),
        ("not json", RemoteEvaluationError, "Unknown"),
    ],
)
def test_function_errors_are_classified(payload, cls, remote_type):
    body = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    err = remote_error(body)
    assert type(err) is cls and err.remote_type == remote_type
    assert isinstance(err, pe.RemoteEvaluationError)


def test_report_lines_and_cost():
    log = "START RequestId: 1\nEND RequestId: 1\nREPORT RequestId: 1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 2048 MB\tMax Memory Used: 150 MB\tInit Duration: 300.25 ms\t\n"
    report = parse_report(base64.b64encode(log.encode()).decode())
    assert report == {"duration_ms": 12.5, "billed_ms": 13.0, "memory_mb": 2048.0, "max_memory_mb": 150.0,
                      "init_ms": 300.25, "cold_start": True}
    cost = cost_report([report, {**report, "cold_start": False}], price_per_gb_second=1.0, price_per_request=0.5)
    assert cost["invocations"] == 2 and cost["cold_starts"] == 1
    assert cost["billed_gb_seconds"] == pytest.approx(2 * 0.013 * 2)
    assert cost["estimated_cost_usd"] == pytest.approx(2 * 0.013 * 2 + 1.0)
    assert parse_report(None) == {} and parse_report("!!notbase64") == {}


REFUSES = '''
class LimitExceededError(Exception):
    pass

def handler(event, context):
    raise LimitExceededError("coordinates: the request has 117 cells, above limits.max_cells=5")
'''


def test_the_same_bad_input_exits_2_locally_and_from_lambda(aws_emulator, deploy, capsys):
    """docs/cli.md: a bad-input error the function raises exits as it would locally (2), first try."""
    from podpac_exec.cli.main import main

    deploy(REFUSES, name="refuses")
    node, coords = pe.nodes.SinCoords().json, pe.Coordinates([pe.clinspace(0, 1, 9, "lat"), pe.clinspace(0, 1, 13, "lon")]).json
    assert main(["evaluate", node, coords, "--set", "limits.max_cells=5"]) == 2
    local = capsys.readouterr().err
    assert main(["evaluate", node, coords, "--backend", "aws_lambda", "--set", "aws_lambda.function_name=refuses"]) == 2
    remote = capsys.readouterr().err
    assert "limits.max_cells=5" in local and "remote LimitExceededError" in remote and "limits.max_cells=5" in remote
    assert len(remote.strip().splitlines()) == 1


GRID = pe.Coordinates([pe.clinspace(0, 1, 3, "lat"), pe.clinspace(0, 1, 4, "lon")])


def test_out_of_memory_says_so_and_is_not_retried(aws_emulator, deploy):
    """The REPORT's Runtime.OutOfMemory, not 'signal: killed' five times; the setting to raise."""
    deploy("def handler(e, c):\n    block = b'\\x01' * (300 << 20)\n    return len(block)\n",
           name="hungry", MemorySize=128, Timeout=30)
    stats = pe.EvaluationStats()
    with pytest.raises(RemoteEvaluationError) as info:
        pe.evaluate(pe.nodes.SinCoords(), GRID, backend="aws_lambda", stats=stats,  # no split (test_lambda_adaptive.py)
                    aws_lambda={"function_name": "hungry"}, adaptive={"split_on_limit": False}, **FAST)
    message = str(info.value)
    assert "Runtime.OutOfMemory" in message and "128 MB" in message and "aws_lambda.memory_mb" in message
    assert info.value.remote_type == "Runtime.OutOfMemory" and stats.retries == 0
    evaluations = [inv for inv in stats.invocations if not inv.get("identify")]  # the version check ran out too
    assert [inv.get("error_type") for inv in evaluations] == ["Runtime.OutOfMemory"]


def test_missing_function_suggests_aws_build(aws_emulator):
    with pytest.raises(pe.BackendError) as info:
        pe.evaluate(pe.nodes.SinCoords(), GRID, backend="aws_lambda", aws_lambda={"function_name": "never-built"}, **FAST)
    assert "ResourceNotFoundException" in str(info.value) and "podpac-exec aws build" in str(info.value)


def test_missing_credentials_are_not_retried(aws_emulator, monkeypatch, tmp_path, capsys):
    from podpac_exec.cli.main import main

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    t0 = time.monotonic()
    assert main(["evaluate", pe.nodes.SinCoords().json, GRID.json, "--backend", "aws_lambda",
                 "--set", "retry.base_delay_s=1"]) == 1  # five tries would take seconds
    err = capsys.readouterr().err.strip()
    assert time.monotonic() - t0 < 5
    assert len(err.splitlines()) == 1 and "no usable AWS credentials" in err and "after" not in err


def test_the_estimate_says_when_it_comes_from_the_emulator(aws_emulator, deploy):
    deploy("def handler(e, c):\n    raise ValueError('no')\n", name="answers")
    stats = pe.EvaluationStats()
    with pytest.raises(RemoteEvaluationError):  # a failed call is estimated too
        pe.evaluate(pe.nodes.SinCoords(), GRID, backend="aws_lambda", stats=stats, aws_lambda={"function_name": "answers"}, **FAST)
    report = stats.backend_report
    assert report["invocations"] == 1 and report["emulated"] is True
    assert report["summary"].endswith("(emulator: durations from this machine, not a bill)")
    real = cost_report([{"billed_ms": 100.0, "memory_mb": 1024.0}], price_per_gb_second=1.0, price_per_request=0.0)
    assert real["emulated"] is False and "emulator" not in real["summary"]
