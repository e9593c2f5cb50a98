"""PNG writing (podpac_exec.serve.encode): decoded pixels are colorize's, whatever the layout."""

from __future__ import annotations

import numpy as np
import pytest
from serve_support import decode_png

from podpac_exec.serve import encode
from podpac_exec.serve.style import LUT_SIZE, Style, colorize


def test_rgba_png_round_trips_through_pillow():
    rgba = np.random.default_rng(1).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    data = encode.png(rgba)
    assert data.startswith(encode.PNG_SIGNATURE)
    np.testing.assert_array_equal(decode_png(data), rgba)
    np.testing.assert_array_equal(decode_png(encode.png(np.broadcast_to(rgba[:1, :1], (3, 9, 4)))), np.broadcast_to(rgba[:1, :1], (3, 9, 4)))


@pytest.mark.parametrize("colormap", ["viridis", "jet", "magma"])
@pytest.mark.parametrize("nodata", [0.0, 0.3, 1.0])
def test_styled_png_pixels_are_colorize(colormap, nodata):
    rng = np.random.default_rng(2)
    values = rng.uniform(-1.5, 1.5, size=(64, 48))  # under and over the scale too
    values[rng.uniform(size=values.shape) < nodata] = np.nan
    values[0, :3] = [np.inf, -np.inf, -0.0]
    style = Style(colormap, -1.0, 1.0)
    np.testing.assert_array_equal(decode_png(encode.styled_png(values, style)), colorize(values, style))


def test_styled_png_is_a_palette_png_while_a_colour_is_free_for_nodata():
    style = Style("jet", 0.0, float(LUT_SIZE))
    every_colour = np.arange(LUT_SIZE, dtype=float).reshape(16, 16) + 0.5
    with_nodata = every_colour.copy()
    with_nodata[3, 3] = np.nan  # colour 51 is now unused: it stands for nodata
    full = np.vstack([every_colour, every_colour])
    full[0, 0] = np.nan  # colour 0 is still used below: no index is free, so RGBA
    for values, colour_type in ((every_colour, 3), (with_nodata, 3), (full, 6)):
        data = encode.styled_png(values, style)
        assert data[25] == colour_type  # IHDR's colour type: 3 palette, 6 RGBA
        np.testing.assert_array_equal(decode_png(data), colorize(values, style))
