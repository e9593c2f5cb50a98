"""Lambda Invoke through the emulator: real handler code in isolated containers, answered as AWS does."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(60)]

COUNTER = """
import os, sys, tempfile
N = 0
def handler(event, context):
    global N
    N += 1
    path = os.path.join(tempfile.gettempdir(), "seen.txt")
    with open(path, "a") as f:
        f.write(context.aws_request_id + "\\n")
    with open(path) as f:
        lines = f.read().splitlines()
    print("invocation", N)
    return {"n": N, "tmp_lines": len(lines), "pid": os.getpid(), "event": event,
            "version": list(sys.version_info[:2]), "memory": context.memory_limit_in_mb,
            "remaining_ms": context.get_remaining_time_in_millis()}
"""


def _invoke(client: Any, name: str, payload: Any = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    resp = client.invoke(FunctionName=name, Payload=json.dumps(payload if payload is not None else {}), **kwargs)
    return resp, json.loads(resp["Payload"].read() or b"null")


def _tail(resp: dict[str, Any]) -> str:
    return base64.b64decode(resp["LogResult"]).decode()


def test_sync_invoke_runs_the_code_under_python312(deploy, lambda_client):
    deploy(COUNTER)
    resp, out = _invoke(lambda_client, "fn", {"x": [1, 2]})
    assert resp["StatusCode"] == 200
    assert "FunctionError" not in resp
    assert resp["ExecutedVersion"] == "$LATEST"
    assert out["event"] == {"x": [1, 2]}
    assert out["version"] == [3, 12]
    assert out["memory"] == "128"
    assert 0 < out["remaining_ms"] <= 3000


def test_warm_container_keeps_globals_and_tmp_then_cold_after_idle(aws_emulator, deploy, lambda_client):
    aws_emulator.configure(idle_timeout_s=1.5)
    deploy(COUNTER)
    first, one = _invoke(lambda_client, "fn", LogType="Tail")
    second, two = _invoke(lambda_client, "fn", LogType="Tail")
    assert (one["n"], one["tmp_lines"]) == (1, 1)
    assert (two["n"], two["tmp_lines"], two["pid"]) == (2, 2, one["pid"])
    assert "Init Duration" in _tail(first) and "Init Duration" not in _tail(second)

    deadline = time.monotonic() + 10
    while aws_emulator.containers():  # the idle container is reaped
        assert time.monotonic() < deadline, "idle container was never stopped"
        time.sleep(0.05)
    third, three = _invoke(lambda_client, "fn", LogType="Tail")
    assert (three["n"], three["tmp_lines"]) == (1, 1)
    assert three["pid"] != one["pid"]
    assert "Init Duration" in _tail(third)


def test_tail_log_and_cloudwatch(aws_emulator, deploy, lambda_client):
    deploy(COUNTER)
    resp, _ = _invoke(lambda_client, "fn", LogType="Tail")
    tail = _tail(resp)
    request_id = resp["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {request_id} Version: $LATEST" in tail
    assert "invocation 1" in tail
    assert f"END RequestId: {request_id}" in tail
    report = next(line for line in tail.splitlines() if line.startswith("REPORT"))
    for field in ("Duration: ", "Billed Duration: ", "Memory Size: 128 MB", "Max Memory Used: ", "Init Duration: "):
        assert field in report
    assert "INIT_START Runtime Version: python:3.12" in tail

    logs = aws_emulator.client("logs")
    events = logs.filter_log_events(logGroupName="/aws/lambda/fn")["events"]
    messages = [e["message"] for e in events]
    assert f"START RequestId: {request_id} Version: $LATEST" in messages
    assert any(m.startswith(f"REPORT RequestId: {request_id}") for m in messages)
    stream = logs.describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"][0]["logStreamName"]
    assert "/[$LATEST]" in stream


def test_tail_is_the_last_4kb(deploy, lambda_client):
    deploy("def handler(e, c):\n    print('x' * 10000)\n    return 1\n")
    resp, _ = _invoke(lambda_client, "fn", LogType="Tail")
    raw = base64.b64decode(resp["LogResult"])
    assert len(raw) == 4096
    assert raw.decode().rstrip("\t\n").split("\n")[-1].startswith("REPORT RequestId")


def test_async_invoke_and_dry_run(aws_emulator, deploy, lambda_client):
    deploy(COUNTER)
    resp = lambda_client.invoke(FunctionName="fn", InvocationType="Event", Payload=b'{"async": true}')
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    records = aws_emulator.wait_async(timeout_s=30)
    assert len(records) == 1
    assert records[0]["function_error"] is None
    assert json.loads(records[0]["payload"])["event"] == {"async": True}

    dry = lambda_client.invoke(FunctionName="fn", InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    assert aws_emulator.wait_async(timeout_s=1) == records  # a dry run runs nothing


def test_handler_exception_is_an_unhandled_function_error(deploy, lambda_client):
    deploy("def handler(e, c):\n    raise ValueError('bad input ' + str(e['k']))\n")
    resp, out = _invoke(lambda_client, "fn", {"k": 7}, LogType="Tail")
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "ValueError"
    assert out["errorMessage"] == "bad input 7"
    assert any('h.py", line 2, in handler' in frame for frame in out["stackTrace"])
    assert "[ERROR] ValueError: bad input 7" in _tail(resp)


def test_timeout_kills_the_container(aws_emulator, deploy, lambda_client):
    deploy("import time\ndef handler(e, c):\n    time.sleep(30)\n", Timeout=1)
    started = time.monotonic()
    resp, out = _invoke(lambda_client, "fn", LogType="Tail")
    assert time.monotonic() - started < 10
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in out["errorMessage"]
    assert out["errorType"] == "Sandbox.Timedout"
    assert "Status: timeout" in _tail(resp)
    assert aws_emulator.containers() == []


def test_memory_above_memory_size_is_killed(aws_emulator, deploy, lambda_client):
    deploy(
        "def handler(e, c):\n    block = b'\\x01' * (300 << 20)\n    return len(block)\n", MemorySize=128, Timeout=30
    )
    resp, out = _invoke(lambda_client, "fn", LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ExitError"
    assert out["errorMessage"].endswith("Error: Runtime exited with error: signal: killed")
    tail = _tail(resp)
    assert "Error Type: Runtime.OutOfMemory" in tail and "Max Memory Used: 128 MB" in tail
    assert aws_emulator.containers() == []


def test_function_cannot_import_host_packages(deploy, lambda_client):
    deploy("import numpy\ndef handler(e, c):\n    return 1\n", name="needs-numpy")
    resp, out = _invoke(lambda_client, "needs-numpy")
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.ImportModuleError"
    assert out["errorMessage"] == "Unable to import module 'h': No module named 'numpy'"

    probe = """
