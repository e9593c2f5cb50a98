"""The ``serve.*`` settings of one server, read once when the app is built."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from podpac_exec.settings import settings


@dataclass(frozen=True)
class ServeConfig:
    """Bounds and cache of a server; ``backend`` is the backend every value is computed on, with
    ``evaluate_options`` (other settings, e.g. a backend's section) on every call."""

    backend: str
    min_zoom: int = 0
    max_zoom: int = 22
    max_tile_size: int = 512
    max_image_size: int = 4096
    max_request_cells: int = 2**22
    cache_memory_bytes: int = 256 * 2**20
    inline_render_ms: float = 5.0
    cache_dir: str = ""
    cache_s3: str = ""
    api_token: str = ""
    evaluate_options: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, backend: str | None = None, overrides: Mapping[str, Any] | None = None) -> "ServeConfig":
        """The effective settings; ``overrides`` are ``section.key`` settings: ``serve.*`` ones
        configure the server, the others go to every ``evaluate()`` call (checked here)."""
        overrides = dict(overrides or {})
        arguments = dict(overrides)
        if backend is not None:
            arguments["backend"] = backend
        effective = settings.snapshot(arguments)  # an unknown key or a bad value fails here
        section = effective.section("serve")
        section.pop("pipelines", None)  # what a serving function answers for (its backend reads it), not how this server runs
        options = {k: v for k, v in overrides.items() if not k.startswith("serve.") and k != "backend"}
        return cls(backend=effective["backend"], evaluate_options=options, **section)

    def __repr__(self) -> str:  # never show the token
        return f"ServeConfig(backend={self.backend!r}, zoom={self.min_zoom}..{self.max_zoom}, token={'set' if self.api_token else 'none'})"
