"""Lambda's quotas, enforced where AWS enforces them (moto checks none of these)."""

from __future__ import annotations

import base64
import binascii
import io
import json
import threading
import zipfile
from typing import Any, Protocol

from .errors import invalid_parameter, too_large, validation_error

MAX_SYNC_REQUEST = 6 * 1024 * 1024  # 6291456
MAX_ASYNC_REQUEST = 256 * 1024  # 262144
MAX_RESPONSE = 6291556  # the figure AWS prints in Function.ResponseSizeTooLarge
MAX_ZIP_DIRECT = 50 * 1024 * 1024
MAX_CODE_REQUEST = 69905067  # base64 length of a 50 MiB zip: AWS's request cap for direct uploads
MAX_UNZIPPED = 262144000
MAX_LAYERS = 5
TIMEOUT_RANGE = (1, 900)
MEMORY_RANGE = (128, 10240)
EPHEMERAL_RANGE = (512, 10240)
MAX_ENV_BYTES = 4096

RESERVED_ENV_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


class CodeSource(Protocol):
    """What the checks need to read from the emulated account (implemented over moto's backends)."""

    def s3_object(self, bucket: str, key: str) -> bytes:
        """The object's bytes, or an ``AwsError`` as Lambda reports a failed GetObject."""

    def layer_zip(self, arn: str) -> bytes | None:
        """A published layer version's zip, or None when unknown (moto reports that itself)."""

    def function_code(self, name: str) -> tuple[bytes, list[str]] | None:
        """A function's current zip and layer ARNs, or None when unknown."""


_sizes: dict[int, int] = {}
_sizes_lock = threading.Lock()


