"""The array wire format (DESIGN.md section 6).

Binary form (``encode_array``/``decode_array``, e.g. a result spilled to S3)::

    b"\\x93PXA"  version (1 byte)  header length (uint32 LE)  header  payload

The header is compact JSON ``{"dtype": "<f4", "shape": [...], "compression": null|"zstd"|"lz4"}``,
padded with spaces so that the payload starts at a multiple of 16 bytes. The payload is the
array's C-order little-endian buffer, optionally zstd- or lz4-compressed (one frame holding its
content size and a checksum of the content).

JSON form (``encode_result``/``decode_result``, the ``result`` of a Lambda response)::

    {"encoding": "podpac-exec-array/1[+zstd|+lz4]", "dtype": "<f4", "shape": [...],
     "dims": [...], "data": <base64 of the payload>}

``encode_dataarray``/``decode_dataarray`` add coordinates, attrs and name for a whole
``xarray.DataArray``; coordinates travel as JSON lists (floats by repr, datetimes as ISO strings
in their own unit), so they round-trip exactly.

Every malformed input raises :class:`CodecError` naming the offending field, never a numpy,
JSON, base64 or compression library error. Decoded arrays are writable and C-contiguous.

At 4 MB, the stdlib json module's character-by-character handling of the base64 string costs
far more than the array work (about 11 ms to dump, 4 ms to load, here). ``data`` is therefore a
:class:`Base64Text`, which :class:`WireJSONEncoder` writes verbatim, and
:class:`WireJSONDecoder` finds long plain strings with a memchr-speed search: ``json.dumps(obj,
cls=WireJSONEncoder)`` and ``json.loads(text, cls=WireJSONDecoder)`` (or :func:`json_dumps` and
:func:`json_loads`) give the same text and objects as the defaults, about 10 times faster on
a response. A Lambda handler can return ``json_dumps(response).encode()``: the Python runtime
passes ``bytes`` through without serializing them again.
"""

from __future__ import annotations

import json
import json.decoder
import json.encoder
import json.scanner
import math
import re
import struct
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from podpac_exec.errors import PodpacExecError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = [
    "CodecError",
    "Base64Text",
    "WireJSONEncoder",
    "WireJSONDecoder",
    "json_dumps",
    "json_loads",
    "check_dtype",
    "ENCODING",
    "DATAARRAY_ENCODING",
    "COMPRESSIONS",
    "DEFAULT_MAX_BYTES",
    "encode_array",
    "decode_array",
    "encode_result",
    "decode_result",
    "encode_dataarray",
    "decode_dataarray",
]

MAGIC = b"\x93PXA"
VERSION = 1
ENCODING = "podpac-exec-array/1"
DATAARRAY_ENCODING = "podpac-exec-dataarray/1"
COMPRESSIONS = ("zstd", "lz4")
#: Largest decoded array accepted by default (a guard against absurd headers and bombs).
DEFAULT_MAX_BYTES = 2**31
MAX_HEADER_BYTES = 65_536
#: A header is an object holding a list (``shape``): anything deeper is refused before parsing.
MAX_HEADER_DEPTH = 4
MAX_NDIM = 32
DEFAULT_LEVELS = {"zstd": 3, "lz4": 0}
_PREFIX = struct.Struct("<4sBI")  # magic, version, header length
_ALIGN = 16
_DTYPE_RE = re.compile(r"^[<>|=][biufmM]\d{1,2}(\[\d*[A-Za-z]+\])?$")
_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class CodecError(PodpacExecError, ValueError):
    """An array or DataArray cannot be encoded, or encoded data is malformed."""


# ---------------------------------------------------------------------------------------------
# dtype, shape and compression checks


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


def _parse_dtype(value: Any, field: str) -> np.dtype:
    if not isinstance(value, str) or not _DTYPE_RE.match(value):
        raise CodecError(f"dtype must be a little-endian numpy dtype string such as '<f4', got {value!r}", field=field)
    try:
        dtype = np.dtype(value)
    except TypeError:
        raise CodecError(f"dtype {value!r} is not a valid numpy dtype", field=field) from None
    return check_dtype(dtype, field)


