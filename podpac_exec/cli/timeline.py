"""``--timeline t.png``: when each tile ran, one bar per tile evaluation, cold starts marked.

Bars come from ``TileRecord.started``/``seconds``; a tile is a cold start when its record says so
(``extra["cold_start"]``, set by batch jobs) or when an invocation report with ``cold_start``
names its tile id (``report["tile"]``). Cold starts that name no tile are counted in the title. A run of the adaptive fan-out also draws
the calls in flight and the AIMD window over time (``EvaluationStats.concurrency_samples``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any


if TYPE_CHECKING:
    from podpac_exec.engine.stats import EvaluationStats


@dataclass(frozen=True)
class TimelineBar:
    """One tile evaluation: seconds after the first start, duration, lane (concurrency slot)."""

    start: float
    seconds: float
    lane: int
    cold_start: bool
    ok: bool


def add_timeline_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--timeline PNG`` to a subcommand (draw with :func:`draw_timeline` afterwards)."""
    parser.add_argument(
        "--timeline", metavar="PNG", default=None,
        help="draw when each tile ran (cold starts marked) to a PNG file",
    )


def timeline_bars(stats: "EvaluationStats") -> tuple[list[TimelineBar], int]:
    """The bars to draw and the number of cold starts that could not be tied to a tile."""
    records = sorted(stats, key=lambda r: r.started)
    cold_tiles = {inv.get("tile") for inv in stats.invocations if inv.get("cold_start") and inv.get("tile") is not None}
    t0 = records[0].started if records else 0.0
    lane_ends: list[float] = []
    bars = []
    linked = 0
    for rec in records:
        start = rec.started - t0
        lane = next((i for i, end in enumerate(lane_ends) if end <= start + 1e-6), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(0.0)
        lane_ends[lane] = start + rec.seconds
        cold = bool(rec.extra.get("cold_start")) or getattr(rec.tile, "id", None) in cold_tiles
        linked += cold
        bars.append(TimelineBar(start, rec.seconds, lane, cold, rec.ok))
    total_cold = sum(1 for inv in stats.invocations if inv.get("cold_start"))
    return bars, max(0, total_cold - linked)


def in_flight_series(stats: "EvaluationStats") -> tuple[list[float], list[int], list[float]]:
    """Seconds, calls in flight and the AIMD window at each change (the adaptive fan-out's samples)."""
    samples = list(stats.concurrency_samples)
    return [s[0] for s in samples], [s[1] for s in samples], [s[2] for s in samples]


def draw_in_flight(ax: Any, stats: "EvaluationStats") -> None:
    """The in-flight count over time (and the window allowing it) on a second y axis."""
    times, in_flight, window = in_flight_series(stats)
    if not times:
        return
    twin = ax.twinx()
    twin.step(times, in_flight, where="post", color="black", linewidth=0.9, label="in flight")
    twin.step(times, window, where="post", color="tab:green", linewidth=0.9, linestyle="--", label="AIMD window")
    twin.set_ylabel("calls in flight")
    twin.set_ylim(0, max(max(window), max(in_flight)) * 1.1 + 0.5)
    twin.legend(loc="upper left", fontsize=8)


def draw_timeline(stats: "EvaluationStats", path: str | Path, title: str | None = None) -> Path:
    """Write a PNG of the tiles' run times: one row per concurrency lane, cold starts highlighted."""
    from podpac_exec.cli.plotting import pyplot, save_figure

    plt = pyplot("--timeline")
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    bars, unlinked = timeline_bars(stats)
    lanes = max((b.lane for b in bars), default=0) + 1
    fig, ax = plt.subplots(figsize=(9, max(2.5, min(12, 1.2 + 0.25 * lanes))), dpi=100)
    colours = {"tile": "tab:blue", "cold start": "tab:orange", "failed": "tab:red"}
    used = set()
    for bar in bars:
        kind = "failed" if not bar.ok else "cold start" if bar.cold_start else "tile"
        used.add(kind)
        ax.barh(bar.lane, max(bar.seconds, 1e-3), left=bar.start, height=0.8, color=colours[kind], edgecolor="white", linewidth=0.3)
    draw_in_flight(ax, stats)
    if not bars:
        ax.text(0.5, 0.5, "no tile ran", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("seconds since the first tile started")
    ax.set_ylabel("lane (tiles running at once)")
    ax.set_ylim(-0.6, lanes - 0.4)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if used:
        ax.legend(handles=[Patch(color=colours[k], label=k) for k in colours if k in used], loc="upper right", fontsize=8)
    cold = sum(b.cold_start for b in bars) + unlinked
    default = f"{len(bars)} tiles, {lanes} lanes, {cold} cold starts"
    if unlinked:
        default += f" ({unlinked} not tied to a tile)"
    ax.set_title(title or default)
    return save_figure(fig, path)
