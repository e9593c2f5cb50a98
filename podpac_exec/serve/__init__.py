"""Serve registered pipelines over HTTP: map tiles, WMS 1.3.0, WCS 1.0.0 and a map page.

``create_app(registry)`` builds one Starlette app from small per-concern apps (tiles, info,
WMS, WCS, page); ``podpac-exec serve`` runs it under uvicorn. Every value is computed through
:func:`podpac_exec.evaluate` on the request's lat/lon pixel centres. Needs the ``serve`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["create_app", "Registry", "ServedPipeline"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not need starlette
    if name == "create_app":
        from podpac_exec.serve.app import create_app

        return create_app
    if name in ("Registry", "ServedPipeline"):
        from podpac_exec.serve import registry

        return getattr(registry, name)
    raise AttributeError(name)
