"""Safe compiler for PODPAC ``Arithmetic`` expressions.

PODPAC 4.0.5 substitutes ``params`` into ``eqn`` with ``str.format`` and hands the text to
``numexpr.evaluate`` with only the inputs as names. This module accepts the same grammar,
parses it with :mod:`ast`, validates it against a whitelist, folds constants with guards
against resource bombs and compiles it into a tree of closures calling numpy ufuncs. User text
is never given to ``eval``, ``exec``, ``compile`` or ``str.format``.

Numerics follow numexpr: its type kinds (bool, int32, int64, float32, float64) and promotion
rules, true division, ``%``/``//`` on floats as ``a - floor(a/b)*b`` and ``floor(a/b)``, the
expansion of ``x**n`` for integral and half-integral ``|n| <= 50`` into products and ``sqrt``,
``x / c`` as ``x * (1/c)``, and numexpr's type errors (``~`` or ``&`` on floats, ``-`` on
booleans, a non-boolean ``where`` condition). Calls return float64 by default, the dtype of
PODPAC's output array; ``evaluate(..., dtype=None)`` returns numexpr's own result dtype.

Deliberate differences from numexpr: no complex numbers (literals, ``complex()``, complex
inputs; ``conj(x)`` is ``x`` for real ``x``), no reductions (``sum``, ``prod``, ``min``,
``max``: they would depend on tiling) and no ``contains``; ``and``/``or``/``not``, chained
comparisons and ``x if c else y`` are always rejected (numexpr accepts them only when Python
can decide them on literals); ``.real``/``.imag`` attribute access is rejected (use
``real(x)``); integer constants must fit in int64; ``A / 0.0`` gives inf (numexpr raises);
a constant on the left of ``//``, ``&``, ``|`` or ``^`` is accepted (numexpr lacks those
reflected operators); param names may also be used bare, as constants.
"""

from __future__ import annotations

import ast
import math
import re
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Union

import numpy as np

from podpac_exec.errors import ExpressionError

__all__ = [
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_POW_EXPANSION",
    "FUNCTIONS",
    "CompiledExpression",
    "compile_expression",
    "substitute_params",
]

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


# ---------------------------------------------------------------------------------------------
# Params substitution (str.format's {name} fields, without str.format)


def _format_param(name: str, params: Mapping[str, Any]) -> str:
    if name not in params:
        known = ", ".join(sorted(map(str, params))) or "none"
        raise ExpressionError(f"unknown param {{{name}}} in eqn (params: {known})", field="eqn")
    value = params[name]
    _check_param(name, value)
    return format(value, "")


def _check_param(name: str, value: Any) -> None:
    if isinstance(value, str):
        # PODPAC substitutes strings textually (e.g. {"fn": "cos"}); the substituted eqn is then
        # parsed and checked against the whitelist like any other, so this adds no power
        if len(value) > MAX_LENGTH:
            raise ExpressionError(f"param {name!r} is longer than {MAX_LENGTH} characters", field=f"params.{name}")
        return
    if not isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        raise ExpressionError(
            f"param {name!r} must be a number, a boolean or a string, not {type(value).__name__}",
            field=f"params.{name}",
        )
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        raise ExpressionError(f"param {name!r} must be finite, not {value!r}", field=f"params.{name}")


def substitute_params(eqn: str, params: Mapping[str, ParamValue] | None) -> str:
    """PODPAC's ``eqn.format(**params)``, restricted to ``{name}`` fields with number, bool or
    string values (strings are substituted as text and the result is parsed like any eqn).

    ``{{`` and ``}}`` are escapes as in ``str.format``. Positional fields, attribute or index
    access, conversions and format specs raise :class:`ExpressionError`.
    """
    params = params or {}
    out: list[str] = []
    i, n = 0, len(eqn)
    length = 0  # params can amplify the text ('{p}' * 10**6): stop before building it
    while i < n:
        ch = eqn[i]
        if ch in "{}" and i + 1 < n and eqn[i + 1] == ch:
            out.append(ch)
            length += 1
            i += 2
        elif ch == "}":
            raise ExpressionError(f"single '}}' at column {i + 1} of eqn (write '}}}}' for a literal brace)", field="eqn")
        elif ch == "{":
            end = eqn.find("}", i + 1)
            if end < 0:
                raise ExpressionError(f"unmatched '{{' at column {i + 1} of eqn", field="eqn")
            out.append(_format_param(_field_name(eqn[i + 1 : end], i), params))
            length += len(out[-1])
            if length > MAX_LENGTH:
                raise ExpressionError(
                    f"eqn grows past {MAX_LENGTH} characters when its params are substituted; "
                    f"the limit is {MAX_LENGTH}",
                    field="eqn",
                )
            i = end + 1
        else:
            out.append(ch)
            length += 1
            i += 1
    return "".join(out)


