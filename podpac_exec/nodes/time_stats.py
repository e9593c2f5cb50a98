"""PODPAC's time-grouped reductions: ``GroupReduce``, ``DayOfYear``, ``ResampleReduce``.

The source is evaluated on the request and its ``time`` dim reduced per group (``dayofyear``,
``month``, ``weekofyear``) or per resampling bin (a pandas offset such as ``"MS"``), with
xarray's own groupby/resample reductions as PODPAC 4.0.5 does. The output's ``time`` dim holds
the group labels (numbers) or bin labels (datetimes): ``time`` is resized, so it is never split
across tiles (the planner takes the output's sizes from :meth:`output_coordinates`).
PODPAC's ``custom`` reduce function (a Python callable) cannot be given in JSON: not supported;
``season`` groups have text labels, which PODPAC 4.0.5 itself cannot put in coordinates.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import traitlets as tl

from podpac_exec.errors import CoordinatesError, PipelineError
from podpac_exec.nodes.base import Node, NodeRequirements
from podpac_exec.nodes.stats import BLOCK, nan_segment_sums
from podpac_exec.nodes.traits import NodeTrait
from podpac_exec.nodes.utility import _Algorithm

if TYPE_CHECKING:
    import xarray as xr

    from podpac_exec.coordinates import Coordinates

#: PODPAC's reduce functions (xarray groupby/resample methods), without ``custom``.
REDUCE_FUNCTIONS = ("all", "any", "count", "max", "mean", "median", "min", "prod", "std", "sum", "var")
GROUPS = ("dayofyear", "weekofyear", "month")


class _TimeReduce(_Algorithm):
    inherits_source_style = True

    source = NodeTrait(allow_none=True).tag(attr=True)
    coordinates_source = NodeTrait(allow_none=True).tag(attr=True)
    reduce_fn = tl.Unicode("mean").tag(attr=True)
    custom_reduce_fn = tl.Any(None, allow_none=True).tag(attr=True)

    def __init__(self, **kwargs: Any) -> None:
        # PODPAC's default: the source (so DayOfYear(source=X) writes X as both)
        if kwargs.get("coordinates_source") is None and isinstance(kwargs.get("source"), Node):
            kwargs["coordinates_source"] = kwargs["source"]
        super().__init__(**kwargs)

    def validate(self) -> None:
        name = type(self).__name__
        if self.source is None:
            raise PipelineError(f"{name} needs a source node", field="inputs.source")
        if self.custom_reduce_fn is not None or self.reduce_fn.lower() == "custom":
            raise PipelineError(
                f"{name}.reduce_fn 'custom' takes a Python function, which a pipeline cannot carry; "
                f"use one of {', '.join(REDUCE_FUNCTIONS)}",
                field="attrs.reduce_fn",
            )
        if self.reduce_fn.lower() not in REDUCE_FUNCTIONS:
            raise PipelineError(
                f"{name}.reduce_fn: unknown reduce function {self.reduce_fn!r}; use one of {', '.join(REDUCE_FUNCTIONS)}",
                field="attrs.reduce_fn",
            )

    def requirements(self) -> NodeRequirements:
        return NodeRequirements(reduce_dims=frozenset({"time"}))

    def _grouped(self, x: "xr.DataArray") -> Any:
        """xarray's grouping of ``x`` along time (PODPAC's ``groupby``/``resample`` call)."""
        raise NotImplementedError

    def groups(self, times: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The output's time labels and, per label, the indices of the request times in it.

        The grouping is xarray's (as PODPAC's); the statistics are computed here per group.
        """
        import xarray as xr

        key = (times.dtype.str, times.tobytes())
        cached = self.__dict__.get("_groups_cache")
        if cached is not None and cached[0] == key:
            return cached[1]
        probe = xr.DataArray(np.arange(times.size), coords={"time": times}, dims="time")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # xarray's weekofyear deprecation
            grouped = self._grouped(probe)
            members = {_label_key(k): _as_indices(v, times.size) for k, v in grouped.groups.items()}
            labels = np.asarray(grouped.count()[self.label].values)
        result = labels, [members.get(_label_key(k), np.zeros(0, dtype=np.intp)) for k in labels]
        self.__dict__["_groups_cache"] = (key, result)
        return result

    def _time_labels(self, times: np.ndarray) -> np.ndarray:
        return self.groups(times)[0]

    def _reduce_rows(self, values: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
        """``reduce_fn`` of each group of the last axis (time); ``values`` is C-contiguous."""
        fn = _REDUCERS[self.reduce_fn.lower()]
        out = np.empty(values.shape[:-1] + (len(groups),))
        with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
            warnings.simplefilter("ignore")  # all-NaN groups
            for i, index in enumerate(groups):
                out[..., i] = fn(np.take(values, index, axis=-1))
        return out

    label = "time"

    def _request_times(self, coordinates: "Coordinates") -> np.ndarray:
        if "time" not in coordinates.dims:
            raise CoordinatesError(
                f"{type(self).__name__} needs a 'time' dim in the request, got {coordinates.dims}", field="coordinates"
            )
        times = coordinates["time"].coordinates
        if times.dtype.kind != "M":
            raise CoordinatesError(f"{type(self).__name__} needs datetime time coordinates", field="coordinates")
        return times

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        from podpac_exec.coordinates import ArrayCoordinates1d, Coordinates

        labels = self._time_labels(self._request_times(coordinates))
        members = [ArrayCoordinates1d(labels, name="time") if d == "time" else m for d, m in coordinates.items()]
        return Coordinates(members, crs=coordinates.crs)

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        times = self._request_times(coordinates)
        values, dims = self.source.eval_values(coordinates)
        if "time" not in dims:
            raise PipelineError(f"{type(self).__name__}: the source output has no time dim", field="inputs.source")
        given, values = values, np.asarray(values, dtype=np.float64)
        owned = (self.source.gives_fresh_values() or not np.may_share_memory(values, given)) and values.flags.writeable
        axis = dims.index("time")
        groups = self.groups(times)[1]
        fn = self.reduce_fn.lower()
        if fn in _SEGMENT_REDUCERS:
            out = _segment_reduce(fn, values, axis, groups, owned)
        else:
            # time last and contiguous: each cell's groups reduce as one row, whatever the tile's width
            rows = np.ascontiguousarray(np.moveaxis(values, axis, -1))
            out = np.moveaxis(self._reduce_rows(rows, groups), -1, axis)
        return out.transpose([dims.index(d) for d in coordinates.dims if d in dims])


class GroupReduce(_TimeReduce):
    """``reduce_fn`` over ``time`` per ``groupby`` group (``dayofyear``, ``weekofyear``, ``month``)."""

    podpac_name = "core.algorithm.stats.GroupReduce"
    podpac_aliases = ("algorithm.GroupReduce",)

    groupby = tl.Unicode(None, allow_none=True).tag(attr=True)

    def validate(self) -> None:
        super().validate()
        if self.groupby is None or self.groupby.lower() not in GROUPS:
            raise PipelineError(
                f"{type(self).__name__}.groupby: unknown group {self.groupby!r}; use one of {', '.join(GROUPS)} "
                "('season' gives text labels, which are not supported)",
                field="attrs.groupby",
            )

    @property
    def label(self) -> str:  # type: ignore[override]
        return self.groupby.lower()

    def _grouped(self, x: "xr.DataArray") -> Any:
        return x.groupby(f"time.{self.label}")


class DayOfYear(GroupReduce):
    """``reduce_fn`` over ``time`` per day of year (PODPAC's ``GroupReduce`` with ``groupby`` fixed)."""

    podpac_name = "core.algorithm.stats.DayOfYear"
    podpac_aliases = ("algorithm.DayOfYear",)

    def __init__(self, **kwargs: Any) -> None:
        if kwargs.setdefault("groupby", "dayofyear") != "dayofyear":
            raise PipelineError("DayOfYear.groupby is always 'dayofyear'", field="attrs.groupby")
        super().__init__(**kwargs)

    def _base_definition(self) -> Any:
        d = super()._base_definition()
        d.get("attrs", {}).pop("groupby", None)  # a class constant in PODPAC, not an attr it writes
        return d


class ResampleReduce(_TimeReduce):
    """``reduce_fn`` over ``time`` per resampling bin: ``resample`` is a pandas offset ("MS", "7D")."""

    podpac_name = "core.algorithm.stats.ResampleReduce"
    podpac_aliases = ("algorithm.ResampleReduce",)

    resample = tl.Unicode("").tag(attr=True)

    def validate(self) -> None:
        super().validate()
        import pandas as pd

        try:
            pd.tseries.frequencies.to_offset(self.resample)
        except (ValueError, TypeError):
            raise PipelineError(
                f"ResampleReduce.resample: {self.resample!r} is not a pandas offset such as 'MS' or '7D'",
                field="attrs.resample",
            ) from None

    def _grouped(self, x: "xr.DataArray") -> Any:
        return x.resample(time=self.resample)


def _label_key(label: Any) -> Any:
    value = np.asarray(label)
    return value.astype("datetime64[ns]").item() if value.dtype.kind == "M" else value.item()


def _as_indices(group: Any, size: int) -> np.ndarray:
    if isinstance(group, slice):
        return np.arange(size, dtype=np.intp)[group]
    return np.asarray(group, dtype=np.intp)


#: Reductions computed per group as one ``reduceat`` over contiguous time segments.
_SEGMENT_REDUCERS = ("mean", "sum", "count", "max", "min")


def _segment_reduce(fn: str, values: np.ndarray, axis: int, groups: list[np.ndarray],
                    owned: bool = False) -> np.ndarray:
    """``fn`` of each group of ``values`` along ``axis``, NaN skipped (NaN for an empty group);
    ``owned``: ``values`` may be overwritten.

    The groups' members are laid end to end (no copy when they already are, as resampling bins
    and one year of days are) and each segment is reduced along ``axis`` with one ufunc call:
    each cell's values are accumulated in time order whatever the other dims' sizes, so tiled
    equals untiled exactly.
    """
    shape = list(values.shape)
    shape[axis] = len(groups)
    out = np.full(shape, np.nan)
    if not any(g.size for g in groups):
        return out
    if fn in ("mean", "sum", "count") and axis == 0 and values.size >= 4 * BLOCK and values.flags.c_contiguous \
            and values[0].size >= 2:
        runs = [_runs(g) for g in groups]
        if 8 * sum(map(len, runs)) <= values.shape[0]:  # runs long enough to sum in blocks of rows
            return _blocked_segment_reduce(fn, values, runs, owned)
    order = np.concatenate(groups)
    taken = order.size != values.shape[axis] or bool(np.any(order != np.arange(order.size)))
    if taken:
        values = np.take(values, order, axis=axis)
    nan = np.isnan(values) if fn in ("mean", "sum", "count") else None
    filled = values
    if nan is not None and fn != "count" and nan.any():
        if taken or owned:  # our own copy: zero the NaN in place (only ``filled`` is read from here on)
            np.copyto(filled, 0.0, where=nan)
        else:
            filled = np.where(nan, 0.0, values)
    head: tuple[slice, ...] = (slice(None),) * axis
    start = 0
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, group in enumerate(groups):
            if not group.size:
                continue
            segment = head + (slice(start, start + group.size),)
            start += group.size
            target = out[head + (i,)]
            if fn in ("max", "min"):
                (np.fmax if fn == "max" else np.fmin).reduce(values[segment], axis=axis, out=target)
                continue
            if fn != "count":
                np.add.reduce(filled[segment], axis=axis, out=target)
            if fn != "sum":
                counts = group.size - np.count_nonzero(nan[segment], axis=axis)
                if fn == "count":
                    target[...] = counts
                else:
                    target /= counts
    return out


def _runs(index: np.ndarray) -> list[tuple[int, int]]:
    """``index`` as runs ``(lo, hi)`` of consecutive positions, in its order."""
    if not index.size:
        return []
    cuts = (np.flatnonzero(np.diff(index) != 1) + 1).tolist()
    return [(int(index[a]), int(index[b - 1]) + 1) for a, b in zip([0] + cuts, cuts + [index.size])]


def _blocked_segment_reduce(fn: str, values: np.ndarray, runs: list[list[tuple[int, int]]],
                            owned: bool) -> np.ndarray:
    """:func:`_segment_reduce` of ``mean``/``sum``/``count`` along the first axis of C-contiguous
    ``values`` (the same values), a block of rows at a time on two threads with no whole copy;
    ``owned``: ``values`` may be overwritten."""
    sums, counts = nan_segment_sums(values.reshape(values.shape[0], -1), runs, owned)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = sums / counts if fn == "mean" else sums if fn == "sum" else counts.astype(np.float64)
    out[[not r for r in runs]] = np.nan  # an empty group
    return out.reshape((len(runs),) + values.shape[1:])


def _empty_nan(fn: Callable[..., np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """``fn`` along the last axis, NaN for an empty group (as xarray fills bins without data)."""

    def reduce(a: np.ndarray) -> np.ndarray:
        if a.shape[-1] == 0:
            return np.full(a.shape[:-1], np.nan)
        return fn(a, axis=-1)

    return reduce


#: xarray's NaN-skipping reductions (``skipna`` for floats), along the last axis.
_REDUCERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": _empty_nan(np.nanmean),
    "max": _empty_nan(np.nanmax),
    "min": _empty_nan(np.nanmin),
    "sum": _empty_nan(np.nansum),
    "prod": _empty_nan(np.nanprod),
    "std": _empty_nan(np.nanstd),
    "var": _empty_nan(np.nanvar),
    "median": _empty_nan(np.nanmedian),
    "count": _empty_nan(lambda a, axis: np.sum(~np.isnan(a), axis=axis)),
    "any": _empty_nan(np.any),  # NaN is truthy, as in xarray
    "all": _empty_nan(np.all),
}
