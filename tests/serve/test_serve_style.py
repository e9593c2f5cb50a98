"""Colour styles: PODPAC's to_image colouring, defaults from the node's style attrs, overrides."""

from __future__ import annotations

import numpy as np
import pytest

from serve_support import expected_colors
from podpac_exec.serve.errors import ServeRequestError
from podpac_exec.serve.style import Style, colorize, node_style, resolve_style


def test_colorize_is_matplotlibs_mapping_with_transparent_nodata():
    rng = np.random.default_rng(7)
    values = rng.uniform(-1.5, 1.5, (64, 64))
    values[0, :5] = [np.nan, 1.0, -1.0, np.inf, -np.inf]
    for colormap in ("viridis", "jet", "gray"):
        got = colorize(values, Style(colormap, -1.0, 1.0))
        assert got.dtype == np.uint8 and got.shape == (64, 64, 4)
        np.testing.assert_array_equal(got, expected_colors(values, colormap, -1.0, 1.0))
    assert colorize(values, Style("viridis", -1.0, 1.0))[0, 0].tolist() == [0, 0, 0, 0]


def test_colorize_leaves_the_values_alone():
    values = np.linspace(0, 1, 12).reshape(3, 4)
    before = values.copy()
    colorize(values, Style("magma", 0.0, 1.0))
    np.testing.assert_array_equal(values, before)


def test_node_style_attrs():
    assert node_style({"colormap": "jet", "clim": [-1, 2]}) == ("jet", -1.0, 2.0)
    assert node_style({"clim": [None, 5]}) == (None, None, 5.0)
    assert node_style({}) == (None, None, None)


def test_resolution_order_query_then_node_then_range():
    declared = {"colormap": "jet", "clim": [-1.0, None]}
    calls = []

    def value_range():
        calls.append(1)
        return (-3.0, 4.0)

    assert resolve_style({}, declared, value_range) == Style("jet", -1.0, 4.0)
    assert resolve_style({"colormap": "gray", "vmin": "0", "vmax": "2"}, declared, value_range) == Style("gray", 0.0, 2.0)
    assert len(calls) == 1  # the range is only asked for when a limit is missing
    assert resolve_style({}, {}, lambda: (2.0, 2.0)) == Style("viridis", 2.0, 3.0)  # a constant pipeline


@pytest.mark.parametrize(
    "params, field",
    [({"colormap": "nope"}, "colormap"), ({"vmin": "x"}, "vmin"), ({"vmax": "inf"}, "vmax"),
     ({"vmin": "2", "vmax": "1"}, "vmin")],
)
def test_bad_style_parameters(params, field):
    with pytest.raises(ServeRequestError) as info:
        resolve_style(params, {}, lambda: (0.0, 1.0))
    assert info.value.field == field and info.value.status == 400


def test_style_key_distinguishes_renderings():
    keys = {Style("jet", 0.0, 1.0).key, Style("jet", 0.0, 2.0).key, Style("gray", 0.0, 1.0).key}
    assert len(keys) == 3
