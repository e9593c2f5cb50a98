"""The statistics wrapper hook records successes and failures."""

from __future__ import annotations

import pytest

import podpac_exec as pe
from podpac_exec.nodes.base import Node


class Exploding(Node):
    def _eval(self, coordinates):
        raise pe.BackendError("exploded")


def test_wrapper_records_failures_and_reraises():
    coords = pe.Coordinates([pe.clinspace(0, 1, 2, "lat")])
    stats = pe.EvaluationStats()
    with pytest.raises(pe.BackendError, match="exploded"):
        pe.evaluate(Exploding(), coords, stats=stats)
    assert stats.failures == 1 and stats.records[0].ok is False


def test_wrapper_hook_is_registered_as_a_plugin():
    from podpac_exec.plugins.manager import get_plugin_manager

    pm = get_plugin_manager()
    impls = pm.hook.podpac_exec_evaluate_node.get_hookimpls()
    assert any(i.plugin_name == "podpac_exec.engine.stats" and i.opts["wrapper"] for i in impls)
