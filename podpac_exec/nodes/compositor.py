"""PODPAC's OrderedCompositor: the first finite value of ``sources``, taken in order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import traitlets as tl

from podpac_exec.coordinates import VALID_DIMS
from podpac_exec.errors import PipelineError
from podpac_exec.nodes._arrays import data_on, keep_dims
from podpac_exec.nodes.base import Node, NodeRequirements
from podpac_exec.nodes.traits import CoordinatesTrait, NodeTrait

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates, Coordinates1d


class OrderedCompositor(Node):
    """Each cell takes the first finite value among ``sources`` (NaN when none has one).

    Sources are evaluated one after another and evaluation stops once every cell is filled.
    ``dims``: when set, request dims outside it are dropped before evaluating (a stacked dim
    is dropped when none of its parts is listed). ``source_coordinates``: one coordinate per
    source (1-D); only sources whose coordinate falls within the request's bounds (outer
    selection, as PODPAC) are used. PODPAC's non-attr ``multithreading`` option is accepted
    and ignored (never written back).
    """

    podpac_name = "core.compositor.ordered_compositor.OrderedCompositor"
    podpac_aliases = ("compositor.OrderedCompositor", "core.compositor.OrderedCompositor")

    sources = tl.List(NodeTrait()).tag(attr=True)
    source_coordinates = CoordinatesTrait().tag(attr=True)
    dims = tl.List(tl.Enum(list(VALID_DIMS))).tag(attr=True)

    def __init__(self, **kwargs: Any) -> None:
        multithreading = kwargs.pop("multithreading", False)
        if not isinstance(multithreading, bool):
            raise PipelineError(
                f"{type(self).__name__}.multithreading must be a boolean, got {multithreading!r}",
                field="attrs.multithreading",
            )
        if isinstance(kwargs.get("dims"), str):
            kwargs["dims"] = [kwargs["dims"]]
        super().__init__(**kwargs)

    def validate(self) -> None:
        if not self.sources:
            raise PipelineError(f"{type(self).__name__} needs at least one source node", field="inputs.sources")
        sc = self.source_coordinates
        if sc is not None:
            if sc.ndim != 1:
                raise PipelineError(
                    f"Invalid source_coordinates, invalid ndim ({sc.ndim} != 1)", field="attrs.source_coordinates"
                )
            if sc.size != len(self.sources):
                raise PipelineError(
                    f"Invalid source_coordinates, source and source_coordinates size mismatch "
                    f"({sc.size} != {len(self.sources)})",
                    field="attrs.source_coordinates",
                )

    def eval_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        """The request without the dims ``dims`` excludes (the whole request when ``dims`` is empty)."""
        if not self.dims:
            return coordinates
        return keep_dims(coordinates, [d for d, c in coordinates.items() if any(u in self.dims for u in c.udims)])

    def requirements(self, coordinates: "Coordinates | None" = None) -> NodeRequirements:
        """Dropped dims behave as reduced ones: they must not be split across tiles."""
        if coordinates is not None:
            kept = self.eval_coordinates(coordinates).dims
            return NodeRequirements(reduce_dims=frozenset(d for d in coordinates.dims if d not in kept))
        return NodeRequirements(reduce_dims=frozenset(d for d in VALID_DIMS if self.dims and d not in self.dims))

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        return self.eval_coordinates(coordinates)

    def select_sources(self, coordinates: "Coordinates") -> list[Node]:
        """The sources to composite for this request, in order."""
        sc = self.source_coordinates
        if sc is None:
            return list(self.sources)
        member = sc.values()[0]
        index = np.ones(len(self.sources), dtype=bool)
        for c in ([member] if len(member.udims) == 1 else list(member)):
            if c.name in coordinates.udims:
                index &= outer_select(c, coordinates[c.name].bounds)
        return [s for s, keep in zip(self.sources, index) if keep]

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        request = self.eval_coordinates(coordinates)
        dims = request.dims
        result, filled = None, None
        for source in self.select_sources(coordinates):
            data = data_on(source.eval(request), dims)
            finite = np.broadcast_to(self.present(data), request.shape)
            if result is None or filled is None:  # the first source: its values where present
                result = np.where(finite, np.asarray(data, dtype=np.float64), np.float64(np.nan))
                filled = finite.copy()
            else:
                np.copyto(result, data, where=finite & ~filled, casting="unsafe")
                filled |= finite
            if filled.all():
                break
        return np.full(request.shape, np.nan) if result is None else result


    @staticmethod
    def present(data: np.ndarray) -> np.ndarray:
        """Cells a source fills: finite values (PODPAC's ``isfinite``; +/-inf counts as missing)."""
        return np.isfinite(data)


class TileCompositor(OrderedCompositor):
    """Non-overlapping tiles merged into one result (PODPAC's ``combine_first``, source order).

    On the request grid this is the first non-NaN value in source order; unlike
    OrderedCompositor, +/-inf is a value. Sources are expected to put their data on the request
    (e.g. through Interpolate); PODPAC's union of the tiles' own grids is not reproduced.
    """

    podpac_name = "core.compositor.tile_compositor.TileCompositor"
    podpac_aliases = ("compositor.TileCompositor", "core.compositor.TileCompositor")

    @staticmethod
    def present(data: np.ndarray) -> np.ndarray:
        return ~np.isnan(data)


def outer_select(c: "Coordinates1d", bounds: tuple[Any, Any]) -> np.ndarray:
    """Which of ``c``'s points PODPAC's outer intersection with ``bounds`` selects.

    All points when ``c`` lies within the bounds, none when it lies outside them, otherwise
    the points within the bounds plus the nearest one beyond each bound.
    """
    values = c.coordinates
    lo, hi = _common_precision(values, bounds)
    my_lo, my_hi = np.min(values), np.max(values)
    if my_lo >= lo and my_hi <= hi:
        return np.ones(values.size, dtype=bool)
    if my_lo > hi or my_hi < lo:
        return np.zeros(values.size, dtype=bool)
    below = values[values <= lo]
    above = values[values >= hi]
    start = below.max() if below.size else my_lo
    stop = above.min() if above.size else my_hi
    return (values >= start) & (values <= stop)


def _common_precision(values: np.ndarray, bounds: tuple[Any, Any]) -> tuple[Any, Any]:
    """Request bounds comparable with ``values``, as PODPAC's outer time selection.

    Coarser source times see the bounds floored to their unit; finer ones see a coarser bound
    cover its whole unit (``2018-01-02`` up to ``2018-01-02T23:59:59`` for second values).
    """
    lo, hi = bounds
    if values.dtype.kind != "M":
        return lo, hi
    lo, hi = np.datetime64(lo), np.datetime64(hi)
    mine, theirs = values.dtype, lo.dtype
    if mine == theirs:
        return lo, hi
    if mine < theirs:  # numpy: mine casts safely to theirs, i.e. mine is the coarser unit
        return lo.astype(mine), hi.astype(mine)
    coarse, fine = np.datetime_data(theirs)[0], np.datetime_data(mine)[0]
    return lo.astype(mine), (hi + np.timedelta64(1, coarse)).astype(mine) - np.timedelta64(1, fine)
