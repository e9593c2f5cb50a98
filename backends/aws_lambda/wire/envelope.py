"""Reading a Lambda response's JSON text without decoding its multi-MB base64 string as text.

``json.loads`` of a 6 MB response copies the bytes into a str, scans the base64 string character
by character and copies it again into a str of its own, before base64 decoding starts. Here the
payload is found in the response bytes without reading them (from the ``"data": "`` near the
start to the last quote of the text, where ``encode_result``'s field order puts it), the small
rest of the text is parsed by the stdlib json module, and the payload stays a ``memoryview`` of
the response bytes, which :func:`~.decode.decode_result` base64-decodes directly. The strict
base64 decoder is what proves the span is one plain JSON string: a quote or backslash in it is
outside the alphabet, and :func:`read` then parses the text with ``json.loads`` instead.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from collections.abc import Mapping
from typing import Any, Callable, TypeVar

from podpac_exec.backends.aws_lambda.wire.format import CodecError

#: The key of the base64 payload and the opening quote of its value.
_DATA_KEY = re.compile(rb'"data"\s*:\s*"')
T = TypeVar("T")


def dump_response(response: Mapping[str, Any]) -> bytes:
    """``json.dumps(response).encode()`` with ``result.data`` written last, as :func:`load_response`
    finds it (a field after it, such as ``meta``, would send the reader to ``json.loads``), and
    copied in rather than scanned: base64's alphabet needs no escaping. What the function returns
    (the runtime passes bytes through as they are)."""
    result = response.get("result")
    if not isinstance(result, Mapping) or not isinstance(result.get("data"), str):
        return json.dumps(response, ensure_ascii=False).encode("utf-8")
    rest = {key: value for key, value in response.items() if key != "result"}
    fields = {key: value for key, value in result.items() if key != "data"}
    text = json.dumps({**rest, "result": {**fields, "data": ""}}, ensure_ascii=False)
    return b"".join((text[:-3].encode("utf-8"), result["data"].encode("ascii"), b'"}}'))


def read(body: bytes | bytearray | memoryview, parse: Callable[[Any], T]) -> T:
    """``parse(json.loads(body))``, the payload given to ``parse`` as a memoryview of ``body``.

    ``parse`` decodes the payload strictly (``CodecError`` for a character outside base64's
    alphabet); when the span taken for it was not a plain string, the text is parsed again by
    ``json.loads`` and ``parse`` gets its result, so errors and values are ``json.loads``'s.
    """
    if isinstance(body, memoryview):
        body = body.tobytes()
    parsed = load_response(body)
    if parsed is None:
        return parse(json.loads(body))
    try:
        return parse(parsed)
    except CodecError:
        return parse(json.loads(body))


def load_response(body: bytes | bytearray) -> Any:
    """The parse of ``body`` with ``result.data`` a memoryview of the characters from its
    opening quote to the text's last quote; None when the text has no such layout.

    It equals ``json.loads(body)`` when those characters are base64's alphabet (no quote nor
    backslash, so they are one whole string token, as its only string holding them).
    """
    match = _DATA_KEY.search(body)
    if match is None:
        return None
    start, end = match.end(), body.rfind(b'"')
    if end < start:
        return None
    return _parse_around(body, start, end)


class _Span:
    """Stands for the payload string while the text around it is parsed."""

    __slots__ = ()


def _parse_around(body: bytes, start: int, end: int) -> Any:
    """The parse of ``body`` with ``body[start:end]`` as the string ``result.data``, or None.

    The text is parsed with those characters removed and the (now empty) string token at
    ``start`` replaced by a marker object. Removing characters that hold no quote or backslash
    changes no other token, so when the marker lands at ``result.data`` the parse is
    ``json.loads(body)``'s but for that string.
    """
    try:
        head, tail = body[:start].decode("utf-8"), body[end:].decode("utf-8")
    except UnicodeDecodeError:
        return None  # not UTF-8 (json.loads also reads UTF-16/32): it decides
    marker = _Span()
    decoder = json.JSONDecoder()
    at = len(head)  # where the string's characters begin in the emptied text

    def parse_string(text: str, index: int, strict: bool = True) -> tuple[Any, int]:
        if index == at:
            return marker, index + 1
        return json.decoder.scanstring(text, index, strict)

    decoder.parse_string = parse_string  # type: ignore[assignment]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # the C scanner ignores parse_string
    try:
        parsed = decoder.decode(head + tail)
    except (ValueError, RecursionError):
        return None  # json.loads gives the error
    result = parsed.get("result") if isinstance(parsed, dict) else None
    if not isinstance(result, dict) or result.get("data") is not marker:
        return None
    result["data"] = memoryview(body)[start:end]
    return parsed