def _field_name(field: str, index: int) -> str:
    if field == "" or field.isdigit():
        raise ExpressionError(
            f"positional field {{{field}}} at column {index + 1} of eqn is not supported: name a param",
            field="eqn",
        )
    if any(c in field for c in ".[]!:{"):
        raise ExpressionError(
            f"format field {{{field}}} at column {index + 1} of eqn is not supported: "
            "only {name} substitutions of numeric params are allowed",
            field="eqn",
        )
    return field


# ---------------------------------------------------------------------------------------------
# Parsing and validation


class _Source:
    """Maps ast positions (lines, UTF-8 byte columns) to human-readable character columns."""

    def __init__(self, text: str, lead: int = 0) -> None:
        self.text = text
        self.lead = lead  # characters of indentation stripped before parsing
        self.lines = re.split(r"\r\n|\r|\n", text)
        self.starts = [0]
        for line, sep in zip(self.lines, re.findall(r"\r\n|\r|\n", text)):
            self.starts.append(self.starts[-1] + len(line) + len(sep))

    def index(self, lineno: int, col_offset: int) -> int:
        """Absolute character index of an ast (lineno, col_offset)."""
        try:
            line = self.lines[lineno - 1]
            return self.starts[lineno - 1] + len(line.encode()[:col_offset].decode("utf-8", "ignore"))
        except (IndexError, TypeError):
            return 0

    def where(self, index: int) -> str:
        line = max(i for i, start in enumerate(self.starts) if start <= index) if self.starts else 0
        column = index - self.starts[line] + 1 + (self.lead if line == 0 else 0)
        return f"column {column}" if len(self.lines) == 1 else f"line {line + 1}, column {column}"

    def segment(self, node: ast.AST) -> str:
        text = ast.get_source_segment(self.text, node) or type(node).__name__
        text = " ".join(text.split())
        return text if len(text) <= 40 else text[:37] + "..."

    def node_where(self, node: ast.AST) -> str:
        return self.where(self.index(getattr(node, "lineno", 1), getattr(node, "col_offset", 0)))

    def between(self, left: ast.AST, right: ast.AST, symbol: str) -> str:
        """Where ``symbol`` occurs between two nodes (the position of an operator)."""
        lo = self.index(left.end_lineno or 1, left.end_col_offset or 0)
        hi = self.index(right.lineno, right.col_offset)
        found = self.text.find(symbol, lo, max(hi, lo))
        return self.where(found if found >= 0 else lo)


def _parse(text: str) -> tuple[ast.Expression, _Source]:
    """Parse ``text`` (leading indentation ignored) in eval mode."""
    if not isinstance(text, str):
        raise ExpressionError(f"eqn must be a string, not {type(text).__name__}", field="eqn")
    if not text.strip():
        raise ExpressionError("eqn is empty", field="eqn")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"eqn is {len(text)} characters long; the limit is {MAX_LENGTH}", field="eqn")
    stripped = text.lstrip(" \t\f")
    source = _Source(stripped, len(text) - len(stripped))
    try:
        # Odd literals ('\q', 1if) warn while parsing; they are rejected or harmless here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(stripped, mode="eval"), source
    except SyntaxError as exc:
        where = ""
        if exc.offset:
            index = source.index(exc.lineno or 1, 0) + exc.offset - 1
            where = f" at {source.where(index)}"
        raise ExpressionError(f"invalid syntax{where}: {exc.msg}", field="eqn") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse eqn: {type(exc).__name__}: {exc}", field="eqn") from None


