"""Split-on-limit: a tile that ran out of memory or time is cut in two and its parts run again.

Backends say which failures are limits (:meth:`Backend.failure_kind`); this module only decides
how to split. A part keeps the planner's rules: reduced (and resized) dims are never split, each
part is evaluated with its halo and cropped, so the assembled result equals the unsplit one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from podpac_exec.engine.tiling import Tile, TilePlan, retile
from podpac_exec.errors import TileEvaluationError

#: Failure kinds a backend may report (``Backend.failure_kind``).
MEMORY = "memory"
TIME = "time"
THROTTLE = "throttle"
LIMIT_KINDS = (MEMORY, TIME)
_LIMIT_NAMES = {MEMORY: "memory limit", TIME: "time limit"}


@dataclass(frozen=True)
class SplitPolicy:
    """Split limit failures (``adaptive.split_on_limit``) until a part has ``min_tile_cells`` output cells."""

    enabled: bool = True
    min_tile_cells: int = 1

    @classmethod
    def from_settings(cls, settings: "object") -> "SplitPolicy":
        return cls(
            enabled=bool(settings["adaptive.split_on_limit"]),  # type: ignore[index]
            min_tile_cells=int(settings["adaptive.min_tile_cells"]),  # type: ignore[index]
        )


class TileLimitError(TileEvaluationError):
    """A tile hit a backend limit and could not be split further; names the tile and the limit."""

    def __init__(self, message: str, *, tile: Tile, kind: str, cause: BaseException | None = None) -> None:
        super().__init__(message, tile=tile, cause=cause)
        self.kind = kind


def split_tile(plan: TilePlan, tile: Tile, policy: SplitPolicy) -> list[Tile]:
    """Two parts of ``tile`` halving its longest splittable output dim; ``[]`` at the floor."""
    sizes = tile.out_shape
    if not policy.enabled or math.prod(sizes) <= policy.min_tile_cells:
        return []
    candidates = [(n, i) for i, (dim, n) in enumerate(zip(plan.out_dims, sizes)) if dim not in plan.no_split and n >= 2]
    if not candidates:
        return []
    _, axis = max(candidates)  # the longest; ties: the innermost (contiguous rows stay whole longer)
    region = tile.out_index[axis]
    middle = region.start + (region.stop - region.start) // 2
    parts = []
    for k, piece in enumerate((slice(region.start, middle), slice(middle, region.stop))):
        out_index = tile.out_index[:axis] + (piece,) + tile.out_index[axis + 1 :]
        parts.append(retile(plan, tile, out_index, k))
    return parts


def limit_error(tile: Tile, kind: str, where: str, cause: BaseException, policy: SplitPolicy) -> TileLimitError:
    """The one-line report of a tile that hit ``kind`` at the split floor."""
    why = (
        "splitting is off (adaptive.split_on_limit)"
        if not policy.enabled
        else f"it cannot be split further (adaptive.min_tile_cells={policy.min_tile_cells})"
    )
    return TileLimitError(
        f"tile {tile.label} ({where}) hit the {_LIMIT_NAMES.get(kind, kind)} and {why}: {cause}",
        tile=tile,
        kind=kind,
        cause=cause,
    )
