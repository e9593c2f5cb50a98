"""The datalib nodes come from a plugin of their own, found by its entry point as any third-party one."""

from __future__ import annotations

from importlib.metadata import entry_points

from podpac_exec.datalib.terraintiles import TerrainTiles
from podpac_exec.nodes.registry import get_node_registry


def test_datalib_is_an_entry_point_plugin_that_registers_terraintiles():
    found = {ep.name: ep.value for ep in entry_points(group="podpac_exec.backends")}
    assert found.get("datalib") == "podpac_exec.datalib.plugin"
    records = [r for r in get_node_registry().records if r.cls is TerrainTiles]
    assert [r.provider for r in records] == ["datalib"]  # by the hook, not the core's node list
    assert get_node_registry().lookup("datalib.terraintiles.TerrainTiles") is TerrainTiles


def test_the_core_node_plugin_does_not_know_datalib():
    from podpac_exec.nodes import plugin

    assert TerrainTiles not in plugin.podpac_exec_register_nodes()