import importlib.util, sys
def handler(e, c):
    names = ("numpy", "moto", "podpac_exec", "pytest", "boto3", "botocore")
    found = {m: importlib.util.find_spec(m) is not None for m in names}
    return {"found": found, "no_site": "site" not in sys.modules}
"""
    deploy(probe, name="probe")
    _, out = _invoke(lambda_client, "probe")
    assert out["found"] == {
        "numpy": False,
        "moto": False,
        "podpac_exec": False,
        "pytest": False,
        "boto3": True,
        "botocore": True,
    }
    assert out["no_site"]


def test_layers_are_on_the_path(deploy, lambda_client, zip_of):
    layer = lambda_client.publish_layer_version(
        LayerName="helpers",
        Content={"ZipFile": zip_of({"python/helper.py": "VALUE = 'from layer'\n"})},
        CompatibleRuntimes=["python3.12"],
    )
    newer = lambda_client.publish_layer_version(
        LayerName="sitepkgs",
        Content={"ZipFile": zip_of({"python/lib/python3.12/site-packages/other.py": "VALUE = 2\n"})},
    )
    deploy(
        "import helper, other\ndef handler(e, c):\n    return [helper.VALUE, other.VALUE]\n",
        Layers=[layer["LayerVersionArn"], newer["LayerVersionArn"]],
    )
    _, out = _invoke(lambda_client, "fn")
    assert out == ["from layer", 2]


def test_handler_uses_s3_through_plain_boto3(aws_emulator, deploy, lambda_client):
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="in.txt", Body=b"hello")
    source = """
import boto3
def handler(event, context):
    s3 = boto3.client("s3")
    text = s3.get_object(Bucket="data", Key="in.txt")["Body"].read().decode()
    s3.put_object(Bucket="data", Key="out.txt", Body=text.upper().encode())
    return text
"""
    deploy(source, Timeout=30)
    resp, out = _invoke(lambda_client, "fn")
    assert "FunctionError" not in resp, out
    assert out == "hello"
    assert s3.get_object(Bucket="data", Key="out.txt")["Body"].read() == b"HELLO"


DEPS_HANDLER = """
import os, sys, tempfile, zipfile
import boto3

DEPS = os.path.join(tempfile.gettempdir(), "deps")
DOWNLOADS = 0
if not os.path.isdir(DEPS):
    archive = DEPS + ".zip"
    boto3.client("s3").download_file(os.environ["DEPS_BUCKET"], os.environ["DEPS_KEY"], archive)
    zipfile.ZipFile(archive).extractall(DEPS)
    DOWNLOADS += 1
sys.path.insert(0, DEPS)
import depmod

def handler(event, context):
    return {"value": depmod.VALUE, "downloads": DOWNLOADS, "file": depmod.__file__}
