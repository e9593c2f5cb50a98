"""PODPAC's reductions over ``dims``: Mean, Min, Max, Sum, Variance, StandardDeviation, Count,
Median, Percentile, Skew, Kurtosis.

Semantics follow PODPAC 4.0.5 (xarray's NaN-skipping reductions): ``dims`` None reduces every
requested dim; listed dims absent from the request's dims are ignored (a stacked ``lat_lon`` is
not reduced by ``dims=["lat", "lon"]``); reducing over no dims still applies the statistic
pointwise (StandardDeviation 0, Count 0 or 1). Sum of an all-NaN slice is 0, Mean/Min/Max/
StandardDeviation (ddof 0) give NaN; Count counts finite values.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import traitlets as tl

from podpac_exec.coordinates import VALID_DIMS
from podpac_exec.errors import PipelineError
from podpac_exec.nodes._arrays import align_axes, exact_shape
from podpac_exec.nodes.base import Node, NodeRequirements
from podpac_exec.nodes.parallel import in_two
from podpac_exec.nodes.traits import NodeTrait

if TYPE_CHECKING:
    from podpac_exec.coordinates import Coordinates


Axes = tuple[int, ...]


class Reduce(Node):
    """Base of the reductions (PODPAC's ``Reduce``): ``source`` reduced over ``dims``."""

    inherits_source_style = True

    source = NodeTrait(allow_none=True).tag(attr=True)
    dims = tl.List(tl.Enum(list(VALID_DIMS)), default_value=None, allow_none=True, minlen=1, maxlen=4).tag(
        attr=True
    )

    def __init__(self, **kwargs: Any) -> None:
        if isinstance(kwargs.get("dims"), str):
            kwargs["dims"] = [kwargs["dims"]]
        super().__init__(**kwargs)

    def validate(self) -> None:
        if self.source is None:
            raise PipelineError(f"{type(self).__name__} needs a source node", field="inputs.source")
        if self.dims is not None and len(set(self.dims)) != len(self.dims):
            raise PipelineError(f"{type(self).__name__}.dims lists a dim twice: {self.dims}", field="attrs.dims")

    def reduced_dims(self, coordinates: "Coordinates") -> list[str]:
        """The request dims this node reduces (PODPAC: listed dims that are request dims)."""
        if not self.dims:
            return list(coordinates.dims)
        return [d for d in self.dims if d in coordinates.dims]

    def requirements(self, coordinates: "Coordinates | None" = None) -> NodeRequirements:
        """Reduced dims; exact for a request, else every dim (dims None) or the listed dims."""
        if coordinates is not None:
            return NodeRequirements(reduce_dims=frozenset(self.reduced_dims(coordinates)))
        return NodeRequirements(reduce_dims=frozenset(self.dims or VALID_DIMS))

    def output_coordinates(self, coordinates: "Coordinates") -> "Coordinates":
        return coordinates.drop(self.reduced_dims(coordinates))

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        out = self.output_coordinates(coordinates)
        reduced = self.reduced_dims(coordinates)
        data, dims = self.source.eval_values(coordinates)
        axes = tuple(dims.index(d) for d in reduced if d in dims)
        a = np.asarray(data, dtype=np.float64)
        owned = self.source.gives_fresh_values() or not np.may_share_memory(a, data)  # fresh, or our conversion
        with np.errstate(invalid="ignore", divide="ignore"):
            result = self.reduce_owned(a, axes) if owned and a.flags.writeable else self.reduce(a, axes)
        # a source with fewer dims: PODPAC writes the result into an array on the reduced request
        result = align_axes(np.asarray(result), [d for d in dims if d not in reduced], out.dims)
        return exact_shape(result, out.shape, np.float64)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        """The statistic of float64 ``a`` over ``axes`` (possibly none)."""
        raise NotImplementedError

    def reduce_owned(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        """:meth:`reduce` of an array nothing else holds (it may be overwritten)."""
        return self.reduce(a, axes)


class Mean(Reduce):
    """NaN-skipping mean (NaN where a slice has no value)."""

    podpac_name = "core.algorithm.stats.Mean"
    podpac_aliases = ("algorithm.Mean",)

    def reduce(self, a: np.ndarray, axes: Axes, in_place: bool = False) -> np.ndarray:
        sums = nan_sums(a, axes, in_place)
        if sums is not None:
            return sums[0] / sums[1]
        nan = np.isnan(a)
        if not nan.any():  # the same sums as below (zeros in place of nothing), without the copies
            return np.sum(a, axis=axes) / _cells(a, axes)
        return np.sum(np.where(nan, 0.0, a), axis=axes) / np.sum(~nan, axis=axes, dtype=np.intp)

    def reduce_owned(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        return self.reduce(a, axes, in_place=True)


class Min(Reduce):
    """NaN-skipping minimum."""

    podpac_name = "core.algorithm.stats.Min"
    podpac_aliases = ("algorithm.Min",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        return _nan_extreme(np.fmin, a, axes)


class Max(Reduce):
    """NaN-skipping maximum."""

    podpac_name = "core.algorithm.stats.Max"
    podpac_aliases = ("algorithm.Max",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        return _nan_extreme(np.fmax, a, axes)


class Sum(Reduce):
    """NaN-skipping sum (0 for an all-NaN slice; xarray leaves values alone over no dims)."""

    podpac_name = "core.algorithm.stats.Sum"
    podpac_aliases = ("algorithm.Sum",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        if not axes:
            return a
        nan = np.isnan(a)
        return np.sum(np.where(nan, 0.0, a) if nan.any() else a, axis=axes)


class Variance(Reduce):
    """NaN-skipping population variance (ddof 0), computed as numpy's nanvar does."""

    podpac_name = "core.algorithm.stats.Variance"
    podpac_aliases = ("algorithm.Variance",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        if axes and axes == tuple(range(len(axes))) and a.flags.c_contiguous and a.size:
            var = _leading_variance(a.reshape(_cells(a, axes), -1))
            if var is not None:
                return var.reshape(a.shape[len(axes):])
        nan = np.isnan(a)
        if nan.any():
            arr = np.where(nan, 0.0, a)
            count = np.sum(~nan, axis=axes, dtype=np.intp, keepdims=True)
            arr -= np.sum(arr, axis=axes, keepdims=True) / count
            arr[nan] = 0.0
        else:  # the same values as the masked path, without the mask's passes and the copy
            count = np.full([1 if i in axes else n for i, n in enumerate(a.shape)], _cells(a, axes), dtype=np.intp)
            arr = a - np.sum(a, axis=axes, keepdims=True) / count
        arr *= arr
        count = np.squeeze(count, axis=axes)
        var = np.sum(arr, axis=axes) / count
        return np.where(count > 0, var, np.nan)


def _leading_variance(rows: np.ndarray) -> np.ndarray | None:
    """The variance of each column of 2-D ``rows`` (at least 2 columns) as the masked path
    computes it, or None when a column holds NaN (its sum is NaN: the caller masks instead).

    Each column's sums run down its rows in order, as numpy's do: the column sums in one
    pass, then the squared deviations a block of rows at a time with the sum so far leading
    each block, so no whole-array temporary is made and the values are the same. The two
    halves of the columns of a large array go to two threads."""
    n, m = rows.shape
    if m < 2:  # one column would be summed pairwise
        return None
    width = -(-m // 2) if m >= 4 and rows.size >= 4 * BLOCK else m  # small: no thread handoff
    groups = [(c, min(c + width, m)) for c in range(0, m, width)]
    out = np.empty(m)
    holes: list[bool] = []

    def run(first: int, stop: int) -> None:
        with np.errstate(invalid="ignore", over="ignore"):  # numpy's error state is per thread
            for c0, c1 in groups[first:stop]:
                if not _column_squared_deviations(rows[:, c0:c1], out[c0:c1]):
                    holes.append(True)

    in_two(run, len(groups))
    return None if holes else out / np.intp(n)


def _column_squared_deviations(columns: np.ndarray, out: np.ndarray) -> bool:
    """Each column's sum of squared deviations from its mean, into ``out``; False (``out``
    unset) when a column's sum is NaN."""
    n, width = columns.shape
    total = np.add.reduce(columns, axis=0)
    if np.isnan(total).any():
        return False
    mean = total / np.intp(n)
    slab = max(1, min(n, BLOCK // width))
    buffer = np.empty((slab + 1, width))
    for start in range(0, n, slab):
        stop = min(start + slab, n)
        if start == 0:
            block = deviations = buffer[: stop - start]
        else:  # the sum so far leads the block
            block = buffer[: stop - start + 1]
            block[0] = out
            deviations = block[1:]
        np.subtract(columns[start:stop], mean, out=deviations)
        deviations *= deviations
        np.add.reduce(block, axis=0, out=out)
    return True


class StandardDeviation(Variance):
    """NaN-skipping population standard deviation (ddof 0), computed as numpy's nanstd does."""

    podpac_name = "core.algorithm.stats.StandardDeviation"
    podpac_aliases = ("algorithm.StandardDeviation",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        return np.sqrt(super().reduce(a, axes))


class Count(Reduce):
    """Number of finite values (NaN and +/-inf are not counted).

    A reduction to a single value is int64, as PODPAC stores the integer count directly.
    """

    podpac_name = "core.algorithm.stats.Count"
    podpac_aliases = ("algorithm.Count",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        return np.sum(np.isfinite(a), axis=axes)

    def _eval(self, coordinates: "Coordinates") -> np.ndarray:
        out = super()._eval(coordinates)
        return out.astype(np.int64) if out.shape == () else out


#: Elements per block of a blockwise reduction (its temporaries stay in cache).
BLOCK = 65536
#: numpy's buffer size: a whole contiguous sum adds the pairwise sums of chunks this long, in order.
_SUM_CHUNK = 8192
#: Widest column group of :func:`nan_segment_sums` (blocks keep several rows).
_GROUP_COLUMNS = 8192


def nan_sums(a: np.ndarray, axes: Axes, in_place: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
    """``np.sum(where(isnan(a), 0, a), axes)`` and the counts of non-NaN values, block by block
    (no whole-array temporaries, on two threads when free) with the values of the whole-array
    calls; None when ``a`` is small, not C-contiguous or its layout gives no such blocks.
    ``in_place``: ``a`` may be overwritten (its NaN are zeroed where they lie)."""
    if not axes or a.size < 4 * BLOCK or not a.flags.c_contiguous:
        return None
    if len(axes) == a.ndim:
        if not _flat_sums_agree():
            return None
        total, count = _flat_nan_sum(a.reshape(-1), in_place)
        return np.float64(total), np.intp(count)
    kept = [n for i, n in enumerate(a.shape) if i not in axes]
    if 0 not in axes:  # blocks of whole rows: sub-arrays of the same layout
        return _row_block_sums(a, axes, kept, in_place)
    lead = len(axes)
    if sorted(axes) != list(range(lead)) or int(np.prod(kept)) < 2:
        return None
    rows = a.reshape(_cells(a, axes), -1)
    sums, counts = nan_segment_sums(rows, [[(0, rows.shape[0])]], in_place)
    return sums.reshape(kept), counts.reshape(kept)


def _row_block_sums(a: np.ndarray, axes: Axes, kept: list[int], in_place: bool) -> tuple[np.ndarray, np.ndarray]:
    """:func:`nan_sums` when the first axis is kept: blocks of rows along it."""
    sums, counts = np.empty(kept), np.empty(kept, dtype=np.intp)
    step = max(1, BLOCK * a.shape[0] // a.size)
    starts = range(0, a.shape[0], step)

    def run(first: int, stop: int) -> None:
        with np.errstate(invalid="ignore", divide="ignore"):  # numpy's error state is per thread
            for start in starts[first:stop]:
                block = slice(start, start + step)
                filled, nan = _zero_nan(a[block], in_place)
                np.add.reduce(filled, axis=axes, out=sums[block])
                np.subtract(_cells(filled, axes), np.count_nonzero(nan, axis=axes), out=counts[block])

    in_two(run, len(starts))
    return sums, counts


def nan_segment_sums(rows: np.ndarray, segments: list[list[tuple[int, int]]],
                     in_place: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per segment (runs ``(lo, hi)`` of rows, in order) of C-contiguous 2-D ``rows`` with at least
    2 columns: the NaN-skipping column sums and the non-NaN counts, the sums those of
    ``np.add.reduce(where(isnan, 0, rows[segment rows]), axis=0)``.

    Each column's sum runs down its rows in order, as numpy's does (it loops over columns
    innermost), so a segment is summed a block of rows at a time, the sum so far leading each
    block (0 + s == s: the running sum is never -0.0). Groups of columns go to two threads.
    ``in_place``: ``rows`` may be overwritten, and a segment's first block is summed where it lies.
    """
    width = max(2, min(_GROUP_COLUMNS, -(-rows.shape[1] // 2)))
    groups = [[c, min(c + width, rows.shape[1])] for c in range(0, rows.shape[1], width)]
    if len(groups) > 1 and groups[-1][1] - groups[-1][0] < 2:  # one column would be summed pairwise
        groups[-2][1] = groups.pop()[1]
    sums = np.zeros((len(segments), rows.shape[1]))
    counts = np.empty((len(segments), rows.shape[1]), dtype=np.intp)
    slab = max(1, min(255, BLOCK // width))  # < 256 rows: NaN counted in uint8

    def run(first: int, stop: int) -> None:
        for c0, c1 in groups[first:stop]:
            buffer = np.empty((slab + 1, c1 - c0))
            for i, runs in enumerate(segments):
                total, count = sums[i, c0:c1], counts[i, c0:c1]
                count[...] = sum(hi - lo for lo, hi in runs)
                starts = [(start, hi) for lo, hi in runs for start in range(lo, hi, slab)]
                for n, (start, hi) in enumerate(starts):
                    if in_place and n == 0:  # nothing to carry: numpy's own sum of the block
                        block = values = rows[start:min(start + slab, hi), c0:c1]
                    else:
                        block = buffer[:min(slab, hi - start) + 1]
                        block[0] = total
                        values = block[1:]
                        values[...] = rows[start:start + values.shape[0], c0:c1]
                    nan = np.isnan(values)
                    np.copyto(values, 0.0, where=nan)
                    np.add.reduce(block, axis=0, out=total)
                    count -= np.add.reduce(nan.view(np.uint8), axis=0, dtype=np.uint8)

    in_two(run, len(groups))
    return sums, counts


def _zero_nan(block: np.ndarray, in_place: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``block`` (``in_place``) or a C-contiguous copy, with 0 for NaN (``where(isnan, 0, block)``),
    and the NaN mask."""
    filled = block if in_place else np.array(block, order="C")
    nan = np.isnan(filled)
    np.copyto(filled, 0.0, where=nan)
    return filled, nan


def _flat_nan_sum(flat: np.ndarray, in_place: bool = False) -> tuple[float, int]:
    """``np.sum(where(isnan(flat), 0, flat))`` of contiguous 1-D ``flat`` and its non-NaN count:
    the chunks' pairwise sums computed block by block, then added in order as numpy does."""
    n = flat.size
    chunks = np.empty(-(-n // _SUM_CHUNK))
    per_block = BLOCK // _SUM_CHUNK
    nans = np.zeros(-(-chunks.size // per_block), dtype=np.intp)

    def run(first: int, stop: int) -> None:
        for b in range(first, stop):
            lo = b * per_block * _SUM_CHUNK
            filled, nan = _zero_nan(flat[lo:lo + per_block * _SUM_CHUNK], in_place)
            whole = filled.size // _SUM_CHUNK
            first_chunk = b * per_block
            np.add.reduce(filled[:whole * _SUM_CHUNK].reshape(whole, _SUM_CHUNK), axis=1,
                          out=chunks[first_chunk:first_chunk + whole])
            if filled.size % _SUM_CHUNK:
                chunks[-1] = np.add.reduce(filled[whole * _SUM_CHUNK:])
            nans[b] = np.count_nonzero(nan)

    in_two(run, nans.size)
    total = 0.0
    for value in chunks.tolist():
        total += value
    return total, n - int(nans.sum())


@functools.lru_cache(maxsize=1)
def _flat_sums_agree() -> bool:
    """Whether :func:`_flat_nan_sum` gives numpy's own sum here (it relies on numpy's chunking)."""
    probe = np.sin(np.arange(2 * BLOCK + 3 * _SUM_CHUNK + 5, dtype=np.float64)) * 1e6 + 1e3
    probe[::7] = np.nan
    total, count = _flat_nan_sum(probe)
    nan = np.isnan(probe)
    return total == float(np.sum(np.where(nan, 0.0, probe))) and count == int(np.sum(~nan))


def _cells(a: np.ndarray, axes: Axes) -> int:
    """Cells of ``a`` per output cell when reducing ``axes``."""
    return int(np.prod([a.shape[i] for i in axes], dtype=np.int64))


def _nan_extreme(ufunc: np.ufunc, a: np.ndarray, axes: Axes) -> np.ndarray:
    """numpy's nanmin/nanmax (``fmin``/``fmax`` reductions) without the all-NaN warning."""
    if a.size == 0:
        return np.full(np.delete(a.shape, axes), np.nan)
    return ufunc.reduce(a, axis=axes)


class Median(Reduce):
    """NaN-skipping median (xarray's ``median``, i.e. ``numpy.nanmedian``) of each cell's values."""

    podpac_name = "core.algorithm.stats.Median"
    podpac_aliases = ("algorithm.Median",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        if not axes:
            return a.copy()
        return _per_cell(np.median, a, axes)


class Percentile(Reduce):
    """NaN-skipping ``percentile`` (0..100, default 50) as ``numpy.nanpercentile`` (linear)."""

    podpac_name = "core.algorithm.stats.Percentile"
    podpac_aliases = ("algorithm.Percentile",)

    percentile = tl.Float(50.0).tag(attr=True)

    def validate(self) -> None:
        super().validate()
        if not 0.0 <= self.percentile <= 100.0:
            raise PipelineError(
                f"Percentile.percentile must lie within 0..100, got {self.percentile!r}", field="attrs.percentile"
            )

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        if not axes:
            return a.copy()
        return _per_cell(lambda rows, axis: np.percentile(rows, self.percentile, axis=axis), a, axes)


class Skew(Reduce):
    """``scipy.stats.skew`` (biased, NaN omitted) over the reduced dims flattened together."""

    imports = ("scipy",)

    podpac_name = "core.algorithm.stats.Skew"
    podpac_aliases = ("algorithm.Skew",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        import scipy.stats

        return _per_cell(scipy.stats.skew, a, axes)


class Kurtosis(Reduce):
    """``scipy.stats.kurtosis`` (Fisher, biased, NaN omitted) over the reduced dims flattened together."""

    imports = ("scipy",)

    podpac_name = "core.algorithm.stats.Kurtosis"
    podpac_aliases = ("algorithm.Kurtosis",)

    def reduce(self, a: np.ndarray, axes: Axes) -> np.ndarray:
        import scipy.stats

        return _per_cell(scipy.stats.kurtosis, a, axes)


def _per_cell(statistic: Any, a: np.ndarray, axes: Axes) -> np.ndarray:
    """``statistic(rows, axis=-1)`` of each output cell's non-NaN values, the reduced axes flattened.

    The values of one cell are a contiguous row (reduced axes last). Rows with the same number
    of non-NaN values are compressed together into one batch (row order kept), so a statistic
    runs once per distinct count instead of once per cell (numpy's nanmedian and scipy's
    nan_policy="omit" loop over cells), and each cell's result does not depend on which other
    cells are computed with it: tiled equals untiled to the bit. PODPAC flattens the reduced
    axes in the same order (``Reduce._reshape``); a cell with no value is NaN.
    """
    rest = [i for i in range(a.ndim) if i not in axes]
    moved = np.ascontiguousarray(a.transpose(rest + list(axes)))
    rows = moved.reshape(-1, int(np.prod([a.shape[i] for i in axes], dtype=np.int64)))
    out = np.full(rows.shape[0], np.nan)
    valid = ~np.isnan(rows)
    counts = valid.sum(axis=1)
    for n in np.unique(counts):
        if n == 0:
            continue
        index = np.flatnonzero(counts == n)
        batch = rows[index] if n == rows.shape[1] else rows[index][valid[index]].reshape(index.size, n)
        out[index] = _quiet(statistic, batch, axis=-1)
    return out.reshape([a.shape[i] for i in rest])


def _quiet(function: Any, *args: Any, **kwargs: Any) -> np.ndarray:
    """``function(*args, **kwargs)`` as a plain array, without the all-NaN/small-sample warnings."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(function(*args, **kwargs), dtype=np.float64)
