"""Pipeline nodes: the base class and the built-in PODPAC-compatible node set."""

from podpac_exec.nodes.base import Node, NodeRequirements
from podpac_exec.nodes.compositor import OrderedCompositor
from podpac_exec.nodes.data import Array, Dataset
from podpac_exec.nodes.generic import Arithmetic, Mask
from podpac_exec.nodes.interpolation import Interpolate
from podpac_exec.nodes.loader import load_definition, load_json  # noqa: F401 - also fills base.PROVIDED
from podpac_exec.nodes.signal import Convolution
from podpac_exec.nodes.stats import Count, Max, Mean, Min, StandardDeviation, Sum, Variance
from podpac_exec.nodes.utility import Arange, CoordData, SinCoords

__all__ = [
    "Node",
    "NodeRequirements",
    "SinCoords",
    "Arange",
    "CoordData",
    "Arithmetic",
    "Mask",
    "Array",
    "Dataset",
    "Interpolate",
    "Convolution",
    "Mean",
    "Min",
    "Max",
    "Sum",
    "StandardDeviation",
    "Variance",
    "Count",
    "OrderedCompositor",
]
