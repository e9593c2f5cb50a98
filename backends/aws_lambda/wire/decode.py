"""Decoding the wire format (see :mod:`.format`), checking every field before any work.

Decoded arrays are writable and C-contiguous, and lie over the decoded buffer itself (no copy).
"""

from __future__ import annotations

import json
import math
from typing import Any, Iterable, Mapping

import numpy as np

from podpac_exec.backends.aws_lambda.wire.format import (
    COMPRESSIONS,
    DEFAULT_MAX_BYTES,
    ENCODING,
    MAGIC,
    MAX_HEADER_BYTES,
    MAX_HEADER_DEPTH,
    PREFIX,
    VERSION,
    CodecError,
    b64_length,
    check_dims,
    lz4_frame,
    parse_compression,
    parse_dtype,
    parse_shape,
)

RESULT_KEYS = {"encoding", "dtype", "shape", "dims", "data"}


def decode_array(data: bytes | bytearray | memoryview, *, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Decode ``encode_array``'s output; ``max_bytes`` caps the decoded size."""
    try:
        view = memoryview(data).cast("B")
    except TypeError:
        raise CodecError(f"expected bytes, got {type(data).__name__}", field="data") from None
    if len(view) < PREFIX.size:
        raise CodecError(f"truncated: {len(view)} bytes is shorter than the {PREFIX.size}-byte prefix", field="data")
    magic, version, header_len = PREFIX.unpack_from(view)
    if magic != MAGIC:
        raise CodecError(f"not a podpac-exec array: bad magic {bytes(magic)!r}", field="magic")
    if version != VERSION:
        raise CodecError(f"unsupported version {version} (this reader knows {VERSION})", field="version")
    if header_len > MAX_HEADER_BYTES or PREFIX.size + header_len > len(view):
        raise CodecError(f"truncated or invalid header length {header_len}", field="header")
    header = _parse_header(view[PREFIX.size : PREFIX.size + header_len])
    dtype = parse_dtype(header["dtype"], "header.dtype")
    shape, nbytes = parse_shape(header["shape"], dtype.itemsize, max_bytes, "header.shape")
    compression = parse_compression(header["compression"], "header.compression")
    offset = PREFIX.size + header_len
    payload = view[offset:]
    if compression:
        return _to_array(decompress(payload, compression, nbytes, "data"), 0, dtype, shape)
    if len(payload) != nbytes:
        problem = "truncated" if len(payload) < nbytes else "trailing bytes"
        raise CodecError(f"{problem}: the payload has {len(payload)} bytes; dtype and shape need {nbytes}", field="data")
    return _to_array(data if isinstance(data, (bytes, bytearray)) else view, offset, dtype, shape)


def decode_result(
    obj: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES, field: str = "result"
) -> tuple[np.ndarray, list[str]]:
    """Decode ``encode_result``'s object into ``(array, dims)``, checking every field.

    ``data`` is the base64 text as a str, or as a memoryview of its characters (the span of a response's
    bytes that :func:`~.envelope.load_response` leaves undecoded).
    """
    if not isinstance(obj, Mapping):
        raise CodecError(f"expected a JSON object, got {type(obj).__name__}", field=field)
    _check_keys(obj, RESULT_KEYS, field)
    compression = _parse_encoding(obj["encoding"], f"{field}.encoding")
    dtype = parse_dtype(obj["dtype"], f"{field}.dtype")
    shape, nbytes = parse_shape(obj["shape"], dtype.itemsize, max_bytes, f"{field}.shape")
    dims = check_dims(obj["dims"], len(shape), f"{field}.dims")
    text = obj["data"]
    if not isinstance(text, (str, memoryview)):
        raise CodecError(f"data must be a base64 string, got {type(text).__name__}", field=f"{field}.data")
    # Lengths are checked before decoding so that junk of any size costs nothing.
    size = len(text) if isinstance(text, str) else text.nbytes
    limit = b64_length(nbytes) if compression is None else b64_length(nbytes + nbytes // 128 + 1024)
    if (compression is None and size != limit) or size > limit:
        raise CodecError(
            f"data has {size} base64 characters; dtype {dtype.str} and shape {list(shape)} need "
            f"{'' if compression is None else 'at most '}{limit}",
            field=f"{field}.data",
        )
    try:
        payload = b64decode(text)
    except ValueError as exc:
        raise CodecError(f"data is not valid base64: {exc}", field=f"{field}.data") from None
    if compression:
        return _to_array(decompress(memoryview(payload), compression, nbytes, f"{field}.data"), 0, dtype, shape), dims
    if len(payload) != nbytes:
        raise CodecError(f"data decodes to {len(payload)} bytes; dtype and shape need {nbytes}", field=f"{field}.data")
    return _to_array(payload, 0, dtype, shape), dims


def b64decode(text: Any) -> bytearray:
    """Strict base64 decoding (``ValueError`` on any character outside the alphabet)."""
    try:
        import pybase64
    except ImportError:  # pragma: no cover - pybase64 is a dependency; the stdlib is the fallback
        import base64

        return bytearray(base64.b64decode(text, validate=True))
    return pybase64.b64decode_as_bytearray(text, validate=True)


def decompress(payload: memoryview, compression: str, expected: int, field: str) -> bytes:
    """Decompress one frame holding exactly ``expected`` bytes."""
    if compression == "zstd":
        import zstandard

        try:
            size = zstandard.frame_content_size(payload)
            if size != expected:
                raise CodecError(f"the zstd frame holds {size} bytes; dtype and shape need {expected}", field=field)
            out = zstandard.ZstdDecompressor().decompress(payload, max_output_size=expected, allow_extra_data=False)
        except zstandard.ZstdError as exc:
            raise CodecError(f"corrupt zstd data: {exc}", field=field) from None
    else:
        frame = lz4_frame()
        try:
            size = frame.get_frame_info(payload)["content_size"]
            if size != expected:
                raise CodecError(f"the lz4 frame holds {size} bytes; dtype and shape need {expected}", field=field)
            decompressor = frame.LZ4FrameDecompressor()
            out = decompressor.decompress(payload, max_length=expected)
        except (RuntimeError, ValueError, KeyError) as exc:
            raise CodecError(f"corrupt lz4 data: {exc}", field=field) from None
        if not decompressor.eof or decompressor.unused_data:
            raise CodecError("the lz4 data is truncated or has trailing bytes", field=field)
    if len(out) != expected:
        raise CodecError(f"decompressed {len(out)} bytes; dtype and shape need {expected}", field=field)
    return out



def _to_array(buffer: Any, offset: int, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    """A writable array over ``buffer`` (no copy when the buffer is writable and aligned)."""
    arr = np.frombuffer(buffer, dtype=dtype, count=math.prod(shape), offset=offset).reshape(shape)
    if not (arr.flags.writeable and arr.flags.aligned):
        arr = arr.copy()
    return arr


def _check_keys(obj: Mapping[str, Any], keys: set[str], field: str, optional: Iterable[str] = ()) -> None:
    missing = sorted(keys - set(obj))
    if missing:
        raise CodecError(f"missing {', '.join(missing)}", field=f"{field}.{missing[0]}")
    unknown = sorted(set(obj) - keys - set(optional), key=str)
    if unknown:
        raise CodecError(f"unknown key {unknown[0]!r}", field=f"{field}.{unknown[0]}")


def _parse_encoding(value: Any, field: str) -> str | None:
    if isinstance(value, str):
        base, _, compression = value.partition("+")
        if base == ENCODING and (not compression or compression in COMPRESSIONS):
            return compression or None
    allowed = ", ".join([ENCODING, *(f"{ENCODING}+{c}" for c in COMPRESSIONS)])
    raise CodecError(f"unknown encoding {value!r}; expected one of {allowed}", field=field)


def _nesting_depth(text: bytes) -> int:
    """The deepest ``[``/``{`` nesting outside JSON strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in text:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _parse_header(raw: memoryview) -> dict[str, Any]:
    text = bytes(raw)
    if _nesting_depth(text) > MAX_HEADER_DEPTH:
        # checked here: whether json.loads recurses out on deep input differs between Python versions
        raise CodecError(f"the header nests deeper than {MAX_HEADER_DEPTH} levels", field="header")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError):
        raise CodecError("the header is not valid JSON", field="header") from None
    if not isinstance(header, dict):
        raise CodecError("the header must be a JSON object", field="header")
    keys = {"dtype", "shape", "compression"}
    if set(header) != keys:
        missing, unknown = sorted(keys - set(header)), sorted(set(header) - keys)
        detail = "; ".join(filter(None, [missing and f"missing {missing}", unknown and f"unknown {unknown}"]))
        raise CodecError(f"the header must have exactly dtype, shape and compression ({detail})", field="header")
    return header
