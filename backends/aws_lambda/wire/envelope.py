"""Reading a Lambda response's JSON text without decoding its multi-MB base64 string as text.

``json.loads`` of a 6 MB response copies the bytes into a str, scans the base64 string character
by character and copies it again into a str of its own, before base64 decoding starts. Here the
payload is found in the response bytes (``"data": "`` up to the next quote, a memchr-speed
search), the small rest of the text is parsed by the stdlib json module, and the payload stays a
``memoryview`` of the response bytes, which :func:`~.decode.decode_result` base64-decodes
directly (into the buffer the result array lies over).
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re
from typing import Any

#: The key of the base64 payload and the opening quote of its value.
_DATA_KEY = re.compile(rb'"data"\s*:\s*"')


def load_response(body: bytes | bytearray | memoryview) -> Any:
    """``json.loads(body)``, except that ``result.data`` is a ``memoryview`` of its characters.

    The result equals ``json.loads``'s (ValueError on invalid JSON) but for that one string's
    type, whose characters are left to ``decode_result``'s strict base64 to check; text where the payload cannot be told apart with certainty (escapes in
    it, another ``data`` key first) is parsed by ``json.loads`` alone.
    """
    if isinstance(body, memoryview):
        body = body.tobytes()
    match = _DATA_KEY.search(body)
    if match is not None:
        start = match.end()
        end = body.find(b'"', start)
        if end >= 0 and body.find(b"\\", start, end) < 0:
            parsed = _parse_around(body, start, end)
            if parsed is not None:
                return parsed
    return json.loads(body)


class _Span:
    """Stands for the payload string while the text around it is parsed."""

    __slots__ = ()


def _parse_around(body: bytes, start: int, end: int) -> Any:
    """The parse of ``body`` with the string ``body[start:end]`` as a memoryview, or None.

    The text is parsed with that string emptied; the string token at ``start`` is replaced by a
    marker object. Emptying a string holding no quote or backslash changes no other token, so
    when the marker lands at ``result.data`` the parse is ``json.loads(body)``'s.
    """
    try:
        head, tail = body[:start].decode("utf-8"), body[end:].decode("utf-8")
    except UnicodeDecodeError:
        return None  # not UTF-8 (json.loads also reads UTF-16/32): let it decide
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
    except ValueError:
        return None  # json.loads gives the error
    result = parsed.get("result") if isinstance(parsed, dict) else None
    if not isinstance(result, dict) or result.get("data") is not marker:
        return None
    result["data"] = memoryview(body)[start:end]
    return parsed
