"""Function URLs served for real: each URL config gets its own HTTP listener on 127.0.0.1.

moto stores the URL configs but cannot invoke them. Here every config a client creates or reads
answers with a local ``http://127.0.0.1:<port>/`` instead of moto's ``https://<id>.lambda-url...``,
and that port turns each HTTP request into the Function URL event AWS sends (payload format 2.0),
runs it through the emulator's invoke path (containers, limits, faults, logs) and turns the
function's answer into the HTTP response, as AWS does: a ``statusCode`` result is the response
(``isBase64Encoded`` bodies decoded, ``cookies`` as Set-Cookie), anything else is a 200 JSON body,
a function error is a 502. An ``AWS_IAM`` URL refuses requests without a SigV4 Authorization
header (403); the signature itself is not verified (moto verifies none either).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from werkzeug.serving import BaseWSGIServer, make_server

from .errors import AwsError
from .tracing import new_trace_id

if TYPE_CHECKING:
    from .invoke import Invoker

URL_CONFIG_PATH = re.compile(r"^/2021-10-31/functions/(?P<name>[^/]+)/url/?$")
REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 413: "Payload Too Large", 429: "Too Many Requests",
           500: "Internal Server Error", 502: "Bad Gateway"}  # fmt: skip
MAX_REQUEST_BYTES = 6 * 2**20  # Function URLs take at most 6 MB of request payload


class FunctionUrls:
    """The listeners, keyed by (account, region, function name)."""

    def __init__(self, invoker: Invoker) -> None:
        self.invoker = invoker
        self._servers: dict[tuple[str, str, str], tuple[BaseWSGIServer, threading.Thread]] = {}
        self._lock = threading.Lock()

    def local_url(self, account: str, region: str, name: str) -> str:
        """The URL of the function's listener, started on first use."""
        key = (account, region, name)
        with self._lock:
            if key not in self._servers:
                server = make_server("127.0.0.1", 0, UrlApp(self.invoker, *key), threaded=True)
                thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
                thread.start()
                self._servers[key] = (server, thread)
            return f"http://127.0.0.1:{self._servers[key][0].server_port}/"

    def listing(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{"account": a, "region": r, "function": n, "url": f"http://127.0.0.1:{s.server_port}/"}
                    for (a, r, n), (s, _) in self._servers.items()]  # fmt: skip

    def stop_all(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server, thread in servers:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    def rewrite(self, account: str, region: str, name: str, body: bytes) -> bytes:
        """moto's answer to a URL-config call with ``FunctionUrl`` made the local listener's."""
        try:
            doc = json.loads(body)
        except ValueError:
            return body
        if isinstance(doc, dict) and "FunctionUrl" in doc:
            doc["FunctionUrl"] = self.local_url(account, region, doc.get("FunctionArn", name).split(":")[-1] or name)
            return json.dumps(doc).encode()
        return body


class UrlApp:
    """The WSGI app behind one function's URL."""

    def __init__(self, invoker: Invoker, account: str, region: str, name: str) -> None:
        self.invoker, self.account, self.region, self.name = invoker, account, region, name

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            status, headers, body = self.answer(environ)
        except AwsError as e:
            status, headers, body = e.status, [("Content-Type", "application/json")], json.dumps({"Message": e.message}).encode()
        start_response(f"{status} {REASONS.get(status, '')}", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def answer(self, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        from . import moto_bridge

        config = url_config(self.account, self.region, self.name)
        if config is None:
            return _message(404, "Not Found")
        if config.get("AuthType") == "AWS_IAM" and not environ.get("HTTP_AUTHORIZATION", "").startswith("AWS4-HMAC-SHA256"):
            return _message(403, "Forbidden")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_REQUEST_BYTES:
            return _message(413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
        body = environ["wsgi.input"].read(length) if length else b""
        fn = moto_bridge.snapshot(self.account, self.region, self.name, None)
        request_id = str(uuid.uuid4())
        event = function_url_event(environ, body, request_id, url_id=config.get("url_id", "emulator"))
        result = self.invoker.run(fn, json.dumps(event).encode(), request_id, None, new_trace_id())
        if result.function_error:
            return _message(502, "Internal Server Error")
        return http_response(result.payload)


def url_config(account: str, region: str, name: str) -> dict[str, Any] | None:
    """moto's URL config of the function (None when it has none)."""
    from moto.awslambda.models import lambda_backends

    try:
        config = lambda_backends[account][region].get_function_url_config(name)
    except Exception:  # noqa: BLE001 - no function, or no URL config: both are "no URL"
        return None
    if config is None:
        return None
    out = config.to_dict()
    out["url_id"] = config.url.split("//", 1)[-1].split(".", 1)[0]
    return out


def function_url_event(environ: dict[str, Any], body: bytes, request_id: str, url_id: str) -> dict[str, Any]:
    """The payload-2.0 event AWS sends for one Function URL request."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").lower()] = value
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    # what the URL's front end adds, as AWS does (its scheme is https; the emulator's is http)
    headers.update({"x-forwarded-proto": environ.get("wsgi.url_scheme", "http"),
                    "x-forwarded-for": environ.get("REMOTE_ADDR", "127.0.0.1"),
                    "x-forwarded-port": str(environ.get("SERVER_PORT", ""))})  # fmt: skip
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    query = environ.get("QUERY_STRING", "")
    params: dict[str, str] = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        params[k] = f"{params[k]},{v}" if k in params else v
    path = environ.get("PATH_INFO", "/") or "/"
    now = time.time()
    text = _is_text(headers.get("content-type", ""))
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query, "headers": headers,
        "requestContext": {
            "accountId": "anonymous", "apiId": url_id, "domainName": headers.get("host", ""), "domainPrefix": url_id,
            "http": {"method": environ.get("REQUEST_METHOD", "GET"), "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": environ.get("REMOTE_ADDR", "127.0.0.1"), "userAgent": headers.get("user-agent", "")},
            "requestId": request_id, "routeKey": "$default", "stage": "$default",
            "time": dt.datetime.fromtimestamp(now, dt.timezone.utc).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": bool(body) and not text,
    }  # fmt: skip
    if cookies:
        event["cookies"] = cookies
    if params:
        event["queryStringParameters"] = params
    if body:
        event["body"] = body.decode("utf-8") if text else base64.b64encode(body).decode()
    return event


def http_response(payload: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """The HTTP response of a function's result, by the Function URL rules."""
    try:
        result = json.loads(payload) if payload.strip() else None
    except ValueError:
        return 200, [("Content-Type", "application/json")], payload
    if not (isinstance(result, dict) and "statusCode" in result):
        return 200, [("Content-Type", "application/json")], payload
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    headers += [(str(k), ", ".join(map(str, v))) for k, v in (result.get("multiValueHeaders") or {}).items()
                if str(k).lower() not in {h.lower() for h, _ in headers}]  # fmt: skip
    headers += [("Set-Cookie", str(c)) for c in result.get("cookies") or []]
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    if not any(h.lower() == "content-type" for h, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return int(result["statusCode"]), [h for h in headers if h[0].lower() != "content-length"], data


def _is_text(content_type: str) -> bool:
    return content_type.startswith(("text/", "application/json", "application/xml", "application/x-www-form-urlencoded"))


def _message(status: int, message: str) -> tuple[int, list[tuple[str, str]], bytes]:
    return status, [("Content-Type", "application/json")], json.dumps({"Message": message}).encode()