"""


def test_dependencies_zip_from_s3_at_cold_start_then_reused(aws_emulator, deploy, lambda_client, zip_of):
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="deps")
    s3.put_object(Bucket="deps", Key="deps.zip", Body=zip_of({"depmod.py": "VALUE = 42\n"}))
    deploy(DEPS_HANDLER, Timeout=30, Environment={"Variables": {"DEPS_BUCKET": "deps", "DEPS_KEY": "deps.zip"}})
    cold, first = _invoke(lambda_client, "fn", LogType="Tail")
    warm, second = _invoke(lambda_client, "fn", LogType="Tail")
    assert first["value"] == second["value"] == 42
    assert first["downloads"] == second["downloads"] == 1
    assert "/deps/depmod.py" in first["file"]
    assert "Init Duration" in _tail(cold) and "Init Duration" not in _tail(warm)


def test_code_from_s3_and_update_function_code_gets_a_new_container(aws_emulator, role_arn, lambda_client, zip_of):
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="v1.zip", Body=zip_of({"h.py": "def handler(e, c):\n    return 'v1'\n"}))
    lambda_client.create_function(
        FunctionName="fn",
        Role=role_arn,
        Runtime="python3.12",
        Handler="h.handler",
        Code={"S3Bucket": "code", "S3Key": "v1.zip"},
    )
    assert _invoke(lambda_client, "fn")[1] == "v1"
    lambda_client.update_function_code(
        FunctionName="fn", ZipFile=zip_of({"h.py": "def handler(e, c):\n    return 'v2'\n"})
    )
    assert _invoke(lambda_client, "fn")[1] == "v2"
    assert len(aws_emulator.containers()) == 1  # the v1 container was retired


def test_unknown_runtime_falls_back_and_says_so(deploy, lambda_client):
    deploy("import sys\ndef handler(e, c):\n    return list(sys.version_info[:2])\n", Runtime="python3.99")
    resp, out = _invoke(lambda_client, "fn", LogType="Tail")
    assert "FunctionError" not in resp
    assert len(out) == 2
    assert "EMULATOR FALLBACK: no interpreter for python3.99 is installed" in _tail(resp)


def test_unknown_function_is_404(lambda_client):
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke(FunctionName="missing")


def test_faults_throttle_crash_timeout_latency(aws_emulator, deploy, lambda_client):
    deploy("def handler(e, c):\n    return 'ok'\n")
    aws_emulator.set_faults(throttle=1.0)
    with pytest.raises(lambda_client.exceptions.TooManyRequestsException):
        lambda_client.invoke(FunctionName="fn")
    aws_emulator.set_faults(crash=1.0)
    resp, out = _invoke(lambda_client, "fn")
    assert resp["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.ExitError"
    aws_emulator.set_faults(timeout=1.0)
    resp, out = _invoke(lambda_client, "fn")
    assert out["errorType"] == "Sandbox.Timedout"
    aws_emulator.set_faults(latency_s=0.3)
    started = time.monotonic()
    assert _invoke(lambda_client, "fn")[1] == "ok"
    assert time.monotonic() - started >= 0.3
    aws_emulator.set_faults(throttle=0.5, seed=1)
    outcomes = []
    for _ in range(20):
        try:
            outcomes.append(_invoke(lambda_client, "fn")[1])
        except lambda_client.exceptions.TooManyRequestsException:
            outcomes.append("throttled")
    assert 0 < outcomes.count("throttled") < 20


def test_concurrency_cap_answers_429(aws_emulator, deploy, lambda_client):
    import threading

    deploy("import time\ndef handler(e, c):\n    time.sleep(e.get('sleep', 0))\n    return 'done'\n", Timeout=10)
    lambda_client.put_function_concurrency(FunctionName="fn", ReservedConcurrentExecutions=1)

    def busy_then_invoke() -> Any:
        results: list[Any] = []
        worker = threading.Thread(target=lambda: results.append(_invoke(lambda_client, "fn", {"sleep": 1.5})[1]))
        worker.start()
        deadline = time.monotonic() + 10
        while not any(c["state"] == "busy" for c in aws_emulator.containers()):
            assert time.monotonic() < deadline
            time.sleep(0.01)
        try:
            lambda_client.invoke(FunctionName="fn", Payload=b"{}")
            err = None
        except lambda_client.exceptions.TooManyRequestsException as e:
            err = e
        worker.join()
        assert results == ["done"]
        return err

    err = busy_then_invoke()
    assert err is not None and err.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 429

    lambda_client.delete_function_concurrency(FunctionName="fn")
    aws_emulator.configure(account_concurrency=1)
    err = busy_then_invoke()
    assert err is not None and err.response["Reason"] == "ConcurrentInvocationLimitExceeded"
