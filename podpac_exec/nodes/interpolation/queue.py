"""PODPAC's interpolator queue: which interpolator selects and which interpolates each group of dims.

PODPAC's ``InterpolationManager._select_interpolator_queue`` goes through the rules in order (the
catch-all last, for the source dims not handled yet) and, within a rule, through its interpolators
in order: the first one whose ``can_select`` / ``can_interpolate`` covers all the rule's dims gets
them. The predicates below are PODPAC 4.0.5's, on the source's and the request's coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from podpac_exec.errors import PipelineError
from podpac_exec.nodes.interpolation.definition import INTERPOLATOR_METHODS, DimRule, Interpolation, NearestOptions

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates

_SPATIAL = ("lat", "lon")
#: Interpolators that work on lat and lon only (``dims_supported``); the others take any dim.
_LAT_LON_ONLY = ("RasterioInterpolator", "ScipyPoint", "ScipyGrid")
#: Methods PODPAC's Selector knows (``Selector.supported_methods``).
_SELECTOR_METHODS = ("nearest", "linear", "bilinear", "cubic")


@dataclass(frozen=True)
class Step:
    """One queue entry: ``interpolator`` handles ``udims`` with ``rule``'s method and params."""

    udims: tuple[str, ...]
    interpolator: str
    rule: DimRule


@dataclass(frozen=True)
class _View:
    """What PODPAC's predicates ask of a Coordinates: dims, udims, stacking and uniformity."""

    dims: tuple[str, ...]
    udims: tuple[str, ...]
    stacked: frozenset[str]
    uniform: frozenset[str]

    @classmethod
    def of(cls, coords: "Coordinates") -> "_View":
        from podpac_exec.coordinates import StackedCoordinates

        udims, stacked, uniform = [], set(), set()
        for name, member in coords.items():
            if isinstance(member, StackedCoordinates):
                udims.extend(c.name for c in member)
                stacked.update(c.name for c in member)
            else:
                udims.append(name)
                if member.is_uniform:
                    uniform.add(name)
        return cls(tuple(coords.dims), tuple(udims), frozenset(stacked), frozenset(uniform))


def _supported(interpolator: str, udims: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(d for d in udims if d in _SPATIAL) if interpolator in _LAT_LON_ONLY else udims


def _can_select(interpolator: str, rule: DimRule, udims: tuple[str, ...], src: _View) -> tuple[str, ...]:
    if interpolator == "NoneInterpolator":
        return udims
    if interpolator == "NearestPreview":
        return udims if all(d in src.dims for d in udims) else ()
    if rule.name not in _SELECTOR_METHODS:
        return ()
    if interpolator == "NearestNeighbor" and isinstance(rule.options, NearestOptions) and not rule.options.use_selector:
        return ()
    return _supported(interpolator, udims)


def _can_interpolate(interpolator: str, udims: tuple[str, ...], src: _View, req: _View) -> tuple[str, ...]:
    lat_lon = "lat" in udims and "lon" in udims
    if interpolator in ("NoneInterpolator", "NearestNeighbor", "NearestPreview"):
        return udims
    if interpolator == "XarrayInterpolator":
        if not all(d in src.udims for d in udims) or src.stacked:
            return ()
        return udims
    if interpolator == "RasterioInterpolator":
        both = all(d in c.dims and d in c.uniform for d in _SPATIAL for c in (src, req))
        return udims if lat_lon and both else ()
    in_req = all(d in req.udims for d in _SPATIAL)
    if interpolator == "ScipyPoint":
        unstacked = all(d in src.dims for d in _SPATIAL)
        return _SPATIAL if lat_lon and not unstacked and all(d in src.udims for d in _SPATIAL) and in_req else ()
    if interpolator == "ScipyGrid":
        return _SPATIAL if lat_lon and all(d in src.dims for d in _SPATIAL) and in_req else ()
    raise AssertionError(interpolator)


def build_queue(
    interpolation: Interpolation, source: "Coordinates", request: "Coordinates", kind: str
) -> list[Step]:
    """The queue for ``kind`` "select" (lenient: unhandled dims are not selected) or
    "interpolate" (strict: raises :class:`PipelineError` naming the method, interpolators and dims)."""
    src, req = _View.of(source), _View.of(request)
    source_udims = set(src.udims)
    handled: set[str] = set()
    queue: dict[tuple[str, ...], Step] = {}
    tried: dict[str, DimRule] = {}
    for rule in interpolation.rules:
        udims = rule.udims if rule.udims is not None else tuple(sorted(source_udims - handled))
        tried.update((d, rule) for d in udims)
        for interpolator in rule.interpolators:
            if not udims:
                break
            if rule.name not in INTERPOLATOR_METHODS[interpolator]:
                continue
            if kind == "select":
                can = _can_select(interpolator, rule, udims, src)
            else:
                can = _can_interpolate(interpolator, udims, src, req)
            if not set(udims) - set(can):
                handled |= set(can)
                queue.setdefault(udims, Step(udims, interpolator, rule))
    missing = sorted(source_udims - handled)
    if kind == "interpolate" and missing:
        _unhandled(tried[missing[0]], missing, src)
    return [step for step in queue.values() if source_udims & set(step.udims)]


def _unhandled(rule: DimRule, dims: list[str], src: _View) -> None:
    what = "stacked (point) " if src.stacked & set(dims) else ""
    raise PipelineError(
        f"interpolation method {rule.name!r} with interpolators {list(rule.interpolators)} cannot interpolate "
        f"the {what}source dims {dims} at these coordinates (PODPAC raises InterpolationException)",
        field="attrs.interpolation",
    )
