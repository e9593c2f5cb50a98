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

Modules: ``grammar`` (limits, kinds, functions, operators, IR), ``params`` (substitution),
``parser`` (ast to IR), ``specialize`` (IR to numpy closures for given input kinds),
``compiled`` (:class:`CompiledExpression`, :func:`compile_expression`).
"""

from __future__ import annotations

from podpac_exec.nodes.expressions.compiled import CompiledExpression, compile_expression
from podpac_exec.nodes.expressions.grammar import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, MAX_POW_EXPANSION
from podpac_exec.nodes.expressions.params import substitute_params

__all__ = [
    "MAX_LENGTH",
    "MAX_DEPTH",
    "MAX_POW_EXPANSION",
    "FUNCTIONS",
    "CompiledExpression",
    "compile_expression",
    "substitute_params",
]
