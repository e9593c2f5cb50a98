"""The one ASGI app: each concern is its own small Starlette app (its routes, its error format),
and the top app hands every path, whole, to the app of its concern."""

from __future__ import annotations

from typing import Iterable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from podpac_exec.serve.auth import ApiKeyMiddleware
from podpac_exec.serve.config import ServeConfig
from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.info import create_info_app
from podpac_exec.serve.page import create_page_app
from podpac_exec.serve.registry import Registry, ServedPipeline
from podpac_exec.serve.tiles import create_tiles_app
from podpac_exec.serve.wcs import create_wcs_app
from podpac_exec.serve.wms import create_wms_app
from podpac_exec.serve.wmts import PATH as WMTS_PATH, create_wmts_app

#: (app factory, the paths it answers)
CONCERNS = (
    (create_tiles_app, ("/tiles/{rest:path}", "/tilejson.json")),
    (create_info_app, ("/point", "/legend.json", "/colorbar.png", "/pipelines.json")),
    (create_wms_app, ("/wms",)),
    (create_wmts_app, (WMTS_PATH,)),
    (create_wcs_app, ("/wcs",)),
    (create_page_app, ("/", "/static/{rest:path}")),
)


def create_app(
    pipelines: Registry | Iterable[ServedPipeline], config: ServeConfig | None = None, *, context: ServeContext | None = None
) -> Starlette:
    """The server of ``pipelines`` (a :class:`Registry` or served pipelines) with ``config``
    (default: the ``serve.*`` settings and the settings' backend), or with a ready ``context``."""
    registry = pipelines if isinstance(pipelines, Registry) else Registry(pipelines)
    if not len(registry):
        raise ServeRequestError("register at least one pipeline to serve", field="pipeline")
    ctx = context or ServeContext(registry, config or ServeConfig.from_settings())
    app = Starlette(routes=routes(ctx), middleware=[Middleware(ApiKeyMiddleware, token=ctx.config.api_token)])
    app.state.context = ctx
    return app


def routes(ctx: ServeContext) -> list[BaseRoute]:
    out: list[BaseRoute] = []
    for factory, paths in CONCERNS:
        app = factory(ctx)
        out.extend(Route(path, app) for path in paths)
    return out