class _Builder:
    """Validates an ast and turns it into the IR, folding constants."""

    def __init__(self, source: _Source, inputs: frozenset[str], params: Mapping[str, Any]) -> None:
        self.src = source
        self.inputs = inputs
        self.params = params
        self.used: set[str] = set()

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(message, field="eqn")

    def build(self, node: ast.AST, depth: int = 0) -> _Node:
        if depth > MAX_DEPTH:
            raise self.error(f"expression is nested more than {MAX_DEPTH} levels deep ({self.src.node_where(node)})")
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            what = _UNSUPPORTED_NODES.get(type(node), type(node).__name__)
            raise self.error(f"{what} {self.src.segment(node)!r} is not allowed ({self.src.node_where(node)})")
        return method(node, depth + 1)

    def _Expression(self, node: ast.Expression, depth: int) -> _Node:
        return self.build(node.body, depth)

    def _Constant(self, node: ast.Constant, depth: int) -> _Node:
        value, where, token = node.value, self.src.node_where(node), self.src.segment(node)
        if isinstance(value, (str, bytes)):
            raise self.error(f"string literal {token!r} is not allowed ({where})")
        if isinstance(value, complex):
            raise self.error(f"complex literal {token!r} is not allowed ({where}): complex numbers are not supported")
        if not isinstance(value, (bool, int, float)):
            raise self.error(f"{token!r} is not allowed ({where}): only numbers, True and False are constants")
        return _make_const(value, token, where)

    def _Name(self, node: ast.Name, depth: int) -> _Node:
        name, where = node.id, self.src.node_where(node)
        if name.startswith("__"):
            raise self.error(f"name {name!r} is not allowed ({where}): names may not start with '__'")
        if name in self.inputs:
            self.used.add(name)
            return _Var(name)
        if name in self.params:
            _check_param(name, self.params[name])
            if isinstance(self.params[name], str):
                raise ExpressionError(
                    f"param {name!r} is a string: use it as {{{name}}} (text substitution), not as a name ({where})",
                    field=f"params.{name}",
                )
            return _make_const(self.params[name], name, where)
        if name in FUNCTIONS or name in _REJECTED_FUNCS:
            raise self.error(f"function {name!r} used without a call ({where})")
        allowed = ", ".join(sorted(self.inputs | set(self.params))) or "none"
        raise self.error(f"unknown name {name!r} ({where}); allowed names: {allowed}")

    def _BinOp(self, node: ast.BinOp, depth: int) -> _Node:
        if type(node.op) not in _BINOPS:
            symbol = "@" if isinstance(node.op, ast.MatMult) else type(node.op).__name__
            raise self.error(f"operator {symbol!r} is not allowed ({self.src.between(node.left, node.right, symbol)})")
        op, symbol = _BINOPS[type(node.op)]
        where = self.src.between(node.left, node.right, symbol)
        return self.apply(op, symbol, where, (self.build(node.left, depth), self.build(node.right, depth)))

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> _Node:
        where = self.src.node_where(node)
        if isinstance(node.op, ast.Not):
            raise self.error(f"'not' is not allowed ({where}): use '~' on a comparison")
        op, symbol = _UNARYOPS[type(node.op)]
        return self.apply(op, symbol, where, (self.build(node.operand, depth),))

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> _Node:
        symbol, repl = ("and", "&") if isinstance(node.op, ast.And) else ("or", "|")
        where = self.src.between(node.values[0], node.values[1], symbol)
        raise self.error(f"{symbol!r} is not allowed ({where}): use '{repl}' between parenthesized comparisons")

    def _Compare(self, node: ast.Compare, depth: int) -> _Node:
        operands = [node.left, *node.comparators]
        for op in node.ops:
            if type(op) not in _CMPOPS:
                symbol = self.src.segment(node)
                raise self.error(f"comparison {symbol!r} is not allowed ({self.src.node_where(node)}): only < <= > >= == !=")
        if len(node.ops) > 1:
            symbol = _CMPOPS[type(node.ops[1])][1]
            where = self.src.between(operands[1], operands[2], symbol)
            raise self.error(
                f"chained comparison {self.src.segment(node)!r} is not allowed ({where}): write (a < b) & (b < c)"
            )
        op, symbol = _CMPOPS[type(node.ops[0])]
        where = self.src.between(node.left, node.comparators[0], symbol)
        return self.apply(op, symbol, where, (self.build(node.left, depth), self.build(node.comparators[0], depth)))

    def _Call(self, node: ast.Call, depth: int) -> _Node:
        where = self.src.node_where(node)
        if not isinstance(node.func, ast.Name):
            raise self.error(f"call of {self.src.segment(node.func)!r} is not allowed ({where}): only named functions")
        name = node.func.id
        if name in _REJECTED_FUNCS:
            raise self.error(f"function {name!r} is not allowed ({where}): {_REJECTED_FUNCS[name]}")
        if name not in FUNCTIONS:
            raise self.error(
                f"unknown function {name!r} ({where}); allowed functions: {', '.join(sorted(FUNCTIONS))}"
            )
        if node.keywords:
            raise self.error(f"keyword arguments are not allowed ({self.src.node_where(node.keywords[0])}) in {name}()")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.error(f"starred argument {self.src.segment(arg)!r} is not allowed ({self.src.node_where(arg)})")
        if len(node.args) != FUNCTIONS[name]:
            expected = FUNCTIONS[name]
            raise self.error(
                f"{name}() takes {expected} argument{'s' if expected > 1 else ''}, "
                f"{len(node.args)} given ({where})"
            )
        return self.apply(name, name, where, tuple(self.build(arg, depth) for arg in node.args))

    def apply(self, op: str, token: str, where: str, args: tuple[_Node, ...]) -> _Node:
        """An operation node, folded when all its operands are constants."""
        if op == "pos":
            return args[0]
        if op == "where" and isinstance(args[0], _Const):
            return args[1] if args[0].value else args[2]
        if all(isinstance(a, _Const) for a in args):
            return _fold(op, token, where, [a.value for a in args])  # type: ignore[union-attr]
        if op == "pow" and isinstance(args[1], _Const) and not math.isfinite(args[1].value):
            raise self.error(f"operator '**' ({where}): the exponent must be finite")
        return _Op(op, args, token, where)


