"""podpac-exec against PODPAC 4.0.5 on every node type both have, side by side in one run.

Each case (``benchmarks/_vs_podpac_cases.py``) is one PODPAC JSON pipeline and request. PODPAC
evaluates it in its own venv (``make podpac-venv``; ``benchmarks/_podpac_side.py``, a subprocess
that evaluates one case per request and writes its values) and ``podpac_exec.evaluate()`` the
same JSON here, taking turns run by run so both see the same load on a shared machine. Values
must agree (allclose, NaN equal; PODPAC values broadcast over dims it drops) or the case is a
failed record. Figures: per case ``<case>_speedup`` (PODPAC's best-of-N wall seconds over ours;
process CPU seconds in detail), and ``speedup_vs_podpac_min`` with the case it belongs to, the
failed cases and the per-case table.

``VS_PODPAC_REPEATS`` (default 5) sets N; ``VS_PODPAC_CASES`` (comma-separated names) a subset.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from benchmarks._vs_podpac_cases import SKIPPED, all_cases, node_types, write_files
from benchmarks.harness import record

NAME = "vs_podpac"
ROOT = Path(__file__).resolve().parents[1]
PODPAC_PYTHON = ROOT / "build" / "podpac-venv" / "bin" / "python"
TARGET = ">= 2"
RTOL, ATOL = 1e-9, 1e-9
# scipy statistics differ between scipy versions in the last bits (PODPAC's venv pins its own)
LOOSE = {"Skew": 1e-6, "Kurtosis": 1e-6, "BetaFitDayOfYear": 1e-6}


def podpac_python() -> Path:
    """PODPAC's venv, made with ``make podpac-venv`` when it is missing."""
    if not PODPAC_PYTHON.exists() or not (PODPAC_PYTHON.parent.parent / ".installed").exists():
        print("vs_podpac: PODPAC 4.0.5's venv is missing; running `make podpac-venv` (a few minutes)", file=sys.stderr)
        done = subprocess.run(["make", "-C", str(ROOT), "podpac-venv"], stdout=sys.stderr, check=False)
        if done.returncode != 0:
            raise RuntimeError("`make podpac-venv` failed; it needs Python 3.12 (~/.pyenv/versions/3.12.*) and PyPI")
    return PODPAC_PYTHON


class PodpacSide:
    """PODPAC's venv evaluating cases on request (``benchmarks/_podpac_side.py``)."""

    def __init__(self, cases: list[dict[str, Any]], folder: Path) -> None:
        path = folder / "cases.json"
        path.write_text(json.dumps([{k: c[k] for k in ("name", "pipeline", "coordinates")} for c in cases]))
        self.folder = folder
        script = ROOT / "benchmarks" / "_podpac_side.py"
        self.process = subprocess.Popen([str(podpac_python()), str(script), str(path), str(folder)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def evaluate(self, name: str, save: bool = False) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"name": name, "save": save}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"PODPAC's side stopped (exit code {self.process.poll()})")
        return json.loads(line)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def timed_in_turns(podpac: PodpacSide, case: dict[str, Any], repeats: int) -> tuple[dict[str, Any], Any, dict[str, list[float]]]:
    """PODPAC's first reply (values saved), our last output and both sides' wall/CPU seconds, the
    two evaluating in turns."""
    import podpac_exec as pe

    node = pe.Node.from_definition(case["pipeline"])
    coords = pe.Coordinates.from_definition(case["coordinates"])
    times: dict[str, list[float]] = {"podpac": [], "podpac_cpu": [], "ours": [], "ours_cpu": []}
    first: dict[str, Any] = {}
    out = None
    for i in range(repeats):
        reply = podpac.evaluate(case["name"], save=i == 0)
        if "error" in reply:
            return reply, None, times
        first = first or reply
        times["podpac"].append(reply["seconds"])
        times["podpac_cpu"].append(reply["cpu"])
        start, cpu = time.perf_counter(), time.process_time()
        out = pe.evaluate(node, coords, backend="local")
        times["ours"].append(time.perf_counter() - start)
        times["ours_cpu"].append(time.process_time() - cpu)
    return first, out, times


