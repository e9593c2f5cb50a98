"""Parsing and validation: the eqn parsed with :mod:`ast`, checked against the whitelist and
turned into the IR, constants folded with guards against resource bombs."""

from __future__ import annotations

import ast
import math
import re
import warnings
from typing import Any, Callable, Mapping

import numpy as np

from podpac_exec.errors import ExpressionError
from podpac_exec.nodes.expressions.grammar import (
    _BINOPS,
    _CMPOPS,
    _Const,
    _DOUBLE_FUNCS,
    _FLOAT_FUNCS,
    FUNCTIONS,
    _make_const,
    MAX_DEPTH,
    MAX_LENGTH,
    _Node,
    _Op,
    _PY_OPS,
    _REJECTED_FUNCS,
    Scalar,
    _TEST_FUNCS,
    _UNARYOPS,
    _UNSUPPORTED_NODES,
    _Var,
)
from podpac_exec.nodes.expressions.params import _check_param


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