def unzipped_size(data: bytes) -> int:
    """Total uncompressed size declared by a zip (``InvalidParameterValueException`` if not a zip)."""
    key = hash((len(data), data))
    with _sizes_lock:
        if key in _sizes:
            return _sizes[key]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            size = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, ValueError) as e:
        raise invalid_parameter(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from e
    with _sizes_lock:
        if len(_sizes) > 256:
            _sizes.clear()
        _sizes[key] = size
    return size


def check_invoke_request(size: int, invocation_type: str) -> None:
    """413 when an Invoke payload exceeds the synchronous or asynchronous quota."""
    if invocation_type == "Event" and size > MAX_ASYNC_REQUEST:
        raise too_large(
            f"{size} byte payload is too large for the Event invocation type (limit {MAX_ASYNC_REQUEST} bytes)"
        )
    if size > MAX_SYNC_REQUEST:
        raise too_large(f"Request must be smaller than {MAX_SYNC_REQUEST} bytes for the InvokeFunction operation")


def response_too_large(size: int) -> dict[str, str] | None:
    """The function-error payload Lambda returns for an oversized response, or None."""
    if size <= MAX_RESPONSE:
        return None
    return {
        "errorMessage": f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


def check_control_request(
    operation: str, body_size: int, doc: dict[str, Any], source: CodeSource, function_name: str | None
) -> None:
    """Reject a CreateFunction / UpdateFunctionCode / UpdateFunctionConfiguration / PublishLayerVersion request
    that AWS would reject; return quietly otherwise (moto then handles it)."""
    if body_size > MAX_CODE_REQUEST and operation != "UpdateFunctionConfiguration":
        raise too_large(f"Request must be smaller than {MAX_CODE_REQUEST} bytes for the {operation} operation")
    _check_config(doc)
    if operation == "PublishLayerVersion":
        layer = _code_bytes(doc.get("Content") or {}, source, operation)
        if layer is not None and unzipped_size(layer) > MAX_UNZIPPED:
            raise invalid_parameter(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
        return
    current = source.function_code(function_name) if function_name else None
    if operation == "CreateFunction":
        code = _code_bytes(doc.get("Code") or {}, source, operation)
    elif operation == "UpdateFunctionCode":
        code = _code_bytes(doc, source, operation)
    else:
        code = current[0] if current else None
    layer_arns = doc["Layers"] if "Layers" in doc else (current[1] if current else [])
    _check_unzipped(code, layer_arns or [], source)


def _check_config(doc: dict[str, Any]) -> None:
    timeout = doc.get("Timeout")
    if timeout is not None:
        if timeout > TIMEOUT_RANGE[1]:
            raise validation_error(
                timeout, "timeout", f"Member must have value less than or equal to {TIMEOUT_RANGE[1]}"
            )
        if timeout < TIMEOUT_RANGE[0]:
            raise validation_error(
                timeout, "timeout", f"Member must have value greater than or equal to {TIMEOUT_RANGE[0]}"
            )
    memory = doc.get("MemorySize")
    if memory is not None:
        if memory > MEMORY_RANGE[1]:
            raise validation_error(
                memory, "memorySize", f"Member must have value less than or equal to {MEMORY_RANGE[1]}"
            )
        if memory < MEMORY_RANGE[0]:
            raise validation_error(
                memory, "memorySize", f"Member must have value greater than or equal to {MEMORY_RANGE[0]}"
            )
    storage = (doc.get("EphemeralStorage") or {}).get("Size")
    if storage is not None and not EPHEMERAL_RANGE[0] <= storage <= EPHEMERAL_RANGE[1]:
        bound = "less than or equal to 10240" if storage > EPHEMERAL_RANGE[1] else "greater than or equal to 512"
        raise validation_error(storage, "ephemeralStorage.size", f"Member must have value {bound}")
    layers = doc.get("Layers")
    if layers is not None and len(layers) > MAX_LAYERS:
        raise invalid_parameter(f"Cannot reference more than {MAX_LAYERS} layers.")
    variables = (doc.get("Environment") or {}).get("Variables")
    if variables:
        reserved = sorted(RESERVED_ENV_KEYS.intersection(variables))
        if reserved:
            raise invalid_parameter(
                "Lambda was unable to configure your environment variables because the environment variables you have "
                "provided contains reserved keys that are currently not supported for modification. Reserved keys used "
                f"in this request: {','.join(reserved)}"
            )
        measured = json.dumps(variables, separators=(",", ":"))
        if len(measured.encode()) > MAX_ENV_BYTES:
            raise invalid_parameter(
                "Lambda was unable to configure your environment variables because the environment variables you have "
                f"provided exceeded the 4KB limit. String measured: {measured}"
            )


def _code_bytes(code: dict[str, Any], source: CodeSource, operation: str) -> bytes | None:
    """The zip a request supplies (inline base64 or an S3 object); None for image or absent code."""
    if code.get("ZipFile") is not None:
        try:
            data = base64.b64decode(code["ZipFile"], validate=False)
        except (binascii.Error, ValueError) as e:
            raise invalid_parameter(
                "Could not unzip uploaded file. Please check your file, then try to upload again."
            ) from e
        if len(data) > MAX_ZIP_DIRECT:
            raise too_large(f"Request must be smaller than {MAX_CODE_REQUEST} bytes for the {operation} operation")
        return data
    if code.get("S3Bucket") or code.get("S3Key"):
        return source.s3_object(str(code.get("S3Bucket", "")), str(code.get("S3Key", "")))
    return None


def _check_unzipped(code: bytes | None, layer_arns: list[str], source: CodeSource) -> None:
    code_size = unzipped_size(code) if code is not None else 0
    if code_size > MAX_UNZIPPED:
        raise invalid_parameter(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
    total = code_size
    for arn in layer_arns:
        layer = source.layer_zip(arn)
        if layer is not None:
            total += unzipped_size(layer)
    if total > MAX_UNZIPPED:
        raise invalid_parameter(
            f"Function code combined with layers exceeds the maximum allowed size of {MAX_UNZIPPED} bytes. "
            f"The actual size is {total} bytes."
        )