def disagreement(ours: Any, theirs: np.ndarray, dims: list[str], rtol: float, atol: float = ATOL) -> str | None:
    """Why ``ours`` (a DataArray) and PODPAC's values differ, or None when they agree."""
    import xarray as xr

    if any(d not in ours.dims for d in dims):
        return f"PODPAC has dims {dims}, ours {list(ours.dims)}"
    expected = xr.DataArray(theirs, dims=dims)
    try:
        expected = expected.broadcast_like(xr.DataArray(np.empty(ours.shape), dims=ours.dims)).transpose(*ours.dims)
    except ValueError as exc:
        return f"shapes differ: PODPAC {theirs.shape} {dims}, ours {ours.shape} {list(ours.dims)}: {exc}"
    if expected.shape != ours.shape:
        return f"shapes differ: PODPAC {theirs.shape}, ours {ours.shape}"
    try:
        np.testing.assert_allclose(ours.values, expected.values, rtol=rtol, atol=atol, equal_nan=True)
    except AssertionError as exc:
        return " ".join(str(exc).split())[:300]
    return None


def compare(podpac: PodpacSide, c: dict[str, Any], folder: Path, repeats: int) -> tuple[dict[str, Any], dict | None]:
    """One case's record, and its table row (None when a side failed)."""
    metric = f"{c['name']}_speedup"
    detail: dict[str, Any] = {"node_type": c["node_type"], "nodes": sorted(node_types(c["pipeline"]))}
    try:
        theirs, ours, times = timed_in_turns(podpac, c, repeats)
    except Exception as exc:  # noqa: BLE001 - a failing case is a failed record
        return record(NAME, metric, 0, "x", TARGET, status="failed", error=f"{type(exc).__name__}: {exc}"[:300],
                      **detail), None
    if "error" in theirs:
        return record(NAME, metric, 0, "x", TARGET, status="failed", podpac_error=theirs["error"], **detail), None
    values = np.load(folder / f"{c['name']}.npy")
    atol = ATOL
    if c["node_type"] == "Convolution" and np.isfinite(values).any():
        # PODPAC convolves NaN-free data by FFT ("auto"): noise of ~1e-14 x the magnitude
        atol = max(ATOL, 1e-12 * float(np.nanmax(np.abs(values[np.isfinite(values)]))))
    why = disagreement(ours, values, theirs["dims"], LOOSE.get(c["node_type"], RTOL), atol)
    p_s, o_s = min(times["podpac"]), min(times["ours"])
    row = {"case": c["name"], "podpac_s": round(p_s, 4), "ours_s": round(o_s, 4), "speedup": round(p_s / o_s, 2),
           "cpu_speedup": round(min(times["podpac_cpu"]) / max(min(times["ours_cpu"]), 1e-9), 2)}
    if values.size != ours.size:  # PODPAC left out dims we broadcast over (CoordData): not the same output
        row["podpac_cells"], row["ours_cells"] = int(values.size), int(ours.size)
    if why:
        row["status"] = "values differ"
        return record(NAME, metric, 0, "x", TARGET, disagreement=why, **row, **detail), row
    return record(NAME, metric, p_s / o_s, "x", TARGET, status="ok", **row, **detail), row


def run() -> Iterator[dict[str, Any]]:
    repeats = int(os.environ.get("VS_PODPAC_REPEATS", "5"))
    wanted = {n for n in os.environ.get("VS_PODPAC_CASES", "").split(",") if n}
    with tempfile.TemporaryDirectory(prefix="vs_podpac_") as tmp:
        folder = Path(tmp)
        skipped = {**SKIPPED, **write_files(folder / "files")}
        cases = [c for c in all_cases(folder / "files") if (not wanted or c["name"] in wanted)
                 and not node_types(c["pipeline"]) & set(skipped)]
        podpac = PodpacSide(cases, folder)
        table = []
        try:
            for c in cases:
                rec, row = compare(podpac, c, folder, repeats)
                yield rec
                if row:
                    table.append(row)
        finally:
            podpac.close()
    ok = [r for r in table if "status" not in r]
    if ok:
        worst = min(ok, key=lambda r: r["speedup"])
        failed = [c["name"] for c in cases if c["name"] not in {r["case"] for r in ok}]
        yield record(NAME, "speedup_vs_podpac_min", worst["speedup"], "x", TARGET, case=worst["case"],
                     repeats=repeats, failed=failed, skipped=skipped, table=table)


if __name__ == "__main__":
    for rec in run():
        print(json.dumps(rec), flush=True)
