"""Tests of the array wire format (podpac_exec.backends.aws_lambda.wire.codec)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from podpac_exec.backends.aws_lambda.wire.codec import (
    CodecError,
    decode_array,
    decode_result,
    encode_array,
    encode_result,
)
from podpac_exec.backends.aws_lambda.wire.encode import b64encode
from podpac_exec.backends.aws_lambda.wire.envelope import load_response
from podpac_exec.errors import PodpacExecError

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COMPRESSIONS = [None, "zstd", "lz4"]
DTYPES = ["?", "<i1", "<i2", "<i4", "<i8", "<u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8",
          "<M8[ns]", "<M8[s]", "<M8[D]", "<m8[ns]"]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit-exact equality: dtype, shape and bytes (NaN payloads and -0.0 included)."""
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def via_json(obj: dict, plain: bool = False) -> dict:
    """``obj`` through the JSON text of a Lambda response, read by ``json.loads`` (``plain``) or
    by the client's ``load_response`` (the payload a memoryview of the text's bytes)."""
    text = json.dumps({"version": 1, "result": obj}).encode()
    return (json.loads(text) if plain else load_response(text))["result"]


def floats_with_specials(dtype: str) -> st.SearchStrategy:
    width = np.dtype(dtype).itemsize * 8
    return st.one_of(
        st.sampled_from([np.nan, np.inf, -np.inf, -0.0, 0.0]),
        st.floats(allow_nan=True, allow_infinity=True, width=width),
    )


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=7))
    elements = floats_with_specials(dtype) if np.dtype(dtype).kind == "f" else None
    return draw(hnp.arrays(np.dtype(dtype), shape, elements=elements))


# ---- round trips -----------------------------------------------------------------------------


@SETTINGS
@given(arrays(), st.sampled_from(COMPRESSIONS))
def test_binary_round_trip(arr: np.ndarray, compression: str | None) -> None:
    decoded = decode_array(encode_array(arr, compression))
    assert same(decoded, arr)
    assert decoded.flags.writeable and decoded.flags.c_contiguous


@SETTINGS
@given(arrays(), st.sampled_from(COMPRESSIONS), st.booleans())
def test_result_round_trip(arr: np.ndarray, compression: str | None, plain: bool) -> None:
    dims = [f"d{i}" for i in range(arr.ndim)]
    values, got_dims = decode_result(via_json(encode_result(arr, dims, compression), plain))
    assert same(values, arr) and got_dims == dims
    assert values.flags.writeable


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("shape", [(1, 7), (7, 1), (3, 5), (2, 3, 4), (0,), (0, 5), (), (1,)])
def test_shapes(shape: tuple[int, ...], compression: str | None) -> None:
    arr = np.arange(int(np.prod(shape)), dtype="<f8").reshape(shape) - 2.5
    assert same(decode_array(encode_array(arr, compression)), arr)
    dims = [f"d{i}" for i in range(len(shape))]
    assert same(decode_result(via_json(encode_result(arr, dims, compression)))[0], arr)


def test_special_values_are_exact() -> None:
    arr = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 0.0, 5e-324, np.finfo(np.float64).max])
    signalling = np.array([0x7FF0000000000001], dtype="<u8").view("<f8")  # a NaN payload survives too
    arr = np.concatenate([arr, signalling])
    for compression in COMPRESSIONS:
        assert same(decode_array(encode_array(arr, compression)), arr)
    times = np.array(["2020-01-01T00:00:00.123456789", "NaT", "1677-09-22T00:12:43.145224193"], dtype="<M8[ns]")
    assert same(decode_result(via_json(encode_result(times, ["time"])))[0], times)


def test_non_contiguous_inputs_travel_in_c_order() -> None:
    base = np.arange(24, dtype="<i4").reshape(4, 6)
    for arr in (base.T, base[::2, 1::2], np.asfortranarray(base)):
        assert same(decode_array(encode_array(arr)), np.ascontiguousarray(arr))
        dims = ["a", "b"]
        assert same(decode_result(encode_result(arr, dims))[0], np.ascontiguousarray(arr))


def test_native_byte_order_and_bool() -> None:
    arr = np.array([[True, False, True]])
    assert same(decode_array(encode_array(arr, "zstd")), arr)
    assert encode_result(np.zeros(2, dtype="=f4"), ["x"])["dtype"] == "<f4"


