"""podpac_exec.nodes.expressions.compiled: names used, reuse, pickling, input checks."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from podpac_exec.errors import ExpressionError
from podpac_exec.nodes import parallel
from podpac_exec.nodes.expressions import CompiledExpression, compile_expression
from podpac_exec.nodes.parallel import one_thread

from expression_inputs import A


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


@pytest.mark.parametrize("threaded", [True, False])
def test_blocked_evaluation_equals_whole_array_evaluation(monkeypatch, threaded):
    from podpac_exec.nodes.expressions import compiled

    rng = np.random.default_rng(3)
    a = rng.normal(0, 50, 5 * compiled.CHUNK + 17)
    a[::97] = np.nan
    b = rng.uniform(-3, 3, a.size)
    expr = compile_expression("sqrt(abs(A)) * A - cos(A) * 2 + A % B + where(A > B, log(abs(B)), A ** 1.5)", ["A", "B"])
    with contextlib.nullcontext() if threaded else one_thread():
        blocked = expr(A=a, B=b)
    monkeypatch.setattr(compiled, "CHUNK", 10 * a.size)  # one whole-array evaluation
    whole = expr(A=a, B=b)
    assert blocked.view(np.int64).tolist() == whole.view(np.int64).tolist()  # bit for bit, NaN included
    assert not parallel._HELPER_FREE.locked()


@pytest.mark.parametrize("rows", [7, 300])  # a small result (whole-array) and one big enough to block
def test_inputs_constant_along_an_axis_give_the_full_inputs_values(rows):
    from podpac_exec.nodes.expressions import compiled

    rng = np.random.default_rng(5)
    lat = rng.uniform(-80, 80, (rows, 1))
    field = rng.normal(0, 1, (rows, 4 * compiled.CHUNK // 300 + 1))
    expr = compile_expression("A * cos(B * 0.0174533) + 0.25 - arctan2(A, B)", ["A", "B"])
    full = np.ascontiguousarray(np.broadcast_to(lat, field.shape))
    compact = expr(A=field, B=lat)
    assert compact.shape == field.shape and compact.flags.writeable
    assert compact.view(np.int64).tolist() == expr(A=field, B=full).view(np.int64).tolist()


def test_a_given_up_input_takes_a_big_result_and_others_are_untouched():
    from podpac_exec.nodes.expressions import compiled

    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(2, 4 * compiled.CHUNK + 3))
    expr = compile_expression("A * 2 + sin(B) - A", ["A", "B"])
    want = expr(A=a.copy(), B=b.copy())
    kept = b.copy()
    got = expr.evaluate({"A": a, "B": b}, reuse=["A"])
    assert got is a and np.array_equal(got, want) and np.array_equal(b, kept)
    same = rng.normal(size=a.size)
    assert expr.evaluate({"A": same, "B": same}, reuse=["A"]) is not same  # one array under two names
    strided = rng.normal(size=2 * a.size)[::2]
    assert expr.evaluate({"A": strided, "B": b}, reuse=["A"]) is not strided
    ints = np.arange(a.size)
    assert expr.evaluate({"A": ints, "B": b}, reuse=["A"]) is not ints  # converted: not the caller's
    small = rng.normal(size=10)
    assert expr.evaluate({"A": small, "B": small + 1}, reuse=["A"]) is not small  # one whole-array step


def test_row_blocks_take_inputs_constant_along_any_axis_and_may_reuse_a_full_one():
    from podpac_exec.nodes.expressions import compiled

    rng = np.random.default_rng(12)
    shape = (64, 70, 40)  # 179200 cells: blocked, rows of 2800
    full = rng.normal(size=shape)
    lead, middle, last = rng.normal(size=(64, 1, 1)), rng.normal(size=(1, 70, 1)), rng.normal(size=40)
    expr = compile_expression("A * B - sin(C) + D ** 2", "ABCD")
    want = expr(A=full, B=np.broadcast_to(lead, shape).copy(), C=np.broadcast_to(middle, shape).copy(),
                D=np.broadcast_to(last, shape).copy())
    given = full.copy()
    got = expr.evaluate({"A": given, "B": lead, "C": middle, "D": last}, reuse=["A", "B"])
    assert got is given  # B is compact: only A can hold the result
    assert got.view(np.int64).tolist() == want.view(np.int64).tolist()
    assert compiled.CHUNK < given.size
