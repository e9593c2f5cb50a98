"""Colour styles: a matplotlib colormap between ``vmin`` and ``vmax``, nodata transparent.

The defaults come from the node's PODPAC ``style`` attrs (``colormap``, ``clim``); missing
limits come from the pipeline's value range over its bounds. Colours follow PODPAC's
``to_image``: ``cmap((v - vmin) / (vmax - vmin), bytes=True)``, NaN fully transparent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

import numpy as np

from podpac_exec.serve.errors import ServeRequestError

DEFAULT_COLORMAP = "viridis"  # PODPAC's Style.cmap without a colormap
LUT_SIZE = 256


@dataclass(frozen=True)
class Style:
    colormap: str
    vmin: float
    vmax: float

    @property
    def key(self) -> str:
        """What makes two renderings differ (part of the tile cache key)."""
        return f"{self.colormap}:{self.vmin!r}:{self.vmax!r}"


def node_style(style: Mapping[str, Any]) -> tuple[str | None, float | None, float | None]:
    """(colormap, vmin, vmax) declared by a node's PODPAC ``style`` attrs (None when absent)."""
    colormap = style.get("colormap") or None
    clim = style.get("clim") or [None, None]
    low, high = (list(clim) + [None, None])[:2]
    return colormap, _finite_or_none(low), _finite_or_none(high)


def resolve_style(
    params: Mapping[str, str], declared: Mapping[str, Any], value_range: Callable[[], tuple[float, float]]
) -> Style:
    """The style of one request: query ``colormap``/``vmin``/``vmax`` > the node's style > defaults."""
    colormap, vmin, vmax = node_style(declared)
    colormap = params.get("colormap") or colormap or DEFAULT_COLORMAP
    check_colormap(colormap)
    vmin = _param_float(params, "vmin", vmin)
    vmax = _param_float(params, "vmax", vmax)
    if vmin is None or vmax is None:
        low, high = value_range()
        vmin = low if vmin is None else vmin
        vmax = high if vmax is None else vmax
    if not vmin < vmax:
        if "vmin" in params or "vmax" in params:
            raise ServeRequestError(f"vmin ({vmin}) must be below vmax ({vmax})", field="vmin")
        vmax = vmin + 1.0  # a constant pipeline: any scale shows it
    return Style(colormap, float(vmin), float(vmax))


def check_colormap(name: str) -> None:
    if name not in colormap_names():
        raise ServeRequestError(f"unknown colormap {name!r} (matplotlib names, e.g. viridis, magma, jet)", field="colormap")


@lru_cache(maxsize=1)
def colormap_names() -> frozenset[str]:
    import matplotlib

    return frozenset(matplotlib.colormaps)


@lru_cache(maxsize=64)
def lut(colormap: str) -> np.ndarray:
    """The colormap's 256 RGBA colours (uint8), read-only."""
    import matplotlib

    table = matplotlib.colormaps[colormap].resampled(LUT_SIZE)(np.arange(LUT_SIZE), bytes=True)
    table.setflags(write=False)
    return table


def colorize(values: np.ndarray, style: Style) -> np.ndarray:
    """RGBA uint8 image of a 2-D array: as matplotlib maps ``(v - vmin) / (vmax - vmin)``."""
    indices, nodata = color_indices(values, style)
    # one uint32 per colour: a gather of words is several times faster than of 4-byte rows
    rgba = _lut_words(style.colormap).take(indices)
    rgba[nodata] = 0
    return rgba.view(np.uint8).reshape(*np.shape(values), 4)


def color_indices(values: np.ndarray, style: Style) -> tuple[np.ndarray, np.ndarray]:
    """Each value's row of ``lut(style.colormap)`` (uint8), and where values are NaN (row 0 there)."""
    c = (values - style.vmin) / (style.vmax - style.vmin)
    c *= LUT_SIZE
    nodata = np.isnan(c)
    np.copyto(c, 0.0, where=nodata)
    np.clip(c, 0, LUT_SIZE - 1, out=c)  # under/over: the end colours, like matplotlib's defaults
    return c.astype(np.uint8), nodata


@lru_cache(maxsize=64)
def _lut_words(colormap: str) -> np.ndarray:
    return np.ascontiguousarray(lut(colormap)).view(np.uint32).ravel()


def _param_float(params: Mapping[str, str], name: str, default: float | None) -> float | None:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise ServeRequestError(f"{name} must be a number, got {text!r}", field=name) from None
    if not math.isfinite(value):
        raise ServeRequestError(f"{name} must be finite, got {text!r}", field=name)
    return value


def _finite_or_none(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None
