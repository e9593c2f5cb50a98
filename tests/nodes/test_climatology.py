"""BetaFitDayOfYear: construction and bad input (values: test_podpac_reference_pipelines, betafit_*)."""

from __future__ import annotations

import numpy as np
import pytest

import podpac_exec as pe
from podpac_exec.nodes.climatology import BetaFitDayOfYear, _window
from podpac_exec.nodes.data import Array

DAYS = np.arange("2020-01-01", "2020-01-11", dtype="datetime64[D]")
COORDS = pe.Coordinates([[1.0, 2.0], DAYS], dims=["lat", "time"])
SOURCE = Array(source=np.linspace(0.1, 0.9, COORDS.size).reshape(COORDS.shape), coordinates=COORDS)


@pytest.mark.parametrize(
    "kwargs, field, fragment",
    [
        ({"scale_float": [0, 1]}, "attrs.output", "choose one of a, b"),
        ({"output": "d0", "scale_float": [0, 1]}, "attrs.output", "choose one of a, b"),
        ({"output": "a", "rescale": True}, "attrs.rescale", "needs scale_float"),
        ({"output": "a", "scale_float": [0]}, "attrs.scale_float", "[min, max]"),
        ({"output": "d0", "percentiles": [50.0], "scale_float": [0, 1]}, "attrs.percentiles", "0..1"),
        ({"output": "a", "scale_float": [0, 1], "scale_max": SOURCE}, "inputs.scale_max", "scale_float"),
        ({"output": "a", "scale_float": [0, 1], "outputs": ["a"]}, "attrs.outputs", "fixed"),
    ],
)
def test_bad_attrs_name_the_field(kwargs, field, fragment):
    with pytest.raises(pe.PipelineError, match=fragment) as err:
        BetaFitDayOfYear(source=SOURCE, **kwargs)
    assert err.value.field == field and "\n" not in str(err.value)


def test_values_outside_0_1_without_scaling_name_scale_float():
    node = BetaFitDayOfYear(source=Array(source=np.full(COORDS.shape, 5.0), coordinates=COORDS), output="a", rescale=False)
    with pytest.raises(pe.PodpacExecError, match="outside") as err:
        pe.evaluate(node, COORDS)
    assert "scale_float" in str(err.value)


def test_output_time_holds_the_request_days_of_year():
    node = BetaFitDayOfYear(source=SOURCE, output="b", window=4, scale_float=[0.0, 1.0], rescale=False)
    out = pe.evaluate(node, COORDS)
    assert out.dims == ("lat", "time") and list(out["time"].values) == list(range(1, 11))
    assert np.isfinite(out.values).all()
    assert '"scale_max":null' in node.json and '"outputs"' not in node.json


def test_window_wraps_at_the_ends_of_a_365_day_year():
    days = np.arange(1, 367)
    assert list(days[_window(days, 1, 2)]) == [1, 2, 3, 364, 365, 366]  # day 366 counts as >= 364
    assert list(days[_window(days, 366, 1)]) == [1, 2, 365, 366]
    assert list(days[_window(days, 100, 0)]) == [100]
