"""The serve app inside the Lambda function: API Gateway REST (v1), HTTP API (v2) and Function
URL events through Mangum, binary bodies base64-encoded as API Gateway requires.

The function serves the pipelines of the setting ``serve.pipelines`` (``NAME=s3://bucket/key.json``
or ``NAME=/path/in/the/zip.json``), read once per container and computed on the local backend
inside the function; each must pass the function's pipeline-hash allowlist.
"""

from __future__ import annotations

import threading
from typing import Any, Mapping

from podpac_exec.backends.aws_lambda.function.allowlist import check_allowlist
from podpac_exec.serve.errors import ServeRequestError

_lock = threading.Lock()
_handler: dict[str, Any] = {}  # the served list -> the Mangum handler built for it (one per container)


def served_pipelines() -> list[str]:
    """The function's ``serve.pipelines`` entries (empty: the function serves nothing)."""
    from podpac_exec.settings import settings

    return list(settings.snapshot()["serve.pipelines"])


def wants(event: Mapping[str, Any]) -> bool:
    """Whether an HTTP event is for the serve app: the function serves pipelines, and the event
    is not the evaluate API (a POST, or a GET carrying ``pipeline=``), which keeps its own path."""
    if not served_pipelines():
        return False
    method = event.get("httpMethod") or (event.get("requestContext") or {}).get("http", {}).get("method", "")
    params = event.get("queryStringParameters") or {}
    return str(method).upper() in ("GET", "HEAD") and "pipeline" not in params


def handle(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The HTTP answer to ``event`` (Mangum's proxy-integration response)."""
    entries = tuple(served_pipelines())
    key = "\n".join(entries)
    with _lock:
        handler = _handler.get(key)
        if handler is None:
            handler = _handler[key] = _build(entries)
    return handler(dict(event), context)


def _build(entries: tuple[str, ...]) -> Any:
    try:
        from mangum import Mangum

        from podpac_exec.serve.app import create_app
    except ModuleNotFoundError as exc:
        raise ServeRequestError(
            f"the function serves pipelines but was packaged without the serve extra ({exc.name} is missing): "
            "podpac-exec aws package --serve, then aws build",
            field="serve.pipelines",
            status=500,
        ) from None
    from podpac_exec.serve.config import ServeConfig
    from podpac_exec.serve.registry import Registry

    registry = Registry(load_entry(entry) for entry in entries)
    app = create_app(registry, ServeConfig.from_settings("local"))
    return Mangum(StagePrefix(app), lifespan="off")


def load_entry(entry: str) -> Any:
    """``NAME=s3://bucket/key`` or ``NAME=path`` as a served pipeline on the function's allowlist."""
    from podpac_exec.nodes.base import Node
    from podpac_exec.serve.registry import ServedPipeline, load_pipeline

    name, sep, location = entry.partition("=")
    if not sep or not location:
        raise ServeRequestError(f"serve.pipelines entry {entry!r} must be NAME=LOCATION", field="serve.pipelines")
    if location.startswith("s3://"):
        bucket, _, key = location[len("s3://"):].partition("/")
        import boto3

        body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        pipeline = ServedPipeline(name, Node.from_json(body), title=name)
    else:
        pipeline = load_pipeline(entry)
    check_allowlist(pipeline.hash)
    return pipeline


class StagePrefix:
    """A named API Gateway stage as the app's ``root_path``, so the URLs it writes carry it
    (REST v1 events leave the stage out of ``path``; HTTP API v2 ones keep it in)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        event = scope.get("aws.event") or {}
        stage = (event.get("requestContext") or {}).get("stage")
        if scope["type"] == "http" and stage and stage != "$default":
            prefix = f"/{stage}"
            path = scope["path"]
            if event.get("version") != "2.0" and not path.startswith(prefix + "/"):
                path = prefix + path
            scope = {**scope, "root_path": prefix, "path": path}
        await self.app(scope, receive, send)

