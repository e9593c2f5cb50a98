"""One backend call: the core ``podpac_exec_evaluate_node`` implementation and result alignment.

The core answers the hook last (``trylast``) by calling ``backend.evaluate(...)``, as pytest's
own ``pytest_pyfunc_call`` does: backends implement :meth:`Backend.evaluate` and never the hook.
A plugin may still answer the hook first (e.g. a cache) or wrap it (statistics).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from podpac_exec.errors import BackendError
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


def evaluate_values(
    node: "Node",
    coordinates: "Coordinates",
    backend: "Backend",
    options: "EvaluationOptions",
    expected: "Coordinates | None" = None,
) -> np.ndarray:
    """One backend call through the ``podpac_exec_evaluate_node`` hook: its values checked and
    in the order of ``expected``, the node's output coordinates for the request (computed when None)."""
    result = get_plugin_manager().hook.podpac_exec_evaluate_node(
        node=node, coordinates=coordinates, backend=backend, options=options
    )
    if result is None:
        raise BackendError(f"backend {backend.name!r} returned no result")
    if expected is None:
        expected = node.output_coordinates(coordinates)
    return aligned_values(result, node, expected)


def aligned_values(result: "xr.DataArray", node: "Node", expected: "Coordinates") -> np.ndarray:
    """``result``'s values with dims in ``expected``'s order, checked against its dims and shape."""
    if set(result.dims) != set(expected.dims):
        raise BackendError(
            f"backend returned dims {tuple(result.dims)}, expected {expected.dims} for node {type(node).__name__}"
        )
    if tuple(result.dims) != tuple(expected.dims):
        result = result.transpose(*expected.dims)
    values = result.values
    if values.shape != expected.shape:
        raise BackendError(f"backend returned shape {values.shape}, expected {expected.shape}")
    return values


def result_array(values: np.ndarray, dims: Sequence[str]) -> "xr.DataArray":
    """A DataArray of ``values`` along ``dims`` without coordinates, for a backend's result.

    The executor puts values on the request's coordinates itself, once per request: coordinate
    indexes built for every tile would cost more than copying the tile's values.
    """
    import xarray as xr

    variable = xr.Variable(tuple(dims), np.asarray(values), fastpath=True)
    return xr.DataArray(variable, coords={}, indexes={}, fastpath=True)
