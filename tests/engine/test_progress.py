"""Progress: counts tiles only, is printed once, and prints plain lines when stderr is not a terminal."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import numpy as np

import podpac_exec as pe
from podpac_exec.engine.progress import LineProgress, NoProgress, make_progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_line_progress_prints_every_interval_and_a_last_line():
    clock, out = Clock(), io.StringIO()
    bar = LineProgress(10, interval_s=5, stream=out, clock=clock)
    for step in range(10):
        clock.now = step * 2.0  # one tile every 2 s
        bar.update(1)
    clock.now = 19.0
    bar.close()
    bar.close()  # closing twice prints once
    lines = out.getvalue().splitlines()
    assert [l.split(",")[0] for l in lines] == ["podpac-exec: 4/10 tiles", "podpac-exec: 7/10 tiles", "podpac-exec: 10/10 tiles"]
    assert lines[-1].endswith("done in 19.0 s") and "ETA" in lines[0]


def test_a_short_run_prints_nothing_in_auto_mode_but_a_line_when_on():
    for mode, expected in (("auto", ""), ("on", "podpac-exec: 3/3 tiles")):
        out = io.StringIO()
        bar = make_progress(mode, 3, stream=out)
        assert isinstance(bar, LineProgress)  # StringIO is not a terminal
        for _ in range(3):
            bar.update(1)
        bar.close()
        assert out.getvalue().startswith(expected) and out.getvalue().count("\n") == (1 if expected else 0)
    assert isinstance(make_progress("off", 100), NoProgress) and isinstance(make_progress("on", 1), NoProgress)


def test_evaluate_counts_exactly_the_tiles_once(capsys):
    """The tile count, not dask's assembly tasks (the bar once showed 0/119 ending at 120)."""
    stats = pe.EvaluationStats()
    coords = pe.Coordinates([pe.clinspace(-60, 60, 20, "lat"), pe.clinspace(-170, 170, 20, "lon")])
    pe.evaluate(pe.nodes.SinCoords(), coords, stats=stats, max_tile_bytes=8 * 40, tiling__progress="on")
    err = capsys.readouterr().err
    assert stats.tiles == 10
    assert re.findall(r"(\d+)/(\d+) tiles", err) == [("10", "10")]


def test_piped_stderr_gets_plain_lines_from_the_cli(tmp_path):
    """stderr to a pipe, `auto`: a line every few seconds (here: a slow pipeline, a 0.2 s interval)."""
    code = (
        "import time, sys, podpac_exec as pe\n"
        "import podpac_exec.engine.progress as p\n"
        "p.LINE_INTERVAL_S = 0.2\n"
        "from podpac_exec.nodes.base import Node\n"
        "class Slow(Node):\n"
        "    def _eval(self, c):\n"
        "        time.sleep(0.15)\n"
        "        return pe.nodes.SinCoords()._eval(c)\n"
        "coords = pe.Coordinates([pe.clinspace(0, 1, 8, 'lat'), pe.clinspace(0, 1, 4, 'lon')])\n"
        "pe.evaluate(Slow(), coords, max_tile_bytes=8 * 4, local__max_workers=1)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.startswith("podpac-exec:")]
    assert len(lines) >= 3 and "\r" not in proc.stderr
    assert lines[-1].startswith("podpac-exec: 8/8 tiles") and lines[-1].endswith(" s")
    done = [int(l.split()[1].split("/")[0]) for l in lines]
    assert done == sorted(done) and np.all(np.diff(done) >= 0)
