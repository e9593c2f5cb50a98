"""Registers the built-in node set through the same hook third-party plugins use."""

from __future__ import annotations

from podpac_exec.plugins.manager import hookimpl


@hookimpl
def podpac_exec_register_nodes() -> list[type]:
    from podpac_exec.nodes import (
        climatology, compositor, data, generic, interpolation, keyed_files, raster, reprojection, selection, signal,
        stats, tables, time_stats, utility,
    )

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
        # issue 11: coordinate selection, more statistics, tiles
        selection.ExpandCoordinates,
        selection.SelectCoordinates,
        selection.YearSubstituteCoordinates,
        selection.TransformTimeUnits,
        stats.Median,
        stats.Percentile,
        stats.Skew,
        stats.Kurtosis,
        time_stats.GroupReduce,
        time_stats.DayOfYear,
        time_stats.ResampleReduce,
        compositor.TileCompositor,
        generic.Combine,
        climatology.BetaFitDayOfYear,
        # issue 10: file sources
        raster.Rasterio,
        keyed_files.Zarr,
        keyed_files.H5PY,
        tables.CSV,
        reprojection.Reproject,
    ]
