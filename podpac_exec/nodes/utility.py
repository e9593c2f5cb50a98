"""PODPAC's utility (test-pattern) nodes: SinCoords, Arange, CoordData."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Mapping

import numpy as np
import traitlets as tl

from podpac_exec.coordinates import VALID_DIMS
from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.base import NodeRequirements, Node
from podpac_exec.nodes.destination import destination

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates, Coordinates1d


class _Algorithm(Node):
    """PODPAC's ``Algorithm`` bookkeeping attr (it only realigns xarray coords; a no-op here)."""

    xarray_floating_point_correction = tl.Bool(False).tag(attr=True)


class SinCoords(_Algorithm):
    """Product over every coordinate ``c`` of ``sin(pi * c / 90)``.

    Times enter as PODPAC 4.0.5 (with xarray >= 2025) feeds them: seconds since 1970 of the time
    floored to the hour, which makes the time factor float residue (~1e-9). PODPAC raises on
    stacked requests; here each member of a stacked dim contributes its factor pointwise.
    """

    podpac_name = "core.algorithm.utility.SinCoords"
    podpac_aliases = ("algorithm.SinCoords",)
    default_style: ClassVar[Mapping[str, Any]] = {"colormap": "jet", "clim": [-1.0, 1.0]}

    fresh_values = True

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        into = destination(self, coordinates.shape)  # a tile's region of the result, when given
        members = coordinates.values()
        out: np.ndarray | None = None
        for i, member in enumerate(members):
            factor = None
            for c in _members(member):
                f = np.sin(np.pi * _sin_input(c) / 90.0)
                factor = f if factor is None else factor * f
            if out is None:
                out = factor
            else:
                last = i == len(members) - 1
                out = np.multiply.outer(out, factor, out=into if last else None)
        out = np.ones(()) if out is None else out
        if into is not None and out is not into:
            into[...] = out
            return into
        return out


class Arange(_Algorithm):
    """Each cell numbered in row-major order: ``arange(size).reshape(shape)`` as float64."""

    podpac_name = "core.algorithm.utility.Arange"
    podpac_aliases = ("algorithm.Arange",)

    def requirements(self) -> NodeRequirements:
        """Cell numbers depend on the whole request: a graph using Arange runs as one tile."""
        return NodeRequirements(whole_request=True)

    fresh_values = True

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        return np.arange(coordinates.size, dtype=np.float64).reshape(coordinates.shape)


class CoordData(_Algorithm):
    """The values of coordinate ``coord_name`` as data (datetimes as counts of their own unit).

    PODPAC returns only the ``coord_name`` dim; here the values are broadcast over the whole
    request (every output lies on the request's coordinates), so elementwise results are equal.
    Like PODPAC's, the result holds one value per coordinate: a read-only broadcast view (as
    ``xarray.broadcast`` gives), so ``.copy()`` it before writing into it.
    """

    podpac_name = "core.algorithm.utility.CoordData"
    podpac_aliases = ("algorithm.CoordData",)

    coord_name = tl.Enum(list(VALID_DIMS), default_value=None, allow_none=True).tag(attr=True)

    def validate(self) -> None:
        if self.coord_name is None:
            raise PipelineError(
                f"CoordData needs coord_name, one of {', '.join(VALID_DIMS)}", field="attrs.coord_name"
            )

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        return np.broadcast_to(self._along_axis(coordinates), coordinates.shape)

    def eval_broadcastable(self, coordinates: "Coordinates") -> tuple[np.ndarray, tuple[str, ...]]:
        return self._along_axis(coordinates), tuple(coordinates.dims)

    def _along_axis(self, coordinates: "Coordinates") -> np.ndarray:
        """The coordinate's values on its axis of the request, size-1 axes for the others."""
        if self.coord_name not in coordinates.udims:
            raise CoordinatesError(
                f"CoordData: coord_name {self.coord_name!r} is not among the requested dims {coordinates.udims}",
                field="coordinates",
            )
        axis = next(i for i, m in enumerate(coordinates.values()) if self.coord_name in m.udims)
        values = coordinates[self.coord_name].coordinates.astype(np.float64, copy=False)  # read-only
        shape = [1] * coordinates.ndim
        shape[axis] = values.size
        return values.reshape(shape)


def _members(member: Any) -> list["Coordinates1d"]:
    """The 1-D coordinates of one request dim (the parts of a stacked dim)."""
    return list(member) if len(member.udims) > 1 else [member]


def _sin_input(c: "Coordinates1d") -> np.ndarray:
    values = c.coordinates
    if values.dtype.kind == "M":
        # PODPAC: xarray keeps >= second resolution, so astype('datetime64[h]') floors to the
        # hour but the float is still in seconds.
        return values.astype("datetime64[h]").astype("datetime64[s]").astype(np.int64).astype(np.float64)
    return values
