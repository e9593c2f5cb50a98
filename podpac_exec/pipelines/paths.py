"""Class paths of older PODPAC releases, mapped to PODPAC 4.0.5's.

PODPAC moved classes between modules across releases: ``core.algorithm.algorithm.SinCoords``
(before 2.0) is ``core.algorithm.utility.SinCoords``, ``core.data.types.Array`` (0.x/1.x) is
``core.data.array_source.Array``, ``core.data.file.Rasterio`` (1.x) is
``core.data.rasterio_source.Rasterio``, ``core.compositor.OrderedCompositor`` is
``core.compositor.ordered_compositor.OrderedCompositor``. A class name that PODPAC 4.0.5 has
exactly once is mapped to it; the few renamed classes are listed here. 3.x's ``*Raw`` data
sources (the ones that did not interpolate) are 4.x's plain data sources.
"""

from __future__ import annotations

from dataclasses import dataclass

from podpac_exec.pipelines.classes import PodpacClass, podpac_classes

#: Classes renamed (not just moved) by PODPAC, old class name -> 4.0.5 class name.
RENAMED = {
    "NumpyArray": "Array",  # 0.x
}

#: Classes PODPAC removed, with what to use instead (an upgrade cannot guess their parameters).
REMOVED = {
    "TimeConvolution": "Convolution with kernel_dims ['time']",
    "SpatialConvolution": "Convolution with kernel_dims ['lat', 'lon']",
    "Reduce2": "a Reduce node (Mean, Sum, ...)",
    "Pipeline": "the pipeline's own nodes (PODPAC 2 removed Pipeline nodes)",
    "Compositor": "OrderedCompositor",
}


@dataclass(frozen=True)
class Resolved:
    """What an old ``node`` name is in PODPAC 4.0.5."""

    cls: PodpacClass
    raw: bool  # a 3.x *Raw data source: did not interpolate, so needs no Interpolate wrapper


def resolve(name: str) -> Resolved | None:
    """The PODPAC 4.0.5 class an old or current ``node`` name means (None: not a PODPAC class)."""
    classes = podpac_classes()
    current = classes.by_name(name)
    if current is not None:
        return Resolved(current, raw=False)
    class_name = name.rsplit(".", 1)[-1]
    raw = class_name.endswith("Raw") and class_name != "Raw"
    if raw:
        class_name = class_name[: -len("Raw")]
    found = classes.by_class_name(RENAMED.get(class_name, class_name))
    return None if found is None else Resolved(found, raw=raw)


def removed(name: str) -> str | None:
    """What to use instead of a class PODPAC removed (None when ``name`` is not one)."""
    return REMOVED.get(name.rsplit(".", 1)[-1])
