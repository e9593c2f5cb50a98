"""The tile planner: shapes in, tiles out (pure; no coordinates, nodes or backends here).

Tiles form a regular grid over the output (every block the same size but the last along each
dim), which the executor turns into a dask array of one chunk per tile. Dims a node reduces over
are never split; each tile is evaluated with the node's halo (clipped to the request) and cropped,
so the tiled result equals the untiled one.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Iterator, Mapping, Sequence


@dataclass(frozen=True)
class Tile:
    """One piece of a request.

    ``out_index``: the tile's region of the output (output dims). ``eval_index``: the region of
    the request to evaluate (request dims, reduced dims whole, halo included). ``crop``: the part of
    the evaluated result (output dims) that lands in ``out_index``.
    """

    id: int
    block: tuple[int, ...]
    out_index: tuple[slice, ...]
    eval_index: tuple[slice, ...]
    crop: tuple[slice, ...]
    #: where a split tile came from: the parts chosen at each split (``()`` for a planned tile)
    part: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """``5`` for a planned tile, ``5.1.0`` for a part of a split one."""
        return ".".join(map(str, (self.id, *self.part)))

    @property
    def out_shape(self) -> tuple[int, ...]:
        return tuple(s.stop - s.start for s in self.out_index)

    @property
    def eval_shape(self) -> tuple[int, ...]:
        return tuple(s.stop - s.start for s in self.eval_index)


@dataclass(frozen=True)
class TilePlan:
    """The tiles of a request and the regular output grid they form."""

    out_dims: tuple[str, ...]
    out_shape: tuple[int, ...]
    chunks: tuple[tuple[int, ...], ...]
    tiles: tuple[Tile, ...]
    cells_budget: int
    #: what splitting a tile again needs (``adaptive.split_tile``): the request's dims and shape,
    #: the halo per dim, and the dims never split (reduced, resized, or all for a whole request)
    dims: tuple[str, ...] = ()
    shape: tuple[int, ...] = ()
    halo: tuple[tuple[str, int], ...] = ()
    no_split: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return len(self.tiles)

    def __iter__(self) -> Iterator[Tile]:
        return iter(self.tiles)

    @property
    def grid(self) -> tuple[int, ...]:
        return tuple(len(c) for c in self.chunks)


def plan_tiles(
    shape: Sequence[int],
    dims: Sequence[str],
    *,
    itemsize: int = 8,
    max_result_bytes: int,
    concurrency: int = 1,
    reduce_dims: frozenset[str] | set[str] = frozenset(),
    halo: Mapping[str, int] | None = None,
    chunks: Mapping[str, int] | None = None,
    max_eval_cells: int | None = None,
    overhead: float = 1.0,
    out_dims: Sequence[str] | None = None,
    out_shape: Sequence[int] | None = None,
    whole_request: bool = False,
) -> TilePlan:
    """Plan tiles for a request of ``shape`` over ``dims``.

    ``dims`` may be stacked (``"lat_lon"``); a stacked dim is reduced when any of its parts is.
    ``max_result_bytes`` caps one tile's encoded result (``overhead`` multiplies the raw bytes,
    e.g. 4/3 for base64). When the request exceeds one tile, at least ``concurrency`` tiles are
    planned where the output allows it. ``chunks`` (output dim -> chunk length) aligns tile edges
    to a zarr store's chunks. ``max_eval_cells`` caps the cells one tile evaluates (halo and
    reduced dims included), a memory bound for the worker. ``out_dims`` are the dims of the
    node's output (default: ``dims`` without the reduced ones); ``reduce_dims`` are never split,
    even where a node above a reduction broadcasts them back. ``out_shape`` (along ``out_dims``,
    default: the request's sizes) gives the output's sizes where a node resizes a dim (a time
    grouping, a coordinate expansion): such dims are never split and each tile returns them
    whole. ``whole_request`` gives one tile.
    """
    shape = tuple(int(n) for n in shape)
    dims = tuple(dims)
    if len(shape) != len(dims):
        raise ValueError(f"shape {shape} and dims {dims} differ in length")
    halo = dict(halo or {})
    no_split = {d for d in dims if _is_reduced(d, reduce_dims)}
    out_dims = tuple(d for d in dims if d not in no_split) if out_dims is None else tuple(out_dims)
    unknown = [d for d in out_dims if d not in dims]
    if unknown:
        raise ValueError(f"output dims {unknown} are not request dims {dims}")
    in_output = tuple(d in out_dims for d in dims)
    request_sizes = tuple(shape[dims.index(d)] for d in out_dims)
    if out_shape is None:
        out_shape = request_sizes
    out_shape = tuple(int(n) for n in out_shape)
    if len(out_shape) != len(out_dims):
        raise ValueError(f"out_shape {out_shape} and out_dims {out_dims} differ in length")
    no_split |= {d for d, n, m in zip(out_dims, out_shape, request_sizes) if n != m}
    hidden_cells = math.prod(n for n, kept in zip(shape, in_output) if not kept)

    cells_budget = max(1, int(max_result_bytes / (itemsize * overhead)))
    if max_eval_cells is not None:
        cells_budget = max(1, min(cells_budget, max_eval_cells // max(1, hidden_cells)))
    align = [max(1, int((chunks or {}).get(d, 1))) for d in out_dims]
    fixed = [whole_request or d in no_split for d in out_dims]
    blocks = _block_sizes(out_shape, cells_budget, align, fixed)
    if math.prod(out_shape) > cells_budget and concurrency > 1:
        blocks = _split_for_concurrency(out_shape, blocks, align, fixed, concurrency)

    chunk_sizes = tuple(_chunk_lengths(n, b) for n, b in zip(out_shape, blocks))
    tiles = []
    for tile_id, block in enumerate(itertools.product(*(range(len(c)) for c in chunk_sizes))):
        out_index = tuple(
            slice(b * size, min((b + 1) * size, n)) for b, size, n in zip(block, blocks, out_shape)
        )
        tiles.append(_make_tile(tile_id, block, out_index, dims, shape, out_dims, no_split, halo))
    fixed_dims = frozenset(d for d, f in zip(out_dims, fixed) if f) | frozenset(no_split)
    return TilePlan(
        out_dims, out_shape, chunk_sizes, tuple(tiles), cells_budget,
        dims=dims, shape=shape, halo=tuple(sorted((d, _halo_for(d, halo)) for d in dims)), no_split=fixed_dims,
    )


def retile(plan: TilePlan, tile: Tile, out_index: tuple[slice, ...], part: int) -> Tile:
    """A part of ``tile`` covering ``out_index`` of the output, halo and crop as the planner makes them."""
    sub = _make_tile(tile.id, tile.block, out_index, plan.dims, plan.shape, plan.out_dims, plan.no_split, dict(plan.halo))
    return Tile(sub.id, sub.block, sub.out_index, sub.eval_index, sub.crop, part=(*tile.part, part))


def _make_tile(
    tile_id: int,
    block: tuple[int, ...],
    out_index: tuple[slice, ...],
    dims: tuple[str, ...],
    shape: tuple[int, ...],
    out_dims: tuple[str, ...],
    no_split: "set[str] | frozenset[str]",
    halo: Mapping[str, int],
) -> Tile:
    eval_index, crop = [], []
    regions = dict(zip(out_dims, out_index))
    for i, dim in enumerate(dims):
        if dim not in regions:
            eval_index.append(slice(0, shape[i]))
            continue
        region = regions[dim]
        if dim in no_split:  # evaluated whole; its output (perhaps resized) is kept whole
            eval_index.append(slice(0, shape[i]))
            crop.append(region)
            continue
        window, cut = halo_window(region, _halo_for(dim, halo), shape[i])
        eval_index.append(window)
        crop.append(cut)
    return Tile(tile_id, block, out_index, tuple(eval_index), tuple(crop))


def halo_window(region: slice, pad: int, length: int) -> tuple[slice, slice]:
    """The region widened by ``pad`` on each side (clipped to ``length``) and the crop back to it."""
    start, stop = max(0, region.start - pad), min(length, region.stop + pad)
    return slice(start, stop), slice(region.start - start, region.stop - start)


def lower_bound_tiles(out_shape: Sequence[int], itemsize: int, max_result_bytes: int, overhead: float = 1.0) -> int:
    """ceil(result bytes / tile budget): no plan can use fewer tiles."""
    return max(1, math.ceil(math.prod(out_shape) * itemsize * overhead / max_result_bytes))


def _is_reduced(dim: str, reduce_dims: frozenset[str] | set[str]) -> bool:
    return dim in reduce_dims or any(part in reduce_dims for part in dim.split("_"))


def _halo_for(dim: str, halo: Mapping[str, int]) -> int:
    return max([int(halo.get(dim, 0))] + [int(halo.get(part, 0)) for part in dim.split("_")])


def _block_sizes(shape: tuple[int, ...], cells_budget: int, align: list[int], fixed: list[bool]) -> list[int]:
    """Largest blocks that fit the budget, splitting outer dims first (contiguous C-order tiles).

    Blocks along an axis are whole multiples of its alignment (zarr chunks). Walking from the
    outermost splittable axis in, an axis that cannot hold even one aligned unit with the inner
    axes whole is cut to that unit and the next axis is split too; the first axis that can is
    sized together with the next one to give the fewest tiles. ``fixed`` axes are never split,
    even when that exceeds the budget.
    """
    blocks = list(shape)
    axes = [a for a in range(len(shape)) if not fixed[a]]
    if math.prod(shape) <= cells_budget:
        return blocks
    for i, axis in enumerate(axes):
        unit = min(align[axis], shape[axis])
        others = math.prod(blocks) // blocks[axis]
        if unit * others <= cells_budget:
            following = axes[i + 1] if i + 1 < len(axes) else None
            _fewest_tiles(shape, blocks, align, axis, following, cells_budget)
            break
        blocks[axis] = unit
    return blocks


def _fewest_tiles(
    shape: tuple[int, ...], blocks: list[int], align: list[int], axis: int, following: int | None, budget: int
) -> None:
    """Set the blocks of ``axis`` and ``following`` (aligned) to the fewest tiles within ``budget``."""
    unit = min(align[axis], shape[axis])
    rest = math.prod(blocks) // blocks[axis] // (blocks[following] if following is not None else 1)
    best: tuple[int, int, int] | None = None  # (tiles, block, following block)
    for size in _sizes_by_tile_count(shape[axis], unit):
        if following is None:
            if size * rest > budget:
                break
            candidate = (math.ceil(shape[axis] / size), size, 0)
        else:
            room = budget // (size * rest)
            unit_f = min(align[following], shape[following])
            if room < unit_f:
                break
            block_f = min(shape[following], (room // unit_f) * unit_f)
            candidate = (math.ceil(shape[axis] / size) * math.ceil(shape[following] / block_f), size, block_f)
        if best is None or candidate[0] < best[0]:  # ties keep the smaller block: longer contiguous rows
            best = candidate
    if best is not None:
        blocks[axis] = best[1]
        if following is not None:
            blocks[following] = best[2]


def _sizes_by_tile_count(n: int, unit: int) -> Iterator[int]:
    """The smallest block (a multiple of ``unit``, at most ``n``) for each count of blocks along
    an axis of ``n``, largest count first: a larger block with the same count leaves less room
    for the other axes and never gives fewer tiles, so the search need not try it (about
    ``2 * sqrt(n / unit)`` blocks instead of ``n / unit``)."""
    size = min(unit, n)
    while True:
        yield size
        if size >= n:
            return
        count = -(-n // size)
        fewer = -(-n // (count - 1))  # the smallest block giving one block fewer along the axis
        size = min(n, max(size + unit, -(-fewer // unit) * unit))


def _split_for_concurrency(
    shape: tuple[int, ...], blocks: list[int], align: list[int], fixed: list[bool], concurrency: int
) -> list[int]:
    """Shrink blocks along the outermost splittable dims until there are ``concurrency`` tiles."""
    blocks = list(blocks)
    for axis in range(len(shape)):
        if fixed[axis]:
            continue
        count = math.prod(math.ceil(n / b) for n, b in zip(shape, blocks))
        if count >= concurrency:
            break
        others = count // math.ceil(shape[axis] / blocks[axis])
        wanted = math.ceil(concurrency / max(1, others))
        size = _align_down(max(1, math.ceil(shape[axis] / wanted)), align[axis], shape[axis])
        blocks[axis] = min(blocks[axis], size)
    return blocks


def _align_down(size: int, align: int, length: int) -> int:
    if align <= 1:
        return max(1, min(size, length))
    return max(align, (size // align) * align) if length > align else length


def _chunk_lengths(n: int, block: int) -> tuple[int, ...]:
    if n == 0:
        return (0,)
    full, rest = divmod(n, block)
    return (block,) * full + ((rest,) if rest else ())
