"""podpac_exec.nodes.expressions.params: PODPAC's params substitution, safely."""

from __future__ import annotations

import numpy as np
import pytest

from podpac_exec.errors import ExpressionError
from podpac_exec.nodes.expressions import compile_expression, substitute_params


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
