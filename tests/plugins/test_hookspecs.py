"""Every hook is documented (hookspec docstring and docs/plugin-hooks.md) and really called (datasette's rule)."""

from __future__ import annotations

import inspect
from pathlib import Path

import podpac_exec as pe
from podpac_exec.cli.main import build_parser
from podpac_exec.plugins import hookspecs
from podpac_exec.plugins.backends import get_backend_specs
from podpac_exec.plugins.manager import hookimpl, register_plugin, reset_plugin_manager

HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("podpac_exec_")]
DOC = Path(__file__).parents[2] / "docs" / "plugin-hooks.md"


def test_every_hook_has_a_docstring_saying_how_it_is_called():
    assert len(HOOKS) >= 4
    for name in HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, name)) or ""
        assert "Called" in doc, name


def test_every_hook_is_documented_for_plugin_authors():
    text = DOC.read_text()
    missing = [name for name in HOOKS if f"## `{name}(" not in text]
    assert not missing, f"hooks missing from docs/plugin-hooks.md: {missing}"


class EveryHook:
    """A plugin implementing every hook, recording that podpac-exec called it."""

    def __init__(self) -> None:
        self.called: set[str] = set()

    @hookimpl
    def podpac_exec_register_backends(self):
        self.called.add("podpac_exec_register_backends")
        return []

    @hookimpl
    def podpac_exec_register_nodes(self):
        self.called.add("podpac_exec_register_nodes")
        return []

    @hookimpl(wrapper=True)
    def podpac_exec_evaluate_node(self, node, coordinates, backend, options):
        self.called.add("podpac_exec_evaluate_node")
        return (yield)

    @hookimpl
    def podpac_exec_add_commands(self, subparsers):
        self.called.add("podpac_exec_add_commands")


def test_every_hook_is_called_for_real():
    """Each hook reaches a registered plugin through the public entry points that use it."""
    reset_plugin_manager()
    plugin = EveryHook()
    register_plugin(plugin, name="every-hook")
    try:
        get_backend_specs()
        coords = pe.Coordinates([pe.clinspace(0, 1, 2, "lat"), pe.clinspace(0, 1, 2, "lon")])
        pe.evaluate(pe.Node.from_definition({"S": {"node": "algorithm.SinCoords"}}), coords)
        build_parser()
    finally:
        reset_plugin_manager()
    assert plugin.called == set(HOOKS)


def test_firstresult_is_declared_where_documented():
    for name in HOOKS:
        fn = getattr(hookspecs, name)
        first = fn.podpac_exec_spec.get("firstresult", False)
        doc = " ".join((fn.__doc__ or "").split())
        assert first == ("Stops at the first non-None result" in doc), name