def _fold(op: str, token: str, where: str, values: list[Scalar]) -> _Const:
    """Evaluate an operation on constants the way numexpr does (Python, or numpy for functions)."""
    _check_fold_size(op, token, where, values)
    try:
        with np.errstate(all="ignore"):
            result = _PY_OPS[op](*values) if op in _PY_OPS else _numpy_function(op)(*values)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise ExpressionError(f"{token!r} ({where}) fails on constants: {exc}", field="eqn") from None
    return _make_const(result, token, where)


def _numpy_function(name: str) -> Callable[..., Any]:
    special: dict[str, Callable[..., Any]] = {
        "round": np.round, "sign": np.sign, "imag": np.imag, "copy": lambda x: x,
        "ones_like": lambda x: type(x)(1), "real": np.real, "conj": np.conj,
    }
    return special.get(name) or {**_FLOAT_FUNCS, **_DOUBLE_FUNCS, **_TEST_FUNCS}[name]


def _check_fold_size(op: str, token: str, where: str, values: list[Scalar]) -> None:
    """Reject integer ``**`` and ``<<`` on constants whose result cannot fit in int64, before computing it."""
    if op not in ("pow", "lshift") or not all(isinstance(v, int) for v in values):
        return
    base, exponent = (int(v) for v in values)
    if exponent < 0 or base == 0 or (op == "pow" and base in (-1, 1)):
        return
    if op == "lshift":
        bits = exponent + abs(base).bit_length()
    else:
        bits = exponent * (abs(base).bit_length() - 1)
    if bits > 63:
        raise ExpressionError(
            f"{token!r} ({where}) on constants {base} and {exponent} overflows int64; the result is too large",
            field="eqn",
        )


# ---------------------------------------------------------------------------------------------
# Specialization: given the kinds of the inputs, type-check the IR and build numpy closures


def _fresh(value: Any) -> tuple[Any, bool]:
    return value, isinstance(value, np.ndarray)


def _target(a: Any, oa: bool, b: Any, ob: bool) -> np.ndarray | None:
    """An operand we own and may overwrite with the result of a binary op, if any."""
    if oa and (b.ndim == 0 or b.shape == a.shape):
        return a
    if ob and (a.ndim == 0 or a.shape == b.shape):
        return b
    return None


def _unary(fn: Callable[..., Any], fa: _Eval, inplace: bool = True) -> _Eval:
    def run(env: Mapping[str, np.ndarray]) -> tuple[Any, bool]:
        a, oa = fa(env)
        if inplace and oa:
            return fn(a, out=a), True
        return _fresh(fn(a))

    return run


