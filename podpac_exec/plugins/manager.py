"""The plugin manager: built-in plugins, then entry points of group ``podpac_exec.backends``.

Set ``PODPAC_EXEC_DISABLE_PLUGIN_AUTOLOAD=1`` to load only the built-ins. A plugin that fails
to import is reported as a warning naming it, never a crash.
"""

from __future__ import annotations

import importlib
import os
import threading
import warnings
from importlib import metadata
from types import ModuleType

import pluggy

from podpac_exec.plugins import hookspecs

PROJECT = "podpac_exec"
ENTRY_POINT_GROUP = "podpac_exec.backends"

#: Plugins shipped with podpac-exec, registered in this order before any entry point.
BUILTIN_PLUGINS = (
    "podpac_exec.nodes.plugin",
    "podpac_exec.engine.stats",
    "podpac_exec.backends.local.plugin",
    "podpac_exec.backends.aws_lambda.plugin",
    "podpac_exec.batch.command",
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
                _register_module(pm, name, name)
            if os.environ.get("PODPAC_EXEC_DISABLE_PLUGIN_AUTOLOAD", "").strip() not in ("1", "true", "yes"):
                _load_entry_points(pm)
            _generation += 1
            _manager = pm
            from podpac_exec.plugins.backends import register_backend_settings

            register_backend_settings(pm)
    return _manager


def reset_plugin_manager() -> None:
    """Forget the plugin manager so the next use rebuilds it (tests, newly installed plugins)."""
    global _manager
    with _lock:
        _manager = None


def plugin_generation() -> int:
    """Increases every time the plugin manager is rebuilt (for caches derived from it)."""
    return _generation


def register_plugin(plugin: object, name: str | None = None) -> None:
    """Register a plugin object or module at run time (e.g. from a notebook or a test)."""
    global _generation
    pm = get_plugin_manager()
    with _lock:
        pm.register(plugin, name=name)
        _generation += 1
        from podpac_exec.plugins.backends import register_backend_settings

        register_backend_settings(pm)


def unregister_plugin(name: str) -> None:
    global _generation
    pm = get_plugin_manager()
    with _lock:
        pm.unregister(name=name)
        _generation += 1


def _register_module(pm: pluggy.PluginManager, module_name: str, plugin_name: str) -> ModuleType | None:
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the core
        warnings.warn(f"podpac-exec plugin {plugin_name!r} failed to import: {exc!r}", RuntimeWarning, stacklevel=3)
        return None
    if not pm.is_registered(module):
        pm.register(module, name=plugin_name)
    return module


def _load_entry_points(pm: pluggy.PluginManager) -> None:
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if pm.get_plugin(ep.name) is not None or pm.get_plugin(ep.value) is not None:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:  # noqa: BLE001
            warnings.warn(f"podpac-exec plugin {ep.name!r} ({ep.value}) failed to load: {exc!r}", RuntimeWarning, stacklevel=3)
            continue
        if pm.is_registered(plugin):
            continue  # a built-in also declared as an entry point
        try:
            pm.register(plugin, name=ep.name)
        except ValueError as exc:
            warnings.warn(f"podpac-exec plugin {ep.name!r} could not be registered: {exc}", RuntimeWarning, stacklevel=3)
