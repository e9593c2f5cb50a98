"""The ``interpolation`` attr: PODPAC's method names, per-dim rules and interpolator params."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from podpac_exec.errors import CoordinatesError, PipelineError

NEAREST = "nearest"
LINEAR = "linear"

#: Method names accepted in ``interpolation`` and the method each one means here.
METHODS = {"nearest": NEAREST, "bilinear": LINEAR, "linear": LINEAR}

#: PODPAC 4.0.5's other method names: valid there, not implemented here.
UNSUPPORTED_METHODS = (
    "none", "nearest_preview", "quadratic", "cubic", "cubic_spline", "lanczos", "average", "mode", "gauss",
    "max", "min", "med", "q1", "q3", "slinear", "splinef2d", "spline_2", "spline_3", "spline_4", "zero", "next",
    "previous",
)  # fmt: skip

_INTERPOLATORS = {NEAREST: "NearestNeighbor", LINEAR: "XarrayInterpolator"}

@dataclass(frozen=True)
class NearestOptions:
    """PODPAC's ``NearestNeighbor`` params (tolerances and scales in coordinate units)."""

    spatial_tolerance: float = math.inf
    alt_tolerance: float = math.inf
    other_dim_tolerance: float = math.inf
    time_tolerance: np.timedelta64 | None = None
    spatial_scale: float = 1.0
    alt_scale: float = 1.0
    other_dim_scale: float = 1.0
    time_scale: np.timedelta64 | None = None
    respect_bounds: bool = True
    ambiguous_rounding: str = "-infinity"
    use_selector: bool = True


@dataclass(frozen=True)
class LinearOptions:
    """PODPAC's ``XarrayInterpolator`` params: the value used outside the source (NaN by default)."""

    fill_value: float = math.nan


@dataclass(frozen=True)
class DimRule:
    """One entry of an interpolation definition: a method for some dims (``None``: all the others)."""

    method: str
    udims: tuple[str, ...] | None
    options: NearestOptions | LinearOptions


@dataclass(frozen=True)
class Interpolation:
    """A parsed interpolation definition: rules in PODPAC's order, the catch-all rule last."""

    rules: tuple[DimRule, ...]

    def rule_for(self, udim: str) -> DimRule:
        for rule in self.rules:
            if rule.udims is None or udim in rule.udims:
                return rule
        raise AssertionError("an Interpolation always ends with a catch-all rule")

    @classmethod
    def parse(cls, definition: Any, field: str = "attrs.interpolation") -> "Interpolation":
        """Parse PODPAC's forms: a method name, a dict, or a list of dicts (``method``, ``dims``,
        ``params``, ``interpolators``). Raises :class:`PipelineError` naming ``field``."""
        if isinstance(definition, str):
            return cls((DimRule(_parse_method(definition, field), None, _default_options(METHODS.get(definition))),))
        if isinstance(definition, Mapping):
            definition = [definition]
        if not isinstance(definition, (list, tuple)) or not definition:
            raise PipelineError(
                "interpolation must be a method name, a dict or a non-empty list of dicts, "
                f"got {definition!r}",
                field=field,
            )
        rules: list[DimRule] = []
        for i, item in enumerate(definition):
            rule = _parse_rule(item, f"{field}[{i}]" if len(definition) > 1 else field)
            for other in rules:
                if (rule.udims is None and other.udims is None) or (
                    rule.udims and other.udims and set(rule.udims) & set(other.udims)
                ):
                    raise PipelineError(f"dims {rule.udims or 'default'} are given more than once", field=field)
            rules.append(rule)
        defaults = [r for r in rules if r.udims is None] or [DimRule(NEAREST, None, NearestOptions())]
        return cls(tuple(r for r in rules if r.udims is not None) + tuple(defaults))


NEAREST_INTERPOLATION = Interpolation((DimRule(NEAREST, None, NearestOptions()),))


def _parse_method(name: Any, field: str) -> str:
    if not isinstance(name, str):
        raise PipelineError(f"interpolation method must be a string, got {name!r}", field=field)
    if name in METHODS:
        return METHODS[name]
    if name in UNSUPPORTED_METHODS:
        raise PipelineError(
            f"interpolation method {name!r} is not supported; supported: {', '.join(METHODS)}", field=field
        )
    raise PipelineError(f"unknown interpolation method {name!r}; supported: {', '.join(METHODS)}", field=field)