def _binary_into(fn: Callable[..., Any], a: Any, oa: bool, b: Any, ob: bool) -> tuple[Any, bool]:
    """``fn(a, b)``, written into an operand we own when possible."""
    out = _target(a, oa, b, ob)
    if out is not None:
        return fn(a, b, out=out), True
    return _fresh(fn(a, b))


def _binary(fn: Callable[..., Any], fa: _Eval, fb: _Eval, inplace: bool = True) -> _Eval:
    def run(env: Mapping[str, np.ndarray]) -> tuple[Any, bool]:
        a, oa = fa(env)
        b, ob = fb(env)
        if inplace:
            return _binary_into(fn, a, oa, b, ob)
        return _fresh(fn(a, b))

    return run


def _float_floordiv(a: Any, b: Any, out: np.ndarray | None = None) -> Any:
    """numexpr's ``floor(a / b)`` (numpy's floor_divide differs, e.g. ``1 // 0.1``)."""
    q = np.true_divide(a, b, out=out)
    return np.floor(q, out=q) if isinstance(q, np.ndarray) else np.floor(q)


def _float_mod(a: Any, b: Any, out: np.ndarray | None = None) -> Any:
    """numexpr's ``a - floor(a / b) * b`` (numpy's mod differs, e.g. ``1 % inf``)."""
    q = np.floor(np.true_divide(a, b))
    if isinstance(q, np.ndarray):
        np.multiply(q, b, out=q)
        return np.subtract(a, q, out=out if out is not None else q)
    return np.subtract(a, q * b, out=out)


