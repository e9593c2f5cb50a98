"""S3 event notifications through the emulator: created objects invoke the bucket's Lambda functions."""

from __future__ import annotations

import http.client
import json
import re
from typing import Any

import boto3
import pytest

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(60)]

# Writes the event it got to the "outputs" bucket, under the decoded key of the object that triggered it.
RECORDER = """
import json
from urllib.parse import unquote_plus
import boto3

def handler(event, context):
    key = unquote_plus(event["Records"][0]["s3"]["object"]["key"])
    boto3.client("s3").put_object(Bucket="outputs", Key=key + ".json", Body=json.dumps(event))
    return key
"""

# Writes the next object into its own trigger prefix: a recursive loop.
LOOPER = """
import boto3

def handler(event, context):
    n = int(event["Records"][0]["s3"]["object"]["key"].split("/")[1].split(".")[0])
    boto3.client("s3").put_object(Bucket="inbox", Key=f"loop/{n + 1}.txt", Body=b"again")
    return n
"""

TIF_IN = {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}, {"Name": "suffix", "Value": ".tif"}]}}


def _function(lambda_client: Any, deploy: Any, source: str, name: str = "fn", permit: bool = True) -> str:
    """Deploy ``source``; with ``permit``, let S3 (bucket "inbox") invoke it as AWS requires."""
    deploy(source, name=name)
    if permit:
        lambda_client.add_permission(
            FunctionName=name,
            StatementId="s3-invoke",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn="arn:aws:s3:::inbox",
            SourceAccount="123456789012",
        )
    return lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def _buckets(*configs: dict[str, Any]) -> Any:
    """Buckets "inbox" (notifying ``configs``) and "outputs", through a plain boto3 client."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="inbox")
    s3.create_bucket(Bucket="outputs")
    s3.put_bucket_notification_configuration(
        Bucket="inbox", NotificationConfiguration={"LambdaFunctionConfigurations": list(configs)}
    )
    return s3


def _outputs(s3: Any) -> dict[str, dict[str, Any]]:
    """Decoded object key -> the event record the recorder got for it."""
    found = {}
    for obj in s3.list_objects_v2(Bucket="outputs").get("Contents", []):
        event = json.loads(s3.get_object(Bucket="outputs", Key=obj["Key"])["Body"].read())
        found[obj["Key"].removesuffix(".json")] = event["Records"][0]
    return found


def test_put_invokes_matching_configuration_with_the_aws_event(aws_emulator, lambda_client, deploy):
    arn = _function(lambda_client, deploy, RECORDER)
    s3 = _buckets({"Id": "new-tiles", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": TIF_IN})
    put = s3.put_object(Bucket="inbox", Key="in/red flower.tif", Body=b"0123456789")
    s3.put_object(Bucket="inbox", Key="in/notes.txt", Body=b"no: suffix")
    s3.put_object(Bucket="inbox", Key="other/a.tif", Body=b"no: prefix")
    host, port = aws_emulator.endpoint_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)  # virtual-host style, as moto's server takes it
    conn.request("PUT", "/in/vhost.tif", body=b"abc", headers={"Host": "inbox.s3.amazonaws.com"})
    assert conn.getresponse().status == 200
    conn.close()

    records = aws_emulator.wait_async(timeout_s=30)
    assert sorted(r["key"] for r in records) == ["in/red flower.tif", "in/vhost.tif"]
    assert all(r["function_error"] is None and r["source"] == "aws:s3" for r in records)
    outputs = _outputs(s3)
    assert sorted(outputs) == ["in/red flower.tif", "in/vhost.tif"]

    record = outputs["in/red flower.tif"]
    assert {k: record[k] for k in ("eventVersion", "eventSource", "awsRegion", "eventName")} == {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": "ObjectCreated:Put",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert record["s3"]["s3SchemaVersion"] == "1.0"
    assert record["s3"]["configurationId"] == "new-tiles"
    bucket = record["s3"]["bucket"]
    assert (bucket["name"], bucket["arn"]) == ("inbox", "arn:aws:s3:::inbox")
    assert bucket["ownerIdentity"]["principalId"]
    obj = record["s3"]["object"]
    assert obj["key"] == "in/red+flower.tif"
    assert obj["size"] == 10
    assert obj["eTag"] == put["ETag"].strip('"')
    assert re.fullmatch(r"[0-9A-F]{18}", obj["sequencer"])
    assert "versionId" not in obj
    assert outputs["in/vhost.tif"]["s3"]["object"]["size"] == 3


def test_copy_and_multipart_match_by_event_type(aws_emulator, lambda_client, deploy):
    arn = _function(lambda_client, deploy, RECORDER)
    s3 = _buckets(
        {"Id": "copies", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:Copy"], "Filter": TIF_IN},
        {"Id": "uploads", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:CompleteMultipartUpload"]},
    )
    s3.put_object(Bucket="inbox", Key="in/source.tif", Body=b"pixels")  # a Put: neither configuration
    s3.copy_object(Bucket="inbox", Key="in/copied.tif", CopySource={"Bucket": "inbox", "Key": "in/source.tif"})
    upload = s3.create_multipart_upload(Bucket="inbox", Key="big.bin")["UploadId"]
    part = s3.upload_part(Bucket="inbox", Key="big.bin", UploadId=upload, PartNumber=1, Body=b"x" * 1024)
    s3.complete_multipart_upload(
        Bucket="inbox",
        Key="big.bin",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )

    assert len(aws_emulator.wait_async(timeout_s=30)) == 2
    outputs = _outputs(s3)
    assert sorted(outputs) == ["big.bin", "in/copied.tif"]
    copied = outputs["in/copied.tif"]
    assert (copied["eventName"], copied["s3"]["configurationId"]) == ("ObjectCreated:Copy", "copies")
    assert copied["s3"]["object"]["size"] == 6
    uploaded = outputs["big.bin"]
    assert uploaded["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    assert uploaded["s3"]["object"]["size"] == 1024


def test_missing_function_or_permission_is_dropped(aws_emulator, lambda_client, deploy):
    arn = _function(lambda_client, deploy, RECORDER, permit=False)
    s3 = _buckets(
        {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:Put"]},
        {"LambdaFunctionArn": arn.replace(":fn", ":ghost"), "Events": ["s3:ObjectCreated:Put"]},
    )
    s3.put_object(Bucket="inbox", Key="in/a.tif", Body=b"1")

    records = aws_emulator.wait_async(timeout_s=30)
    assert sorted(r["error"] for r in records) == ["AccessDeniedException", "ResourceNotFoundException"]
    assert all(r["request_id"] is None for r in records)
    assert _outputs(s3) == {}
    log = (aws_emulator.state_dir / "server.log").read_text()
    assert "function:ghost dropped: ResourceNotFoundException" in log


def test_alias_arn_and_recursive_loop_is_stopped(aws_emulator, lambda_client, deploy):
    _function(lambda_client, deploy, LOOPER, permit=False)
    lambda_client.create_alias(FunctionName="fn", Name="live", FunctionVersion="$LATEST")
    lambda_client.add_permission(
        FunctionName="fn",
        Qualifier="live",
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
    )
    alias_arn = lambda_client.get_alias(FunctionName="fn", Name="live")["AliasArn"]
    loop = {"Key": {"FilterRules": [{"Name": "prefix", "Value": "loop/"}]}}
    s3 = _buckets({"LambdaFunctionArn": alias_arn, "Events": ["s3:ObjectCreated:*"], "Filter": loop})
    s3.put_object(Bucket="inbox", Key="loop/1.txt", Body=b"start")

    records = aws_emulator.wait_async(timeout_s=45)
    ran = [r for r in records if r["request_id"]]
    assert sorted(json.loads(r["payload"]) for r in ran) == list(range(1, 17))
    assert [r["error"] for r in records if not r["request_id"]] == ["RecursiveInvocationException"]
    assert "RecursiveInvocationException" in (aws_emulator.state_dir / "server.log").read_text()
