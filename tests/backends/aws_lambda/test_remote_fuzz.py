"""Hostile events against the function side, in-process (remote.handle_event).

- direct invokes raise only PodpacExecError subclasses (Lambda answers them as function errors);
- API Gateway events always get an HTTP answer with errorType/errorMessage, never an exception;
- S3 events never raise: each failed record is listed and, where it can be, reported in S3;
- after any of that the module still answers a valid request.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

import podpac_exec as pe
from podpac_exec.backends.aws_lambda.function import remote
from podpac_exec.backends.aws_lambda.wire.protocol import MAX_NESTING, OutputSpec, build_request, parse_response

NODE = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), eqn="A * 2")
COORDS = pe.Coordinates([pe.clinspace(0, 1, 3, "lat"), pe.clinspace(0, 1, 4, "lon")])
VALID = build_request(NODE.definition, COORDS.full_definition, OutputSpec(), {})
FUZZ = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class FakeS3:
    """The two calls the S3 path makes, on a dict; unknown keys fail like botocore's NoSuchKey."""

    class NoSuchKey(Exception):
        pass

    def __init__(self, objects: dict[tuple[str, str], bytes] | None = None) -> None:
        self.objects = dict(objects or {})

    def get_object(self, Bucket: str, Key: str) -> dict:
        if (Bucket, Key) not in self.objects:
            raise self.NoSuchKey(f"An error occurred (NoSuchKey) when calling GetObject: {Key}")
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)])}

    def put_object(self, Bucket: str, Key: str, Body: bytes, **kw: object) -> dict:
        self.objects[(Bucket, Key)] = Body
        return {}


@pytest.fixture
def s3(monkeypatch):
    fake = FakeS3()
    monkeypatch.setattr(remote, "_client", fake)
    return fake


def s3_event(*records: object) -> dict:
    return {"Records": list(records)}


def s3_record(bucket: object = "b", key: object = "p/input/job.json") -> dict:
    return {"eventSource": "aws:s3", "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}


def assert_still_serving() -> None:
    parsed = parse_response(remote.handle_event(json.loads(json.dumps(VALID))))
    assert parsed.values.shape == (3, 4)


# -- the S3 path -----------------------------------------------------------------------------------------


def test_s3_records_fail_one_by_one(s3):
    s3.objects[("b", "p/input/ok.json")] = json.dumps({"pipeline": NODE.definition, "coordinates": COORDS.full_definition}).encode()
    s3.objects[("b", "p/input/bad.json")] = b'{"pipeline": {"a": {"node": "nope"}}, "coordinates": {}}'
    s3.objects[("b", "p/input/junk.json")] = b"\xff not json"
    event = s3_event(
        s3_record(key="p/input/ok.json"),
        s3_record(key="p/input/bad.json"),
        s3_record(key="p/input/junk.json"),
        s3_record(key="p/input/missing.json"),
        s3_record(bucket=None),
        {"eventSource": "aws:s3", "s3": "x"},
        {"eventSource": "aws:sqs"},
        7,
    )
    response = remote.handle_event(event)
    assert response["errorType"] == "S3EventError" and response["errorMessage"] == "7 of 8 records failed"
    by_record = {e["record"]: e for e in response["errors"]}
    assert sorted(by_record) == [1, 2, 3, 4, 5, 6, 7]
    assert by_record[1]["errorType"] == "PipelineError" and by_record[1]["field"] == "a.node"
    assert by_record[2]["errorType"] == "ProtocolError" and by_record[2]["field"] == "object"
    assert by_record[3]["errorType"] == "NoSuchKey" and "internal error" in by_record[3]["errorMessage"]
    assert by_record[4]["field"] == "Records[4].s3.bucket.name"
    assert "s3://b/p/output/ok.nc" in response["written"]
    for name in ("bad", "junk", "missing"):  # every readable record's failure is also reported in S3
        report = json.loads(s3.objects[("b", f"p/output/{name}.error.json")])
        assert report["source"] == f"s3://b/p/input/{name}.json" and report["errorType"]


def test_s3_objects_are_read_no_further_than_the_pipeline_limit(s3, monkeypatch):
    monkeypatch.setenv("PODPAC_EXEC_LIMITS__MAX_PIPELINE_BYTES", "1000")
    s3.objects[("b", "p/input/big.json")] = b" " * 5000 + b"{}"
    response = remote.handle_event(s3_event(s3_record(key="p/input/big.json")))
    assert response["errors"][0]["errorType"] == "LimitExceededError"


def test_s3_path_applies_the_allowlist(s3, monkeypatch):
    monkeypatch.setenv(remote.ENV_ALLOWED_HASHES, "deadbeef")
    s3.objects[("b", "p/input/job.json")] = json.dumps({"pipeline": NODE.definition, "coordinates": COORDS.full_definition}).encode()
    response = remote.handle_event(s3_event(s3_record()))
    assert response["errors"][0]["errorType"] == "PipelineNotAllowedError"
    assert ("b", "p/output/job.nc") not in s3.objects


# -- fuzzing ------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from([2**64, -(2**63), 10**30, "NaN", "s3://b/k", "{", "[]"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=25,
)


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = [value]
    return value


