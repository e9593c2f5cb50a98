"""Typed registration records (conda style) and their collection from the registration hooks."""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from podpac_exec.errors import PluginError

if TYPE_CHECKING:
    import pluggy

    from podpac_exec.plugins.backends import Backend


@dataclass(frozen=True)
class BackendSpec:
    """What a plugin registers for one backend.

    ``backend_class`` is a class or a ``"module:Class"`` path imported only when the backend is
    first used, so registering a backend never imports its heavy dependencies. ``requires`` lists
    importable module names the backend needs; ``extra`` names the pip extra that provides them.
    ``settings`` declares the backend's settings section (key -> default).
    """

    name: str
    backend_class: "type[Backend] | str"
    description: str = ""
    requires: tuple[str, ...] = ()
    extra: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    provider: str = ""

    def missing_requirements(self) -> list[str]:
        return [mod for mod in self.requires if importlib.util.find_spec(mod) is None]

    def load_class(self) -> "type[Backend]":
        if not isinstance(self.backend_class, str):
            return self.backend_class
        module_name, _, attr = self.backend_class.partition(":")
        return getattr(importlib.import_module(module_name), attr)


def collect_backend_specs(pm: "pluggy.PluginManager") -> dict[str, BackendSpec]:
    """Every backend registered with ``pm`` by name; a duplicate name raises ``PluginError``."""
    specs: dict[str, BackendSpec] = {}
    for impl in pm.hook.podpac_exec_register_backends.get_hookimpls():  # registration order
        for spec in impl.function() or []:
            if not isinstance(spec, BackendSpec):
                raise PluginError(f"plugin {impl.plugin_name!r} registered {spec!r}, which is not a BackendSpec")
            spec = BackendSpec(**{**spec.__dict__, "provider": impl.plugin_name})
            if spec.name in specs:
                raise PluginError(
                    f"backend name {spec.name!r} is registered twice: by {specs[spec.name].provider!r} "
                    f"and by {spec.provider!r}"
                )
            specs[spec.name] = spec
    return specs
