"""The function side: answers direct invokes, S3 puts of pipeline JSON and API Gateway events.

``dist/aws_lambda/handler.py`` stages the dependencies and calls :func:`handle_event`. Pipelines
run on the local backend inside the function. The function's own configuration comes from its
environment: ``PODPAC_EXEC_*`` settings (e.g. ``PODPAC_EXEC_LIMITS__MAX_CELLS``) and the
``PODPAC_LAMBDA_*`` variables that ``build`` sets (results bucket, allowlist).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from podpac_exec.backends.aws_lambda.protocol import (
    OutputSpec,
    ProtocolError,
    Request,
    build_response,
    parse_request,
    s3_response,
)
from podpac_exec.errors import PipelineError, PodpacExecError

ENV_RESULTS_BUCKET = "PODPAC_LAMBDA_RESULTS_BUCKET"
ENV_PREFIX = "PODPAC_LAMBDA_PREFIX"
ENV_ALLOWED_HASHES = "PODPAC_LAMBDA_ALLOWED_PIPELINE_HASHES"

#: Filled by the handler bootstrap: how the dependencies were made available this invoke.
RUNTIME_STATE: dict[str, Any] = {"invocations": 0}


class PipelineNotAllowedError(PipelineError):
    """The pipeline's hash is not on the function's allowlist."""


def handle_event(event: Any, context: Any = None) -> Any:
    """Dispatch on the event's shape: S3 notification, API Gateway proxy, or direct request."""
    RUNTIME_STATE["invocations"] += 1
    if _is_s3_event(event):
        return handle_s3_event(event, context)
    if _is_api_gateway_event(event):
        return handle_api_gateway_event(event, context)
    return handle_direct(event, context)


def handle_direct(event: Any, context: Any = None) -> dict[str, Any]:
    request = parse_request(event)
    result = evaluate_request(request)
    response = encode_response(result.values, list(result.dims), request.output, _request_id(context))
    response["meta"] = meta()
    return response


def meta() -> dict[str, Any]:
    return {k: v for k, v in RUNTIME_STATE.items() if isinstance(v, (str, int, float, bool))}


def evaluate_request(request: Request) -> Any:
    """Load, check against the allowlist and the function's limits, and evaluate locally."""
    import podpac_exec as pe
    from podpac_exec.settings import settings

    node = pe.Node.from_definition(request.pipeline)
    check_allowlist(node.hash)
    coords = pe.Coordinates.from_definition(request.coordinates)
    own = settings.snapshot()
    arguments: dict[str, Any] = {}
    for key, value in request.settings.items():
        if key not in own:
            raise ProtocolError(f"unknown setting {key!r}", field=f"settings.{key}")
        if isinstance(own[key], (int, float)) and not isinstance(own[key], bool):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ProtocolError(f"setting {key!r} must be a number", field=f"settings.{key}")
            value = min(value, own[key])  # a request may tighten the function's limits, never loosen them
        arguments[key] = value
    return pe.evaluate(node, coords, backend="local", tiling__progress="off", **arguments)


def check_allowlist(node_hash: str) -> None:
    allowed = [h.strip() for h in os.environ.get(ENV_ALLOWED_HASHES, "").split(",") if h.strip()]
    if allowed and node_hash not in allowed:
        raise PipelineNotAllowedError(
            f"pipeline {node_hash[:16]}... is not on this function's allowlist", field="pipeline"
        )


def encode_response(values: Any, dims: list[str], output: OutputSpec, request_id: str) -> dict[str, Any]:
    """Inline when the encoded result fits ``s3_threshold_bytes``, else spilled to S3."""
    import numpy as np

    values = np.ascontiguousarray(values)
    response = build_response(values, dims, output.compression)
    size = len(response["result"]["data"])
    if size <= output.s3_threshold_bytes:
        return response
    from podpac_exec.codec import encode_array

    bucket = os.environ.get(ENV_RESULTS_BUCKET, "")
    if not bucket:
        raise PodpacExecError(
            f"the result is {size} bytes encoded, above the response budget, and no results bucket is configured",
            field="output",
        )
    key = f"{os.environ.get(ENV_PREFIX, 'podpac-exec').strip('/')}/results/{request_id}.bin"
    body = encode_array(values, compression=output.compression)
    _s3().put_object(Bucket=bucket, Key=key, Body=body, Metadata={"dims": ",".join(dims)})
    return s3_response(f"s3://{bucket}/{key}")


