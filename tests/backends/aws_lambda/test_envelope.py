"""Tests of reading a response's bytes (podpac_exec.backends.aws_lambda.wire.envelope)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpac_exec.backends.aws_lambda.wire.codec import CodecError, decode_result, encode_result
from podpac_exec.backends.aws_lambda.wire.decode import b64decode
from podpac_exec.backends.aws_lambda.wire.envelope import load_response, read
from podpac_exec.backends.aws_lambda.wire.protocol import build_response, read_response

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["data", "result", 'x"data', "a"]) | st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


def plain(value: object) -> object:
    """``value`` with memoryviews as the str json.loads gives."""
    if isinstance(value, memoryview):
        return value.tobytes().decode("ascii")
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def strict(parsed: object) -> object:
    """What a parser of responses does to the payload, as plain JSON values: base64 strictly."""
    result = parsed.get("result") if isinstance(parsed, dict) else None
    data = result.get("data") if isinstance(result, dict) else None
    if isinstance(data, memoryview):
        try:
            b64decode(data)
        except ValueError as exc:
            raise CodecError(str(exc), field="result.data") from None
    return plain(parsed)


def test_the_payload_stays_in_the_response_bytes() -> None:
    values = np.random.default_rng(0).normal(size=(300, 200))
    values[0, :5] = [np.nan, -0.0, np.inf, -np.inf, 5e-324]
    body = json.dumps(build_response(values, ["lat", "lon"])).encode()
    parsed = load_response(body)
    assert isinstance(parsed["result"]["data"], memoryview) and parsed["result"]["data"].obj is body
    assert plain(parsed) == json.loads(body)
    got, dims = decode_result(parsed["result"])
    assert got.tobytes() == values.tobytes() and dims == ["lat", "lon"] and got.flags.writeable
    response = read_response(body)
    assert response.values.tobytes() == values.tobytes() and response.dims == ["lat", "lon"]
    escaped = body.replace(b"/", b"\\/")  # JSON allows it; json.loads reads it, and so does the fallback
    assert escaped != body and read_response(escaped).values.tobytes() == values.tobytes()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES, st.text(alphabet="AB+/=", max_size=50), st.booleans())
def test_equals_json_loads(extra: object, data: str, data_first: bool) -> None:
    result = {"data": data, "dims": ["x"]} if data_first else {"dims": ["x"], "data": data}
    for doc in ({"version": 1, "result": result, "extra": extra}, {"extra": extra, "result": result}, extra):
        for indent in (None, 1):
            body = json.dumps(doc, indent=indent).encode()
            assert read(body, strict) == json.loads(body)


@pytest.mark.parametrize(
    "text",
    [
        '{"x\\"data": "AAAA", "result": {"data": ""}}',  # the first "data": is inside another key
        '{"data": "AAAA", "result": {"data": "BBBB"}}',  # another data key first
        '{"result": {"data": "AA\\u0041A"}}',  # an escape in the payload
        '{"result": {"data": "AAAA"}, "data": "BBBB"}',
        '{"result": [{"data": "AAAA"}]}',
        '{"result_s3": "s3://b/k", "version": 1}',
        '{"result": {"data": "AAAA", "dims": ["x"]}}',  # the payload is not the last string
        '{"result": {"data": "AAAA"}, "v": "z"}',
        '"data": "AAAA"',
    ],
)
def test_texts_where_the_payload_is_not_plain_are_parsed_by_json(text: str) -> None:
    try:
        expected = json.loads(text)
    except ValueError:
        with pytest.raises(ValueError):
            read(text.encode(), strict)
        return
    assert read(text.encode(), strict) == expected


@pytest.mark.parametrize(
    "body",
    [
        b'{"result": {"data": "AAAA"}',
        b'{"result": {"data": "AAAA}',
        b'{"result": {"data": "AAAA"}}}',
        b'{"re\xffsult": {"data": "AAAA"}}',
        b"",
    ],
)
def test_invalid_json_raises_value_error(body: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        read(body, strict)


@pytest.mark.parametrize("junk", [b"\xff", b"\x01", b"\xc3\xa9", b" ", b'\\"', b"\\u0041"])
def test_a_payload_that_is_not_plain_base64_fails_as_with_json_loads(junk: bytes) -> None:
    """The decoder rejects it; the text is then read by json.loads: its error, or the codec's
    naming the field."""
    from podpac_exec.backends.aws_lambda.wire.protocol import parse_response

    good = json.dumps({"version": 1, "result": encode_result(np.arange(3.0), ["x"])}).encode()
    start = good.index(b'"data": "') + 9
    body = good[:start] + junk + good[start + len(junk) :]
    with pytest.raises(ValueError) as expected:
        parse_response(json.loads(body))
    with pytest.raises(type(expected.value)) as info:
        read_response(body)
    assert str(info.value) == str(expected.value)
    if isinstance(info.value, CodecError):
        assert info.value.field == "result.data"


def test_other_encodings_and_buffers() -> None:
    obj = {"version": 1, "result": encode_result(np.arange(5.0), ["x"])}
    text = json.dumps(obj)
    assert read(text.encode("utf-16"), strict) == json.loads(text)
    assert read(memoryview(text.encode()), strict) == json.loads(text)
    assert read(bytearray(text.encode()), strict) == json.loads(text)


def test_dump_response_writes_the_payload_last_so_a_field_after_it_costs_nothing() -> None:
    from podpac_exec.backends.aws_lambda.wire.envelope import dump_response

    values = np.arange(12.0).reshape(3, 4)
    response = {"version": 1, "result": encode_result(values, ["lat", "lon"]), "meta": {"invocations": 2}}
    assert load_response(json.dumps(response).encode()) is None  # json.dumps's order: meta after data
    body = dump_response(response)
    assert json.loads(body) == response
    parsed = load_response(body)
    assert isinstance(parsed["result"]["data"], memoryview) and parsed["meta"] == {"invocations": 2}
    assert read_response(body).values.tobytes() == values.tobytes()
    assert json.loads(dump_response({"version": 1, "result_s3": "s3://b/k"})) == {"version": 1, "result_s3": "s3://b/k"}
