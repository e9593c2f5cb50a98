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

#: PODPAC 4.0.5's interpolators and the methods each one supports (``methods_supported``).
INTERPOLATOR_METHODS: dict[str, tuple[str, ...]] = {
    "NoneInterpolator": ("none",),
    "NearestNeighbor": ("nearest",),
    "XarrayInterpolator": ("nearest", "linear", "bilinear", "cubic"),
    "RasterioInterpolator": (
        "nearest", "bilinear", "cubic", "cubic_spline", "lanczos", "average", "mode", "gauss", "max", "min", "med",
        "q1", "q3",
    ),
    "ScipyPoint": ("nearest",),
    "ScipyGrid": ("nearest", "bilinear", "cubic_spline", "spline_2", "spline_3", "spline_4"),
    "NearestPreview": ("nearest_preview",),
}  # fmt: skip

#: PODPAC's interpolator order (``INTERPOLATORS``): a method's default interpolators, in this order.
_INTERPOLATOR_ORDER = (
    "NoneInterpolator", "NearestNeighbor", "XarrayInterpolator", "RasterioInterpolator", "ScipyPoint", "ScipyGrid",
    "NearestPreview",
)  # fmt: skip

#: Method name -> its default interpolators (PODPAC's ``INTERPOLATION_METHODS_DICT``).
DEFAULT_INTERPOLATORS: dict[str, tuple[str, ...]] = {
    m: tuple(i for i in _INTERPOLATOR_ORDER if m in INTERPOLATOR_METHODS[i])
    for m in dict.fromkeys(m for i in _INTERPOLATOR_ORDER for m in INTERPOLATOR_METHODS[i])
}

#: Method names accepted in ``interpolation`` and the method each one means here ("bilinear" is
#: "linear" for the nearest/linear path; the rule keeps the name it was given in ``DimRule.name``).
METHODS = {m: (LINEAR if m == "bilinear" else m) for m in DEFAULT_INTERPOLATORS}

#: PODPAC 4.0.5's other method names (XarrayInterpolator's scipy kinds): valid there, not here.
UNSUPPORTED_METHODS = ("quadratic", "slinear", "splinef2d", "zero", "next", "previous")

#: Methods whose options are XarrayInterpolator's (``fill_value``) rather than NearestNeighbor's.
_XARRAY_OPTIONS = ("linear", "bilinear", "cubic")
#: Params the other interpolators declare and ignore (PODPAC: "TODO: implement these parameters").
_IGNORED_PARAMS = ("spatial_tolerance", "time_tolerance")


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
    options: NearestOptions | LinearOptions | None
    #: The method name as written (``method`` maps "bilinear" to "linear"); defaults to ``method``.
    name: str = ""
    #: The interpolators to try, in order; defaults to the method's (PODPAC's order).
    interpolators: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.method)
        if not self.interpolators:
            object.__setattr__(self, "interpolators", DEFAULT_INTERPOLATORS[self.name])


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
            method = _parse_method(definition, field)
            return cls((DimRule(method, None, _default_options(definition), definition),))
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
    if name == "gauss":
        # PODPAC lists it, but rasterio.warp.reproject (RasterioInterpolator, its only interpolator)
        # refuses it; GDAL's other gauss (RasterIO, overviews) changes with the window read
        raise PipelineError(
            "interpolation method 'gauss' is not supported: RasterioInterpolator (rasterio.warp.reproject) has no "
            "gauss resampling (PODPAC 4.0.5 raises ValueError); use 'cubic_spline' or 'lanczos'",
            field=field,
        )
    if name in METHODS:
        return METHODS[name]
    supported = ", ".join(m for m in METHODS if m != "gauss")
    if name in UNSUPPORTED_METHODS:
        raise PipelineError(f"interpolation method {name!r} is not supported; supported: {supported}", field=field)
    raise PipelineError(f"unknown interpolation method {name!r}; supported: {supported}", field=field)


def _default_options(name: str) -> NearestOptions | LinearOptions | None:
    if name in _XARRAY_OPTIONS:
        return LinearOptions()
    return NearestOptions() if name in (NEAREST, "nearest_preview") else None


def _parse_interpolators(item: Mapping[str, Any], name: str, field: str) -> tuple[str, ...]:
    if "interpolators" not in item:
        return DEFAULT_INTERPOLATORS[name]
    given = item["interpolators"]
    if not isinstance(given, list) or not given or not all(isinstance(i, str) for i in given):
        raise PipelineError(f"'interpolators' must be a non-empty list of names, got {given!r}", field=field)
    for i, interpolator in enumerate(given):
        if interpolator not in INTERPOLATOR_METHODS:
            raise PipelineError(
                f"unknown interpolator {interpolator!r}; interpolators: {', '.join(INTERPOLATOR_METHODS)}",
                field=f"{field}[{i}]",
            )
    if not any(name in INTERPOLATOR_METHODS[i] for i in given):
        able = [i for i in _INTERPOLATOR_ORDER if name in INTERPOLATOR_METHODS[i]]
        raise PipelineError(
            f"method {name!r} is not supported by interpolators {given}; it is by {able}", field=field
        )
    return tuple(given)


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
    name = item["method"]
    udims = None
    if "dims" in item:
        dims = item["dims"]
        if not isinstance(dims, list) or not all(isinstance(d, str) for d in dims):
            raise PipelineError(f"'dims' must be a list of dim names, got {dims!r}", field=f"{field}.dims")
        udims = tuple(sorted(dims))
    interpolators = _parse_interpolators(item, name, f"{field}.interpolators")
    params = item.get("params", {})
    if not isinstance(params, Mapping):
        raise PipelineError(f"'params' must be a dict, got {params!r}", field=f"{field}.params")
    options = _parse_params(name, params, f"{field}.params")
    if isinstance(options, NearestOptions) and not options.use_selector and len(interpolators) > 1:
        # PODPAC then selects with the next interpolator for the method (XarrayInterpolator's Selector)
        options = dataclasses.replace(options, use_selector=True)
    return DimRule(method, udims, options, name, interpolators)


def _parse_params(method: str, params: Mapping[str, Any], field: str) -> NearestOptions | LinearOptions | None:
    values: dict[str, Any] = {}
    kind = _default_options(method)
    for name, value in params.items():
        where = f"{field}.{name}"
        if kind is None:
            if name not in _IGNORED_PARAMS:
                raise PipelineError(f"{method} interpolation param {name}={value!r} is not supported", field=where)
        elif isinstance(kind, LinearOptions):
            if name == "fill_value":
                values[name] = math.nan if value is None else _number(value, where)
            elif name == "fill_nan" and value is False:
                pass
            elif name == "kwargs" and value == {"bounds_error": False}:
                pass
            else:
                raise PipelineError(f"{method} interpolation param {name}={value!r} is not supported", field=where)
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
    if kind is None:
        return None
    return LinearOptions(**values) if isinstance(kind, LinearOptions) else NearestOptions(**values)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PipelineError(f"expected a number, got {value!r}", field=field)
    return float(value)


def _timedelta(value: Any, field: str) -> np.timedelta64:
    from podpac_exec.coordinates.values import _to_delta

    try:
        delta = _to_delta(value, True, field)
    except CoordinatesError as exc:
        message = f"expected a time delta such as '1,D', got {value!r} ({exc.message})"
        raise PipelineError(message, field=field) from None
    return delta  # type: ignore[return-value]
