"""Every hook podpac-exec calls (pluggy project ``"podpac_exec"``).

Plugins implement them with :data:`podpac_exec.plugins.manager.hookimpl`. Built-in plugins (the core
node set, the local backend, the statistics wrapper) are registered exactly as third-party ones.
docs/plugin-hooks.md describes each hook for plugin authors (a test fails when one is missing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.plugins.backends import Backend, BackendSpec, EvaluationOptions
    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node

hookspec = pluggy.HookspecMarker("podpac_exec")


@hookspec
def podpac_exec_register_backends() -> "list[BackendSpec]":
    """Return the backends this plugin provides, as :class:`~podpac_exec.plugins.backends.BackendSpec` records.

    Called once each time the plugin manager is built; every implementation's list is collected.
    Names must be unique across plugins: a duplicate raises ``PluginError`` naming both providers.
    """


@hookspec
def podpac_exec_register_nodes() -> "list[type[Node]]":
    """Return the node classes this plugin provides.

    Called once per plugin manager, when a pipeline is first loaded; every implementation's list is
    collected. Each class is found by its ``podpac_name`` and ``podpac_aliases`` (or, without a
    ``podpac_name``, by ``module.ClassName``); a name claimed twice raises ``PluginError``.
    """


@hookspec(firstresult=True)
def podpac_exec_evaluate_node(
    node: "Node", coordinates: "Coordinates", backend: "Backend", options: "EvaluationOptions"
) -> "xr.DataArray | None":
    """Evaluate ``node`` at ``coordinates`` (one tile of a request) on ``backend``.

    Called once per tile by the executor, possibly from several threads at once. Stops at the first
    non-None result. The core answers last: its ``trylast`` implementation
    (``podpac_exec.engine.dispatch``) calls ``backend.evaluate(node, coordinates, options)``, so a
    backend implements :meth:`Backend.evaluate` and needs no hook; a plugin implements this hook
    only to answer instead of the backend (returning ``None`` to pass). Wrappers (``@hookimpl(wrapper=True)``) add cross-cutting behaviour around it
    (timing, caching, statistics) and must re-raise errors. ``options`` carries the effective
    settings, the statistics collector and the tile being evaluated.
    """


@hookspec
def podpac_exec_add_commands(subparsers: "Any") -> None:
    """Add subcommands to the ``podpac-exec`` CLI.

    Called once when the CLI builds its parser, with the ``argparse`` subparsers object; every
    implementation is called. A subcommand sets ``func(args) -> int`` with ``set_defaults``.
    """