@pytest.mark.parametrize("compression, level", [("zstd", 1), ("zstd", 19), ("zstd", -5), ("lz4", 0), ("lz4", 16)])
def test_compression_levels(compression: str, level: int) -> None:
    arr = np.tile(np.arange(1000, dtype="<f4"), 10)
    data = encode_array(arr, compression, level)
    assert len(data) < arr.nbytes
    assert same(decode_array(data), arr)
    result = encode_result(arr, ["x"], compression, level)
    assert result["encoding"] == f"podpac-exec-array/1+{compression}"
    assert same(decode_result(result)[0], arr)


def test_binary_layout() -> None:
    data = encode_array(np.arange(3, dtype="<i2"))
    magic, version, header_len = struct.unpack_from("<4sBI", data)
    assert magic == b"\x93PXA" and version == 1
    assert (9 + header_len) % 16 == 0  # the payload is aligned
    assert json.loads(data[9 : 9 + header_len]) == {"dtype": "<i2", "shape": [3], "compression": None}
    assert data[9 + header_len :] == np.arange(3, dtype="<i2").tobytes()


def test_result_fields() -> None:
    result = encode_result(np.zeros((2, 3), dtype="<f4"), ("lat", "lon"))
    assert result == {
        "encoding": "podpac-exec-array/1",
        "dtype": "<f4",
        "shape": [2, 3],
        "dims": ["lat", "lon"],
        "data": result["data"],
    }
    assert isinstance(result["data"], str) and len(result["data"]) == 32


def test_decode_accepts_bytearray_and_memoryview_and_returns_writable() -> None:
    arr = np.arange(6.0).reshape(2, 3)
    data = encode_array(arr)
    for buffer in (bytearray(data), memoryview(data), memoryview(bytearray(data))):
        decoded = decode_array(buffer)
        assert same(decoded, arr) and decoded.flags.writeable
    decoded = decode_array(data)
    decoded[0, 0] = 42.0  # a copy of immutable bytes, so writing is safe
    assert decode_array(data)[0, 0] == 0.0


# ---- rejected arrays -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arr, message",
    [
        (np.zeros(2, dtype=">f8"), "big-endian"),
        (np.array([1, "a"], dtype=object), "not supported"),
        (np.array(["ab"]), "not supported"),
        (np.array([b"ab"]), "not supported"),
        (np.zeros(2, dtype=complex), "not supported"),
        (np.zeros(2, dtype=[("a", "<f4")]), "not supported"),
        (np.zeros(2, dtype=np.longdouble), "long double"),
    ],
)
def test_unsupported_dtypes(arr: np.ndarray, message: str) -> None:
    for encode in (lambda: encode_array(arr), lambda: encode_result(arr, ["x"])):
        with pytest.raises(CodecError, match=message) as info:
            encode()
        assert info.value.field == "dtype"
    assert issubclass(CodecError, PodpacExecError) and issubclass(CodecError, ValueError)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"compression": "gzip"}, "compression"),
        ({"compression": "zstd", "level": 99}, "level"),
        ({"compression": "lz4", "level": 17}, "level"),
        ({"compression": "zstd", "level": 1.5}, "level"),
        ({"compression": None, "level": 3}, "level"),
    ],
)
def test_bad_compression_arguments(kwargs: dict, field: str) -> None:
    with pytest.raises(CodecError) as info:
        encode_array(np.zeros(3), **kwargs)
    assert info.value.field == field


@pytest.mark.parametrize("dims", [["x"], ["x", "y", "z"], ["x", "x"], "xy", ["x", 1], ["x", ""]])
def test_encode_result_checks_dims(dims: object) -> None:
    with pytest.raises(CodecError) as info:
        encode_result(np.zeros((2, 2)), dims)  # type: ignore[arg-type]
    assert info.value.field.startswith("dims")


# ---- malformed binary input ------------------------------------------------------------------


def binary(header: dict | bytes, payload: bytes = b"", magic: bytes = b"\x93PXA", version: int = 1) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<4sBI", magic, version, len(raw)) + raw + payload


GOOD = {"dtype": "<f4", "shape": [2], "compression": None}
PAYLOAD = np.zeros(2, dtype="<f4").tobytes()


