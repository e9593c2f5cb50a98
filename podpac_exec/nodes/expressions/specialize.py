"""Specialization: given the kinds of the inputs, the IR type-checked by numexpr's rules and
built into closures calling numpy ufuncs."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from podpac_exec.errors import ExpressionError
from podpac_exec.nodes.expressions.grammar import (
    _Const,
    _DOUBLE_FUNCS,
    _DTYPES,
    _Eval,
    _FLOAT_FUNCS,
    FUNCTIONS,
    _KIND_NAMES,
    _max_kind,
    MAX_POW_EXPANSION,
    _Node,
    _Op,
    _TEST_FUNCS,
    _Var,
)


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
