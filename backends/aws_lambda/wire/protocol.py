"""The Lambda wire protocol (DESIGN.md section 6), shared by the client and the handler.

Request: ``{"version": 1, "pipeline": <definition>, "coordinates": <coords JSON>,
"output": {"encoding", "compression", "s3_threshold_bytes"}, "settings": {...}}``.
Response: ``{"version": 1, "result": <encoded array>}`` or ``{"version": 1, "result_s3": "s3://b/k"}``.
Errors travel as Lambda function errors (``errorType``, ``errorMessage``, ``stackTrace``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from podpac_exec.errors import PodpacExecError

PROTOCOL_VERSION = 1
#: Lambda's synchronous request and response payload limit.
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
#: Room kept for the JSON envelope around an encoded result.
ENVELOPE_BYTES = 16 * 1024
#: base64 turns 3 bytes into 4.
BASE64_OVERHEAD = 4 / 3
#: Settings a request may carry: they can only tighten the function's own limits.
REMOTE_SETTING_PREFIXES = ("limits.",)
#: Deepest nesting of JSON containers a request may have (real ones stay under 15 levels); checked
#: without recursion, so no later step can hit Python's recursion limit on a hostile request.
MAX_NESTING = 64
ARRAY_ENCODING = "podpac-exec-array/1"


class ProtocolError(PodpacExecError, ValueError):
    """A request or response does not follow the protocol; ``field`` names the part."""


@dataclass(frozen=True)
class OutputSpec:
    compression: str | None = None
    s3_threshold_bytes: int = SYNC_PAYLOAD_LIMIT - ENVELOPE_BYTES


@dataclass(frozen=True)
class Request:
    pipeline: Mapping[str, Any]
    coordinates: Mapping[str, Any]
    output: OutputSpec = OutputSpec()
    settings: Mapping[str, Any] = field(default_factory=dict)


def build_request(
    pipeline: Mapping[str, Any],
    coordinates: Mapping[str, Any],
    output: OutputSpec,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """The request object; only :data:`REMOTE_SETTING_PREFIXES` settings are sent."""
    return {
        "version": PROTOCOL_VERSION,
        "pipeline": pipeline,
        "coordinates": coordinates,
        "output": {
            "encoding": ARRAY_ENCODING,
            "compression": output.compression,
            "s3_threshold_bytes": output.s3_threshold_bytes,
        },
        "settings": remote_settings(settings),
    }


def remote_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sorted(settings.items()) if k.startswith(REMOTE_SETTING_PREFIXES)}


def parse_request(event: Any) -> Request:
    """Validate a direct-invoke request; every problem names its field."""
    if not isinstance(event, Mapping):
        raise ProtocolError(f"the request must be a JSON object, got {type(event).__name__}", field="request")
    check_nesting(event, "request")
    version = event.get("version")
    if version != PROTOCOL_VERSION:
        raise ProtocolError(f"unsupported protocol version {version!r}; this handler speaks 1", field="version")
    unknown = sorted(set(event) - {"version", "pipeline", "coordinates", "output", "settings"})
    if unknown:
        raise ProtocolError(f"unknown request field {unknown[0]!r}", field=unknown[0])
    pipeline = _json_field(event.get("pipeline"), "pipeline")
    if not isinstance(pipeline, Mapping):
        raise ProtocolError("pipeline must be a PODPAC pipeline definition (a JSON object)", field="pipeline")
    coordinates = _json_field(event.get("coordinates"), "coordinates")
    if not isinstance(coordinates, (Mapping, list)):
        raise ProtocolError("coordinates must be PODPAC coordinates JSON (an object)", field="coordinates")
    return Request(pipeline, coordinates, _parse_output(event.get("output", {})), _parse_settings(event.get("settings", {})))


def check_nesting(value: Any, field: str, limit: int = MAX_NESTING) -> None:
    """Raise :class:`ProtocolError` when JSON containers nest deeper than ``limit``."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, Mapping):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            raise ProtocolError(f"the {field} nests JSON deeper than {limit} levels", field=field)
        stack.extend((child, depth + 1) for child in children)


