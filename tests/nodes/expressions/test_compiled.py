"""podpac_exec.nodes.expressions.compiled: names used, reuse, pickling, input checks."""

from __future__ import annotations

import numpy as np
import pytest

from podpac_exec.errors import ExpressionError
from podpac_exec.nodes.expressions import CompiledExpression, compile_expression

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
