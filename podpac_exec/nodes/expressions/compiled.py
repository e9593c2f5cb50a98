"""The compiled expression and :func:`compile_expression`, the compiler's entry point."""

from __future__ import annotations

import math
from typing import Any, Collection, Iterable, Mapping

import numpy as np

from podpac_exec.errors import ExpressionError
from podpac_exec.nodes.expressions.grammar import _DTYPES, _Eval, _Node, ParamValue
from podpac_exec.nodes.expressions.params import substitute_params
from podpac_exec.nodes.expressions.parser import _Builder, _parse
from podpac_exec.nodes.expressions.specialize import _Specializer, _input_kind
from podpac_exec.nodes.parallel import in_two


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

    def evaluate(self, arrays: Mapping[str, Any], dtype: Any = np.float64, reuse: Collection[str] = (),
                 out: np.ndarray | None = None) -> np.ndarray:
        """Evaluate on ``arrays`` (broadcast together); the result has their broadcast shape.

        ``dtype`` is the result dtype (float64, as PODPAC's output); ``None`` keeps numexpr's
        result dtype (bool for comparisons, int for integer arithmetic). ``reuse`` names inputs
        the caller gives up: a big result may be written into one of them (each block is read
        before it is written), saving a new array's allocation and first touch. ``out``, an array
        of the result's shape and dtype, receives the result (and is returned); it may be one of
        the inputs, overwritten in place, as the operations are elementwise and each block is read
        before it is written. An ``out`` of another shape or dtype is ignored.
        """
        env, kinds = self._prepare(arrays)
        shape = self._shape(env, arrays)
        key = tuple(sorted(kinds.items()))
        if key not in self._cache:
            self._cache[key] = _Specializer(kinds).spec(self._tree)
        fn, kind = self._cache[key]
        target = _DTYPES[kind] if dtype is None else np.dtype(dtype)
        if out is not None and (out.shape != shape or out.dtype != target):
            out = None
        with np.errstate(all="ignore"):
            if _chunkable(env, shape, whole=False):
                # inputs constant along some axes: blocks of leading-axis rows take them whole
                if len(shape) > 1 and math.prod(shape[1:]) <= 4 * CHUNK:
                    return _chunked_rows(fn, env, shape, target, _into(out, env, arrays, reuse, target, shape))
                env = {name: a if a.shape == shape else np.broadcast_to(a, shape).copy() for name, a in env.items()}
            if _chunkable(env, shape):
                if out is not None and not out.flags.c_contiguous:  # blocks of the flattened result: a copy
                    out[...] = _chunked(fn, env, shape, target, _reusable(env, arrays, reuse, target, shape))
                    return out
                return _chunked(fn, env, shape, target, _into(out, env, arrays, reuse, target, shape))
            value, owned = fn(env)
            if out is None and np.shape(value) == shape:
                if owned and value.dtype == target:
                    return value
                return np.asarray(value).astype(target)
            if out is None:
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


#: Elements per block of a blocked evaluation: the temporaries of a few operations stay in cache.
CHUNK = 32768


def _chunkable(env: Mapping[str, np.ndarray], shape: tuple[int, ...], whole: bool = True) -> bool:
    """Whether the result is large enough to evaluate in blocks and every input is a contiguous
    array of its shape (``whole``), or (not ``whole``) some input only broadcasts to it."""
    size = math.prod(shape)
    if not env or size < 4 * CHUNK:
        return False
    full = [a.shape == shape and a.flags.c_contiguous for a in env.values()]
    return all(full) if whole else not all(full)


def _into(out: np.ndarray | None, env: Mapping[str, np.ndarray], given: Mapping[str, Any], reuse: Collection[str],
          target: np.dtype, shape: tuple[int, ...]) -> np.ndarray | None:
    """Where a blocked evaluation writes: ``out`` when given, else an input it may reuse."""
    return out if out is not None else _reusable(env, given, reuse, target, shape)


def _reusable(env: Mapping[str, np.ndarray], given: Mapping[str, Any], reuse: Collection[str],
              target: np.dtype, shape: tuple[int, ...]) -> np.ndarray | None:
    """An input in ``reuse`` that can hold the result: the caller's own array (not a converted
    copy), of the result's shape and dtype, contiguous, writable, and no other input's array."""
    for name in sorted(reuse):
        a = env.get(name)
        if (a is not None and a is given.get(name) and a.shape == shape and a.dtype == target and a.flags.c_contiguous
                and a.flags.writeable and sum(b is a for b in env.values()) == 1):
            return a
    return None


def _chunked(fn: _Eval, env: Mapping[str, np.ndarray], shape: tuple[int, ...], target: np.dtype,
             out: np.ndarray | None = None) -> np.ndarray:
    """``fn`` evaluated block by block of the flattened inputs (every operation is elementwise,
    so the values are those of one whole-array evaluation, without its memory traffic), into
    ``out`` when given (an input: each block's inputs are read before its result is written)."""
    out = np.empty(shape, dtype=target) if out is None else out
    flat_out = out.reshape(-1)
    flat = {name: a.reshape(-1) for name, a in env.items()}
    starts = range(0, flat_out.size, CHUNK)

    def run(first: int, stop: int) -> None:
        with np.errstate(all="ignore"):  # numpy's error state is per thread
            for start in starts[first:stop]:
                block = slice(start, start + CHUNK)
                flat_out[block] = fn({name: a[block] for name, a in flat.items()})[0]

    in_two(run, len(starts))  # each block written once, by either thread
    return out


def _chunked_rows(fn: _Eval, env: Mapping[str, np.ndarray], shape: tuple[int, ...], target: np.dtype,
                  out: np.ndarray | None = None) -> np.ndarray:
    """``fn`` evaluated on blocks of leading-axis rows: an input constant along that axis (size 1)
    goes whole into every block, the others by their rows; the values are those of one
    whole-array evaluation (ufuncs broadcast each block as they would the whole)."""
    out = np.empty(shape, dtype=target) if out is None else out
    ndim = len(shape)
    env = {name: a.reshape((1,) * (ndim - a.ndim) + a.shape) for name, a in env.items()}
    step = max(1, CHUNK // max(1, math.prod(shape[1:])))
    starts = range(0, shape[0], step)

    def run(first: int, stop: int) -> None:
        with np.errstate(all="ignore"):  # numpy's error state is per thread
            for start in starts[first:stop]:
                block = slice(start, start + step)
                out[block] = fn({name: a if a.shape[0] == 1 else a[block] for name, a in env.items()})[0]

    in_two(run, len(starts))
    return out


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
