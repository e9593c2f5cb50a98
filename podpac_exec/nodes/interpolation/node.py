"""PODPAC's ``Interpolate`` node."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import traitlets as tl

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.base import PROVIDED, Node, NodeRequirements
from podpac_exec.nodes.interpolation.definition import Interpolation
from podpac_exec.nodes.interpolation.source import interpolate_source, needs_whole_request, output_coordinates
from podpac_exec.nodes.traits import NodeTrait

if TYPE_CHECKING:
    import numpy as np
    import xarray as xr

    from podpac_exec.coordinates import Coordinates


class InterpolationTrait(tl.Union):
    """PODPAC's interpolation definition: a method name, a dict or a list of dicts."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__([tl.Unicode(), tl.Dict(), tl.List()], default_value="nearest", **kwargs)


class Interpolate(Node):
    """Evaluates ``source`` with the given interpolation (PODPAC's ``Interpolate`` node).

    A source with native coordinates (``Array``, ``Dataset``) is interpolated from its own grid
    with the requested method; any other source already answers on the request's coordinates
    and is returned as it is.
    """

    inherits_source_style = True

    podpac_name: ClassVar[str] = "core.interpolation.interpolation.Interpolate"
    podpac_aliases: ClassVar[tuple[str, ...]] = (
        "interpolators.Interpolate",
        "core.algorithm.reprojection.Interpolate",
    )

    source = NodeTrait(allow_none=True).tag(attr=True)
    source_id = tl.Unicode(default_value="", allow_none=True).tag(attr=True)
    interpolation = InterpolationTrait().tag(attr=True)

    def validate(self) -> None:
        if self.source is None:
            raise PipelineError("Interpolate needs a 'source' node", field="attrs.source")
        self._parsed = Interpolation.parse(self.interpolation)

    def requirements(self) -> NodeRequirements:
        # the other methods read the source window they need themselves, so tiles need no halo
        return NodeRequirements(whole_request=needs_whole_request(self._parsed))

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        if hasattr(self.source, "native_coordinates"):
            return output_coordinates(self.source, coordinates, self._parsed)  # type: ignore[arg-type]
        return coordinates

    def _eval(self, coordinates: "Coordinates") -> "np.ndarray | xr.DataArray":
        if hasattr(self.source, "native_coordinates"):
            source = self.source.source_for(coordinates) if hasattr(self.source, "source_for") else self.source
            return interpolate_source(source, coordinates, self._parsed)  # type: ignore[arg-type]
        return self.source.eval(coordinates)


PROVIDED["Interpolate"] = Interpolate