def mutated_request(draw_key: str, value: object) -> dict:
    """The valid request with one field (possibly nested) replaced by a hostile value."""
    request = json.loads(json.dumps(VALID))
    path = draw_key.split(".")
    target = request
    for part in path[:-1]:
        target = target.setdefault(part, {}) if isinstance(target, dict) else target
    if isinstance(target, dict):
        target[path[-1]] = value
    return request


request_fields = st.sampled_from(
    ["version", "pipeline", "coordinates", "output", "settings", "extra", "output.encoding", "output.compression",
     "output.s3_threshold_bytes", "settings.limits.max_cells", "settings.limits.max_tile_cells",
     "settings.aws_lambda.function_name", "coordinates.coords", "coordinates.crs"]
)
hostile_requests = st.one_of(
    json_values,
    st.builds(mutated_request, request_fields, json_values | st.integers(MAX_NESTING - 3, 400).map(nested)),
    st.builds(lambda v: {**VALID, "settings": {"limits.max_cells": v}},
              st.sampled_from([float("nan"), float("inf"), -1, 0, 2.5, True, "1", 10**400])),
)


@FUZZ
@given(hostile_requests)
def test_direct_invokes_raise_only_package_errors(event):
    try:
        remote.handle_event(event)
    except pe.PodpacExecError:
        pass


def api_gateway(body: object, base64_encoded: bool = False, query: object = None) -> dict:
    event = {"httpMethod": "POST", "requestContext": {"requestId": "r"}, "isBase64Encoded": base64_encoded}
    if body is not None:
        event["body"] = body
    if query is not None:
        event["queryStringParameters"] = query
    return event


api_events = st.one_of(
    st.builds(api_gateway, st.text(max_size=40)),
    st.builds(api_gateway, hostile_requests.map(lambda r: json.dumps(r))),
    st.builds(api_gateway, hostile_requests.map(lambda r: base64.b64encode(json.dumps(r).encode()).decode()), st.just(True)),
    st.builds(api_gateway, st.text(max_size=20), st.just(True)),
    st.builds(api_gateway, json_values),
    st.builds(api_gateway, st.none(), st.booleans(), json_values),
    st.builds(api_gateway, st.just("[" * 100_000 + "]" * 100_000)),
    st.fixed_dictionaries({"routeKey": json_values, "requestContext": json_values}, optional={"body": json_values}),
)


@FUZZ
@given(api_events)
def test_api_gateway_always_answers(event):
    response = remote.handle_event(event)
    body = json.loads(response["body"])
    if response["statusCode"] == 200:  # some mutations leave a valid request (e.g. max_cells=inf)
        parse_response(body)
        return
    assert 400 <= response["statusCode"] < 500, response  # 5xx would be a bug of ours
    assert isinstance(body["errorType"], str) and isinstance(body["errorMessage"], str)


s3_records = st.one_of(
    json_values,
    st.builds(s3_record, json_values, json_values),
    st.builds(s3_record, st.sampled_from(["b", "other"]), st.text(max_size=20)),
    st.fixed_dictionaries({"eventSource": st.just("aws:s3")}, optional={"s3": json_values}),
)


@FUZZ
@given(st.lists(s3_records, max_size=4).map(lambda records: s3_event(s3_record(key="p/input/none.json"), *records)))
def test_s3_events_never_raise(event):
    remote._client = FakeS3({("b", "p/input/x.json"): b'{"pipeline": {}, "coordinates": []}'})
    try:
        response = remote.handle_event(event)
    finally:
        remote._client = None
    assert response["errorType"] == "S3EventError"
    assert len(response["errors"]) == len(event["Records"])  # none of these records can succeed
    assert all(isinstance(e["errorType"], str) and isinstance(e["errorMessage"], str) for e in response["errors"])
    json.dumps(response)  # the answer is JSON, as Lambda needs


def test_still_serving_after_hostile_events(s3):
    for event in (None, [], {"version": 1, "pipeline": nested(5000)}, api_gateway("{"), s3_event(7), VALID | {"version": 9}):
        try:
            remote.handle_event(event)
        except pe.PodpacExecError:
            pass
    assert_still_serving()
