"""podpac_exec.nodes.expressions.parser: rejected expressions, error positions, caps; any text gives a
result or an ExpressionError."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podpac_exec.errors import ExpressionError, PodpacExecError
from podpac_exec.nodes.expressions import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, compile_expression

from expression_inputs import INPUTS, A


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
