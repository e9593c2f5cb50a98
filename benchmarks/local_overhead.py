"""``evaluate()`` on the local backend against the same math written directly in numpy.

The pipeline is ``Arithmetic(A=SinCoords(), B=Arange(), eqn="A + B")`` on a 2048 x 2048 lat/lon
grid (Arange makes it one tile). The baseline computes exactly what the nodes compute, in the
same process: SinCoords is the outer product of ``sin(pi * c / 90)`` over the dims, Arange is
``arange(size).reshape(shape)`` as float64. Both results are checked to be equal before timing.
Runs take turns, round after round, so that machine noise hits both alike; the figure is the
ratio of wall-time medians, and ``detail`` also gives the ratio of thread CPU time (robust to
other processes competing for the cores) and ``node.eval`` without the executor around it.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Callable, Iterator

import numpy as np

from benchmarks.harness import record

NAME = "local_overhead"
SIZE = 2048
ROUNDS = 15
REPEATS = 5


def timed_in_turns(
    fns: dict[str, Callable[[], Any]], rounds: int, repeats: int, cpu_clock: Callable[[], float] = time.thread_time
) -> dict[str, dict[str, float]]:
    """Median over rounds of each function's per-round median wall and CPU seconds.

    Every round runs each function ``repeats`` times, the functions taking turns; one untimed
    warm-up call each comes first.
    """
    for fn in fns.values():
        fn()
    samples: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            walls, cpus = [], []
            for _ in range(repeats):
                w0, c0 = time.perf_counter(), cpu_clock()
                fn()
                walls.append(time.perf_counter() - w0)
                cpus.append(cpu_clock() - c0)
            samples[name]["wall"].append(statistics.median(walls))
            samples[name]["cpu"].append(statistics.median(cpus))
    return {
        name: {clock: statistics.median(values) for clock, values in per_clock.items()}
        for name, per_clock in samples.items()
    }


def ms(seconds: float) -> float:
    return round(seconds * 1e3, 3)


def ratio_record(
    benchmark: str, metric: str, medians: dict[str, dict[str, float]], num: str, den: str, target: str, **detail: Any
) -> dict[str, Any]:
    """The ratio of two wall-time medians, every median (wall and CPU, in ms) in ``detail``."""
    raw = {f"{name}_median_ms": ms(m["wall"]) for name, m in medians.items()}
    raw.update({f"{name}_cpu_median_ms": ms(m["cpu"]) for name, m in medians.items()})
    return record(benchmark, metric, medians[num]["wall"] / medians[den]["wall"], "ratio", target, **raw, **detail)


def run() -> Iterator[dict[str, Any]]:
    import podpac_exec as pe
    from podpac_exec.nodes import Arange, Arithmetic, SinCoords

    coords = pe.Coordinates([pe.clinspace(-45, 45, SIZE, "lat"), pe.clinspace(-90, 90, SIZE, "lon")])
    node = Arithmetic(A=SinCoords(), B=Arange(), eqn="A + B")
    lat, lon = coords["lat"].coordinates, coords["lon"].coordinates

    def numpy_math() -> np.ndarray:
        sin = np.multiply.outer(np.sin(np.pi * lat / 90.0), np.sin(np.pi * lon / 90.0))
        return sin + np.arange(lat.size * lon.size, dtype=np.float64).reshape(lat.size, lon.size)

    def evaluate() -> Any:
        return pe.evaluate(node, coords, backend="local")

    out = evaluate()
    if out.dims != ("lat", "lon") or not np.array_equal(out.values, numpy_math()):
        raise AssertionError("evaluate() and the numpy baseline disagree")
    del out

    medians = timed_in_turns(
        {"evaluate": evaluate, "numpy": numpy_math, "node_eval": lambda: node.eval(coords)}, ROUNDS, REPEATS
    )
    yield ratio_record(
        NAME,
        "evaluate_vs_numpy",
        medians,
        "evaluate",
        "numpy",
        "<= 1.05",
        cpu_ratio=round(medians["evaluate"]["cpu"] / medians["numpy"]["cpu"], 4),
        grid=f"{SIZE}x{SIZE} float64",
        pipeline='Arithmetic(A=SinCoords(), B=Arange(), eqn="A + B")',
        rounds=ROUNDS,
        repeats=REPEATS,
    )
