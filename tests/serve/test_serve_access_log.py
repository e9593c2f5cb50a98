"""AccessLog: one line per HTTP request, in uvicorn's format, after the response."""

from __future__ import annotations

import asyncio
import io

import pytest

from podpac_exec.serve.access_log import AccessLog, access_line


def _scope(path: str = "/tiles/WebMercatorQuad/1/0/0.png", query: bytes = b"layer=wave") -> dict:
    return {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": query,
            "http_version": "1.1", "client": ("127.0.0.1", 53422)}


def _run(app, scope) -> list[dict]:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


async def _teapot(scope, receive, send):
    await send({"type": "http.response.start", "status": 418, "headers": []})
    await send({"type": "http.response.body", "body": b"short and stout"})


def test_a_line_per_request_with_its_status_written_after_the_response():
    stream = io.StringIO()
    sent = _run(AccessLog(_teapot, stream), _scope())
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]  # passed on as sent
    assert stream.getvalue() == 'INFO:     127.0.0.1:53422 - "GET /tiles/WebMercatorQuad/1/0/0.png?layer=wave HTTP/1.1" 418\n'


def test_an_app_that_raises_is_logged_as_the_500_the_server_answers():
    async def broken(scope, receive, send):
        raise RuntimeError("bug")

    stream = io.StringIO()
    with pytest.raises(RuntimeError):
        _run(AccessLog(broken, stream), _scope("/point", b""))
    assert stream.getvalue().endswith('"GET /point HTTP/1.1" 500\n')


def test_other_scopes_pass_through_unlogged():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    stream = io.StringIO()
    _run(AccessLog(app, stream), {"type": "lifespan"})
    assert seen == ["lifespan"] and stream.getvalue() == ""


def test_the_raw_path_is_logged_as_sent_and_a_missing_client_as_a_dash():
    scope = {**_scope("/a b"), "raw_path": b"/a%20b", "query_string": b"", "client": None}
    assert access_line(scope, 200) == 'INFO:     - - "GET /a%20b HTTP/1.1" 200\n'


def test_a_closed_log_stream_does_not_fail_the_request():
    stream = io.StringIO()
    stream.close()
    sent = _run(AccessLog(_teapot, stream), _scope())
    assert sent[0]["status"] == 418
