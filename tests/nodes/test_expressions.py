"""Tests of the safe expression compiler (podpac_exec.nodes.expressions)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpac_exec.errors import ExpressionError, PodpacExecError
from podpac_exec.nodes.expressions import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    CompiledExpression,
    compile_expression,
    substitute_params,
)

nan, inf = math.nan, math.inf

A = np.array([-1.5, -0.0, 0.5, 2.0, np.nan, np.inf, 3.0])
B = np.array([2.0, 0.0, -1.0, 3.0, 1.0, -np.inf, 0.1])
I = np.array([-3, 0, 1, 2, 7, 5, -8])  # noqa: E741
J = np.array([2, 0, -1, 3, 2, 0, 3])
T = np.array([True, False, True, False, True, False, True])
INPUTS = {"A": A, "B": B, "I": I, "J": J, "T": T}

# (eqn, numexpr's result dtype, the float64 values PODPAC writes out), computed once with
# numexpr 2.14.2 under PODPAC 4.0.5 (/work/podpac-ref) on the inputs above. conj() returns
# complex128 in numexpr; we return float64 (no complex support), equal once PODPAC casts.
NUMEXPR_CASES = [
    ('A * 2 + sin(B)', 'float64', [-2.090702573174318, 0.0, 0.1585290151921035, 4.141120008059867, nan, nan, 6.099833416646828]),
    ('A + B', 'float64', [0.5, 0.0, -0.5, 5.0, nan, nan, 3.1]),
    ('A - B', 'float64', [-3.5, -0.0, 1.5, -1.0, nan, inf, 2.9]),
    ('A * B', 'float64', [-3.0, -0.0, -0.5, 6.0, nan, -inf, 0.30000000000000004]),
    ('A / B', 'float64', [-0.75, nan, -0.5, 0.6666666666666666, nan, nan, 30.0]),
    ('A / 0', 'float64', [-inf, nan, inf, inf, nan, inf, inf]),
    ('I / J', 'float64', [-1.5, nan, -1.0, 0.6666666666666666, 3.5, inf, -2.6666666666666665]),
    ('I / 0', 'float64', [-inf, nan, inf, inf, inf, inf, -inf]),
    ('A % B', 'float64', [0.5, nan, -0.5, 2.0, nan, nan, 0.0]),
    ('A // B', 'float64', [-1.0, nan, -1.0, 0.0, nan, nan, 30.0]),
    ('I % J', 'int64', [1.0, 0.0, 0.0, 2.0, 1.0, 0.0, 1.0]),
    ('I // J', 'int64', [-2.0, 0.0, -1.0, 0.0, 3.0, 0.0, -3.0]),
    ('A ** 2', 'float64', [2.25, 0.0, 0.25, 4.0, nan, inf, 9.0]),
    ('A ** 3', 'float64', [-3.375, -0.0, 0.125, 8.0, nan, inf, 27.0]),
    ('A ** -1', 'float64', [-0.6666666666666666, -inf, 2.0, 0.5, nan, 0.0, 0.3333333333333333]),
    ('A ** -2', 'float64', [0.4444444444444444, inf, 4.0, 0.25, nan, 0.0, 0.1111111111111111]),
    ('A ** 0.5', 'float64', [nan, -0.0, 0.7071067811865476, 1.4142135623730951, nan, inf, 1.7320508075688772]),
    ('A ** -0.5', 'float64', [nan, -inf, 1.414213562373095, 0.7071067811865475, nan, 0.0, 0.5773502691896258]),
    ('A ** 2.5', 'float64', [nan, -0.0, 0.1767766952966369, 5.656854249492381, nan, inf, 15.588457268119894]),
    ('A ** 0', 'float64', [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ('A ** B', 'float64', [2.25, 1.0, 2.0, 8.0, nan, 0.0, 1.1161231740339044]),
    ('2 ** A', 'float64', [0.3535533905932738, 1.0, 1.4142135623730951, 4.0, nan, inf, 8.0]),
    ('I ** 2', 'int64', [9.0, 0.0, 1.0, 4.0, 49.0, 25.0, 64.0]),
    ('I ** J', 'int64', [9.0, 1.0, 1.0, 8.0, 49.0, 1.0, -512.0]),
    ('I ** 0.5', 'float64', [nan, 0.0, 1.0, 1.4142135623730951, 2.6457513110645907, 2.23606797749979, nan]),
    ('I ** -1.0', 'float64', [-0.3333333333333333, inf, 1.0, 0.5, 0.14285714285714285, 0.2, -0.125]),
    ('-A', 'float64', [1.5, 0.0, -0.5, -2.0, nan, -inf, -3.0]),
    ('+A', 'float64', [-1.5, -0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('--A', 'float64', [-1.5, -0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('A > 0.5', 'bool', [0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0]),
    ('A >= 0.5', 'bool', [0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]),
    ('A < B', 'bool', [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
    ('A <= B', 'bool', [1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0]),
    ('A == B', 'bool', [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ('A != B', 'bool', [1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ('(A > 0) & (B > 0)', 'bool', [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]),
    ('(A > 0) | (B > 0)', 'bool', [1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ('(A > 0) ^ (B > 0)', 'bool', [1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]),
    ('~(A > 0)', 'bool', [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0]),
    ('~T', 'bool', [0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0]),
    ('T & T', 'bool', [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]),
    ('I & J', 'int64', [0.0, 0.0, 1.0, 2.0, 2.0, 0.0, 0.0]),
    ('I | J', 'int64', [-1.0, 0.0, -1.0, 3.0, 7.0, 5.0, -5.0]),
    ('I ^ J', 'int64', [-1.0, 0.0, -2.0, 1.0, 5.0, 5.0, -5.0]),
    ('~I', 'int64', [2.0, -1.0, -2.0, -3.0, -8.0, -6.0, 7.0]),
    ('I << 2', 'int64', [-12.0, 0.0, 4.0, 8.0, 28.0, 20.0, -32.0]),
    ('I >> 1', 'int64', [-2.0, 0.0, 0.0, 1.0, 3.0, 2.0, -4.0]),
    ('(A > 0) + 1', 'int32', [1.0, 1.0, 2.0, 2.0, 1.0, 2.0, 2.0]),
    ('(A > 0) * A', 'float64', [-0.0, -0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('T + T', 'bool', [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]),
    ('T * 2.5', 'float64', [2.5, 0.0, 2.5, 0.0, 2.5, 0.0, 2.5]),
    ('where(A > 0, A, B)', 'float64', [2.0, 0.0, 0.5, 2.0, 1.0, inf, 3.0]),
    ('where(T, I, 0.5)', 'float64', [-3.0, 0.5, 1.0, 0.5, 7.0, 0.5, -8.0]),
    ('where(True, A, B)', 'float64', [-1.5, -0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('sqrt(A)', 'float64', [nan, -0.0, 0.7071067811865476, 1.4142135623730951, nan, inf, 1.7320508075688772]),
    ('sin(A)', 'float64', [-0.9974949866040544, -0.0, 0.479425538604203, 0.9092974268256817, nan, nan, 0.1411200080598672]),
    ('cos(A)', 'float64', [0.0707372016677029, 1.0, 0.8775825618903728, -0.4161468365471424, nan, nan, -0.9899924966004454]),
    ('tan(A)', 'float64', [-14.101419947171719, -0.0, 0.5463024898437905, -2.185039863261519, nan, nan, -0.1425465430742778]),
    ('arcsin(B)', 'float64', [nan, 0.0, -1.5707963267948966, nan, 1.5707963267948966, nan, 0.1001674211615598]),
    ('arccos(B)', 'float64', [nan, 1.5707963267948966, 3.141592653589793, nan, 0.0, nan, 1.4706289056333368]),
    ('arctan(A)', 'float64', [-0.982793723247329, -0.0, 0.4636476090008061, 1.1071487177940904, nan, 1.5707963267948966, 1.2490457723982544]),
    ('sinh(B)', 'float64', [3.626860407847019, 0.0, -1.1752011936438014, 10.017874927409903, 1.1752011936438014, -inf, 0.10016675001984403]),
    ('cosh(B)', 'float64', [3.7621956910836314, 1.0, 1.5430806348152437, 10.067661995777765, 1.5430806348152437, inf, 1.0050041680558035]),
    ('tanh(A)', 'float64', [-0.9051482536448664, -0.0, 0.46211715726000974, 0.9640275800758169, nan, 1.0, 0.9950547536867305]),
    ('arcsinh(A)', 'float64', [-1.1947632172871094, -0.0, 0.48121182505960347, 1.4436354751788103, nan, inf, 1.8184464592320668]),
    ('arccosh(A)', 'float64', [nan, nan, nan, 1.3169578969248166, nan, inf, 1.762747174039086]),
    ('arctanh(B)', 'float64', [nan, 0.0, -inf, nan, inf, nan, 0.10033534773107558]),
    ('exp(B)', 'float64', [7.38905609893065, 1.0, 0.36787944117144233, 20.085536923187668, 2.718281828459045, 0.0, 1.1051709180756477]),
    ('expm1(B)', 'float64', [6.38905609893065, 0.0, -0.6321205588285577, 19.085536923187668, 1.718281828459045, -1.0, 0.10517091807564763]),
    ('log(A)', 'float64', [nan, -inf, -0.6931471805599453, 0.6931471805599453, nan, inf, 1.0986122886681098]),
    ('log10(A)', 'float64', [nan, -inf, -0.3010299956639812, 0.3010299956639812, nan, inf, 0.47712125471966244]),
    ('log1p(B)', 'float64', [1.0986122886681096, 0.0, -inf, 1.3862943611198906, 0.6931471805599453, nan, 0.09531017980432487]),
    ('log2(A)', 'float64', [nan, -inf, -1.0, 1.0, nan, inf, 1.584962500721156]),
    ('abs(A)', 'float64', [1.5, 0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('abs(I)', 'float64', [3.0, 0.0, 1.0, 2.0, 7.0, 5.0, 8.0]),
    ('ceil(A)', 'float64', [-1.0, -0.0, 1.0, 2.0, nan, inf, 3.0]),
    ('floor(A)', 'float64', [-2.0, -0.0, 0.0, 2.0, nan, inf, 3.0]),
    ('round(A)', 'float64', [-2.0, -0.0, 0.0, 2.0, nan, inf, 3.0]),
    ('round(I)', 'int64', [-3.0, 0.0, 1.0, 2.0, 7.0, 5.0, -8.0]),
    ('trunc(A)', 'float64', [-1.0, -0.0, 0.0, 2.0, nan, inf, 3.0]),
    ('sign(A)', 'float64', [-1.0, 0.0, 1.0, 1.0, nan, 1.0, 1.0]),
    ('sign(I)', 'int64', [-1.0, 0.0, 1.0, 1.0, 1.0, 1.0, -1.0]),
    ('fmod(A, B)', 'float64', [-1.5, nan, 0.5, 2.0, nan, nan, 0.09999999999999984]),
    ('fmod(I, J)', 'float64', [-1.0, nan, 0.0, 2.0, 1.0, nan, -2.0]),
    ('arctan2(A, B)', 'float64', [-0.6435011087932844, -0.0, 2.677945044588987, 0.5880026035475675, nan, 2.356194490192345, 1.5374753309166493]),
    ('hypot(A, B)', 'float64', [2.5, 0.0, 1.118033988749895, 3.605551275463989, nan, inf, 3.0016662039607267]),
    ('nextafter(A, B)', 'float64', [-1.4999999999999998, 0.0, 0.49999999999999994, 2.0000000000000004, nan, 1.7976931348623157e+308, 2.9999999999999996]),
    ('copysign(A, B)', 'float64', [1.5, 0.0, -0.5, 2.0, nan, -inf, 3.0]),
    ('maximum(A, B)', 'float64', [2.0, 0.0, 0.5, 3.0, nan, inf, 3.0]),
    ('minimum(A, B)', 'float64', [-1.5, 0.0, -1.0, 2.0, nan, -inf, 0.1]),
    ('isnan(A)', 'bool', [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0]),
    ('isinf(A)', 'bool', [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]),
    ('isfinite(A)', 'bool', [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0]),
    ('signbit(A)', 'bool', [1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ('real(A)', 'float64', [-1.5, -0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('imag(A)', 'float64', [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ('conj(A)', 'float64', [-1.5, -0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('copy(A)', 'float64', [-1.5, -0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('ones_like(A)', 'float64', [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ('1', 'int32', [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    ('2.5 * 4', 'float64', [10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]),
    ('-2**2', 'int32', [-4.0, -4.0, -4.0, -4.0, -4.0, -4.0, -4.0]),
    ('1e400 + A', 'float64', [inf, inf, inf, inf, nan, inf, inf]),
    ('0x10 + A', 'float64', [14.5, 16.0, 16.5, 18.0, nan, inf, 19.0]),
    ('1_000 + A', 'float64', [998.5, 1000.0, 1000.5, 1002.0, nan, inf, 1003.0]),
    ('.5 + A', 'float64', [-1.0, 0.5, 1.0, 2.5, nan, inf, 3.5]),
    ('1. * A', 'float64', [-1.5, -0.0, 0.5, 2.0, nan, inf, 3.0]),
    ('(A +\n 1)', 'float64', [-0.5, 1.0, 1.5, 3.0, nan, inf, 4.0]),
    ('sin(1) + A', 'float64', [-0.6585290151921035, 0.8414709848078965, 1.3414709848078965, 2.8414709848078967, nan, inf, 3.8414709848078967]),
    ('abs(-3) + I', 'int64', [0.0, 3.0, 4.0, 5.0, 10.0, 8.0, -5.0]),
    ('A * (1/3)', 'float64', [-0.5, -0.0, 0.16666666666666666, 0.6666666666666666, nan, inf, 1.0]),
    ('A / 3.0', 'float64', [-0.5, -0.0, 0.16666666666666666, 0.6666666666666666, nan, inf, 1.0]),
    ('A - -1', 'float64', [-0.5, 1.0, 1.5, 3.0, nan, inf, 4.0]),
    ('log(0) + A', 'float64', [-inf, -inf, -inf, -inf, nan, nan, -inf]),
    ('sqrt(A**2 + B**2)', 'float64', [2.5, 0.0, 1.118033988749895, 3.605551275463989, nan, inf, 3.0016662039607267]),
    ('where((A > 0) & (B < 1), A * B, -1)', 'float64', [-1.0, -1.0, -0.5, -1.0, -1.0, -inf, 0.30000000000000004]),
    ('I * 2147483647', 'int64', [-6442450941.0, 0.0, 2147483647.0, 4294967294.0, 15032385529.0, 10737418235.0, -17179869176.0]),
    ('I + 2147483648', 'int64', [2147483645.0, 2147483648.0, 2147483649.0, 2147483650.0, 2147483655.0, 2147483653.0, 2147483640.0]),
    ('2 ** 62 + I', 'int64', [4.611686018427388e+18, 4.611686018427388e+18, 4.611686018427388e+18, 4.611686018427388e+18, 4.611686018427388e+18, 4.611686018427388e+18, 4.611686018427388e+18]),
]


def _close(actual: np.ndarray, expected: list[float]) -> bool:
    return np.allclose(actual, np.array(expected), rtol=1e-12, atol=1e-300, equal_nan=True)


@pytest.mark.parametrize("eqn, dtype, expected", NUMEXPR_CASES, ids=[c[0] for c in NUMEXPR_CASES])
def test_matches_numexpr(eqn: str, dtype: str, expected: list[float]) -> None:
    compiled = compile_expression(eqn, INPUTS)
    result = compiled(**INPUTS)
    assert result.dtype == np.float64 and result.shape == A.shape
    assert _close(result, expected), (result, expected)
    native = compiled.evaluate(INPUTS, dtype=None)
    assert native.dtype == np.dtype(dtype)
    assert _close(native.astype(np.float64), expected)


def test_signed_zero_and_nan_propagation() -> None:
    result = compile_expression("A * 1", ["A"])(A=A)
    assert np.signbit(result[1]) and np.isnan(result[4])
    assert np.isnan(compile_expression("A + B", ["A", "B"])(A=A, B=B)[4])


def test_comparisons_give_one_and_zero() -> None:
    result = compile_expression("A > 0.5", ["A"])(A=A)
    assert result.dtype == np.float64
    assert result.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0]


def test_integer_semantics_follow_numexpr() -> None:
    i4 = np.array([-3, 7, 2], dtype=np.int32)
    assert compile_expression("X * 2147483647", ["X"]).evaluate({"X": i4}, dtype=None).tolist() == [
        -2147483645, 2147483641, -2,
    ]  # int32 arithmetic wraps, as in numexpr
    u8 = np.array([250, 1], dtype=np.uint8)
    assert compile_expression("X + 10", ["X"]).evaluate({"X": u8}, dtype=None).dtype == np.int32
    assert compile_expression("X / 2", ["X"])(X=np.array([3, -3])).tolist() == [1.5, -1.5]  # true division
    big = np.array([3, 10])
    assert compile_expression("X ** 51", ["X"]).evaluate({"X": big}, dtype=None).tolist() == [
        np.iinfo(np.int64).min
    ] * 2  # C's (long long)pow() overflow
    f4 = np.array([1.5], dtype=np.float32)
    assert compile_expression("X * 2", ["X"]).evaluate({"X": f4}, dtype=None).dtype == np.float32
    assert compile_expression("X * 2.5", ["X"]).evaluate({"X": f4}, dtype=None).dtype == np.float64


def test_float_mod_and_floordiv_use_numexpr_formulas() -> None:
    x, y = np.array([1.0, 1.0, -3.0]), np.array([np.inf, 0.1, np.inf])
    assert compile_expression("x % y", "xy")(x=x, y=y)[[0, 2]].tolist() == [nan, nan] or np.isnan(
        compile_expression("x % y", "xy")(x=x, y=y)[[0, 2]]
    ).all()
    assert compile_expression("x // y", "xy")(x=x, y=y)[1] == 10.0  # floor(1 / 0.1), numpy says 9


def test_broadcasting_and_constant_results() -> None:
    row, col = np.arange(3.0), np.arange(2.0)[:, None]
    assert compile_expression("a + b", "ab")(a=row, b=col).shape == (2, 3)
    constant = compile_expression("1 + 2", ["A"])(A=np.zeros((2, 3)))
    assert constant.shape == (2, 3) and (constant == 3).all()
    assert compile_expression("2.5", [])().shape == ()
    zero_d = compile_expression("A * 2", ["A"])(A=np.array(3.0))
    assert zero_d.shape == () and zero_d == 6.0
    empty = compile_expression("sin(A) + 1", ["A"])(A=np.zeros((0, 4)))
    assert empty.shape == (0, 4)


def test_inputs_are_never_modified() -> None:
    a, b = A.copy(), B.copy()
    for eqn in ["A * 2 + B", "copy(A) + 1", "A ** 2", "A ** 3.5", "-A", "sin(A)", "where(A > 0, A, B) * 2", "A ** -1", "A"]:
        result = compile_expression(eqn, "AB")(A=a, B=b)
        assert np.array_equal(a, A, equal_nan=True) and np.array_equal(b, B, equal_nan=True), eqn
        assert result is not a and result is not b


def test_names_used_and_reuse() -> None:
    compiled = compile_expression("A * {k} + sin(A)", ["A", "B", "C"], {"k": 2})
    assert isinstance(compiled, CompiledExpression)
    assert compiled.names_used == frozenset({"A"})
    assert compiled.text == "A * 2 + sin(A)"
    first = compiled(A=A)
    assert np.array_equal(first, compiled(A=A), equal_nan=True)
    assert compiled.evaluate({"A": A.astype(np.float32)}).dtype == np.float64  # another signature


def test_pickles_without_its_cache() -> None:
    import pickle

    compiled = compile_expression("A ** 2 + {k}", ["A"], {"k": 1})
    compiled(A=A)
    clone = pickle.loads(pickle.dumps(compiled))
    assert clone.names_used == compiled.names_used and clone.text == compiled.text
    assert np.array_equal(clone(A=A), compiled(A=A), equal_nan=True)


def test_input_errors() -> None:
    compiled = compile_expression("A + B", "AB")
    with pytest.raises(ExpressionError, match="missing input 'B'"):
        compiled(A=A)
    with pytest.raises(ExpressionError, match="incompatible shapes"):
        compiled(A=np.zeros(3), B=np.zeros(4))
    with pytest.raises(ExpressionError, match="complex") as info:
        compiled(A=np.zeros(3, dtype=complex), B=np.zeros(3))
    assert info.value.field == "inputs.A"
    with pytest.raises(ExpressionError, match="dtype"):
        compiled(A=np.array(["x"]), B=np.zeros(1))


# ---- rejected expressions: (eqn, text the message must contain) ------------------------------

REJECTED = [
    ("A.real", "'A.real'"),
    ("A.__class__", "A.__class__"),
    ("A[0]", "'A[0]'"),
    ("A[0:2]", "A[0:2]"),
    ("__import__('os')", "__import__"),
    ("__builtins__", "__builtins__"),
    ("A.__class__.__mro__", "attribute"),
    ("lambda: 1", "lambda"),
    ("[x for x in A]", "comprehension"),
    ("(x for x in A)", "generator"),
    ("{{x: 1 for x in A}}", "comprehension"),  # braces escaped: {} are param fields
    ("open('f')", "'open'"),
    ("eval('1')", "'eval'"),
    ("np.sin(A)", "'np.sin'"),
    ("sin(A)(B)", "sin(A)"),
    ("foo(A)", "'foo'"),
    ("C + 1", "'C'"),
    ("sin", "'sin'"),
    ("sin(x=A)", "keyword"),
    ("sin(*A)", "starred"),
    ("sin(A, B)", "sin() takes 1 argument, 2 given"),
    ("where(A, B)", "where() takes 3 arguments, 2 given"),
    ("arctan2(A)", "arctan2() takes 2 arguments, 1 given"),
    ("sum(A)", "reductions"),
    ("max(A)", "maximum(a, b)"),
    ("complex(A, B)", "complex"),
    ("contains(A, B)", "string"),
    ("'abc'", "string literal"),
    ("b'abc'", "string literal"),
    ("f'{{A}}'", "f-string"),
    ("(y := A)", "assignment expression"),
    ("A if B else 1", "where(cond, a, b)"),
    ("A and B", "'and'"),
    ("A or B", "'or'"),
    ("not A", "'not'"),
    ("1 < A < 2", "chained comparison"),
    ("A is B", "comparison 'A is B'"),
    ("A in B", "comparison 'A in B'"),
    ("A @ B", "'@'"),
    ("1j * A", "complex literal"),
    ("(-8) ** 0.5 + A", "complex number"),
    ("None + A", "'None'"),
    ("...", "'...'"),
    ("[A]", "list"),
    ("(A, B)", "tuple"),
    ("{{A}}", "set"),
    ("{A}", "unknown param {A}"),
    ("{{'a': A}}", "dict"),
    ("A +", "invalid syntax"),
    ("A\n+ 1", "invalid syntax"),
    ("A; import os", "invalid syntax"),
    ("", "empty"),
    ("   ", "empty"),
    ("9**9**9", "overflows int64"),
    ("2**64 + A", "overflows int64"),
    ("1 << 100", "overflows int64"),
    ("99999999999999999999 + A", "outside the int64 range"),
    ("1 / 0 + A", "division by zero"),
    ("10.0 ** 400 + A", "fails on constants"),
    ("~1.5", "fails on constants"),
    ("A ** 1e400", "exponent must be finite"),
    ("await A", "await"),
    ("A\x00", "null bytes"),
    ("'\\q' + A", "string literal"),
    ("1if A else 2", "where(cond, a, b)"),
]


@pytest.mark.parametrize("eqn, expected", REJECTED, ids=[r[0] for r in REJECTED])
def test_rejected(eqn: str, expected: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(eqn, "AB")
    assert expected in str(info.value), str(info.value)
    assert info.value.field == "eqn"


@pytest.mark.parametrize(
    "eqn, where",
    [("A.real", "column 1"), ("A + foo", "column 5"), ("A @ B", "column 3"), ("1 + (A and B)", "column 8"),
     ("sin(A) + q(B)", "column 10"), ("  A + x", "column 7"), ("(A +\n bad)", "line 2, column 2"),
     ("sin(A, x=1)", "column 8"), ("A + 1 < B < 2", "column 11"), ("A +* B", "column 4")],
)
def test_errors_name_the_column(eqn: str, where: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(eqn, "AB")
    assert where in str(info.value), str(info.value)


def test_unknown_name_lists_the_allowed_names() -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'C' \(column 5\); allowed names: A, B, k"):
        compile_expression("A + C", "AB", {"k": 1})


def test_unknown_function_lists_the_functions() -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression("frobnicate(A)", "A")
    assert "'frobnicate'" in str(info.value) and "arctan2" in str(info.value)


TYPE_ERRORS = [
    ("~A", "operator '~'"),
    ("A & B", "operator '&'"),
    ("A << 1", "operator '<<'"),
    ("-T", "operator '-'"),
    ("T - T", "operator '-'"),
    ("T ** T", "operator '**'"),
    ("ones_like(T)", "ones_like()"),
    ("where(A, A, B)", "where()"),
    ("I ** -1", "negative integer powers"),
    ("T ** 0.5", "operator '**'"),
]


@pytest.mark.parametrize("eqn, expected", TYPE_ERRORS, ids=[t[0] for t in TYPE_ERRORS])
def test_type_errors_at_call(eqn: str, expected: str) -> None:
    compiled = compile_expression(eqn, INPUTS)  # types are known only once the arrays are
    with pytest.raises(ExpressionError) as info:
        compiled(**INPUTS)
    assert expected in str(info.value) and "column" in str(info.value), str(info.value)


def test_length_and_depth_caps() -> None:
    with pytest.raises(ExpressionError, match=f"limit is {MAX_LENGTH}"):
        compile_expression("A" + " + A" * MAX_LENGTH, "A")
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH}"):
        compile_expression("A" + " + A" * (MAX_DEPTH + 5), "A")
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH}"):
        compile_expression("sin(" * (MAX_DEPTH + 1) + "A" + ")" * (MAX_DEPTH + 1), "A")
    with pytest.raises(ExpressionError):
        compile_expression("(" * 5000 + "A" + ")" * 5000, "A")
    with pytest.raises(ExpressionError):
        compile_expression("-" * 9000 + "A", "A")
    deep_ok = compile_expression("A" + " + A" * (MAX_DEPTH - 5), "A")
    assert deep_ok(A=np.ones(2)).tolist() == [MAX_DEPTH - 4.0] * 2


def test_error_hierarchy() -> None:
    with pytest.raises(PodpacExecError):
        compile_expression("A.b", "A")
    with pytest.raises(ValueError):
        compile_expression("A.b", "A")


# ---- params ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "eqn, params, text",
    [
        ("A * {offset}", {"offset": 1}, "A * 1"),
        ("A * {k} + {k}", {"k": 2.5}, "A * 2.5 + 2.5"),
        ("A ** {p}", {"p": -2}, "A ** -2"),
        ("{p}**2", {"p": -2}, "-2**2"),  # as PODPAC: textual substitution, so -(2**2)
        ("A > {t}", {"t": True}, "A > True"),
        ("A * {x}", {"x": np.float64(0.1)}, "A * 0.1"),
        ("A * {x}", {"x": 1e-5}, "A * 1e-05"),
        ("{{A}}", {}, "{A}"),
        ("A {{ }}", {}, "A { }"),
        ("A + 1", {"unused": "text"}, "A + 1"),
        ("A * {my-offset}", {"my-offset": 3}, "A * 3"),
    ],
)
def test_params_substitution(eqn: str, params: dict, text: str) -> None:
    assert substitute_params(eqn, params) == text
    assert substitute_params(eqn, params) == eqn.format(**params)  # PODPAC's own substitution


def test_params_values_reach_the_result() -> None:
    result = compile_expression("A * {scale} + {offset}", ["A"], {"scale": 2, "offset": 0.5})(A=np.array([1.0, 2.0]))
    assert result.tolist() == [2.5, 4.5]
    assert compile_expression("{p}**2 + A", ["A"], {"p": -2})(A=np.zeros(1)).tolist() == [-4.0]


def test_string_params_substitute_text_then_pass_the_whitelist() -> None:
    a = np.array([0.0, 1.0])
    np.testing.assert_array_equal(compile_expression("{fn}(A) * {k}", ["A"], {"fn": "cos", "k": 2})(A=a), np.cos(a) * 2)
    np.testing.assert_array_equal(compile_expression("A * {s}", ["A"], {"s": "2"})(A=a), a * 2)


def test_params_as_bare_names() -> None:
    result = compile_expression("A * scale", ["A"], {"scale": 3})(A=np.array([1.0]))
    assert result.tolist() == [3.0]
    shadowed = compile_expression("A + 1", ["A"], {"A": 100})(A=np.array([1.0]))
    assert shadowed.tolist() == [2.0]  # inputs win over params, as numexpr's local_dict does
    with pytest.raises(ExpressionError) as info:
        compile_expression("A * s", ["A"], {"s": "2"})
    assert info.value.field == "params.s"


@pytest.mark.parametrize(
    "eqn, params, message",
    [
        ("A * {a.__class__}", {"a": 1}, "format field {a.__class__}"),
        ("{a.__class__.__init__.__globals__}", {"a": 1}, "not supported"),
        ("A * {a[0]}", {"a": [1]}, "format field {a[0]}"),
        ("A * {a!r}", {"a": 1}, "format field {a!r}"),
        ("A * {a:>10}", {"a": 1}, "format field {a:>10}"),
        ("A * {a:{b}}", {"a": 1, "b": 3}, "format field"),
        ("A * {0}", {"0": 1}, "positional field {0}"),
        ("A * {}", {}, "positional field {}"),
        ("A * {missing}", {"k": 1}, "unknown param {missing}"),
        ("A * {s}", {"s": "1); import os; ("}, "syntax"),
        ("A * {s}", {"s": "__import__('os')"}, "__import__"),
        ("A * {s}", {"s": None}, "must be a number, a boolean or a string"),
        ("A * {s}", {"s": [1]}, "must be a number"),
        ("A * {s}", {"s": 1j}, "must be a number"),
        ("A * {s}", {"s": float("nan")}, "must be finite"),
        ("A * {s}", {"s": float("inf")}, "must be finite"),
        ("A * {k", {"k": 1}, "unmatched '{'"),
        ("A * k}", {"k": 1}, "single '}'"),
    ],
)
def test_params_rejected(eqn: str, params: dict, message: str) -> None:
    with pytest.raises(ExpressionError) as info:
        compile_expression(eqn, ["A"], params)
    assert message in str(info.value), str(info.value)
    assert info.value.field.startswith(("eqn", "params."))


def test_format_attribute_attack_never_touches_the_object() -> None:
    class Spy(float):
        touched = False

        def __getattribute__(self, name: str):  # pragma: no cover - must not run
            Spy.touched = True
            return super().__getattribute__(name)

    with pytest.raises(ExpressionError):
        compile_expression("{a.__class__.__base__.__subclasses__}", ["A"], {"a": Spy(1.0)})
    assert not Spy.touched


# ---- property tests: any text gives a result or an ExpressionError ----------------------------

_TOKENS = [
    "A", "B", "I", "T", "x", "1", "0", "2.5", "1e308", "-", "+", "*", "/", "//", "%", "**", "<", ">", "==", "!=", "&",
    "|", "^", "~", "<<", ">>", "(", ")", ",", " ", ".", "[", "]", "{", "}", ":", "'", "and", "not", "lambda", "__",
    "True", "None", "j", "@", "=", ";", "\n", "\\", "#", *sorted(FUNCTIONS), "sum", "complex",
]
_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check_total(eqn: str, params: dict | None = None) -> None:
    try:
        compiled = compile_expression(eqn, INPUTS, params)
        result = compiled(**INPUTS)
    except ExpressionError:
        return
    assert isinstance(result, np.ndarray) and result.dtype == np.float64
    assert result.shape == A.shape


@_SETTINGS
@given(st.lists(st.sampled_from(_TOKENS), max_size=25).map("".join))
def test_token_soup_only_raises_expression_error(eqn: str) -> None:
    _check_total(eqn)


@_SETTINGS
@given(st.text(max_size=40))
def test_arbitrary_text_only_raises_expression_error(eqn: str) -> None:
    _check_total(eqn, {"k": 1})


_LEAVES = st.sampled_from(["A", "B", "I", "J", "T", "2", "0", "-1", "0.5", "3.5", "True", "1e300", "k"])


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    binop = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "<",
                                                  "<=", ">", ">=", "==", "!="]), children)
    unary = st.tuples(st.sampled_from(["-", "+", "~"]), children)
    call1 = st.tuples(st.sampled_from(sorted(n for n, k in FUNCTIONS.items() if k == 1)), children)
    call2 = st.tuples(st.sampled_from(sorted(n for n, k in FUNCTIONS.items() if k == 2)), children, children)
    where = st.tuples(children, children, children)
    return st.one_of(
        binop.map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        unary.map(lambda t: f"{t[0]}{t[1]}"),
        call1.map(lambda t: f"{t[0]}({t[1]})"),
        call2.map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        where.map(lambda t: f"where({t[0]} > {t[1]}, {t[1]}, {t[2]})"),
    )


@_SETTINGS
@given(st.recursive(_LEAVES, _extend, max_leaves=12))
def test_generated_expressions_only_raise_expression_error(eqn: str) -> None:
    _check_total(eqn, {"k": 3})
