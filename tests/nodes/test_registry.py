"""Node types from plugins (podpac_exec_register_nodes), names and duplicates."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets as tl

import podpac_exec as pe
from podpac_exec.nodes.base import Node
from podpac_exec.nodes.registry import get_node_registry
from podpac_exec.plugins.manager import hookimpl, register_plugin, unregister_plugin


class Constant(Node):
    """A plugin node: a constant value everywhere."""

    value = tl.Float(0.0).tag(attr=True)

    def _eval(self, coordinates):
        return np.full(coordinates.shape, self.value)


class ConstantPlugin:
    @hookimpl
    def podpac_exec_register_nodes(self):
        return [Constant]


def test_plugin_node_loads_from_json_and_round_trips():
    register_plugin(ConstantPlugin(), name="constant-plugin")
    try:
        name = f"{Constant.__module__}.Constant"
        text = '{"c": {"node": "%s", "attrs": {"value": 2.5}}, "a": {"node": "algorithm.Arithmetic", "attrs": {"eqn": "c * 2"}, "inputs": {"c": "c"}}}' % name
        node = pe.Node.from_json(text)
        coords = pe.Coordinates([pe.clinspace(0, 1, 3, "lat")])
        np.testing.assert_array_equal(pe.evaluate(node, coords).values, [5.0, 5.0, 5.0])
        assert pe.Node.from_json(node.json).hash == node.hash
        assert get_node_registry().lookup(name) is Constant
    finally:
        unregister_plugin("constant-plugin")
    with pytest.raises(pe.PipelineError, match="unknown node type"):
        pe.Node.from_json(text)


class Duplicate(Node):
    podpac_name = "core.algorithm.utility.SinCoords"


class DuplicatePlugin:
    @hookimpl
    def podpac_exec_register_nodes(self):
        return [Duplicate]


def test_duplicate_node_name_rejected_naming_both_providers():
    register_plugin(DuplicatePlugin(), name="dup-nodes")
    try:
        with pytest.raises(pe.PluginError, match="SinCoords.*podpac_exec.nodes.plugin.*dup-nodes"):
            get_node_registry()
    finally:
        unregister_plugin("dup-nodes")


def test_unknown_type_lists_known_ones():
    with pytest.raises(pe.PipelineError) as err:
        pe.Node.from_json('{"x": {"node": "core.algorithm.Nope"}}')
    assert "core.algorithm.generic.Arithmetic" in str(err.value) and err.value.field == "x.node"


def test_plugin_key_never_imports_modules():
    # PODPAC imported any module named in "plugin"; we only look names up in the registry.
    with pytest.raises(pe.PipelineError, match="unknown node type 'os.system'"):
        pe.Node.from_json('{"x": {"plugin": "os", "node": "system"}}')
