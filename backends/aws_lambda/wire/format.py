"""The array wire format's constants and the field checks shared by encoding and decoding.

Binary form (``encode.encode_array``/``decode.decode_array``, e.g. a result spilled to S3)::

    b"\\x93PXA"  version (1 byte)  header length (uint32 LE)  header  payload

The header is compact JSON ``{"dtype": "<f4", "shape": [...], "compression": null|"zstd"|"lz4"}``,
padded with spaces so that the payload starts at a multiple of 16 bytes. The payload is the
array's C-order little-endian buffer, optionally zstd- or lz4-compressed (one frame holding its
content size and a checksum of the content).

JSON form (``encode.encode_result``/``decode.decode_result``, the ``result`` of a Lambda response)::

    {"encoding": "podpac-exec-array/1[+zstd|+lz4]", "dtype": "<f4", "shape": [...],
     "dims": [...], "data": <base64 of the payload>}

Every malformed input raises :class:`CodecError` naming the offending field, never a numpy,
JSON, base64 or compression library error.
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any, Sequence

import numpy as np

from podpac_exec.errors import PodpacExecError

MAGIC = b"\x93PXA"
VERSION = 1
ENCODING = "podpac-exec-array/1"
COMPRESSIONS = ("zstd", "lz4")
#: Largest decoded array accepted by default (a guard against absurd headers and bombs).
DEFAULT_MAX_BYTES = 2**31
MAX_HEADER_BYTES = 65_536
#: A header is an object holding a list (``shape``): anything deeper is refused before parsing.
MAX_HEADER_DEPTH = 4
MAX_NDIM = 32
DEFAULT_LEVELS = {"zstd": 3, "lz4": 0}
PREFIX = struct.Struct("<4sBI")  # magic, version, header length
ALIGN = 16
_DTYPE_RE = re.compile(r"^[<>|=][biufmM]\d{1,2}(\[\d*[A-Za-z]+\])?$")


class CodecError(PodpacExecError, ValueError):
    """An array cannot be encoded, or encoded data is malformed."""


def check_dtype(dtype: Any, field: str = "dtype") -> np.dtype:
    """The dtype if the wire format carries it exactly (bool, int, uint, float, datetime64, timedelta64)."""
    dtype = np.dtype(dtype)
    if dtype.byteorder == ">":
        raise CodecError(f"big-endian dtype {dtype.str!r} is not supported: convert to little-endian", field=field)
    if dtype.kind not in "biufmM" or dtype.fields is not None or dtype.subdtype is not None:
        raise CodecError(
            f"dtype {dtype.str!r} ({dtype}) is not supported: only bool, integer, float, datetime64 and "
            "timedelta64 arrays travel",
            field=field,
        )
    if dtype.kind == "f" and dtype.itemsize > 8:
        raise CodecError(f"dtype {dtype.str!r} (long double) is not portable: use float64", field=field)
    return dtype


def parse_dtype(value: Any, field: str) -> np.dtype:
    if not isinstance(value, str) or not _DTYPE_RE.match(value):
        raise CodecError(f"dtype must be a little-endian numpy dtype string such as '<f4', got {value!r}", field=field)
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise CodecError(f"dtype {value!r} is not a valid numpy dtype", field=field) from None
    return check_dtype(dtype, field)


def parse_shape(value: Any, itemsize: int, max_bytes: int, field: str) -> tuple[tuple[int, ...], int]:
    """The shape and its size in bytes, checked against ``max_bytes``."""
    if not isinstance(value, list) or len(value) > MAX_NDIM:
        raise CodecError(f"shape must be a list of at most {MAX_NDIM} sizes, got {value!r}"[:200], field=field)
    for i, size in enumerate(value):
        if type(size) is not int or size < 0:
            raise CodecError(f"shape[{i}] must be a non-negative integer, got {size!r}", field=f"{field}[{i}]")
    # Zero-size arrays are bounded too: numpy refuses absurd dimensions even with no elements.
    bound = math.prod(max(size, 1) for size in value) * itemsize
    if bound > max_bytes:
        raise CodecError(f"shape {value} needs up to {bound} bytes, above the limit of {max_bytes}", field=field)
    return tuple(value), math.prod(value) * itemsize


def parse_compression(value: Any, field: str) -> str | None:
    if value is not None and value not in COMPRESSIONS:
        raise CodecError(f"unknown compression {value!r}; supported: none, {', '.join(COMPRESSIONS)}", field=field)
    return value


def check_level(compression: str | None, level: int | None) -> int | None:
    if level is None:
        return DEFAULT_LEVELS.get(compression) if compression else None
    if compression is None:
        raise CodecError("a compression level needs a compression", field="level")
    low, high = (-(2**17), 22) if compression == "zstd" else (0, 16)
    if type(level) is not int or not low <= level <= high:
        raise CodecError(f"{compression} level must be an integer in [{low}, {high}], got {level!r}", field="level")
    return level


def check_dims(dims: Any, ndim: int, field: str) -> list[str]:
    if isinstance(dims, str) or not isinstance(dims, Sequence):
        raise CodecError(f"dims must be a list of names, got {dims!r}", field=field)
    dims = list(dims)
    for i, dim in enumerate(dims):
        if not isinstance(dim, str) or not dim:
            raise CodecError(f"dims[{i}] must be a non-empty string, got {dim!r}", field=f"{field}[{i}]")
    if len(dims) != ndim:
        raise CodecError(f"{len(dims)} dims {dims} for an array of {ndim} dimensions", field=field)
    if len(set(dims)) != len(dims):
        raise CodecError(f"dims {dims} are not unique", field=field)
    return dims


def b64_length(nbytes: int) -> int:
    """Characters of the base64 text of ``nbytes`` bytes (padded)."""
    return 4 * ((nbytes + 2) // 3)


def lz4_frame() -> Any:
    try:
        import lz4.frame
    except ImportError:  # pragma: no cover - lz4 is optional
        raise CodecError("lz4 compression needs the lz4 package: pip install lz4", field="compression") from None
    return lz4.frame
