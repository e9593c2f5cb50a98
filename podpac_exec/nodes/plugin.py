"""Registers the built-in node set through the same hook third-party plugins use."""

from __future__ import annotations

from podpac_exec.plugins.manager import hookimpl


@hookimpl
def podpac_exec_register_nodes() -> list[type]:
    from podpac_exec.nodes import compositor, data, generic, interpolation, signal, stats, utility

    return [
        utility.SinCoords,
        utility.Arange,
        utility.CoordData,
        generic.Arithmetic,
        generic.Mask,
        data.Array,
        data.Dataset,
        interpolation.Interpolate,
        signal.Convolution,
        stats.Mean,
        stats.Min,
        stats.Max,
        stats.Sum,
        stats.StandardDeviation,
        stats.Variance,
        stats.Count,
        compositor.OrderedCompositor,
    ]
