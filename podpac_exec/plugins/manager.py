"""The plugin manager: the core's own plugins, then entry points of group ``podpac_exec.backends``.

Each plugin comes in one way. The core's plugins (node set, default dispatch, statistics, the
batch and serve commands) are listed in :data:`BUILTIN_PLUGINS`; everything else, the bundled backends
included, is an entry point. Entry points of the podpac-exec distribution itself always load;
``PODPAC_EXEC_DISABLE_PLUGIN_AUTOLOAD=1`` skips those of every other distribution. A plugin that
fails to import is a warning naming it; a hook implementation no hook specification knows (a
misspelling) is a :class:`~podpac_exec.errors.PluginError`. The manager is published only once
it is complete, so a failure leaves no half-built manager behind.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
import warnings
from importlib import metadata
from types import ModuleType
import pluggy

from podpac_exec.errors import PluginError
from podpac_exec.plugins import hookspecs
from podpac_exec.plugins.records import collect_backend_specs

PROJECT = "podpac_exec"
ENTRY_POINT_GROUP = "podpac_exec.backends"
DISTRIBUTION = "podpac-exec"

#: The core's own plugins, registered in this order before any entry point.
BUILTIN_PLUGINS = (
    "podpac_exec.nodes.plugin",
    "podpac_exec.engine.dispatch",
    "podpac_exec.engine.stats",
    "podpac_exec.batch.command",
    "podpac_exec.serve.command",
)

hookimpl = pluggy.HookimplMarker(PROJECT)

_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_generation = 0


def get_plugin_manager() -> pluggy.PluginManager:
    """The process-wide plugin manager, built on first use."""
    global _manager, _generation
    if _manager is not None:
        return _manager
    with _lock:
        if _manager is None:
            pm = pluggy.PluginManager(PROJECT)
            pm.add_hookspecs(hookspecs)
            for name in BUILTIN_PLUGINS:
                _register_module(pm, name)
            _load_entry_points(pm, third_party=not autoload_disabled())
            _validate(pm)
            _generation += 1
            _manager = pm
    return _manager


def autoload_disabled() -> bool:
    return os.environ.get("PODPAC_EXEC_DISABLE_PLUGIN_AUTOLOAD", "").strip().lower() in ("1", "true", "yes")


def reset_plugin_manager() -> None:
    """Forget the plugin manager so the next use rebuilds it (tests, newly installed plugins)."""
    global _manager
    with _lock:
        _manager = None


def plugin_generation() -> int:
    """Increases every time the plugin manager is rebuilt (for caches derived from it)."""
    return _generation


def register_plugin(plugin: object, name: str | None = None) -> None:
    """Register a plugin object or module at run time (e.g. from a notebook or a test).

    A plugin that would make the manager invalid (a misspelled hook, a duplicate backend name)
    is unregistered again and the error raised.
    """
    global _generation
    pm = get_plugin_manager()
    with _lock:
        pm.register(plugin, name=name)
        try:
            _validate(pm)
        except Exception:
            pm.unregister(plugin)
            raise
        _generation += 1


def unregister_plugin(name: str) -> None:
    global _generation
    pm = get_plugin_manager()
    with _lock:
        pm.unregister(name=name)
        _generation += 1


def _validate(pm: pluggy.PluginManager) -> None:
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r}: {_first_line(exc)}") from None
    collect_backend_specs(pm)  # duplicate or malformed backend records


def _first_line(exc: BaseException) -> str:
    return re.sub(r"\s+", " ", str(exc)).strip()


def _register_module(pm: pluggy.PluginManager, module_name: str) -> ModuleType | None:
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the core
        warnings.warn(f"podpac-exec plugin {module_name!r} failed to import: {exc!r}", RuntimeWarning, stacklevel=3)
        return None
    if not pm.is_registered(module):
        pm.register(module, name=module_name)
    return module


def _is_own(ep: metadata.EntryPoint) -> bool:
    dist = getattr(ep, "dist", None)
    name = getattr(dist, "name", "") or ""
    return re.sub(r"[-_.]+", "-", name).lower() == DISTRIBUTION


def _load_entry_points(pm: pluggy.PluginManager, *, third_party: bool) -> None:
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: (not _is_own(e), e.name)):
        if not (third_party or _is_own(ep)) or pm.get_plugin(ep.name) is not None:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f"podpac-exec plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}", RuntimeWarning, stacklevel=3)
            continue
        if pm.is_registered(plugin):
            continue  # two entry points naming one module
        try:
            pm.register(plugin, name=ep.name)
        except ValueError as exc:
            warnings.warn(f"podpac-exec plugin {ep.name!r} could not be registered: {exc}", RuntimeWarning, stacklevel=3)