def handle_s3_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """For each pipeline JSON put under ``.../input/``, write the result under ``.../output/``.

    The object holds ``{"pipeline": ..., "coordinates": ...}``. The result is a netCDF file
    (``name.nc``); a failure writes ``name.error.json`` instead, so nothing fails silently.
    """
    written = []
    for record in event["Records"]:
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        out_key = output_key_for(key)
        try:
            body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
            document = json.loads(body)
            if not isinstance(document, Mapping):
                raise ProtocolError("the object must hold {pipeline, coordinates}", field="object")
            request = parse_request({"version": 1, "pipeline": document.get("pipeline"),
                                     "coordinates": document.get("coordinates")})
            result = evaluate_request(request)
            _s3().put_object(Bucket=bucket, Key=out_key + ".nc", Body=_netcdf_bytes(result))
            written.append(f"s3://{bucket}/{out_key}.nc")
        except (PodpacExecError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            error = {"errorType": type(exc).__name__, "errorMessage": str(exc), "source": f"s3://{bucket}/{key}"}
            _s3().put_object(Bucket=bucket, Key=out_key + ".error.json", Body=json.dumps(error).encode())
            written.append(f"s3://{bucket}/{out_key}.error.json")
    return {"version": 1, "written": written, "meta": meta()}


def output_key_for(key: str) -> str:
    """``prefix/input/a/b.json`` -> ``prefix/output/a/b`` (extension dropped)."""
    head, sep, tail = key.partition("input/")
    out = f"{head}output/{tail}" if sep else f"output/{key}"
    return out[: -len(".json")] if out.endswith(".json") else out


def handle_api_gateway_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """API Gateway (REST v1 or HTTP v2) proxy integration: JSON body, or GET query parameters."""
    try:
        body = event.get("body")
        if body:
            if event.get("isBase64Encoded"):
                body = base64.b64decode(body)
            request = json.loads(body)
        else:
            params = event.get("queryStringParameters") or {}
            request = {"version": 1, "pipeline": params.get("pipeline"), "coordinates": params.get("coordinates")}
        if isinstance(request, Mapping) and "version" not in request:
            request = {"version": 1, **request}
        response = handle_direct(request, context)
        return _http(200, response)
    except (PodpacExecError, json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        return _http(400, {"errorType": type(exc).__name__, "errorMessage": str(exc),
                           "field": getattr(exc, "field", None)})


def _http(status: int, payload: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "isBase64Encoded": False,
        "body": json.dumps(payload),
    }


def _netcdf_bytes(result: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    result.rename("result").to_dataset().to_netcdf(buffer, engine="h5netcdf")
    return buffer.getvalue()


def _is_s3_event(event: Any) -> bool:
    records = event.get("Records") if isinstance(event, Mapping) else None
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, Mapping) and r.get("eventSource") == "aws:s3" and isinstance(r.get("s3"), Mapping) for r in records)
    )


def _is_api_gateway_event(event: Any) -> bool:
    return isinstance(event, Mapping) and ("httpMethod" in event or "routeKey" in event) and "requestContext" in event


def _request_id(context: Any) -> str:
    return str(getattr(context, "aws_request_id", "") or uuid.uuid4())


_client: Any = None


def _s3() -> Any:
    """One S3 client per container (boto3 is provided by the Lambda runtime)."""
    global _client
    if _client is None:
        import boto3
        from botocore.config import Config

        _client = boto3.client("s3", config=Config(retries={"max_attempts": 5, "mode": "standard"}))
    return _client
