"""Lambda quotas the emulator enforces (moto enforces none of them), with AWS's error codes and statuses."""

from __future__ import annotations

import functools
import io
import json
import os
import zipfile
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

MB = 1024 * 1024


@functools.cache
def zeros_zip(megabytes: int, name: str = "h.py") -> bytes:
    """A small zip that unzips to ``megabytes`` MiB (plus a handler module)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(name, "def handler(e, c):\n    return 1\n")
        with zf.open("blob.bin", "w", force_zip64=True) as f:
            chunk = bytes(MB)
            for _ in range(megabytes):
                f.write(chunk)
    return buf.getvalue()


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    r = excinfo.value.response
    return r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"], r["Error"]["Message"]


@pytest.fixture
def raw_lambda(aws_emulator: Any) -> Any:
    """A client that skips botocore's own parameter checks, so the server's checks are exercised."""
    return aws_emulator.client(
        "lambda", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}, read_timeout=120)
    )


@pytest.fixture
def create(role_arn: str, raw_lambda: Any) -> Any:
    """``create(FunctionName=..., Code=..., **extra)``: CreateFunction of a python3.12 ``h.handler``."""
    return functools.partial(raw_lambda.create_function, Role=role_arn, Runtime="python3.12", Handler="h.handler")


def test_sync_request_over_6mb_is_413(deploy, lambda_client):
    deploy("def handler(e, c):\n    return len(e)\n")
    ok = lambda_client.invoke(FunctionName="fn", Payload=json.dumps("x" * (6 * MB - 100)))
    assert json.loads(ok["Payload"].read()) == 6 * MB - 100
    with pytest.raises(ClientError) as e:
        lambda_client.invoke(FunctionName="fn", Payload=json.dumps("x" * (6 * MB)))
    assert _error(e) == (
        413,
        "RequestEntityTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
    )


def test_async_request_over_256kb_is_413(aws_emulator, deploy, lambda_client):
    deploy("def handler(e, c):\n    return 1\n")
    assert (
        lambda_client.invoke(FunctionName="fn", InvocationType="Event", Payload=json.dumps("x" * 200_000))["StatusCode"]
        == 202
    )
    payload = json.dumps("x" * (256 * 1024))
    with pytest.raises(ClientError) as e:
        lambda_client.invoke(FunctionName="fn", InvocationType="Event", Payload=payload)
    status, code, message = _error(e)
    assert (status, code) == (413, "RequestEntityTooLargeException")
    assert message == f"{len(payload)} byte payload is too large for the Event invocation type (limit 262144 bytes)"
    assert len(aws_emulator.wait_async()) == 1


def test_response_over_6mb_is_a_function_error(deploy, lambda_client):
    deploy("def handler(e, c):\n    return 'y' * (6 * 1024 * 1024 + 200)\n", MemorySize=512)
    resp = lambda_client.invoke(FunctionName="fn")
    assert resp["StatusCode"] == 200 and resp["FunctionError"] == "Unhandled"
    body = json.loads(resp["Payload"].read())
    assert body == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def test_invalid_json_payload_is_400(deploy, lambda_client):
    deploy("def handler(e, c):\n    return 1\n")
    with pytest.raises(ClientError) as e:
        lambda_client.invoke(FunctionName="fn", Payload=b"{not json")
    assert _error(e)[:2] == (400, "InvalidRequestContentException")


def test_direct_upload_over_50mb_is_rejected(create, raw_lambda):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("h.py", "def handler(e, c):\n    return 1\n")
        zf.writestr("noise.bin", os.urandom(50 * MB + 1024))
    with pytest.raises(ClientError) as e:
        create(
            FunctionName="big",
            Code={"ZipFile": archive.getvalue()},
        )
    assert _error(e) == (
        413,
        "RequestEntityTooLargeException",
        "Request must be smaller than 69905067 bytes for the CreateFunction operation",
    )
    with pytest.raises(raw_lambda.exceptions.ResourceNotFoundException):
        raw_lambda.get_function(FunctionName="big")


def test_unzipped_over_250mb_is_rejected_at_create_and_layer_publish(aws_emulator, create, raw_lambda):
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="huge.zip", Body=zeros_zip(251))
    with pytest.raises(ClientError) as e:
        create(FunctionName="huge", Code={"S3Bucket": "code", "S3Key": "huge.zip"})
    assert _error(e) == (400, "InvalidParameterValueException", "Unzipped size must be smaller than 262144000 bytes")
    with pytest.raises(ClientError) as e:
        raw_lambda.publish_layer_version(LayerName="huge", Content={"S3Bucket": "code", "S3Key": "huge.zip"})
    assert _error(e)[:2] == (400, "InvalidParameterValueException")


def test_function_plus_layers_over_250mb_is_rejected(create, raw_lambda):
    layer = raw_lambda.publish_layer_version(LayerName="big", Content={"ZipFile": zeros_zip(200, "layer.py")})[
        "LayerVersionArn"
    ]
    small = zeros_zip(1)
    create(FunctionName="ok", Code={"ZipFile": small}, Layers=[layer])
    with pytest.raises(ClientError) as e:
        create(
            FunctionName="toobig",
            Code={"ZipFile": zeros_zip(60)},
            Layers=[layer],
        )
    status, code, message = _error(e)
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message.startswith("Function code combined with layers exceeds the maximum allowed size of 262144000 bytes")
    with pytest.raises(ClientError) as e:
        raw_lambda.update_function_code(FunctionName="ok", ZipFile=zeros_zip(60))
    assert _error(e)[1] == "InvalidParameterValueException"


def test_timeout_and_memory_bounds(create, raw_lambda, zip_of):
    code = {"ZipFile": zip_of({"h.py": "def handler(e, c):\n    return 1\n"})}
    cases = [
        (
            {"Timeout": 901},
            "Value '901' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900",
        ),
        (
            {"MemorySize": 127},
            "Value '127' at 'memorySize' failed to satisfy constraint: "
            "Member must have value greater than or equal to 128",
        ),
        (
            {"MemorySize": 10241},
            "Value '10241' at 'memorySize' failed to satisfy constraint: "
            "Member must have value less than or equal to 10240",
        ),
    ]
    for extra, message in cases:
        with pytest.raises(ClientError) as e:
            create(FunctionName="fn", Code=code, **extra)
        assert _error(e) == (400, "ValidationException", f"1 validation error detected: {message}")
    create(FunctionName="fn", Code=code, Timeout=900, MemorySize=10240)
    with pytest.raises(ClientError) as e:
        raw_lambda.update_function_configuration(FunctionName="fn", Timeout=1000)
    assert _error(e)[:2] == (400, "ValidationException")
    assert raw_lambda.get_function_configuration(FunctionName="fn")["Timeout"] == 900


def test_missing_s3_code_and_environment_limits(aws_emulator, create, zip_of):
    aws_emulator.client("s3").create_bucket(Bucket="code")
    with pytest.raises(ClientError) as e:
        create(FunctionName="fn", Code={"S3Bucket": "code", "S3Key": "nope.zip"})
    assert _error(e) == (
        400,
        "InvalidParameterValueException",
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.",
    )
    code = {"ZipFile": zip_of({"h.py": "def handler(e, c):\n    return 1\n"})}
    with pytest.raises(ClientError) as e:
        create(FunctionName="fn", Code=code, Environment={"Variables": {"BIG": "v" * 5000}})
    assert "exceeded the 4KB limit" in _error(e)[2]
    with pytest.raises(ClientError) as e:
        create(FunctionName="fn", Code=code, Environment={"Variables": {"AWS_REGION": "x"}})
    assert "Reserved keys used in this request: AWS_REGION" in _error(e)[2]
    with pytest.raises(ClientError) as e:
        create(FunctionName="fn", Code={"ZipFile": b"not a zip"})
    assert _error(e)[1] == "InvalidParameterValueException"
