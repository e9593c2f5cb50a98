"""Where a tile's values go: the region of the whole result that a tile's root node may write its
values into, instead of into a new array that the fan-out then copies there.

The in-process fan-out (``engine/fanout.py``) evaluates each tile inside :func:`writing_into`; a
node that can write its result into a given array asks :func:`destination` for it, once:
Arithmetic (its expression evaluated in blocks), which hands the region on to its first input
giving fresh values (SinCoords, or another Arithmetic) and then overwrites that input in place,
as it would the input's own array. A tile's big arrays are then the result itself. Any other
node ignores it, and its values are copied into the region as before.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import TYPE_CHECKING, Iterator

import numpy as np

if TYPE_CHECKING:
    from podpac_exec.nodes.base import Node

#: (the tile's root node, the region of the result its values go to); None outside a tile
_TARGET: contextvars.ContextVar[tuple["Node", np.ndarray] | None] = contextvars.ContextVar(
    "podpac_exec_destination", default=None
)


@contextlib.contextmanager
def writing_into(node: "Node", region: np.ndarray) -> Iterator[None]:
    """Within the block, ``node``'s values at the tile may be written into ``region``."""
    token = _TARGET.set((node, region))
    try:
        yield
    finally:
        _TARGET.reset(token)


def destination(node: "Node", shape: tuple[int, ...]) -> np.ndarray | None:
    """The float64 region ``node`` may write its values of ``shape`` into, or None (not the tile's
    root, another shape: a tile with a halo, which is cropped). Given once per tile."""
    found = _TARGET.get()
    if found is None or found[0] is not node:
        return None
    region = found[1]
    if region.shape != shape or region.dtype != np.float64 or not region.flags.writeable:
        return None
    _TARGET.set(None)  # reset by writing_into's token when the tile ends
    return region


def is_region(values: np.ndarray, region: np.ndarray) -> bool:
    """Whether ``values`` are ``region`` itself (the same memory laid out the same way)."""
    return (
        values.shape == region.shape
        and values.strides == region.strides
        and values.dtype == region.dtype
        and values.__array_interface__["data"][0] == region.__array_interface__["data"][0]
    )
