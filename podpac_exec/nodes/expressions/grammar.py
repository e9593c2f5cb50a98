"""What an expression may contain: limits, numexpr's type kinds, the functions and operators,
and the intermediate representation (constants, input names, operations) the parser builds."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Union

import numpy as np

from podpac_exec.errors import ExpressionError

#: Longest accepted expression, in characters, after params substitution.
MAX_LENGTH = 10_000
#: Deepest accepted nesting of the expression's syntax tree.
MAX_DEPTH = 100
#: ``x**n`` with integral or half-integral ``|n|`` up to this is expanded (as numexpr does).
MAX_POW_EXPANSION = 50
#: Integer constants, literal or folded, must lie in this range (numexpr's int64).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

ParamValue = Union[bool, int, float, np.bool_, np.integer, np.floating]
Scalar = Union[bool, int, float, np.bool_, np.number]

# numexpr's type kinds, lowest rank first: bool, int32, int64, float32, float64.
_RANK = "bilfd"
_DTYPES = {
    "b": np.dtype(np.bool_),
    "i": np.dtype(np.int32),
    "l": np.dtype(np.int64),
    "f": np.dtype(np.float32),
    "d": np.dtype(np.float64),
}
_KIND_NAMES = {"b": "bool", "i": "int32", "l": "int64", "f": "float32", "d": "float64"}


def _max_kind(*kinds: str) -> str:
    return max(kinds, key=_RANK.index)


# ---------------------------------------------------------------------------------------------
# Functions, grouped by numexpr's typing of their result (its func(minkind, maxkind) rules):
#   _FLOAT_FUNCS:  int kinds -> float64, bool -> float32, floats keep their kind
#   _DOUBLE_FUNCS: always float64
#   _TEST_FUNCS:   computed in float64, result bool
#   round, sign keep int kinds (else float64); copy, ones_like keep the kind; where: see _Specializer.
_FLOAT_FUNCS = {
    "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh, "log": np.log,
    "log1p": np.log1p, "log10": np.log10, "log2": np.log2, "exp": np.exp, "expm1": np.expm1,
    "abs": np.absolute, "ceil": np.ceil, "floor": np.floor, "fmod": np.fmod,
    "arctan2": np.arctan2,
}
_DOUBLE_FUNCS = {
    "hypot": np.hypot, "nextafter": np.nextafter, "copysign": np.copysign,
    "maximum": np.maximum, "minimum": np.minimum, "trunc": np.trunc, "real": np.positive,
    "conj": np.positive,
}
_TEST_FUNCS = {"isnan": np.isnan, "isfinite": np.isfinite, "isinf": np.isinf, "signbit": np.signbit}
_BINARY_FUNCS = {"fmod", "arctan2", "hypot", "nextafter", "copysign", "maximum", "minimum"}

#: Every function an expression may call, with its number of arguments.
FUNCTIONS: dict[str, int] = {
    **{name: 2 if name in _BINARY_FUNCS else 1 for name in (*_FLOAT_FUNCS, *_DOUBLE_FUNCS)},
    **{name: 1 for name in _TEST_FUNCS},
    "round": 1, "sign": 1, "imag": 1, "copy": 1, "ones_like": 1, "where": 3,
}

_REJECTED_FUNCS = {
    "complex": "complex numbers are not supported",
    "sum": "reductions are not supported (their value would depend on tiling)",
    "prod": "reductions are not supported (their value would depend on tiling)",
    "min": "reductions are not supported (their value would depend on tiling); "
    "use minimum(a, b) for an elementwise minimum",
    "max": "reductions are not supported (their value would depend on tiling); "
    "use maximum(a, b) for an elementwise maximum",
    "contains": "string operations are not supported",
}

_BINOPS: dict[type, tuple[str, str]] = {
    ast.Add: ("add", "+"), ast.Sub: ("sub", "-"), ast.Mult: ("mul", "*"),
    ast.Div: ("div", "/"), ast.FloorDiv: ("floordiv", "//"), ast.Mod: ("mod", "%"),
    ast.Pow: ("pow", "**"), ast.LShift: ("lshift", "<<"), ast.RShift: ("rshift", ">>"),
    ast.BitAnd: ("and", "&"), ast.BitOr: ("or", "|"), ast.BitXor: ("xor", "^"),
}
_UNARYOPS: dict[type, tuple[str, str]] = {
    ast.USub: ("neg", "-"), ast.UAdd: ("pos", "+"), ast.Invert: ("invert", "~"),
}
_CMPOPS: dict[type, tuple[str, str]] = {
    ast.Gt: ("gt", ">"), ast.GtE: ("ge", ">="), ast.Lt: ("lt", "<"), ast.LtE: ("le", "<="),
    ast.Eq: ("eq", "=="), ast.NotEq: ("ne", "!="),
}
_PY_OPS: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "floordiv": lambda a, b: a // b, "mod": lambda a, b: a % b,
    "pow": lambda a, b: a**b, "lshift": lambda a, b: a << b, "rshift": lambda a, b: a >> b,
    "and": lambda a, b: a & b, "or": lambda a, b: a | b, "xor": lambda a, b: a ^ b,
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "neg": lambda a: -a, "pos": lambda a: +a, "invert": lambda a: ~int(a) if type(a) is bool else ~a,
}
_UNSUPPORTED_NODES: dict[type, str] = {
    ast.Attribute: "attribute access", ast.Subscript: "subscript", ast.Slice: "slice",
    ast.Lambda: "lambda", ast.ListComp: "comprehension", ast.SetComp: "comprehension",
    ast.DictComp: "comprehension", ast.GeneratorExp: "generator expression",
    ast.NamedExpr: "assignment expression", ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string", ast.List: "list", ast.Tuple: "tuple", ast.Set: "set",
    ast.Dict: "dict", ast.IfExp: "conditional expression (use where(cond, a, b))",
    ast.Starred: "starred expression", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield",
}


# ---------------------------------------------------------------------------------------------
# Intermediate representation


@dataclass(frozen=True, slots=True)
class _Const:
    value: Scalar
    kind: str


@dataclass(frozen=True, slots=True)
class _Var:
    name: str


@dataclass(frozen=True, slots=True)
class _Op:
    op: str  # operator name ("add", "neg", "gt", ...) or function name
    args: tuple[_Node, ...]
    token: str
    where: str  # "column N" (or "line L, column N") of the token


_Node = Union[_Const, _Var, _Op]
# An evaluator maps the inputs to (value, owned): owned values are fresh arrays we may overwrite.
_Eval = Callable[[Mapping[str, np.ndarray]], "tuple[Any, bool]"]


def _const_kind(value: Any) -> str:
    """numexpr's bestConstantType, as a kind."""
    if isinstance(value, (bool, np.bool_)):
        return "b"
    if isinstance(value, np.int64):
        return "l"
    if isinstance(value, (int, np.integer)):
        return "i" if _INT32_MIN <= value <= _INT32_MAX else "l"
    if isinstance(value, (float, np.float64)):
        return "d"
    return "f"  # other numpy floats (float32, float16 from folding functions on booleans)


def _make_const(value: Any, token: str, where: str) -> _Const:
    """A checked constant from a Python or numpy scalar.

    numpy scalars (results of folded functions) are kept: numexpr folds further operations on
    them with numpy's semantics (``~np.False_`` is True, ``~False`` is -1).
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    kind = _const_kind(value) if isinstance(value, (bool, int, float, np.bool_, np.number)) else ""
    if isinstance(value, (complex, np.complexfloating)):
        raise ExpressionError(f"{token!r} ({where}) gives a complex number; complex numbers are not supported", field="eqn")
    if kind == "":
        raise ExpressionError(f"{token!r} ({where}) is not a number", field="eqn")
    if kind in "il" and not INT_MIN <= int(value) <= INT_MAX:
        raise ExpressionError(f"integer constant {token!r} ({where}) is outside the int64 range", field="eqn")
    return _Const(value, kind)