def _int_pow(a: Any, b: Any, out: np.ndarray | None = None) -> Any:
    """numexpr's integer power: C ``(int)pow(a, b)`` (overflow gives the minimum integer) and
    ``1 / a`` in C integer division for a negative exponent."""
    dtype = np.result_type(a, b)
    negative = np.less(b, 0)
    powered = np.power(a, np.where(negative, 0, b).astype(dtype, copy=False))
    estimate = np.power(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    limit = float(2 ** (8 * dtype.itemsize - 1))
    result = np.where(np.abs(estimate) < limit, powered, np.iinfo(dtype).min)
    if np.any(negative):
        inverse = np.where(np.equal(np.abs(a), 1), a, 0)
        result = np.where(negative, inverse, result)
    result = np.asarray(result).astype(dtype, copy=False)
    if out is not None:
        out[...] = result
        return out
    return result if result.ndim else result[()]


class _Specializer:
    """Builds the evaluator of an IR tree for given input kinds (numexpr's typing rules)."""

    def __init__(self, kinds: Mapping[str, str]) -> None:
        self.kinds = kinds
        self.memo: dict[int, tuple[_Eval, str]] = {}

    def error(self, node: _Op, kinds: Iterable[str], detail: str = "") -> ExpressionError:
        names = ", ".join(_KIND_NAMES[k] for k in kinds)
        what = f"{node.token}()" if node.op in FUNCTIONS else f"operator {node.token!r}"
        return ExpressionError(
            f"{what} ({node.where}) is not supported for {names} operands{detail}", field="eqn"
        )

    def spec(self, node: _Node) -> tuple[_Eval, str]:
        """The evaluator of ``node`` and its kind (memoized: callers ask for kinds repeatedly)."""
        key = id(node)
        if key not in self.memo:
            self.memo[key] = self._spec(node)
        return self.memo[key]

    def _spec(self, node: _Node) -> tuple[_Eval, str]:
        if isinstance(node, _Const):
            value = _DTYPES[node.kind].type(node.value)
            return (lambda env: (value, False)), node.kind
        if isinstance(node, _Var):
            name = node.name
            return (lambda env: (env[name], False)), self.kinds[name]
        if node.op == "pow":
            return self.pow(node)
        if node.op in FUNCTIONS:
            return self.function(node)
        return self.operator(node)

    def cast(self, node: _Node, kind: str) -> _Eval:
        """The evaluator of ``node`` giving values of ``kind``."""
        fn, have = self.spec(node)
        if have == kind:
            return fn
        dtype = _DTYPES[kind]
        if isinstance(node, _Const):
            value = dtype.type(node.value)
            return lambda env: (value, False)

        def run(env: Mapping[str, np.ndarray]) -> tuple[Any, bool]:
            return _fresh(np.asarray(fn(env)[0]).astype(dtype))

        return run

    def kinds_of(self, node: _Op) -> list[str]:
        return [self.spec(arg)[1] for arg in node.args]

    def operator(self, node: _Op) -> tuple[_Eval, str]:
        op, kinds = node.op, self.kinds_of(node)
        kind = _max_kind(*kinds)
        if op in ("gt", "ge", "lt", "le", "eq", "ne"):
            fa, fb = (self.cast(arg, kind) for arg in node.args)
            return _binary(getattr(np, _COMPARE_UFUNCS[op]), fa, fb, inplace=False), "b"
        if op in ("neg", "invert"):
            allowed = "ilfd" if op == "neg" else "bil"
            if kind not in allowed:
                raise self.error(node, kinds)
            fn = np.logical_not if kind == "b" else np.negative if op == "neg" else np.invert
            return _unary(fn, self.spec(node.args[0])[0]), kind
        if op == "div":
            kind = "d" if kind in "bil" else kind
            return self.divide(node, kind)
        fn = self.binary_ufunc(node, kind, kinds)
        fa, fb = (self.cast(arg, kind) for arg in node.args)
        return _binary(fn, fa, fb), kind

    def binary_ufunc(self, node: _Op, kind: str, kinds: list[str]) -> Callable[..., Any]:
        op = node.op
        if kind == "b":
            bool_ufuncs = {"add": np.logical_or, "mul": np.logical_and, "and": np.logical_and,
                           "or": np.logical_or, "xor": np.logical_xor}
            if op not in bool_ufuncs:
                raise self.error(node, kinds)
            return bool_ufuncs[op]
        if op in ("and", "or", "xor", "lshift", "rshift") and kind not in "il":
            raise self.error(node, kinds, "; bitwise operators need booleans or integers")
        if op == "floordiv" and kind in "fd":
            return _float_floordiv
        if op == "mod" and kind in "fd":
            return _float_mod
        return {
            "add": np.add, "sub": np.subtract, "mul": np.multiply, "floordiv": np.floor_divide,
            "mod": np.mod, "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
            "lshift": np.left_shift, "rshift": np.right_shift,
        }[op]

    def divide(self, node: _Op, kind: str) -> tuple[_Eval, str]:
        left, right = node.args
        fa = self.cast(left, kind)
        # numexpr turns x / c into x * (1/c) when x and c have the same float kind.
        if isinstance(right, _Const) and right.kind == kind and right.value != 0 and self.spec(left)[1] == kind:
            reciprocal = _DTYPES[kind].type(1.0 / right.value)
            return _binary(np.multiply, fa, lambda env: (reciprocal, False)), kind
        return _binary(np.true_divide, fa, self.cast(right, kind)), kind

    def pow(self, node: _Op) -> tuple[_Eval, str]:
        base, exponent = node.args
        kinds = self.kinds_of(node)
        if isinstance(exponent, _Const):
            x = exponent.value
            if kinds[0] in "il" and exponent.kind in "il" and x < 0:
                raise ExpressionError(
                    f"operator '**' ({node.where}): integers to negative integer powers are not allowed", field="eqn"
                )
            if not math.isfinite(x):
                raise ExpressionError(f"operator '**' ({node.where}): the exponent must be finite", field="eqn")
            if abs(x) <= MAX_POW_EXPANSION and int(2 * x) == 2 * x:  # abs first: 2 * 1e308 is inf
                return self.pow_expanded(node, float(x), kinds[0])
        kind = _max_kind(*kinds)
        if kind == "b":
            raise self.error(node, kinds)
        fa, fb = (self.cast(arg, kind) for arg in node.args)
        return _binary(_int_pow if kind in "il" else np.power, fa, fb), kind

    def pow_expanded(self, node: _Op, x: float, kind: str) -> tuple[_Eval, str]:
        """numexpr's 'aggressive' x**n: products by binary powering, sqrt for halves, 1/r if n < 0."""
        n, half = int(abs(x)), int(abs(2 * x)) % 2 == 1
        sqrt_kind = "d" if kind in "il" else kind
        result_kind = kind if n or not half else sqrt_kind
        if half:
            result_kind = _max_kind(result_kind, sqrt_kind)
        if kind == "b" and (half or n == 0):
            raise self.error(node, [kind])
        if x < 0:
            result_kind = "d" if result_kind in "bil" else result_kind
        mul = np.logical_and if kind == "b" else np.multiply
        fa = self.spec(node.args[0])[0]
        final = _DTYPES[result_kind]

        def run(env: Mapping[str, np.ndarray]) -> tuple[Any, bool]:
            a, oa = fa(env)
            # The square root needs ``a`` itself: only reuse its buffer for the products when not.
            r, owned = _power_by_squaring(a, oa and not half, n, mul)
            if half:
                root = np.sqrt(a if kind not in "il" else np.asarray(a).astype(np.float64))
                if r is None:
                    r, owned = _fresh(root)
                else:
                    r = np.asarray(r).astype(final, copy=False)
                    r, owned = _binary_into(mul, r, owned and r.dtype == final, root, isinstance(root, np.ndarray))
            if r is None:
                r, owned = _fresh(np.ones(np.shape(a), dtype=_DTYPES[kind]))
            if x < 0:
                if np.asarray(r).dtype != final:
                    r, owned = _fresh(np.asarray(r).astype(final))
                r, owned = _binary_into(np.true_divide, final.type(1), False, r, owned)
            return r, owned

        return run, result_kind

    def function(self, node: _Op) -> tuple[_Eval, str]:
        name, kinds = node.op, self.kinds_of(node)
        kind = _max_kind(*kinds)
        if name == "where":
            return self.where(node, kinds)
        if name in ("copy", "ones_like"):
            if name == "ones_like" and kind == "b":
                raise self.error(node, kinds)
            fa = self.spec(node.args[0])[0]
            if name == "copy":
                return fa, kind
            dtype = _DTYPES[kind]
            return (lambda env: _fresh(np.ones(np.shape(fa(env)[0]), dtype=dtype))), kind
        if name in ("round", "sign") and kind in "il":
            fa = self.spec(node.args[0])[0]
            return (fa if name == "round" else _unary(np.sign, fa)), kind
        if name in _TEST_FUNCS:
            return _unary(_TEST_FUNCS[name], self.cast(node.args[0], "d"), inplace=False), "b"
        if name == "imag":
            fa = self.cast(node.args[0], "d")
            return (lambda env: _fresh(np.zeros(np.shape(fa(env)[0])))), "d"
        if name in _FLOAT_FUNCS:
            kind = "d" if kind in "il" else "f" if kind == "b" else kind
            fn = _FLOAT_FUNCS[name]
        else:
            kind = "d"
            fn = {**_DOUBLE_FUNCS, "round": np.rint, "sign": np.sign}[name]
        evaluators = [self.cast(arg, kind) for arg in node.args]
        if len(evaluators) == 2:
            return _binary(fn, *evaluators), kind
        return _unary(fn, evaluators[0]), kind

    def where(self, node: _Op, kinds: list[str]) -> tuple[_Eval, str]:
        if kinds[0] != "b":
            raise ExpressionError(
                f"where() ({node.where}) needs a boolean condition such as a comparison, "
                f"not {_KIND_NAMES[kinds[0]]}",
                field="eqn",
            )
        kind = _max_kind(kinds[1], kinds[2])
        fc = self.spec(node.args[0])[0]
        fa, fb = (self.cast(arg, kind) for arg in node.args[1:])
        return (lambda env: _fresh(np.where(fc(env)[0], fa(env)[0], fb(env)[0]))), kind


_COMPARE_UFUNCS = {"gt": "greater", "ge": "greater_equal", "lt": "less", "le": "less_equal",
                   "eq": "equal", "ne": "not_equal"}


def _power_by_squaring(a: Any, owned: bool, n: int, mul: Callable[..., Any]) -> tuple[Any, bool]:
    """``a**n`` by numexpr's binary powering (``None`` for n == 0), reusing temporaries we own."""
    result: Any = None
    result_owned = False
    power, power_owned = a, owned
    mask = 1
    while n:
        if n & mask:
            if result is None:
                result, result_owned = power, power_owned
            else:
                result = mul(result, power, out=result if result_owned else None)
                result_owned = isinstance(result, np.ndarray)
        mask <<= 1
        if mask > n:
            break
        reuse = power_owned and power is not result
        power = mul(power, power, out=power if reuse else None)
        power_owned = isinstance(power, np.ndarray)
    return result, result_owned


def _input_kind(name: str, array: np.ndarray) -> str:
    """numexpr's kind for an input array (its getType)."""
    dtype = array.dtype
    if dtype.kind == "b":
        return "b"
    if dtype.kind in "iu":
        return "l" if dtype.itemsize > 4 or (dtype.kind == "u" and dtype.itemsize == 4) else "i"
    if dtype.kind == "f":
        return "d" if dtype.itemsize > 4 else "f"
    raise ExpressionError(
        f"input {name!r} has dtype {dtype}; only boolean, integer and float arrays are supported",
        field=f"inputs.{name}",
    )


# ---------------------------------------------------------------------------------------------
# Public API


class CompiledExpression:
    """A validated expression; call it with the input arrays as keyword arguments."""

    __slots__ = ("eqn", "text", "names", "names_used", "_tree", "_cache")

    def __init__(self, eqn: str, text: str, names: frozenset[str], names_used: frozenset[str], tree: _Node) -> None:
        self.eqn = eqn
        self.text = text
        self.names = names
        self.names_used = names_used
        self._tree = tree
        self._cache: dict[tuple[tuple[str, str], ...], tuple[_Eval, str]] = {}

    def __repr__(self) -> str:
        return f"CompiledExpression({self.text!r})"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # The cache holds closures, which do not pickle; it is rebuilt on first use.
        return CompiledExpression, (self.eqn, self.text, self.names, self.names_used, self._tree)

    def __call__(self, **arrays: Any) -> np.ndarray:
        return self.evaluate(arrays)

    def evaluate(self, arrays: Mapping[str, Any], dtype: Any = np.float64) -> np.ndarray:
        """Evaluate on ``arrays`` (broadcast together); the result has their broadcast shape.

        ``dtype`` is the result dtype (float64, as PODPAC's output); ``None`` keeps numexpr's
        result dtype (bool for comparisons, int for integer arithmetic).
        """
        env, kinds = self._prepare(arrays)
        shape = self._shape(env, arrays)
        key = tuple(sorted(kinds.items()))
        if key not in self._cache:
            self._cache[key] = _Specializer(kinds).spec(self._tree)
        fn, kind = self._cache[key]
        with np.errstate(all="ignore"):
            value, owned = fn(env)
            target = _DTYPES[kind] if dtype is None else np.dtype(dtype)
            if np.shape(value) == shape:
                if owned and value.dtype == target:
                    return value
                return np.asarray(value).astype(target)
            out = np.empty(shape, dtype=target)
            out[...] = value
        return out

    def _prepare(self, arrays: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        env: dict[str, np.ndarray] = {}
        kinds: dict[str, str] = {}
        for name in self.names_used:
            if name not in arrays:
                raise ExpressionError(f"missing input {name!r} used by the expression", field=f"inputs.{name}")
            array = np.asarray(arrays[name])
            kind = _input_kind(name, array)
            if array.dtype != _DTYPES[kind]:
                array = array.astype(_DTYPES[kind])
            env[name], kinds[name] = array, kind
        return env, kinds

    @staticmethod
    def _shape(env: Mapping[str, np.ndarray], arrays: Mapping[str, Any]) -> tuple[int, ...]:
        shapes = [np.shape(env[name]) if name in env else np.shape(value) for name, value in arrays.items()]
        try:
            return tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            detail = ", ".join(f"{name}: {shape}" for name, shape in zip(arrays, shapes))
            raise ExpressionError(f"inputs have incompatible shapes ({detail})", field="inputs") from None


def compile_expression(
    eqn: str, names: Iterable[str], params: Mapping[str, ParamValue] | None = None
) -> CompiledExpression:
    """Validate ``eqn`` over the input ``names`` and ``params`` and compile it.

    ``{name}`` fields are replaced by the param's value first (PODPAC's ``eqn.format(**params)``);
    params may also be used as bare names. Raises :class:`ExpressionError` naming the offending
    token and its (1-based) column in the substituted text.
    """
    params = dict(params or {})
    inputs = frozenset(names)
    text = substitute_params(eqn, params) if isinstance(eqn, str) else eqn
    tree, source = _parse(text)
    builder = _Builder(source, inputs, params)
    ir = builder.build(tree)
    return CompiledExpression(eqn, text, inputs, frozenset(builder.used), ir)
