"""Encoding arrays into the wire format (binary and JSON forms: see :mod:`.format`)."""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from podpac_exec.backends.aws_lambda.wire.format import (
    ALIGN,
    ENCODING,
    MAGIC,
    PREFIX,
    VERSION,
    check_dims,
    check_dtype,
    check_level,
    lz4_frame,
    parse_compression,
)


def encode_array(arr: np.ndarray, compression: str | None = None, level: int | None = None) -> bytes:
    """The binary form: magic, version, JSON header, payload."""
    arr, payload, compression = payload_of(arr, compression, level)
    header = json.dumps(
        {"dtype": arr.dtype.str, "shape": list(arr.shape), "compression": compression}, separators=(",", ":")
    ).encode()
    header += b" " * (-(PREFIX.size + len(header)) % ALIGN)
    return b"".join((PREFIX.pack(MAGIC, VERSION, len(header)), header, payload))


def encode_result(
    arr: np.ndarray, dims: Sequence[str], compression: str | None = None, level: int | None = None
) -> dict[str, Any]:
    """The JSON-able ``result`` object of a Lambda response."""
    arr, payload, compression = payload_of(arr, compression, level)
    dims = check_dims(dims, arr.ndim, "dims")
    return {
        "encoding": ENCODING + (f"+{compression}" if compression else ""),
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
        "dims": dims,
        "data": b64encode(payload),
    }


def payload_of(arr: Any, compression: str | None, level: int | None) -> tuple[np.ndarray, Any, str | None]:
    """Checked array, encoded payload (the raw buffer or a compressed frame) and compression name."""
    if not isinstance(arr, np.ndarray):
        arr = np.asarray(arr)
    check_dtype(arr.dtype)
    compression = parse_compression(compression, "compression")
    level = check_level(compression, level)
    return arr, _compress(_raw_view(arr), compression, level), compression


def b64encode(payload: Any) -> str:
    try:
        import pybase64
    except ImportError:  # pragma: no cover - pybase64 is a dependency; the stdlib is the fallback
        import base64

        return base64.b64encode(payload).decode("ascii")
    return pybase64.b64encode_as_string(payload)


def _raw_view(arr: np.ndarray) -> memoryview:
    """The array's C-order bytes, without a copy when it is already C-contiguous."""
    return memoryview(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))


def _compress(raw: memoryview, compression: str | None, level: int | None) -> Any:
    if compression is None:
        return raw
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=level, write_content_size=True, write_checksum=True).compress(raw)
    return lz4_frame().compress(raw, compression_level=level, store_size=True, content_checksum=True)