@pytest.mark.parametrize(
    "data, field, message",
    [
        (b"", "data", "truncated"),
        (b"\x93PXA\x01", "data", "truncated"),
        (binary(GOOD, PAYLOAD, magic=b"NUMP"), "magic", "bad magic"),
        (binary(GOOD, PAYLOAD, version=2), "version", "unsupported version"),
        (struct.pack("<4sBI", b"\x93PXA", 1, 1000) + b"{}", "header", "header length"),
        (struct.pack("<4sBI", b"\x93PXA", 1, 10**6) + b"{}" * 10, "header", "header length"),
        (binary(b"{not json"), "header", "not valid JSON"),
        (binary(b"\xff\xfe"), "header", "not valid JSON"),
        (binary(b"[" * 5000 + b"]" * 5000), "header", "nests deeper than 4 levels"),  # on every Python
        (binary(b'{"dtype": "<f4", "shape": [[[[[1]]]]], "compression": null}'), "header", "nests deeper"),
        (binary({**GOOD, "dtype": "[[[[[[{{{{"}, PAYLOAD), "header.dtype", "little-endian numpy dtype"),  # in a string
        (binary(b"[1, 2]"), "header", "JSON object"),
        (binary({"dtype": "<f4", "shape": [2]}), "header", "missing ['compression']"),
        (binary({**GOOD, "extra": 1}, PAYLOAD), "header", "unknown ['extra']"),
        (binary({**GOOD, "dtype": ">f4"}, PAYLOAD), "header.dtype", "big-endian"),
        (binary({**GOOD, "dtype": "|O"}, PAYLOAD), "header.dtype", "little-endian numpy dtype"),
        (binary({**GOOD, "dtype": "<U4"}, PAYLOAD), "header.dtype", "little-endian numpy dtype"),
        (binary({**GOOD, "dtype": "<f16"}, PAYLOAD), "header.dtype", "long double"),
        (binary({**GOOD, "dtype": "<f3"}, PAYLOAD), "header.dtype", "not a valid numpy dtype"),
        (binary({**GOOD, "dtype": "f4,i4"}, PAYLOAD), "header.dtype", "little-endian numpy dtype"),
        (binary({**GOOD, "dtype": 4}, PAYLOAD), "header.dtype", "little-endian numpy dtype"),
        (binary({**GOOD, "shape": [-1]}, PAYLOAD), "header.shape[0]", "non-negative"),
        (binary({**GOOD, "shape": [2.0]}, PAYLOAD), "header.shape[0]", "non-negative"),
        (binary({**GOOD, "shape": [True]}, PAYLOAD), "header.shape[0]", "non-negative"),
        (binary({**GOOD, "shape": "2"}, PAYLOAD), "header.shape", "list"),
        (binary({**GOOD, "shape": [1] * 33}, PAYLOAD), "header.shape", "at most 32"),
        (binary({**GOOD, "shape": [10**9, 10**9]}, PAYLOAD), "header.shape", "above the limit"),
        (binary({**GOOD, "shape": [0, 2**63]}, b""), "header.shape", "above the limit"),
        (binary({**GOOD, "compression": "gzip"}, PAYLOAD), "header.compression", "unknown compression"),
        (binary(GOOD, PAYLOAD[:-1]), "data", "truncated"),
        (binary(GOOD, PAYLOAD + b"\x00"), "data", "trailing bytes"),
        (binary({**GOOD, "compression": "zstd"}, b"garbage"), "data", "corrupt zstd"),
        (binary({**GOOD, "compression": "lz4"}, b"garbage"), "data", "corrupt lz4"),
    ],
)
def test_malformed_binary(data: bytes, field: str, message: str) -> None:
    with pytest.raises(CodecError) as info:
        decode_array(data)
    assert info.value.field == field and message in str(info.value), str(info.value)


