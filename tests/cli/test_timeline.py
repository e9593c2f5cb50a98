"""The tile timeline: lanes of concurrent tiles, cold starts tied to tiles, a PNG out."""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.image
import pytest

import podpac_exec as pe
from podpac_exec.engine.stats import TileRecord
from podpac_exec.engine.tiling import Tile
from podpac_exec.cli.timeline import add_timeline_argument, draw_timeline, timeline_bars


def tile(i: int) -> Tile:
    return Tile(i, (i,), (slice(i, i + 1),), (slice(i, i + 1),), (slice(0, 1),))


def lambda_like_stats() -> pe.EvaluationStats:
    """Four tiles at concurrency 2: tiles 0 and 1 are cold starts, tile 3 failed."""
    stats = pe.EvaluationStats()
    for i, (start, seconds, ok) in enumerate([(100.0, 2.0, True), (100.1, 2.5, True), (102.1, 0.3, True), (102.7, 0.2, False)]):
        stats.add(TileRecord(backend="aws_lambda", cells=10, seconds=seconds, started=start, ok=ok, tile=tile(i)))
    for i in range(4):
        stats.add_invocation({"billed_ms": 300, "memory_mb": 1024, "cold_start": i < 2, "tile": i})
    stats.add_invocation({"billed_ms": 300, "memory_mb": 1024, "cold_start": True})  # names no tile
    return stats


def test_bars_lanes_and_cold_starts() -> None:
    bars, unlinked = timeline_bars(lambda_like_stats())
    assert [round(b.start, 3) for b in bars] == [0.0, 0.1, 2.1, 2.7]
    assert [b.lane for b in bars] == [0, 1, 0, 0]  # first free lane: tiles 2 and 3 reuse lane 0
    assert [b.cold_start for b in bars] == [True, True, False, False]
    assert [b.ok for b in bars] == [True, True, True, False]
    assert unlinked == 1


def test_record_flag_marks_cold_start() -> None:
    stats = pe.EvaluationStats()
    stats.add(TileRecord(backend="x", cells=1, seconds=1.0, started=5.0, ok=True, extra={"cold_start": True}))
    bars, unlinked = timeline_bars(stats)
    assert bars[0].cold_start and unlinked == 0


def test_draw_writes_a_png(tmp_path: Path) -> None:
    with pytest.raises(pe.PodpacExecError, match="does not exist"):  # folders are not created
        draw_timeline(lambda_like_stats(), tmp_path / "sub" / "timeline.png")
    assert not (tmp_path / "sub").exists()
    path = draw_timeline(lambda_like_stats(), tmp_path / "timeline.png")
    image = matplotlib.image.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 600
    empty = draw_timeline(pe.EvaluationStats(), tmp_path / "empty.png")
    assert empty.stat().st_size > 0


def test_argument() -> None:
    parser = argparse.ArgumentParser()
    add_timeline_argument(parser)
    assert parser.parse_args(["--timeline", "t.png"]).timeline == "t.png"
    assert parser.parse_args([]).timeline is None


def test_the_in_flight_series_comes_from_the_fanouts_samples(tmp_path):
    from podpac_exec.cli.timeline import draw_timeline, in_flight_series
    from podpac_exec.engine.stats import EvaluationStats

    stats = EvaluationStats()
    stats.concurrency_samples.extend([(0.0, 0, 8.0), (0.1, 8, 8.0), (0.2, 7, 4.0), (0.5, 0, 4.5)])
    assert in_flight_series(stats) == ([0.0, 0.1, 0.2, 0.5], [0, 8, 7, 0], [8.0, 8.0, 4.0, 4.5])
    assert draw_timeline(stats, tmp_path / "t.png").stat().st_size > 0