def _default_options(method: str | None) -> NearestOptions | LinearOptions:
    return LinearOptions() if method == LINEAR else NearestOptions()


def _parse_rule(item: Any, field: str) -> DimRule:
    if not isinstance(item, Mapping):
        raise PipelineError(f"an interpolation definition entry must be a dict, got {item!r}", field=field)
    unknown = [k for k in item if k not in ("method", "dims", "params", "interpolators")]
    if unknown:
        raise PipelineError(
            f"unknown interpolation key {unknown[0]!r}; keys: method, dims, params, interpolators",
            field=f"{field}.{unknown[0]}",
        )
    if "method" not in item:
        raise PipelineError("an interpolation definition needs a 'method'", field=f"{field}.method")
    method = _parse_method(item["method"], f"{field}.method")
    udims = None
    if "dims" in item:
        dims = item["dims"]
        if not isinstance(dims, list) or not all(isinstance(d, str) for d in dims):
            raise PipelineError(f"'dims' must be a list of dim names, got {dims!r}", field=f"{field}.dims")
        udims = tuple(sorted(dims))
    interpolators = item.get("interpolators", [_INTERPOLATORS[method]])
    if not isinstance(interpolators, list) or interpolators != [_INTERPOLATORS[method]]:
        raise PipelineError(
            f"interpolators {interpolators!r} are not supported for {item['method']!r}; "
            f"only [{_INTERPOLATORS[method]!r}]",
            field=f"{field}.interpolators",
        )
    params = item.get("params", {})
    if not isinstance(params, Mapping):
        raise PipelineError(f"'params' must be a dict, got {params!r}", field=f"{field}.params")
    options = _parse_params(method, params, f"{field}.params")
    if isinstance(options, NearestOptions) and not options.use_selector and "interpolators" not in item:
        # PODPAC then selects with the next interpolator for the method (XarrayInterpolator)
        options = dataclasses.replace(options, use_selector=True)
    return DimRule(method, udims, options)


def _parse_params(method: str, params: Mapping[str, Any], field: str) -> NearestOptions | LinearOptions:
    values: dict[str, Any] = {}
    for name, value in params.items():
        where = f"{field}.{name}"
        if method == LINEAR:
            if name == "fill_value":
                values[name] = math.nan if value is None else _number(value, where)
            elif name == "fill_nan" and value is False:
                pass
            elif name == "kwargs" and value == {"bounds_error": False}:
                pass
            else:
                raise PipelineError(f"linear interpolation param {name}={value!r} is not supported", field=where)
        elif name in ("spatial_tolerance", "alt_tolerance", "other_dim_tolerance"):
            values[name] = math.inf if value is None else _number(value, where)
        elif name in ("spatial_scale", "alt_scale", "other_dim_scale"):
            values[name] = 1.0 if value is None else _number(value, where)
        elif name in ("time_tolerance", "time_scale"):
            values[name] = None if value in (None, "") else _timedelta(value, where)
        elif name in ("respect_bounds", "use_selector"):
            if not isinstance(value, bool):
                raise PipelineError(f"{name} must be true or false, got {value!r}", field=where)
            values[name] = value
        elif name == "ambiguous_rounding":
            if value not in ("-infinity", "+infinity", "unbiased"):
                raise PipelineError(
                    f"ambiguous_rounding must be '-infinity', '+infinity' or 'unbiased', got {value!r}", field=where
                )
            values[name] = value
        elif name == "remove_nan" and value is False:
            pass
        else:
            raise PipelineError(f"nearest interpolation param {name}={value!r} is not supported", field=where)
    return LinearOptions(**values) if method == LINEAR else NearestOptions(**values)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PipelineError(f"expected a number, got {value!r}", field=field)
    return float(value)


def _timedelta(value: Any, field: str) -> np.timedelta64:
    from podpac_exec.coordinates import _to_delta

    try:
        delta = _to_delta(value, True, field)
    except CoordinatesError as exc:
        message = f"expected a time delta such as '1,D', got {value!r} ({exc.message})"
        raise PipelineError(message, field=field) from None
    return delta  # type: ignore[return-value]
