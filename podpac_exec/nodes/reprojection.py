"""``Reproject``: evaluate a source on fixed coordinates, then interpolate onto the request.

PODPAC's ``core.algorithm.reprojection.Reproject``: the source is evaluated at the part of
``coordinates`` that the request's bounds meet (PODPAC's outer intersection: the points within
the bounds plus the nearest beyond each), with the request's own coordinates in the dims outside
``reproject_dims``; the result is interpolated onto the request with ``interpolation``. Used to
bilinearly interpolate a coarse computation, or to evaluate on a grid of another CRS.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import traitlets as tl

from podpac_exec.errors import PipelineError
from podpac_exec.nodes._arrays import align_axes
from podpac_exec.nodes.base import NodeRequirements
from podpac_exec.nodes.compositor import outer_select
from podpac_exec.nodes.interpolation import Interpolate, interpolate
from podpac_exec.nodes.traits import CoordinatesTrait

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates


class Reproject(Interpolate):
    podpac_name: ClassVar[str] = "core.algorithm.reprojection.Reproject"
    podpac_aliases: ClassVar[tuple[str, ...]] = ("algorithm.Reproject",)

    coordinates = CoordinatesTrait().tag(attr=True)
    reproject_dims = tl.List(tl.Unicode(), default_value=None, allow_none=True).tag(attr=True)

    def validate(self) -> None:
        super().validate()
        if self.coordinates is None:
            raise PipelineError("Reproject needs 'coordinates' to evaluate its source on", field="attrs.coordinates")
        for i, dim in enumerate(self.reproject_dims or []):
            if dim not in self.coordinates.dims:
                raise PipelineError(f"Reproject reproject_dims[{i}] is {dim!r}, which its coordinates do not have "
                                    f"(dims: {', '.join(self.coordinates.dims)})", field=f"attrs.reproject_dims[{i}]")

    def requirements(self) -> NodeRequirements:
        # the outer intersection looks one grid point beyond the request: a tile sees one more
        # request cell so its intersection is the whole request's around it
        own = super().requirements()
        return NodeRequirements(halo={dim: 1 for dim in self._reprojection().udims}, whole_request=own.whole_request)

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        return coordinates

    def _reprojection(self) -> "Coordinates":
        coords = self.coordinates
        if self.reproject_dims is not None:
            coords = coords.drop([d for d in coords.dims if d not in self.reproject_dims])
        return coords

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        from podpac_exec.coordinates import Coordinates

        grid = self._reprojection()
        bounds = coordinates.bounds_in(grid.crs) if "lat" in grid.udims else {}
        ranges = []
        for name, member in grid.items():
            if name in coordinates.udims or _overlaps(name, coordinates.udims):
                parts = member.udims if hasattr(member, "udims") and len(member.udims) > 1 else (name,)
                keep = np.ones(member.size, dtype=bool)
                for part in parts:
                    c = member[part] if len(parts) > 1 else member
                    if part in coordinates.udims:
                        keep &= outer_select(c, bounds.get(part) or coordinates[part].bounds)
                index = np.flatnonzero(keep)
                if index.size == 0:
                    return np.full(coordinates.shape, np.nan)
                ranges.append((int(index[0]) // BLOCK, int(index[-1]) // BLOCK))
            else:
                ranges.append((0, (member.size - 1) // BLOCK))
        extra = coordinates.drop([d for d in coordinates.dims if d in grid.dims or _overlaps(d, grid.udims)])
        if extra.ndim and "lat" in extra.udims:
            extra = extra.transform(grid.crs)
        span = tuple(slice(lo * BLOCK, min((hi + 1) * BLOCK, m.size)) for (lo, hi), m in zip(ranges, grid.values()))
        values = np.empty(tuple(s.stop - s.start for s in span) + extra.shape)
        for block in itertools.product(*[range(lo, hi + 1) for lo, hi in ranges]):
            window = tuple(slice(b * BLOCK, min((b + 1) * BLOCK, m.size)) for b, m in zip(block, grid.values()))
            at = tuple(slice(w.start - s.start, w.stop - s.start) for w, s in zip(window, span))
            values[at] = self._evaluate_block(grid[window], extra)
        evaluated = Coordinates(list(grid[span].values()) + list(extra.values()), crs=grid.crs)
        # PODPAC interpolates a node's output in that output's CRS: the request is transformed there
        request = coordinates.transform(grid.crs, pointwise=True)
        return interpolate(values, evaluated, request, self._parsed).reshape(coordinates.shape)

    def _evaluate_block(self, block: "Coordinates", extra: "Coordinates") -> np.ndarray:
        """The source on one block of the grid (with the request's other dims): the same block
        for every tile, so a grid point's value does not depend on how the request is tiled."""
        from podpac_exec.coordinates import Coordinates

        at = Coordinates(list(block.values()) + list(extra.values()), crs=block.crs)
        values, dims = self.source.eval_values(at)  # read only: no DataArray per block
        return np.asarray(align_axes(np.asarray(values), dims, at.dims), dtype=float)


#: Grid points per dim evaluated together (docs/podpac-compatibility.md, Reproject).
BLOCK = 256


def _overlaps(dim: str, udims: Any) -> bool:
    return any(part in udims for part in dim.split("_"))