def load_json_text(text: str | bytes, field: str) -> Any:
    """Parse JSON text that arrived in an event; errors and excessive nesting name ``field``."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProtocolError(f"{field} is not valid JSON: {exc.msg}", field=field) from None
    except UnicodeDecodeError as exc:
        raise ProtocolError(f"{field} is not UTF-8 JSON ({exc.reason})", field=field) from None
    except RecursionError:
        raise ProtocolError(f"the {field} nests JSON too deeply", field=field) from None
    check_nesting(parsed, field)
    return parsed


def _json_field(value: Any, field: str) -> Any:
    """A field given as JSON text is parsed; other values pass."""
    return load_json_text(value, field) if isinstance(value, str) else value


def _parse_output(output: Any) -> OutputSpec:
    if not isinstance(output, Mapping):
        raise ProtocolError("output must be a JSON object", field="output")
    encoding = output.get("encoding", ARRAY_ENCODING)
    if encoding != ARRAY_ENCODING:
        raise ProtocolError(f"unsupported output encoding {encoding!r}; use {ARRAY_ENCODING!r}", field="output.encoding")
    compression = output.get("compression")
    if compression not in (None, "", "zstd", "lz4"):
        raise ProtocolError(f"unsupported compression {compression!r}", field="output.compression")
    threshold = output.get("s3_threshold_bytes", SYNC_PAYLOAD_LIMIT - ENVELOPE_BYTES)
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ProtocolError("s3_threshold_bytes must be a non-negative integer", field="output.s3_threshold_bytes")
    return OutputSpec(compression or None, min(threshold, SYNC_PAYLOAD_LIMIT - ENVELOPE_BYTES))


def _parse_settings(values: Any) -> dict[str, Any]:
    if not isinstance(values, Mapping):
        raise ProtocolError("settings must be a JSON object", field="settings")
    out = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key.startswith(REMOTE_SETTING_PREFIXES):
            raise ProtocolError(
                f"setting {key!r} may not be sent to the function (allowed: {', '.join(REMOTE_SETTING_PREFIXES)}*)",
                field=f"settings.{key}",
            )
        out[key] = value
    return out


def build_response(values: np.ndarray, dims: list[str], compression: str | None = None) -> dict[str, Any]:
    from podpac_exec.backends.aws_lambda.wire.encode import encode_result

    return {"version": PROTOCOL_VERSION, "result": encode_result(values, dims, compression=compression)}


def s3_response(uri: str) -> dict[str, Any]:
    return {"version": PROTOCOL_VERSION, "result_s3": uri}


@dataclass(frozen=True)
class Response:
    values: np.ndarray | None = None
    dims: list[str] | None = None
    result_s3: str | None = None


def parse_response(payload: Any) -> Response:
    """Validate a response; the result is decoded, or its S3 pointer returned."""
    from podpac_exec.backends.aws_lambda.wire.decode import decode_result

    if not isinstance(payload, Mapping):
        raise ProtocolError(f"the response must be a JSON object, got {type(payload).__name__}", field="response")
    if payload.get("version") != PROTOCOL_VERSION:
        raise ProtocolError(f"unsupported response version {payload.get('version')!r}", field="response.version")
    if "result_s3" in payload:
        uri = payload["result_s3"]
        if not isinstance(uri, str) or not uri.startswith("s3://") or "/" not in uri[5:]:
            raise ProtocolError(f"result_s3 must be an s3:// URI, got {uri!r}", field="response.result_s3")
        return Response(result_s3=uri)
    if "result" not in payload:
        raise ProtocolError("the response has neither result nor result_s3", field="response")
    values, dims = decode_result(payload["result"])
    return Response(values=values, dims=list(dims))


def read_response(body: bytes) -> Response:
    """:func:`parse_response` of a response's bytes, the payload decoded straight from them
    (``ValueError`` when they are not JSON)."""
    from podpac_exec.backends.aws_lambda.wire.envelope import read

    return read(body, parse_response)


def split_s3_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key
