"""Interpolation onto request coordinates with PODPAC 4.0.5's rules, and the ``Interpolate`` node.

First PODPAC's interpolator queue (:mod:`.queue`) gives each group of source dims an
interpolator: the rules of the definition in order, within a rule the first of its
``interpolators`` able to take all its dims. Then PODPAC interpolates in two stages, and both
shape its values, so both are reproduced here:

1. *Selection* (the interpolator's ``can_select``) (PODPAC's ``Selector``), per source dim: nearest keeps one source index per request
   point, linear keeps the floor and ceil indices; a uniform request finer than a uniform source
   keeps a contiguous index range. Non-uniform and stacked sources use a k-d tree.
2. *Interpolation on that subset*, whose coordinates are read afresh:

   - nearest on a subset that is uniform (evenly spaced, two points or more) rounds
     ``(x - start) / step``, half-way going to the lower index, and keeps points up to half a step
     beyond the subset; on any other subset it takes the closest point and gives NaN outside the
     full source's bounds. A sparse request therefore sees a sparse subset: ties and edges depend
     on the other request points, exactly as in PODPAC.
   - linear interpolates one dim at a time in alphabetical order (scipy ``interp1d``: NaN outside
     the subset, a NaN neighbour poisons the result) and jointly (scipy ``interpn``, which
     extrapolates) for dims that share one stacked request dim. A single selected point along a
     dim is used as is.
   - the other interpolators (:mod:`.general`, :mod:`.kernels`) run in queue order, each replacing
     its dims' source axes by the request's: XarrayInterpolator's other kinds (``cubic``: one
     joint spline), ScipyGrid, ScipyPoint and RasterioInterpolator (``rasterio.warp.reproject``
     from the window its kernel reaches, so tiles need no halo). ``none`` keeps the source's
     coordinates within the request.

Use :func:`interpolate` for arrays in memory and :func:`interpolate_source` for sources that read
windows lazily (:class:`NativeSource`).

The package: :mod:`.definition` parses the ``interpolation`` attr, :mod:`.queue` picks the
interpolators, :mod:`.frames` maps coordinates to numbers, :mod:`.selection` is stage 1,
:mod:`.nearest` and :mod:`.linear` stage 2 for nearest/linear queues, :mod:`.general` and
:mod:`.kernels` stage 2 for the others (:mod:`.splines` evaluates their fitted splines on grids),
:mod:`.source` the entry points, :mod:`.node` the ``Interpolate`` node.
"""

from podpac_exec.nodes.interpolation.definition import (
    LINEAR,
    METHODS,
    NEAREST,
    NEAREST_INTERPOLATION,
    UNSUPPORTED_METHODS,
    DimRule,
    Interpolation,
    LinearOptions,
    NearestOptions,
)
from podpac_exec.nodes.interpolation.node import Interpolate, InterpolationTrait
from podpac_exec.nodes.interpolation.source import (
    NativeSource,
    compact_index,
    interpolate,
    interpolate_source,
    needs_whole_request,
    output_coordinates,
)

__all__ = [
    "DimRule",
    "Interpolate",
    "Interpolation",
    "InterpolationTrait",
    "LINEAR",
    "LinearOptions",
    "METHODS",
    "NEAREST",
    "NEAREST_INTERPOLATION",
    "NativeSource",
    "NearestOptions",
    "UNSUPPORTED_METHODS",
    "compact_index",
    "interpolate",
    "interpolate_source",
    "needs_whole_request",
    "output_coordinates",
]