def _parse_shape(value: Any, itemsize: int, max_bytes: int, field: str) -> tuple[tuple[int, ...], int]:
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


def _parse_compression(value: Any, field: str) -> str | None:
    if value is not None and value not in COMPRESSIONS:
        raise CodecError(f"unknown compression {value!r}; supported: none, {', '.join(COMPRESSIONS)}", field=field)
    return value


def _check_level(compression: str | None, level: int | None) -> int | None:
    if level is None:
        return DEFAULT_LEVELS.get(compression) if compression else None
    if compression is None:
        raise CodecError("a compression level needs a compression", field="level")
    low, high = (-(2**17), 22) if compression == "zstd" else (0, 16)
    if type(level) is not int or not low <= level <= high:
        raise CodecError(f"{compression} level must be an integer in [{low}, {high}], got {level!r}", field="level")
    return level


# ---------------------------------------------------------------------------------------------
# payload: raw buffer and compression


def _raw_view(arr: np.ndarray) -> memoryview:
    """The array's C-order bytes, without a copy when it is already C-contiguous."""
    return memoryview(np.ascontiguousarray(arr).reshape(-1).view(np.uint8))


def _compress(raw: memoryview, compression: str | None, level: int | None) -> Any:
    if compression is None:
        return raw
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor(level=level, write_content_size=True, write_checksum=True).compress(raw)
    lz4_frame = _lz4()
    return lz4_frame.compress(raw, compression_level=level, store_size=True, content_checksum=True)


def _lz4() -> Any:
    try:
        import lz4.frame
    except ImportError:  # pragma: no cover - lz4 is optional
        raise CodecError("lz4 compression needs the lz4 package: pip install lz4", field="compression") from None
    return lz4.frame


def _decompress(payload: memoryview, compression: str, expected: int, field: str) -> bytes:
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
        lz4_frame = _lz4()
        try:
            size = lz4_frame.get_frame_info(payload)["content_size"]
            if size != expected:
                raise CodecError(f"the lz4 frame holds {size} bytes; dtype and shape need {expected}", field=field)
            decompressor = lz4_frame.LZ4FrameDecompressor()
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


def _payload(arr: Any, compression: str | None, level: int | None) -> tuple[np.ndarray, Any, str | None]:
    """Checked array, encoded payload and compression name."""
    if not isinstance(arr, np.ndarray):
        arr = np.asarray(arr)
    check_dtype(arr.dtype)
    compression = _parse_compression(compression, "compression")
    level = _check_level(compression, level)
    return arr, _compress(_raw_view(arr), compression, level), compression


# ---------------------------------------------------------------------------------------------
# binary form


def encode_array(arr: np.ndarray, compression: str | None = None, level: int | None = None) -> bytes:
    """The binary form: magic, version, JSON header, payload (see the module docstring)."""
    arr, payload, compression = _payload(arr, compression, level)
    header = json.dumps(
        {"dtype": arr.dtype.str, "shape": list(arr.shape), "compression": compression}, separators=(",", ":")
    ).encode()
    header += b" " * (-(_PREFIX.size + len(header)) % _ALIGN)
    return b"".join((_PREFIX.pack(MAGIC, VERSION, len(header)), header, payload))


