"""The function side: answers direct invokes, S3 puts of pipeline JSON and API Gateway events
(the evaluate API, or, for a function with ``serve.pipelines``, the serve app's GET requests).

``dist/aws_lambda/handler.py`` stages the dependencies and calls :func:`handle_event`. Pipelines
run on the local backend inside the function. The function's own configuration comes from its
environment: ``PODPAC_EXEC_*`` settings (e.g. ``PODPAC_EXEC_LIMITS__MAX_CELLS``) and the
``PODPAC_LAMBDA_*`` variables that ``build`` sets (results bucket, allowlist).

Hostile events are answered, never crash the container: a direct invoke raises only
:class:`~podpac_exec.errors.PodpacExecError` subclasses (Lambda reports them as function errors),
an API Gateway event always gets an HTTP answer, and an S3 event reports each failed record.
Error text leaving the function never holds a credential value (``redact_credentials``).
See docs/security.md.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import sys
import traceback
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from podpac_exec.backends.aws_lambda.function.allowlist import (  # noqa: F401 - part of this module's API
    ENV_ALLOWED_HASHES,
    PipelineNotAllowedError,
    check_allowlist,
)
from podpac_exec.backends.aws_lambda.function.identity import identity_response, is_identify_request
from podpac_exec.backends.aws_lambda.wire.protocol import (
    OutputSpec,
    ProtocolError,
    Request,
    build_response,
    load_json_text,
    parse_request,
    s3_response,
)
from podpac_exec.errors import LimitExceededError, PipelineError, PodpacExecError
from podpac_exec.nodes.sources import SourceNotAllowedError, redact_credentials

ENV_RESULTS_BUCKET = "PODPAC_LAMBDA_RESULTS_BUCKET"
ENV_PREFIX = "PODPAC_LAMBDA_PREFIX"

#: Filled by the handler bootstrap: how the dependencies were made available this invoke.
RUNTIME_STATE: dict[str, Any] = {"invocations": 0}


def handle_event(event: Any, context: Any = None) -> Any:
    """Dispatch on the event's shape: S3 notification, API Gateway proxy, or direct request."""
    RUNTIME_STATE["invocations"] += 1
    if _is_s3_event(event):
        return handle_s3_event(event, context)
    if _is_api_gateway_event(event):
        if _is_serve_event(event):
            return handle_serve_event(event, context)
        return handle_api_gateway_event(event, context)
    try:
        return handle_direct(event, context)
    except PodpacExecError as exc:
        _redact(exc)
        raise


def wire_answer(answer: Any) -> Any:
    """A response carrying a result as the bytes the runtime passes through unchanged (the
    payload written last and copied, not scanned by ``json.dumps``); other answers as they are."""
    if isinstance(answer, dict) and isinstance(answer.get("result"), dict):
        from podpac_exec.backends.aws_lambda.wire.envelope import dump_response

        return dump_response(answer)
    return answer


def handle_direct(event: Any, context: Any = None) -> dict[str, Any]:
    if is_identify_request(event):  # the client's version lock (client/version.py)
        return identity_response()
    request = parse_request(event)
    result = evaluate_request(request)
    response = encode_response(result.values, list(result.dims), request.output, _request_id(context))
    response["meta"] = meta()
    return response


def meta() -> dict[str, Any]:
    return {k: v for k, v in RUNTIME_STATE.items() if isinstance(v, (str, int, float, bool))}


def evaluate_request(request: Request) -> Any:
    """Load, check against the allowlist and the function's limits, and evaluate locally.

    The request's settings can only tighten the function's own limits; they apply while the
    pipeline is loaded, too. One request is one tile: more cells than the function's own
    ``limits.max_tile_cells`` are refused (a client plans its tiles with its own copy of that
    limit, which may be smaller, and sends them with their halo).
    """
    import podpac_exec as pe
    from podpac_exec.settings import settings

    own = settings.snapshot()  # the one resolution of this invoke's settings
    with settings.use(own):
        effective = settings.snapshot({**tightened_settings(request.settings, own), **source_confinement(own)})
    with settings.use(effective):  # loading, the checks and the evaluation all see these
        _check_pipeline_bytes(request.pipeline, effective["limits.max_pipeline_bytes"])
        node = pe.Node.from_definition(request.pipeline)
        check_allowlist(node.hash)
        coords = pe.Coordinates.from_definition(request.coordinates)
        limit = own["limits.max_tile_cells"]
        if coords.size > limit:
            raise LimitExceededError(
                f"the request has {coords.size} cells, above this function's limits.max_tile_cells={limit} "
                "(one invoke evaluates one tile)",
                field="coordinates",
            )
        return pe.evaluate(node, coords, backend="local", tiling__progress="off")


