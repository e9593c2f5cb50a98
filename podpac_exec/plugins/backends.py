"""Backends: the typed registration record, the base class and name resolution."""

from __future__ import annotations

import importlib
import importlib.util
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from podpac_exec.errors import BackendUnavailableError, PluginError, UnknownBackendError

if TYPE_CHECKING:
    import pluggy
    import xarray as xr

    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node
    from podpac_exec.settings import EffectiveSettings
    from podpac_exec.engine.stats import EvaluationStats


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


@dataclass(frozen=True)
class BackendLimits:
    """What the tile planner must respect for a backend."""

    max_result_bytes: int
    concurrency: int = 1
    max_request_cells: int | None = None
    #: encoded bytes per raw result byte (base64 in a JSON response is 4/3)
    encoding_overhead: float = 1.0


@dataclass
class EvaluationOptions:
    """Per-evaluation context handed to ``podpac_exec_evaluate_node``."""

    settings: "EffectiveSettings"
    stats: "EvaluationStats"
    tile: Any = None


class Backend(ABC):
    """An execution backend. Instances are cached per name and settings, and thread-safe."""

    name: ClassVar[str] = ""

    def __init__(self, settings: "EffectiveSettings") -> None:
        self.settings = settings

    @abstractmethod
    def limits(self) -> BackendLimits:
        """The budget of one call: result bytes and parallelism."""

    @abstractmethod
    def evaluate(self, node: "Node", coordinates: "Coordinates", options: EvaluationOptions) -> "xr.DataArray":
        """Evaluate one tile; raise :class:`~podpac_exec.errors.PodpacExecError` subclasses on failure."""

    def report(self, stats: "EvaluationStats") -> dict[str, Any]:
        """Backend-specific figures for a finished evaluation (e.g. invocations and cost)."""
        return {}

    def close(self) -> None:
        """Release clients, pools and processes."""


def get_backend_specs() -> dict[str, BackendSpec]:
    """Every registered backend by name; duplicate names raise ``PluginError`` naming both."""
    from podpac_exec.plugins.manager import get_plugin_manager

    return _collect_specs(get_plugin_manager())


def _collect_specs(pm: "pluggy.PluginManager") -> dict[str, BackendSpec]:
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


def register_backend_settings(pm: "pluggy.PluginManager") -> None:
    """Declare every backend's settings section (called when the plugin manager is built)."""
    from podpac_exec.settings import settings

    for spec in _collect_specs(pm).values():
        settings.register_defaults(spec.name, spec.settings)


_instances: dict[tuple[str, str], Backend] = {}
_instances_lock = threading.Lock()


def get_backend(name: str, effective: "EffectiveSettings") -> Backend:
    """The backend called ``name``, configured by ``effective`` (instances are reused)."""
    specs = get_backend_specs()
    spec = specs.get(name)
    if spec is None:
        installed = ", ".join(sorted(specs)) or "none"
        raise UnknownBackendError(f"unknown backend {name!r}; installed backends: {installed}", field="backend")
    missing = spec.missing_requirements()
    if missing:
        hint = f": pip install 'podpac-exec[{spec.extra}]'" if spec.extra else ""
        raise BackendUnavailableError(
            f"backend {name!r} needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            f"not installed{hint}",
            field="backend",
        )
    key = (name, repr(sorted(effective.section(name).items())))
    with _instances_lock:
        backend = _instances.get(key)
        if backend is None:
            backend = spec.load_class()(effective)
            _instances[key] = backend
    return backend


def close_backends() -> None:
    """Close and forget every cached backend instance."""
    with _instances_lock:
        backends = list(_instances.values())
        _instances.clear()
    for backend in backends:
        backend.close()
