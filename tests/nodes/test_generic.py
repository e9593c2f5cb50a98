"""Arithmetic and Mask against PODPAC 4.0.5: values, broadcasting, dtype, JSON, bad attrs."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from algorithm_helpers import (
    C1,
    C2,
    LAT_LON,
    assert_matches_reference,
    assert_round_trips,
    assert_values,
    case_id,
    load,
    reference_cases,
)
from numpy import nan

import podpac_exec as pe
from podpac_exec.errors import ExpressionError, PipelineError
from podpac_exec.nodes import stats
from podpac_exec.nodes.generic import Arithmetic, Mask
from podpac_exec.nodes.utility import Arange, SinCoords


_a = Arange()
_s = SinCoords()
_nan_below_4 = Mask(source=_a, mask=_a, bool_op="<", bool_val=4)
_nan_from_5 = Mask(source=_a, mask=_a, bool_op=">=", bool_val=5)

MASKS = {
    "eq_default": (Mask(source=_s, mask=_a), LAT_LON),
    "gt": (Mask(source=_s, mask=_a, bool_op=">", bool_val=6.5, masked_val=-2.0), LAT_LON),
    "ge": (Mask(source=_s, mask=_a, bool_op=">=", bool_val=7), LAT_LON),
    "lt": (Mask(source=_s, mask=_a, bool_op="<", bool_val=2), LAT_LON),
    "le": (Mask(source=_s, mask=_a, bool_op="<=", bool_val=2, masked_val=0.5), LAT_LON),
    "in_place": (Mask(source=_s, mask=_a, bool_op="<=", bool_val=2, in_place=True), LAT_LON),
    "nan_in_mask_lt": (Mask(source=_s, mask=_nan_below_4, bool_op="<", bool_val=100), LAT_LON),
    "nan_in_mask_eq": (Mask(source=_a, mask=_nan_below_4, bool_val=5, masked_val=-1.0), LAT_LON),
    "mask_fewer_dims": (Mask(source=_a, mask=stats.Mean(source=_a, dims=["time"]), bool_op=">", bool_val=10), C1),
    "mask_scalar": (Mask(source=_a, mask=stats.Count(source=_a), bool_op="==", bool_val=24, masked_val=3.0), C1),
    "mask_extra_dims": (Mask(source=stats.Mean(source=_a, dims=["time"]), mask=_a, bool_op=">", bool_val=3), C1),
    "stacked": (Mask(source=_a, mask=_a, bool_op=">", bool_val=3), C2),
    "stacked_fewer": (Mask(source=_a, mask=stats.Sum(source=_a, dims=["time"]), bool_op=">", bool_val=3), C2),
}
# PODPAC 4.0.5: MASKS[name][0].eval(MASKS[name][1]) -> (dims, data)
MASK_EXPECTED = {
    'eq_default': (('lat', 'lon'), [[-0.0593911746138847, nan, 0.2620026302293849, 0.11697777844051092], [0.08682408883346515, 0.4330127018922193, -0.3830222215594889, -0.17101007166283427], [0.17101007166283433, 0.8528685319524433, -0.7544065067354888, -0.33682408883346504]]),
    'gt': (('lat', 'lon'), [[-0.0593911746138847, -0.29619813272602386, 0.2620026302293849, 0.11697777844051092], [0.08682408883346515, 0.4330127018922193, -0.3830222215594889, -2.0], [-2.0, -2.0, -2.0, -2.0]]),
    'ge': (('lat', 'lon'), [[-0.0593911746138847, -0.29619813272602386, 0.2620026302293849, 0.11697777844051092], [0.08682408883346515, 0.4330127018922193, -0.3830222215594889, nan], [nan, nan, nan, nan]]),
    'lt': (('lat', 'lon'), [[nan, nan, 0.2620026302293849, 0.11697777844051092], [0.08682408883346515, 0.4330127018922193, -0.3830222215594889, -0.17101007166283427], [0.17101007166283433, 0.8528685319524433, -0.7544065067354888, -0.33682408883346504]]),
    'le': (('lat', 'lon'), [[0.5, 0.5, 0.5, 0.11697777844051092], [0.08682408883346515, 0.4330127018922193, -0.3830222215594889, -0.17101007166283427], [0.17101007166283433, 0.8528685319524433, -0.7544065067354888, -0.33682408883346504]]),
    'in_place': (('lat', 'lon'), [[nan, nan, nan, 0.11697777844051092], [0.08682408883346515, 0.4330127018922193, -0.3830222215594889, -0.17101007166283427], [0.17101007166283433, 0.8528685319524433, -0.7544065067354888, -0.33682408883346504]]),
    'nan_in_mask_lt': (('lat', 'lon'), [[-0.0593911746138847, -0.29619813272602386, 0.2620026302293849, 0.11697777844051092], [nan, nan, nan, nan], [nan, nan, nan, nan]]),
    'nan_in_mask_eq': (('lat', 'lon'), [[0.0, 1.0, 2.0, 3.0], [4.0, -1.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]),
    'mask_fewer_dims': (('lat', 'lon', 'time'), [[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0], [6.0, 7.0]], [[8.0, 9.0], [nan, nan], [nan, nan], [nan, nan]], [[nan, nan], [nan, nan], [nan, nan], [nan, nan]]]),
    'mask_scalar': (('lat', 'lon', 'time'), [[[3.0, 3.0], [3.0, 3.0], [3.0, 3.0], [3.0, 3.0]], [[3.0, 3.0], [3.0, 3.0], [3.0, 3.0], [3.0, 3.0]], [[3.0, 3.0], [3.0, 3.0], [3.0, 3.0], [3.0, 3.0]]]),
    'mask_extra_dims': (('lat', 'lon'), [[0.5, 2.5, 4.5, 6.5], [8.5, 10.5, 12.5, 14.5], [16.5, 18.5, 20.5, 22.5]]),
    'stacked': (('lat_lon', 'time'), [[0.0, 1.0], [2.0, 3.0], [nan, nan]]),
    'stacked_fewer': (('lat_lon', 'time'), [[0.0, 1.0], [nan, nan], [nan, nan]]),
}

ARITHMETIC = {  # name -> (Arithmetic kwargs, coordinates)
    "params": ({"A": _s, "B": _a, "eqn": "A * B + {offset}", "params": {"offset": 1.5}}, LAT_LON),
    "params_str": ({"A": _s, "B": _a, "eqn": "A {op} B", "params": {"op": "-"}}, LAT_LON),
    "sqrt_where": ({"A": _s, "B": _a, "eqn": "where(A > 0, sqrt(A), B / 2)"}, LAT_LON),
    "nan_inputs": ({"A": _nan_from_5, "B": _s, "eqn": "A + B * 10"}, LAT_LON),
    "reduced_input": ({"A": stats.Mean(source=_a, dims=["time"]), "B": _a, "eqn": "B - A"}, C1),
    "reduced_first_only": ({"A": stats.Mean(source=_a, dims=["lat", "time"]), "eqn": "A * 2"}, C1),
    "two_reduced": (
        {
            "A": stats.Mean(source=_a, dims=["lat", "time"]),
            "B": stats.Sum(source=_a, dims=["lon"]),
            "eqn": "A + 100 * B",
        },
        C1,
    ),
    "int_first_input": ({"A": stats.Count(source=_a), "B": _s, "eqn": "A / 7 + B"}, LAT_LON),
    "stacked": ({"A": _a, "B": _nan_from_5, "eqn": "A ** 2 - B"}, C2),
    "unused_input": ({"A": _a, "B": _s, "eqn": "B * 3"}, LAT_LON),
    "bool_result": ({"A": _a, "eqn": "A > 4"}, LAT_LON),
}
# PODPAC 4.0.5: ARITHMETIC[name][0].eval(ARITHMETIC[name][1]) -> (dims, dtype, data)
ARITHMETIC_EXPECTED = {
    'params': (('lat', 'lon'), 'float64', [[1.5, 1.203801867273976, 2.02400526045877, 1.8509333353215327], [1.8472963553338606, 3.6650635094610964, -0.7981333293569333, 0.30292949836016003], [2.8680805733026746, 9.17581678757199, -6.044065067354888, -2.2050649771681154]]),
    'params_str': (('lat', 'lon'), 'float64', [[-0.0593911746138847, -1.296198132726024, -1.737997369770615, -2.883022221559489], [-3.913175911166535, -4.56698729810778, -6.3830222215594885, -7.171010071662835], [-7.828989928337165, -8.147131468047556, -10.754406506735489, -11.336824088833465]]),
    'sqrt_where': (('lat', 'lon'), 'float64', [[0.0, 0.5, 0.5118619249654978, 0.34202014332566866], [0.2946592758313662, 0.6580370064762462, 3.0, 3.5], [0.4135336403037053, 0.9235088153084643, 5.0, 5.5]]),
    'nan_inputs': (('lat', 'lon'), 'float64', [[-0.593911746138847, -1.9619813272602387, 4.62002630229385, 4.16977778440511], [4.868240888334651, nan, nan, nan], [nan, nan, nan, nan]]),
    'reduced_input': (('lat', 'lon', 'time'), 'float64', [[[-0.5, 0.5], [-0.5, 0.5], [-0.5, 0.5], [-0.5, 0.5]], [[-0.5, 0.5], [-0.5, 0.5], [-0.5, 0.5], [-0.5, 0.5]], [[-0.5, 0.5], [-0.5, 0.5], [-0.5, 0.5], [-0.5, 0.5]]]),
    'reduced_first_only': (('lon',), 'float64', [17.0, 21.0, 25.0, 29.0]),
    'two_reduced': (('lat', 'lon', 'time'), 'float64', [[[1208.5, 1608.5], [1210.5, 1610.5], [1212.5, 1612.5], [1214.5, 1614.5]], [[4408.5, 4808.5], [4410.5, 4810.5], [4412.5, 4812.5], [4414.5, 4814.5]], [[7608.5, 8008.5], [7610.5, 8010.5], [7612.5, 8012.5], [7614.5, 8014.5]]]),
    'int_first_input': (('lat', 'lon'), 'int64', [[1, 1, 1, 1], [1, 2, 1, 1], [1, 2, 0, 1]]),
    'stacked': (('lat_lon', 'time'), 'float64', [[0.0, 0.0], [2.0, 6.0], [12.0, nan]]),
    'unused_input': (('lat', 'lon'), 'float64', [[-0.17817352384165408, -0.8885943981780715, 0.7860078906881547, 0.35093333532153276], [0.26047226650039546, 1.299038105676658, -1.1490666646784666, -0.5130302149885029], [0.513030214988503, 2.5586055958573297, -2.2632195202064667, -1.0104722665003951]]),
    'bool_result': (('lat', 'lon'), 'float64', [[0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]),
}

PARAMS_JSON = (
    '{"SinCoords":{"node":"core.algorithm.utility.SinCoords","attrs":{"xarray_floating_point_correction":false},'
    '"style":{"colormap":"jet","clim":[-1.0,1.0]}},"Arange":{"node":"core.algorithm.utility.Arange","attrs":'
    '{"xarray_floating_point_correction":false}},"Arithmetic":{"node":"core.algorithm.generic.Arithmetic","attrs":'
    '{"eqn":"A * B + {offset}","params":{"offset":1.5},"xarray_floating_point_correction":false},"inputs":'
    '{"A":"SinCoords","B":"Arange"}},"podpac_version":"4.0.5"}'
)
REDUCED_JSON = (
    '{"Arange":{"node":"core.algorithm.utility.Arange","attrs":{"xarray_floating_point_correction":false}},"Mean":'
    '{"node":"core.algorithm.stats.Mean","attrs":{"dims":["time"]},"inputs":{"source":"Arange"}},"Arithmetic":{"node":'
    '"core.algorithm.generic.Arithmetic","attrs":{"eqn":"B - A","params":{},"xarray_floating_point_correction":false},'
    '"inputs":{"A":"Mean","B":"Arange"}},"podpac_version":"4.0.5"}'
)
MASK_JSON = (
    '{"Arange":{"node":"core.algorithm.utility.Arange","attrs":{"xarray_floating_point_correction":false}},"SinCoords":'
    '{"node":"core.algorithm.utility.SinCoords","attrs":{"xarray_floating_point_correction":false},"style":{"colormap":'
    '"jet","clim":[-1.0,1.0]}},"Mask":{"node":"core.algorithm.generic.Mask","attrs":{"bool_op":">","bool_val":6.5,'
    '"in_place":false,"masked_val":-2.0,"xarray_floating_point_correction":false},"inputs":{"mask":"Arange","source":'
    '"SinCoords"}},"podpac_version":"4.0.5"}'
)


# -- Mask ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MASKS))
def test_mask_matches_podpac(name):
    node, coords = MASKS[name]
    dims, want = MASK_EXPECTED[name]
    out = node.eval(coords)
    assert out.dims == dims
    assert_values(out, want)
    assert node.output_coordinates(coords).dims == dims


def test_mask_never_changes_its_sources_output():
    node, coords = MASKS["in_place"]
    node.eval(coords)
    assert_values(_s.eval(coords), SinCoords().eval(coords))


def test_mask_json_equals_podpacs_and_round_trips():
    node, _ = MASKS["gt"]
    assert node.json == MASK_JSON
    loaded = load(MASK_JSON)
    assert loaded.json == MASK_JSON
    assert_round_trips(loaded)
    short = {"a": {"node": "algorithm.Arange"}, "m": {"node": "algorithm.Mask", "inputs": {"source": "a", "mask": "a"}}}
    assert load(short).hash == Mask(source=_a, mask=_a).hash


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"bool_op": "!="}, "attrs.bool_op"),
        ({"bool_val": "one"}, "attrs.bool_val"),
        ({"masked_val": [1.0]}, "attrs.masked_val"),
        ({"in_place": 2}, "attrs.in_place"),
        ({"source": None}, "inputs.source"),
        ({"mask": None}, "inputs.mask"),
        ({"mask": 3.0}, "attrs.mask"),
        ({"invert": True}, "attrs.invert"),
    ],
)
def test_mask_bad_attrs_name_the_field(kwargs, field):
    kwargs = {"source": _a, "mask": _s, **kwargs}
    with pytest.raises(PipelineError) as info:
        Mask(**kwargs)
    assert info.value.field == field


# -- Arithmetic ----------------------------------------------------------------------------------


# PODPAC substitutes any param value with str.format; podpac_exec.nodes.expressions accepts numbers only


@pytest.mark.parametrize(
    "name", sorted(ARITHMETIC)
)
def test_arithmetic_matches_podpac(name):
    kwargs, coords = ARITHMETIC[name]
    node = Arithmetic(**kwargs)
    dims, dtype, want = ARITHMETIC_EXPECTED[name]
    out = node.eval(coords)
    assert out.dims == dims
    assert str(out.dtype) == dtype  # the first input's dtype, as PODPAC (int64 for a full Count)
    assert_values(out, want)
    assert node.output_coordinates(coords).dims == dims


def test_arithmetic_json_equals_podpacs_and_round_trips():
    kwargs, _ = ARITHMETIC["params"]
    assert Arithmetic(**kwargs).json == PARAMS_JSON
    kwargs, _ = ARITHMETIC["reduced_input"]
    assert Arithmetic(**kwargs).json == REDUCED_JSON
    for text in (PARAMS_JSON, REDUCED_JSON):
        node = load(text)
        assert node.json == text
        assert_round_trips(node)


def test_arithmetic_inputs_are_named_by_keyword():
    node = Arithmetic(B=_a, A=_s, eqn="A + B")
    assert list(node.inputs) == ["B", "A"]
    assert node.definition["Arithmetic"]["inputs"] == {"A": "SinCoords", "B": "Arange"}
    assert node.hash == Arithmetic(A=_s, B=_a, eqn="A + B").hash
    assert node.hash != Arithmetic(A=_a, B=_s, eqn="A + B").hash
    assert node.hash != Arithmetic(A=_s, B=_a, eqn="A + B", params={"k": 1}).hash
    assert set(node.input_nodes()) == {_a, _s}


def test_arithmetic_short_name_and_handwritten_json():
    definition = {
        "sin": {"node": "algorithm.SinCoords"},
        "rng": {"node": "algorithm.Arange"},
        "out": {
            "node": "algorithm.Arithmetic",
            "attrs": {"eqn": "x - {k} * y", "params": {"k": 2}},
            "inputs": {"x": "sin", "y": "rng"},
        },
    }
    node = load(definition)
    assert_values(node.eval(LAT_LON), np.asarray(SinCoords().eval(LAT_LON)) - 2 * np.arange(12.0).reshape(3, 4))


def test_arithmetic_pickles_without_its_compiled_expression():
    kwargs, coords = ARITHMETIC["params"]
    node = Arithmetic(**kwargs)
    again = pickle.loads(pickle.dumps(node))
    assert again.hash == node.hash
    assert_values(again.eval(coords), node.eval(coords))


def test_arithmetic_requirements_and_output_coordinates_follow_inputs():
    node = Arithmetic(A=stats.Mean(source=_a, dims=["time"]), B=stats.Sum(source=_a, dims=["lat"]), eqn="A + B")
    assert node.graph_requirements().reduce_dims == {"time", "lat"}
    assert node.output_coordinates(C1).dims == ("lat", "lon", "time")
    assert Arithmetic(A=stats.Mean(source=_a, dims=["time"]), eqn="A").output_coordinates(C1).dims == ("lat", "lon")


@pytest.mark.parametrize(
    "kwargs, field, fragment",
    [
        ({"eqn": ""}, "attrs.eqn", "empty"),
        ({"eqn": "A + C"}, "attrs.eqn", "C"),
        ({"eqn": "A + {k}"}, "attrs.eqn", "k"),
        ({"eqn": "A + {k}", "params": {"k": [1]}}, "attrs.params.k", "k"),
        ({"eqn": 3}, "attrs.eqn", ""),
        ({"eqn": "A", "params": [1]}, "attrs.params", ""),
        ({"eqn": "A", "B": 3.0}, "inputs.B", "node"),
        ({"eqn": "A", "B": [_a]}, "inputs.B", "node"),
        ({"eqn": "A", "params": _a}, "inputs.params", "reserved"),
        ({"eqn": "A", "xarray_floating_point_correction": "no"}, "attrs.xarray_floating_point_correction", ""),
    ],
)
def test_arithmetic_bad_attrs_name_the_field(kwargs, field, fragment):
    kwargs = {"A": _s, **kwargs}
    with pytest.raises((PipelineError, ExpressionError)) as info:
        Arithmetic(**kwargs)
    assert info.value.field == field
    assert fragment in str(info.value)


def test_arithmetic_needs_an_input():
    with pytest.raises(PipelineError) as info:
        Arithmetic(eqn="1 + 2")
    assert info.value.field == "inputs"


def test_arithmetic_unsafe_eqn_is_an_expression_error():
    with pytest.raises(ExpressionError) as info:
        Arithmetic(A=_s, eqn="__import__('os').system('true')")
    assert info.value.field == "attrs.eqn"


def test_arithmetic_errors_from_json_name_the_ref():
    definition = {
        "a": {"node": "algorithm.Arange"},
        "out": {"node": "algorithm.Arithmetic", "attrs": {"eqn": "A + Z"}, "inputs": {"A": "a"}},
    }
    with pytest.raises((PipelineError, ExpressionError)) as info:
        load(definition)
    assert info.value.field == "out.attrs.eqn"


_SHARED = [
    c
    for c in reference_cases("SinCoords", "Arange", "CoordData", "Array", "Arithmetic", "Mask")
    if {"Arithmetic", "Mask"} & set(c["nodes"])
]


@pytest.mark.parametrize(
    "case",
    _SHARED,
    ids=case_id,
)
def test_shared_podpac_reference_cases(case):
    assert_matches_reference(load(case["pipeline"]), case)


# -- Combine (values: test_podpac_reference_pipelines, combine_*) ----------------------------------


def test_combine_without_output_names_the_field():
    from podpac_exec.nodes.generic import Combine

    with pytest.raises(pe.PipelineError, match="multi-output") as err:
        Combine(A=pe.nodes.SinCoords(), B=pe.nodes.Arange())
    assert err.value.field == "attrs.output"
    with pytest.raises(pe.PipelineError, match="not one of the outputs") as err:
        Combine(A=pe.nodes.SinCoords(), output="Z")
    with pytest.raises(pe.PipelineError, match="2 outputs for 1 inputs") as err:
        Combine(A=pe.nodes.SinCoords(), outputs=["x", "y"], output="x")
    assert err.value.field == "attrs.outputs"
    with pytest.raises(pe.PipelineError, match="at least one input"):
        Combine(output="A")


def test_combine_refuses_inputs_with_different_dims():
    from podpac_exec.nodes.generic import Combine

    node = Combine(A=pe.nodes.SinCoords(), B=pe.nodes.Mean(source=pe.nodes.SinCoords(), dims=["lat"]), output="A")
    coords = pe.Coordinates([pe.clinspace(0, 3, 4, "lat"), pe.clinspace(0, 2, 3, "lon")])
    with pytest.raises(pe.CoordinatesError, match="different coordinates"):
        pe.evaluate(node, coords)


def test_combine_writes_podpacs_definition_and_evaluates_the_chosen_input_only():
    from podpac_exec.nodes.generic import Combine

    node = Combine(A=pe.nodes.SinCoords(), B=pe.nodes.Arange(), output="B")
    attrs = json.loads(node.json)["Combine"]["attrs"]
    assert attrs["outputs"] == ["A", "B"] and attrs["output"] == "B"
    coords = pe.Coordinates([pe.clinspace(0, 3, 4, "lat"), pe.clinspace(0, 2, 3, "lon")])
    np.testing.assert_array_equal(pe.evaluate(node, coords).values, pe.evaluate(pe.nodes.Arange(), coords).values)


def test_arithmetic_writes_only_into_inputs_that_nothing_else_holds():
    import podpac_exec as pe
    from podpac_exec.nodes import Arange, Arithmetic, SinCoords
    from podpac_exec.nodes.data import Array

    coords = pe.Coordinates([pe.clinspace(0, 10, 400, "lat"), pe.clinspace(0, 20, 400, "lon")])
    held = np.arange(400 * 400, dtype=float).reshape(400, 400)
    source = Array(source=held, coordinates=coords)
    assert SinCoords().gives_fresh_values() and Arithmetic(A=Arange(), eqn="A").gives_fresh_values()
    assert not source.gives_fresh_values()

    class Cached(Arange):  # overrides _eval: does not inherit its parent's promise
        def _eval(self, coordinates):
            return held

    assert not Cached().gives_fresh_values()
    node = Arithmetic(A=source, B=Cached(), C=SinCoords(), eqn="A + B + C")
    out = pe.evaluate(node, coords, backend="local").values
    np.testing.assert_array_equal(held, np.arange(400 * 400, dtype=float).reshape(400, 400))
    sin = pe.evaluate(SinCoords(), coords, backend="local").values
    np.testing.assert_allclose(out, 2 * held + sin)


def test_arithmetic_keeps_its_last_output_coordinates_but_does_not_pickle_them():
    import pickle

    import podpac_exec as pe
    from podpac_exec.nodes import Arithmetic, SinCoords

    node = Arithmetic(A=SinCoords(), eqn="A * 2")
    coords = pe.Coordinates([pe.clinspace(0, 1, 3, "lat"), pe.clinspace(0, 1, 4, "lon")])
    out = node.output_coordinates(coords)
    assert node.output_coordinates(coords) is out
    other = pe.Coordinates([pe.clinspace(0, 1, 5, "lat")])
    assert node.output_coordinates(other).shape == (5,)
    clone = pickle.loads(pickle.dumps(node))
    assert "_last_output" not in clone.__dict__ and clone.output_coordinates(coords).shape == (3, 4)


@pytest.mark.parametrize("in_place", [False, True])
@pytest.mark.parametrize("mask_shape", [(300, 40, 30), (300, 40, 1), (1, 40, 30), (1, 1, 1)])
def test_masked_into_is_where_block_by_block(mask_shape, in_place):
    from podpac_exec.nodes.generic import masked_into

    source = np.sin(np.arange(300 * 40 * 30, dtype=float)).reshape(300, 40, 30)
    mask = np.cos(np.arange(int(np.prod(mask_shape)), dtype=float)).reshape(mask_shape)
    expected = np.where(mask > 0.3, -7.0, source)
    out = source if in_place else np.empty_like(source)
    masked_into(out, source, mask, lambda m: m > 0.3, np.float64(-7.0))
    assert np.array_equal(out, expected)


def test_mask_writes_into_a_fresh_source_only():
    coords = pe.Coordinates([pe.clinspace(0, 1, 300, "lat"), pe.clinspace(0, 1, 400, "lon")])
    fresh = Arithmetic(A=_a, eqn="A * 2")
    assert fresh.gives_fresh_values() and Mask(source=fresh, mask=_a).gives_fresh_values()
    masked = Mask(source=fresh, mask=_a, bool_op="<", bool_val=1000.0).eval(coords).values
    expected = np.where(np.arange(120000.0).reshape(300, 400) < 1000, np.nan, np.arange(120000.0).reshape(300, 400) * 2)
    assert np.array_equal(masked, expected, equal_nan=True)