def source_confinement(own: Mapping[str, Any]) -> dict[str, Any]:
    """The settings overlay that keeps a pipeline inside the function, whatever other settings
    say: local paths only under the function's code (``LAMBDA_TASK_ROOT``; none without one),
    and no loopback or private address (the runtime API listens on 127.0.0.1)."""
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "")
    return {
        "sources.allow_local_paths": bool(own["sources.allow_local_paths"]) and bool(task_root),
        "sources.local_roots": [task_root] if task_root else [],
        "sources.allow_internal_addresses": False,
    }


def tightened_settings(requested: Mapping[str, Any], own: Mapping[str, Any]) -> dict[str, Any]:
    """The request's numeric ``limits.*`` settings, each capped by the function's own value."""
    arguments: dict[str, Any] = {}
    for key, value in requested.items():
        if key not in own:
            raise ProtocolError(f"unknown setting {key!r}", field=f"settings.{key}")
        if not isinstance(own[key], (int, float)) or isinstance(own[key], bool):
            raise ProtocolError(f"setting {key!r} may not be sent to the function", field=f"settings.{key}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise ProtocolError(f"setting {key!r} must be a number", field=f"settings.{key}")
        arguments[key] = min(value, own[key])  # a request may tighten the function's limits, never loosen them
    return arguments


def _check_pipeline_bytes(pipeline: Mapping[str, Any], limit: int) -> None:
    """``limits.max_pipeline_bytes`` for a definition that arrived parsed (direct invoke, S3, API)."""
    size = len(json.dumps(pipeline, separators=(",", ":")).encode())
    if size > limit:
        raise LimitExceededError(
            f"the pipeline is {size} bytes as JSON, above limits.max_pipeline_bytes={limit}", field="pipeline"
        )


def encode_response(values: Any, dims: list[str], output: OutputSpec, request_id: str) -> dict[str, Any]:
    """Inline when the encoded result fits ``s3_threshold_bytes``, else spilled to S3."""
    import numpy as np

    values = np.ascontiguousarray(values)
    response = build_response(values, dims, output.compression)
    size = len(response["result"]["data"])
    if size <= output.s3_threshold_bytes:
        return response
    from podpac_exec.backends.aws_lambda.wire.codec import encode_array

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
    (``name.nc``); a failure writes ``name.error.json`` instead, so nothing fails silently. This
    never raises: a record that fails (malformed, unreadable, bad pipeline) is listed under
    ``errors`` with ``errorType``/``errorMessage``, and the other records still run.
    """
    records = event.get("Records") if isinstance(event, Mapping) else None
    records = records if isinstance(records, list) else []
    written: list[str] = []
    errors: list[dict[str, Any]] = []
    for index, record in enumerate(records):
        try:
            bucket, key = s3_record_location(record, f"Records[{index}]")
        except PodpacExecError as exc:
            errors.append({"record": index, **error_document(exc)})
            continue
        source = f"s3://{bucket}/{key}"
        out_key = output_key_for(key)
        try:
            result = evaluate_request(_read_s3_request(bucket, key))
            _s3().put_object(Bucket=bucket, Key=out_key + ".nc", Body=_netcdf_bytes(result))
            written.append(f"s3://{bucket}/{out_key}.nc")
        except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others
            error = {**error_document(exc), "source": source}
            errors.append({"record": index, **error})
            try:
                _s3().put_object(Bucket=bucket, Key=out_key + ".error.json", Body=json.dumps(error).encode())
                written.append(f"s3://{bucket}/{out_key}.error.json")
            except Exception as put_exc:  # noqa: BLE001 - reported in the answer instead
                errors[-1]["reportError"] = redact_credentials(f"{type(put_exc).__name__}: {put_exc}")
    response: dict[str, Any] = {"version": 1, "written": written, "meta": meta()}
    if errors or not records:
        response.update(
            errorType="S3EventError",
            errorMessage=f"{len(errors)} of {len(records)} records failed" if records else "the event has no records",
            errors=errors,
        )
    return response


def s3_record_location(record: Any, field: str) -> tuple[str, str]:
    """``(bucket, key)`` of one S3 notification record, or a :class:`ProtocolError` naming the field."""
    if not isinstance(record, Mapping) or record.get("eventSource") != "aws:s3":
        raise ProtocolError("not an S3 notification record", field=field)
    s3 = record.get("s3")
    bucket = s3.get("bucket") if isinstance(s3, Mapping) else None
    obj = s3.get("object") if isinstance(s3, Mapping) else None
    name = bucket.get("name") if isinstance(bucket, Mapping) else None
    key = obj.get("key") if isinstance(obj, Mapping) else None
    if not isinstance(name, str) or not name:
        raise ProtocolError("the record names no bucket", field=f"{field}.s3.bucket.name")
    if not isinstance(key, str) or not key:
        raise ProtocolError("the record names no object key", field=f"{field}.s3.object.key")
    return name, urllib.parse.unquote_plus(key)


def _read_s3_request(bucket: str, key: str) -> Request:
    """The ``{pipeline, coordinates}`` object, read no further than ``limits.max_pipeline_bytes``."""
    from podpac_exec.settings import settings

    limit = settings.get("limits.max_pipeline_bytes")
    body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read(limit + 1)
    if len(body) > limit:
        raise LimitExceededError(f"the object is above limits.max_pipeline_bytes={limit}", field="object")
    document = load_json_text(body, "object")
    if not isinstance(document, Mapping):
        raise ProtocolError("the object must hold {pipeline, coordinates}", field="object")
    return parse_request({"version": 1, "pipeline": document.get("pipeline"), "coordinates": document.get("coordinates")})


def error_document(exc: BaseException) -> dict[str, Any]:
    """``errorType``, ``errorMessage`` and ``field`` of an error, safe to send anywhere.

    Unexpected errors (not ours) are logged with their traceback and answered generically.
    """
    if isinstance(exc, PodpacExecError):
        return {"errorType": type(exc).__name__, "errorMessage": redact_credentials(str(exc)),
                "field": getattr(exc, "field", None)}
    sys.stderr.write(redact_credentials("".join(traceback.format_exception(exc))))
    return {"errorType": type(exc).__name__,
            "errorMessage": "internal error while answering the event (details are in the function's log)",
            "field": None}


def _redact(exc: PodpacExecError) -> None:
    clean = redact_credentials(exc.message)
    if clean != exc.message:
        exc.message, exc.args = clean, (clean,)


def output_key_for(key: str) -> str:
    """``prefix/input/a/b.json`` -> ``prefix/output/a/b`` (extension dropped)."""
    head, sep, tail = key.partition("input/")
    out = f"{head}output/{tail}" if sep else f"output/{key}"
    return out[: -len(".json")] if out.endswith(".json") else out


def handle_api_gateway_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """API Gateway (REST v1 or HTTP v2) proxy integration: JSON body, or GET query parameters.

    Always answers: 200 with the response, 403 for a pipeline or source the function refuses,
    413 for a request over a limit, 400 for any other bad request, 500 for an internal error;
    error bodies hold ``errorType``, ``errorMessage`` and ``field``.
    """
    try:
        response = handle_direct(_api_gateway_request(event), context)
        return _http(200, response)
    except (PipelineNotAllowedError, SourceNotAllowedError) as exc:
        return _http(403, error_document(exc))
    except LimitExceededError as exc:
        return _http(413, error_document(exc))
    except PodpacExecError as exc:
        return _http(400, error_document(exc))
    except Exception as exc:  # noqa: BLE001 - an HTTP caller always gets an answer
        return _http(500, error_document(exc))


def handle_serve_event(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """An HTTP GET for the pipelines this function serves (``serve.pipelines``): tiles, WMS, WCS,
    the map page, answered by the serve app (``function/serve_http.py``). The app answers
    bad requests itself; a failure to build it (a pipeline not readable or not allowed) is a 500."""
    try:
        from podpac_exec.backends.aws_lambda.function.serve_http import handle

        return handle(event, context)
    except (PipelineNotAllowedError, SourceNotAllowedError) as exc:
        return _http(403, error_document(exc))
    except Exception as exc:  # noqa: BLE001 - an HTTP caller always gets an answer
        return _http(500, error_document(exc))


def _is_serve_event(event: Mapping[str, Any]) -> bool:
    from podpac_exec.backends.aws_lambda.function.serve_http import wants

    return wants(event)


def _api_gateway_request(event: Mapping[str, Any]) -> Any:
    """The protocol request carried by a proxy event (``version`` defaults to 1)."""
    body = event.get("body")
    if body:
        if not isinstance(body, str):
            raise ProtocolError("the body must be text", field="body")
        if event.get("isBase64Encoded"):
            try:
                body = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise ProtocolError("the body is not valid base64", field="body") from None
        request = load_json_text(body, "body")
    else:
        params = event.get("queryStringParameters") or {}
        if not isinstance(params, Mapping):
            raise ProtocolError("queryStringParameters must be an object", field="queryStringParameters")
        request = {"version": 1, "pipeline": params.get("pipeline"), "coordinates": params.get("coordinates")}
    if isinstance(request, Mapping) and "version" not in request:
        request = {"version": 1, **request}
    return request


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
    """An S3 notification: ``Records`` holding at least one ``aws:s3`` record (the others are
    reported as failed records)."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    return isinstance(records, list) and any(
        isinstance(r, Mapping) and r.get("eventSource") == "aws:s3" for r in records
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