def decode_array(data: bytes | bytearray | memoryview, *, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Decode :func:`encode_array`'s output; ``max_bytes`` caps the decoded size."""
    try:
        view = memoryview(data).cast("B")
    except TypeError:
        raise CodecError(f"expected bytes, got {type(data).__name__}", field="data") from None
    if len(view) < _PREFIX.size:
        raise CodecError(f"truncated: {len(view)} bytes is shorter than the {_PREFIX.size}-byte prefix", field="data")
    magic, version, header_len = _PREFIX.unpack_from(view)
    if magic != MAGIC:
        raise CodecError(f"not a podpac-exec array: bad magic {bytes(magic)!r}", field="magic")
    if version != VERSION:
        raise CodecError(f"unsupported version {version} (this reader knows {VERSION})", field="version")
    if header_len > MAX_HEADER_BYTES or _PREFIX.size + header_len > len(view):
        raise CodecError(f"truncated or invalid header length {header_len}", field="header")
    header = _parse_header(view[_PREFIX.size : _PREFIX.size + header_len])
    dtype = _parse_dtype(header["dtype"], "header.dtype")
    shape, nbytes = _parse_shape(header["shape"], dtype.itemsize, max_bytes, "header.shape")
    compression = _parse_compression(header["compression"], "header.compression")
    offset = _PREFIX.size + header_len
    payload = view[offset:]
    if compression:
        return _to_array(_decompress(payload, compression, nbytes, "data"), 0, dtype, shape)
    if len(payload) != nbytes:
        problem = "truncated" if len(payload) < nbytes else "trailing bytes"
        raise CodecError(f"{problem}: the payload has {len(payload)} bytes; dtype and shape need {nbytes}", field="data")
    return _to_array(data if isinstance(data, (bytes, bytearray)) else view, offset, dtype, shape)


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


# ---------------------------------------------------------------------------------------------
# JSON text: the stdlib json module, without its per-character work on multi-MB base64 strings


class Base64Text(str):
    """A str holding base64 characters only, so JSON text needs no escaping for it.

    ``json.dumps`` treats it as any str; :class:`WireJSONEncoder` copies it verbatim instead
    of checking every character for escapes. Only this module creates it.
    """

    __slots__ = ()


class WireJSONEncoder(json.JSONEncoder):
    """``json.JSONEncoder`` writing :class:`Base64Text` values without scanning them."""

    def iterencode(self, o: Any, _one_shot: bool = False) -> Any:
        make = getattr(json.encoder, "c_make_encoder", None)
        if self.indent is not None or make is None:
            return super().iterencode(o, _one_shot)
        escape = json.encoder.encode_basestring_ascii if self.ensure_ascii else json.encoder.encode_basestring

        def encode_str(text: str) -> str:
            if type(text) is Base64Text and text.isascii():
                return '"' + text + '"'
            return escape(text)

        markers: dict[int, Any] | None = {} if self.check_circular else None
        try:
            encoder = make(markers, self.default, encode_str, self.indent, self.key_separator,
                           self.item_separator, self.sort_keys, self.skipkeys, self.allow_nan)
        except TypeError:  # pragma: no cover - a future Python changed the private signature
            return super().iterencode(o, _one_shot)
        return encoder(o, 0)


_LONG_STRING = 4096


def _scan_string(text: str, end: int, strict: bool = True) -> tuple[str, int]:
    """``json.decoder.scanstring``, with a fast path for long strings needing no unescaping."""
    close = text.find('"', end)
    if close - end > _LONG_STRING:
        chunk = text[end:close]
        if chunk.isascii() and "\\" not in chunk:
            # A JSON string may not hold raw control characters (< 0x20) in strict mode.
            if not strict or np.frombuffer(chunk.encode("ascii"), np.uint8).min() >= 0x20:
                return chunk, close + 1
    return json.decoder.scanstring(text, end, strict)


class WireJSONDecoder(json.JSONDecoder):
    """``json.JSONDecoder`` that finds long plain strings (base64 payloads) by a memchr-speed
    search instead of a character-by-character scan; results equal ``json.loads``'s."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.parse_string = _scan_string
        self.scan_once = json.scanner.py_make_scanner(self)


def json_dumps(obj: Any) -> str:
    """``json.dumps`` with :class:`WireJSONEncoder` (e.g. a Lambda response holding a result)."""
    return json.dumps(obj, cls=WireJSONEncoder)


def json_loads(text: str | bytes | bytearray) -> Any:
    """``json.loads`` with :class:`WireJSONDecoder`."""
    return json.loads(text, cls=WireJSONDecoder)


# ---------------------------------------------------------------------------------------------
# JSON form


def _b64encode(payload: Any) -> Base64Text:
    try:
        import pybase64
    except ImportError:  # pragma: no cover - pybase64 is a dependency; the stdlib is the fallback
        import base64

        return Base64Text(base64.b64encode(payload).decode("ascii"))
    return Base64Text(pybase64.b64encode_as_string(payload))


def _b64decode(text: str) -> bytearray:
    try:
        import pybase64
    except ImportError:  # pragma: no cover
        import base64

        return bytearray(base64.b64decode(text, validate=True))
    return pybase64.b64decode_as_bytearray(text, validate=True)


def _check_dims(dims: Any, ndim: int, field: str) -> list[str]:
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


def encode_result(
    arr: np.ndarray, dims: Sequence[str], compression: str | None = None, level: int | None = None
) -> dict[str, Any]:
    """The JSON-able ``result`` object of a Lambda response."""
    arr, payload, compression = _payload(arr, compression, level)
    dims = _check_dims(dims, arr.ndim, "dims")
    return {
        "encoding": ENCODING + (f"+{compression}" if compression else ""),
        "dtype": arr.dtype.str,
        "shape": list(arr.shape),
        "dims": dims,
        "data": _b64encode(payload),
    }


def _b64_length(nbytes: int) -> int:
    return 4 * ((nbytes + 2) // 3)


def decode_result(
    obj: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES, field: str = "result"
) -> tuple[np.ndarray, list[str]]:
    """Decode :func:`encode_result`'s object into ``(array, dims)``, checking every field."""
    if not isinstance(obj, Mapping):
        raise CodecError(f"expected a JSON object, got {type(obj).__name__}", field=field)
    _check_keys(obj, {"encoding", "dtype", "shape", "dims", "data"}, field)
    compression = _parse_encoding(obj["encoding"], f"{field}.encoding")
    dtype = _parse_dtype(obj["dtype"], f"{field}.dtype")
    shape, nbytes = _parse_shape(obj["shape"], dtype.itemsize, max_bytes, f"{field}.shape")
    dims = _check_dims(obj["dims"], len(shape), f"{field}.dims")
    text = obj["data"]
    if not isinstance(text, str):
        raise CodecError(f"data must be a base64 string, got {type(text).__name__}", field=f"{field}.data")
    # Lengths are checked before decoding so that junk of any size costs nothing.
    limit = _b64_length(nbytes) if compression is None else _b64_length(nbytes + nbytes // 128 + 1024)
    if (compression is None and len(text) != limit) or len(text) > limit:
        raise CodecError(
            f"data has {len(text)} base64 characters; dtype {dtype.str} and shape {list(shape)} need "
            f"{'' if compression is None else 'at most '}{limit}",
            field=f"{field}.data",
        )
    try:
        payload = _b64decode(text)
    except ValueError as exc:
        raise CodecError(f"data is not valid base64: {exc}", field=f"{field}.data") from None
    if compression:
        return _to_array(_decompress(memoryview(payload), compression, nbytes, f"{field}.data"), 0, dtype, shape), dims
    if len(payload) != nbytes:
        raise CodecError(f"data decodes to {len(payload)} bytes; dtype and shape need {nbytes}", field=f"{field}.data")
    return _to_array(payload, 0, dtype, shape), dims


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


# ---------------------------------------------------------------------------------------------
# DataArray form


def encode_dataarray(da: "xr.DataArray", compression: str | None = None, level: int | None = None) -> dict[str, Any]:
    """A JSON-able object holding a DataArray: values, dims, coordinates, attrs and name.

    Coordinates along a stacked dim (``lat`` and ``lon`` along ``lat_lon``) travel as plain
    coordinates of that dim; a pandas MultiIndex is dropped in favour of its level coordinates.
    """
    import xarray as xr

    if not isinstance(da, xr.DataArray):
        raise CodecError(f"expected an xarray.DataArray, got {type(da).__name__}", field="dataarray")
    multi = {name for name, index in da.xindexes.items() if isinstance(index, xr.indexes.PandasMultiIndex)
             and name == index.dim}
    coords = {}
    for name, coord in da.coords.items():
        if name in multi:
            continue
        if not isinstance(name, str):
            raise CodecError(f"coordinate names must be strings, got {name!r}", field="coords")
        coords[name] = _encode_coord(coord.variable, f"coords.{name}")
    return {
        "encoding": DATAARRAY_ENCODING,
        "name": _json_value(da.name, "name"),
        "array": encode_result(da.values, [str(d) for d in da.dims], compression, level),
        "coords": coords,
        "attrs": _json_value(dict(da.attrs), "attrs"),
    }


def _encode_coord(variable: Any, field: str) -> dict[str, Any]:
    values = np.asarray(variable.values)
    entry: dict[str, Any] = {"dims": [str(d) for d in variable.dims], "dtype": _coord_dtype(values, field)}
    entry["values"] = _coord_values(values)
    if variable.attrs:
        entry["attrs"] = _json_value(dict(variable.attrs), f"{field}.attrs")
    return entry


def _coord_dtype(values: np.ndarray, field: str) -> str:
    if values.dtype.kind == "O":
        if not all(isinstance(v, str) for v in values.ravel()):
            raise CodecError("object coordinates must hold strings only", field=field)
        return "|O"
    if values.dtype.kind == "U":
        return values.dtype.str
    return check_dtype(values.dtype, f"{field}.dtype").str


def _coord_values(values: np.ndarray) -> Any:
    kind = values.dtype.kind
    if kind == "M":
        return np.datetime_as_string(values).tolist()
    if kind == "m":
        return values.view(np.int64).tolist()
    if kind == "f" and not np.isfinite(values).all():
        return _map_nested(values.tolist(), _float_to_json)
    return values.tolist()


def _float_to_json(value: float) -> float | str:
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _map_nested(values: Any, fn: Any) -> Any:
    if isinstance(values, list):
        return [_map_nested(v, fn) for v in values]
    return fn(values)


def _json_value(value: Any, field: str) -> Any:
    """``value`` as plain JSON types (numpy scalars and arrays converted), or CodecError."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return value.item()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_json_value(v, f"{field}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise CodecError(f"keys must be strings, got {key!r}", field=field)
        return {key: _json_value(v, f"{field}.{key}") for key, v in value.items()}
    raise CodecError(f"{type(value).__name__} value {value!r} is not JSON-able"[:200], field=field)


def decode_dataarray(
    obj: Mapping[str, Any], *, max_bytes: int = DEFAULT_MAX_BYTES, field: str = "dataarray"
) -> "xr.DataArray":
    """Decode :func:`encode_dataarray`'s object, checking every field."""
    import xarray as xr

    if not isinstance(obj, Mapping):
        raise CodecError(f"expected a JSON object, got {type(obj).__name__}", field=field)
    _check_keys(obj, {"encoding", "name", "array", "coords", "attrs"}, field)
    if obj["encoding"] != DATAARRAY_ENCODING:
        raise CodecError(
            f"unknown encoding {obj['encoding']!r}; expected {DATAARRAY_ENCODING}", field=f"{field}.encoding"
        )
    values, dims = decode_result(obj["array"], max_bytes=max_bytes, field=f"{field}.array")
    sizes = dict(zip(dims, values.shape))
    coords = obj["coords"]
    if not isinstance(coords, Mapping):
        raise CodecError("coords must be an object of name -> coordinate", field=f"{field}.coords")
    variables = {
        name: _decode_coord(entry, sizes, max_bytes, f"{field}.coords.{name}") for name, entry in coords.items()
    }
    attrs = obj["attrs"]
    if not isinstance(attrs, Mapping):
        raise CodecError("attrs must be an object", field=f"{field}.attrs")
    name = obj["name"]
    if name is not None and not isinstance(name, (str, int, float)):
        raise CodecError(f"name must be a string or null, got {name!r}", field=f"{field}.name")
    try:
        return xr.DataArray(values, dims=dims, coords=variables, attrs=dict(attrs), name=name)
    except (ValueError, TypeError) as exc:
        raise CodecError(f"inconsistent coordinates: {exc}", field=f"{field}.coords") from None


def _decode_coord(entry: Any, sizes: Mapping[str, int], max_bytes: int, field: str) -> Any:
    import xarray as xr

    if not isinstance(entry, Mapping):
        raise CodecError("a coordinate must be an object with dims, dtype and values", field=field)
    _check_keys(entry, {"dims", "dtype", "values"}, field, optional=("attrs",))
    dims = entry["dims"]
    if not isinstance(dims, list) or not all(isinstance(d, str) for d in dims):
        raise CodecError(f"dims must be a list of names, got {dims!r}", field=f"{field}.dims")
    unknown = [d for d in dims if d not in sizes]
    if unknown or len(set(dims)) != len(dims):
        raise CodecError(f"dims {dims} must be distinct dims of the array {list(sizes)}", field=f"{field}.dims")
    shape = tuple(sizes[d] for d in dims)
    dtype_text = entry["dtype"]
    if dtype_text == "|O" or (isinstance(dtype_text, str) and re.fullmatch(r"<U\d{1,6}", dtype_text)):
        dtype = np.dtype(object if dtype_text == "|O" else dtype_text)
    else:
        dtype = _parse_dtype(dtype_text, f"{field}.dtype")
    if math.prod(shape) * max(dtype.itemsize, 1) > max_bytes:
        raise CodecError(f"coordinate of shape {shape} is above the limit of {max_bytes} bytes", field=field)
    values = _coord_array(entry["values"], dtype, shape, f"{field}.values")
    attrs = entry.get("attrs", {})
    if not isinstance(attrs, Mapping):
        raise CodecError("attrs must be an object", field=f"{field}.attrs")
    return xr.Variable(dims, values, attrs=dict(attrs))


def _coord_array(values: Any, dtype: np.dtype, shape: tuple[int, ...], field: str) -> np.ndarray:
    flat = list(_flatten(values, shape, field))
    kind = dtype.kind
    check, convert = _ELEMENT_RULES[kind]
    width = dtype.itemsize // 4 if kind == "U" else None  # numpy would truncate longer strings
    for i, value in enumerate(flat):
        if not check(value) or (width is not None and len(value) > width):
            raise CodecError(f"element {i} is {value!r}, not a valid {dtype} value"[:200], field=field)
    try:
        if kind == "m":
            arr = np.array(flat, dtype=np.int64).view(dtype)
        else:
            arr = np.array([convert(v) for v in flat] if convert else flat, dtype=dtype)
    except (ValueError, OverflowError, TypeError) as exc:
        raise CodecError(f"invalid {dtype} values: {exc}"[:200], field=field) from None
    return arr.reshape(shape)


def _flatten(values: Any, shape: tuple[int, ...], field: str) -> Iterator[Any]:
    """The elements of nested lists, checking that the nesting matches ``shape``."""
    if not shape:
        if isinstance(values, list):
            raise CodecError("expected a scalar for a 0-d coordinate", field=field)
        yield values
        return
    if not isinstance(values, list) or len(values) != shape[0]:
        got = f"a list of {len(values)}" if isinstance(values, list) else type(values).__name__
        raise CodecError(f"expected a list of {shape[0]} (shape {list(shape)}), got {got}", field=field)
    for item in values:
        yield from _flatten(item, shape[1:], field)


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


_ELEMENT_RULES: dict[str, tuple[Any, Any]] = {
    "f": (lambda v: _is_number(v) or (isinstance(v, str) and v in _NONFINITE), lambda v: _NONFINITE.get(v, v) if isinstance(v, str) else v),
    "i": (lambda v: type(v) is int, None),
    "u": (lambda v: type(v) is int, None),
    "b": (lambda v: type(v) is bool, None),
    "M": (lambda v: isinstance(v, str), None),
    "m": (lambda v: type(v) is int, None),
    "U": (lambda v: isinstance(v, str), None),
    "O": (lambda v: isinstance(v, str), None),
}
