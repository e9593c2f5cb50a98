"""The one ASGI app: each concern is its own small Starlette app, routed to by path."""

from __future__ import annotations

from typing import Iterable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route

from podpac_exec.serve.auth import ApiKeyMiddleware
from podpac_exec.serve.config import ServeConfig
from podpac_exec.serve.context import ServeContext
from podpac_exec.serve.registry import Registry, ServedPipeline


def create_app(
    pipelines: Registry | Iterable[ServedPipeline], config: ServeConfig | None = None, *, context: ServeContext | None = None
) -> Starlette:
    """The server of ``pipelines`` (a :class:`Registry` or served pipelines) with ``config``
    (default: the ``serve.*`` settings and the settings' backend)."""
    registry = pipelines if isinstance(pipelines, Registry) else Registry(pipelines)
    if not len(registry):
        from podpac_exec.serve.errors import ServeRequestError

        raise ServeRequestError("register at least one pipeline to serve", field="pipeline")
    ctx = context or ServeContext(registry, config or ServeConfig.from_settings())
    app = Starlette(routes=routes(ctx), middleware=[Middleware(ApiKeyMiddleware, token=ctx.config.api_token)])
    app.state.context = ctx
    return app


def routes(ctx: ServeContext) -> list[BaseRoute]:
    """Every path, handed whole to the app of its concern."""
    from podpac_exec.serve.info import create_info_app
    from podpac_exec.serve.page import create_page_app
    from podpac_exec.serve.tiles import create_tiles_app
    from podpac_exec.serve.wcs import create_wcs_app
    from podpac_exec.serve.wms import create_wms_app

    tiles, info = create_tiles_app(ctx), create_info_app(ctx)
    out: list[BaseRoute] = [
        Route("/tiles/{rest:path}", tiles),
        Route("/tilejson.json", tiles),
        *(Route(path, info) for path in ("/point", "/legend.json", "/colorbar.png", "/pipelines.json")),
    ]
    out.append(Route("/wms", create_wms_app(ctx)))
    out.append(Route("/wcs", create_wcs_app(ctx)))
    page = create_page_app(ctx)
    out.extend([Route("/", page), Route("/static/{rest:path}", page)])
    return out
