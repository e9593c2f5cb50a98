"""Ranged S3 GETs read only their range from moto's object buffer.

moto answers ``GET`` with ``Range: bytes=a-b`` by reading the whole object into memory and then
slicing it. Real S3 costs the range, not the object: a 4 MB piece of a 150 MB dependencies zip
read the 150 MB each time, so ten ranged GETs of a cold start copied 1.5 GB and made the
emulator's S3 the slowest part of every cold start. While moto builds a ranged GET's answer, an
object's ``value`` is a view that reads only the slice moto asks of it; anything else that view
meets is answered with the whole object, as before.
"""

from __future__ import annotations

import functools
import re
import threading
from typing import Any

from moto.s3.models import FakeKey
from moto.s3.responses import S3Response

#: The one range form served from the view (moto's own parser handles everything else).
_SINGLE_RANGE = re.compile(r"bytes=(\d+)-(\d*)$")
_ranged = threading.local()
_install_lock = threading.Lock()


class _ObjectView:
    """The bytes of one object, read on slicing, for moto's range handler."""

    def __init__(self, key: FakeKey) -> None:
        self._key = key

    def __len__(self) -> int:
        return int(self._key.size)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __getitem__(self, part: slice) -> bytes:
        start, stop, step = part.indices(len(self))
        if step != 1:
            return self.whole()[part]
        with self._key.lock:
            buffer = self._key._value_buffer
            buffer.seek(start)
            return buffer.read(max(0, stop - start))

    def whole(self) -> bytes:
        with self._key.lock:
            buffer = self._key._value_buffer
            buffer.seek(0)
            return buffer.read()


def install() -> None:
    """Serve single-range GETs from a view of the object (idempotent)."""
    with _install_lock:
        if getattr(S3Response.key_response, "__wrapped__", None) is not None:
            return
        plain_value = FakeKey.value
        key_response = S3Response.key_response

        def value(key: FakeKey) -> Any:
            if getattr(_ranged, "active", False):
                return _ObjectView(key)
            return plain_value.fget(key)

        @functools.wraps(key_response)
        def ranged_key_response(self: S3Response, request: Any, full_url: str, headers: Any) -> Any:
            simple = request.method == "GET" and _SINGLE_RANGE.match(request.headers.get("range") or "")
            if not simple:
                return key_response(self, request, full_url, headers)
            _ranged.active = True
            try:
                status, response_headers, body = key_response(self, request, full_url, headers)
            finally:
                _ranged.active = False
            if isinstance(body, _ObjectView):  # moto answered with the whole object after all
                body = body.whole()
            return status, response_headers, body

        FakeKey.value = property(value, plain_value.fset)  # type: ignore[method-assign, assignment]
        S3Response.key_response = ranged_key_response  # type: ignore[method-assign]
