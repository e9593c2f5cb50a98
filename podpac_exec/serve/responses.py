"""Responses shared by the JSON-speaking apps (tiles, info): bytes with cache headers, and
errors as ``{"error": ..., "field": ...}`` with the right status, never a traceback."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from podpac_exec.errors import BackendError, PodpacExecError, TileEvaluationError
from podpac_exec.serve.errors import ServeRequestError


def binary(request: Request, data: bytes, media_type: str, etag: str) -> Response:
    """``data`` with an ETag; 304 when the client already has it."""
    tag = f'"{etag[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "public, max-age=3600"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


def error_status(exc: Exception) -> tuple[int, str]:
    """The HTTP status and one-line message of any exception a request raised."""
    if isinstance(exc, ServeRequestError):
        return exc.status, str(exc)
    if isinstance(exc, (BackendError, TileEvaluationError)):
        return 502, f"the backend failed: {exc}"
    if isinstance(exc, PodpacExecError):
        return 500, f"evaluation failed: {exc}"
    return 500, "internal error (see the server log)"


async def json_error(request: Request, exc: Exception) -> JSONResponse:
    status, message = error_status(exc)
    body = {"error": message}
    if isinstance(exc, PodpacExecError) and exc.field:
        body["field"] = exc.field
    return JSONResponse(body, status_code=status)


#: PodpacExecError is answered and done; any other Exception is answered, then re-raised by
#: Starlette's ServerErrorMiddleware so the server log keeps its traceback (the client never sees it).
JSON_ERROR_HANDLERS = {PodpacExecError: json_error, Exception: json_error}