@pytest.mark.parametrize("compression", ["zstd", "lz4"])
def test_malformed_compressed_payloads(compression: str) -> None:
    arr = np.arange(1000, dtype="<f8")
    good = encode_array(arr, compression)
    header_len = struct.unpack_from("<I", good, 5)[0]
    prefix, payload = good[: 9 + header_len], good[9 + header_len :]
    other = encode_array(np.arange(999, dtype="<f8"), compression)
    cases = [
        prefix + payload[: len(payload) // 2],  # truncated frame
        prefix + payload + b"junk",  # trailing bytes
        prefix + other[9 + struct.unpack_from("<I", other, 5)[0] :],  # frame of another size
        prefix + payload[:-8] + bytes(8),  # corrupted end
    ]
    for data in cases:
        with pytest.raises(CodecError) as info:
            decode_array(data)
        assert info.value.field == "data"


def test_max_bytes_caps_decoding() -> None:
    data = encode_array(np.zeros(1000), "zstd")
    assert decode_array(data, max_bytes=8000).shape == (1000,)
    with pytest.raises(CodecError, match="above the limit of 7999"):
        decode_array(data, max_bytes=7999)
    with pytest.raises(CodecError, match="above the limit"):
        decode_result(encode_result(np.zeros(1000), ["x"]), max_bytes=100)


def test_decompression_bomb_is_refused_before_inflating() -> None:
    import zstandard

    bomb = zstandard.ZstdCompressor().compress(bytes(50_000_000))
    data = binary({"dtype": "<f8", "shape": [10], "compression": "zstd"}, bomb)
    with pytest.raises(CodecError, match="holds 50000000 bytes"):
        decode_array(data)


def test_decode_array_rejects_non_buffers() -> None:
    with pytest.raises(CodecError):
        decode_array("text")  # type: ignore[arg-type]


# ---- malformed JSON results ------------------------------------------------------------------


def result(**changes: object) -> dict:
    obj = encode_result(np.arange(6, dtype="<f4").reshape(2, 3), ["lat", "lon"])
    obj.update(changes)
    return {k: v for k, v in obj.items() if v is not ...}


@pytest.mark.parametrize(
    "obj, field",
    [
        ([], "result"),
        (result(encoding=...), "result.encoding"),
        (result(extra=1), "result.extra"),
        (result(encoding="podpac-exec-array/2"), "result.encoding"),
        (result(encoding="podpac-exec-array/1+gzip"), "result.encoding"),
        (result(encoding=None), "result.encoding"),
        (result(dtype="<f8"), "result.data"),
        (result(dtype=">f4"), "result.dtype"),
        (result(dtype="object"), "result.dtype"),
        (result(shape=[3, 2, 1]), "result.dims"),
        (result(shape=[3, 3]), "result.data"),
        (result(shape=[2, -3]), "result.shape[1]"),
        (result(shape=None), "result.shape"),
        (result(shape=[10**12, 10**12]), "result.shape"),
        (result(dims=["lat"]), "result.dims"),
        (result(dims=["lat", "lat"]), "result.dims"),
        (result(dims=["lat", 3]), "result.dims[1]"),
        (result(dims="lat,lon"), "result.dims"),
        (result(data=None), "result.data"),
        (result(data=b"AAAA"), "result.data"),
        (result(data="A" * 31 + "!"), "result.data"),
        (result(data="A" * 31 + "é"), "result.data"),
        (result(data="AAAA" * 7 + "A==="), "result.data"),
        (result(data="A" * 10**6), "result.data"),
        (result(encoding="podpac-exec-array/1+zstd"), "result.data"),
        (result(encoding="podpac-exec-array/1+lz4"), "result.data"),
    ],
)
def test_malformed_result(obj: object, field: str) -> None:
    with pytest.raises(CodecError) as info:
        decode_result(obj)  # type: ignore[arg-type]
    assert info.value.field == field, (info.value.field, str(info.value))


def test_malformed_compressed_result() -> None:
    arr = np.arange(100, dtype="<f8")
    obj = encode_result(arr, ["x"], "zstd")
    other = encode_result(np.arange(99, dtype="<f8"), ["x"], "zstd")
    for data in (other["data"], obj["data"][:-8], b64encode(b"\x28\xb5\x2f\xfd" + bytes(20))):
        with pytest.raises(CodecError) as info:
            decode_result({**obj, "data": data})
        assert info.value.field == "result.data"


def test_codec_import_is_light() -> None:
    code = (
        "import sys; import podpac_exec; before = set(sys.modules); import podpac_exec.backends.aws_lambda.wire.codec; "
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in "
        "('xarray', 'zstandard', 'lz4', 'pandas', 'pybase64')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
