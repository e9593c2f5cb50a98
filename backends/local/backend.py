"""In-process evaluation."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from podpac_exec.engine.dispatch import result_array
from podpac_exec.nodes.parallel import one_thread
from podpac_exec.nodes.repeated import evaluating
from podpac_exec.plugins.backends import Backend, BackendLimits, EvaluationOptions

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node


class LocalBackend(Backend):
    """Evaluates nodes in the calling process; tiles run on a thread pool of ``local.max_workers``
    (with 1, a tile's big array operations do not use the helper thread either)."""

    name = "local"

    def limits(self) -> BackendLimits:
        limits = self.__dict__.get("_limits")
        if limits is None:  # config is the instance's identity: it never changes
            workers = self.config["max_workers"] or os.cpu_count() or 1
            # 0 = no budget of its own: the call's tiling.max_tile_bytes decides (the executor takes the min)
            budget = self.config["memory_budget_bytes"] or 2**62
            limits = self._limits = BackendLimits(max_result_bytes=budget, concurrency=workers, cpu_bound=True)
        return limits

    def evaluate(self, node: "Node", coordinates: "Coordinates", options: EvaluationOptions) -> "xr.DataArray":
        # values and dims only: the executor puts them on the request's coordinates; a node the
        # pipeline holds twice is evaluated once
        with evaluating(node):
            # one thread in all, or a tile of a plan whose tiles keep the cores busy: no helper thread
            if self.config["max_workers"] == 1 or options.tile is not None:
                with one_thread():
                    return result_array(*node.eval_values(coordinates))
            return result_array(*node.eval_values(coordinates))
