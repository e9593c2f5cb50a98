"""Array helpers shared by the algorithm, reduction and compositor nodes (numpy only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates


def data_on(output: "xr.DataArray", dims: Sequence[str]) -> np.ndarray:
    """``output``'s values with axes ordered as ``dims``, size-1 axes for the dims it lacks.

    The result broadcasts against any array laid out on ``dims`` (no copy when the order already
    matches). ``output`` must not have dims outside ``dims``.
    """
    return align_axes(np.asarray(output.data), tuple(output.dims), dims)


def align_axes(data: np.ndarray, own: Sequence[str], dims: Sequence[str]) -> np.ndarray:
    """``data`` (laid out on ``own``) reordered to ``dims``, size-1 axes for the dims it lacks."""
    own = tuple(own)
    if own == tuple(dims):
        return data
    extra = [d for d in own if d not in dims]
    if extra:
        raise ValueError(f"an input has dims {extra} that are not among the output dims {tuple(dims)}")
    order = [d for d in dims if d in own]
    if own != tuple(order):
        data = data.transpose([own.index(d) for d in order])
    sizes = dict(zip(order, data.shape))
    return data.reshape([sizes.get(d, 1) for d in dims])


def exact_shape(values: Any, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
    """``values`` as a writable array of exactly ``shape`` (broadcast if needed), optionally cast."""
    arr = np.asarray(values)
    if dtype is not None and arr.dtype != dtype:
        arr = arr.astype(dtype)
    if arr.shape != shape:
        arr = np.broadcast_to(arr, shape).copy()
    return arr


def keep_dims(coordinates: "Coordinates", dims: Iterable[str]) -> "Coordinates":
    """``coordinates`` without the dims not in ``dims`` (the same object when nothing drops)."""
    keep = set(dims)
    drop = [d for d in coordinates.dims if d not in keep]
    return coordinates.drop(drop) if drop else coordinates
