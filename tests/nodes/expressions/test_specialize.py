"""podpac_exec.nodes.expressions.specialize: numexpr's numerics and typing, on numpy."""

from __future__ import annotations

import numpy as np
import pytest

from podpac_exec.errors import ExpressionError
from podpac_exec.nodes.expressions import compile_expression

from expression_inputs import INPUTS, A, B, inf, nan


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
