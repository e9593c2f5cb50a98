"""One backend call: the core ``podpac_exec_evaluate_node`` implementation and result alignment.

The core answers the hook last (``trylast``) by calling ``backend.evaluate(...)``, as pytest's
own ``pytest_pyfunc_call`` does: backends implement :meth:`Backend.evaluate` and never the hook.
A plugin may still answer the hook first (e.g. a cache) or wrap it (statistics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podpac_exec.errors import BackendError
from podpac_exec.nodes.base import output_array
from podpac_exec.plugins.manager import get_plugin_manager, hookimpl

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates
    from podpac_exec.nodes.base import Node
    from podpac_exec.plugins.backends import Backend, EvaluationOptions


@hookimpl(trylast=True)
def podpac_exec_evaluate_node(
    node: "Node", coordinates: "Coordinates", backend: "Backend", options: "EvaluationOptions"
) -> Any:
    """The default: the backend evaluates the tile itself."""
    return backend.evaluate(node, coordinates, options)


def evaluate_one(node: "Node", coordinates: "Coordinates", backend: "Backend", options: "EvaluationOptions") -> "xr.DataArray":
    """One backend call through the ``podpac_exec_evaluate_node`` hook, result checked and aligned."""
    result = get_plugin_manager().hook.podpac_exec_evaluate_node(
        node=node, coordinates=coordinates, backend=backend, options=options
    )
    if result is None:
        raise BackendError(f"backend {backend.name!r} returned no result")
    return align_result(result, node, coordinates)


def align_result(result: "xr.DataArray", node: "Node", coordinates: "Coordinates") -> "xr.DataArray":
    """Put ``result`` exactly on the node's output coordinates for the request, with our attrs."""
    expected = node.output_coordinates(coordinates)
    if set(result.dims) != set(expected.dims):
        raise BackendError(
            f"backend returned dims {tuple(result.dims)}, expected {expected.dims} for node {type(node).__name__}"
        )
    if tuple(result.dims) != tuple(expected.dims):
        result = result.transpose(*expected.dims)
    values = result.values
    if values.shape != expected.shape:
        raise BackendError(f"backend returned shape {values.shape}, expected {expected.shape}")
    return output_array(expected, values, {"crs": coordinates.crs, "node_hash": node.hash})
