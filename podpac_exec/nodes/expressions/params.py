"""Params substitution: PODPAC's ``eqn.format(**params)`` for ``{name}`` fields, without ``str.format``."""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from podpac_exec.errors import ExpressionError
from podpac_exec.nodes.expressions.grammar import MAX_LENGTH, ParamValue


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
