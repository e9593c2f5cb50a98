"""The local backend's plugin: registration and the evaluate hook."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podpac_exec.plugins.backends import BackendSpec
from podpac_exec.plugins.manager import hookimpl

if TYPE_CHECKING:
    from podpac_exec.plugins.backends import Backend, EvaluationOptions
    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node


@hookimpl
def podpac_exec_register_backends() -> list[BackendSpec]:
    return [
        BackendSpec(
            name="local",
            backend_class="podpac_exec.backends.local.backend:LocalBackend",
            description="evaluates in this Python process (threads for tiles)",
            settings={"memory_budget_bytes": 0},
        )
    ]


@hookimpl
def podpac_exec_evaluate_node(
    node: "Node", coordinates: "Coordinates", backend: "Backend", options: "EvaluationOptions"
) -> Any:
    from podpac_exec.backends.local.backend import LocalBackend

    if isinstance(backend, LocalBackend):
        return backend.evaluate(node, coordinates, options)
    return None
