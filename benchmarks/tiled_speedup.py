"""Tiles on two worker threads against one untiled evaluation, local backend, 4096 x 4096.

The pipeline is compute-heavy and tileable (no Arange): an Arithmetic of several transcendental
functions of SinCoords and two CoordData inputs. Untiled: one tile on one thread
(``max_tile_bytes`` huge, ``local.max_workers=1``, which also keeps big array operations off the
helper thread). Tiled: ``max_tile_bytes`` of 16 MB (8 tiles of the 128 MB result, 4 per worker)
on ``local.max_workers=2``. ``detail`` also times the untiled call with the default workers,
where the expression's blocks already share the helper thread (``untiled_helper``). numpy releases the GIL inside ufuncs, so the threads can
scale. The results are checked to be equal first. ``detail`` also gives the same tiles on one
worker (what tiling alone changes), process CPU times, how well two plain numpy threads scale on
this machine in the same run, and the ceiling of this very workload on two threads: its two
halves evaluated untiled at once against one after the other, with no tiling machinery at all
(``workload_two_thread_ceiling``; every ufunc call hands the GIL over, so an expression of many
operations scales less than one long ufunc).
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

import numpy as np

from benchmarks.local_overhead import ratio_record, timed_in_turns

NAME = "tiled_speedup"
SIZE = 4096
TILE_BYTES = 16 * 2**20
ROUNDS = 5
EQN = (
    "sin(A * B) * cos(C) + exp(-abs(A)) * arctan2(B, C) + log1p(B * B + C * C)"
    " + tanh(A + C) * cosh(A) + arcsinh(B * C)"
)


def two_thread_speedup(work: Callable[[Any], None], parts: tuple[Any, Any], repeats: int) -> float:
    """Wall-time speedup of ``work`` on both ``parts`` on two threads at once over one after the other."""

    def serial() -> None:
        for part in parts:
            work(part)

    def threaded() -> None:
        threads = [threading.Thread(target=work, args=(part,)) for part in parts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    medians = timed_in_turns({"serial": serial, "threads": threaded}, repeats, 1)
    return medians["serial"]["wall"] / medians["threads"]["wall"]


def two_thread_scaling(size: int = 2**23, repeats: int = 3) -> float:
    """Speedup of two threads over one for the same numpy ufunc work (1.0 to 2.0 on two cores)."""

    def work(x: np.ndarray) -> None:
        np.exp(np.sin(x))

    return two_thread_speedup(work, (np.linspace(0, 1, size), np.linspace(1, 2, size)), repeats)


def workload_two_thread_ceiling(node: Any, coords: Any, repeats: int = 5) -> float:
    """Speedup of the two halves of ``coords`` evaluated by ``node`` on two threads at once over
    one after the other, on this thread alone each (no helper thread, no tiles)."""
    from podpac_exec.nodes.parallel import one_thread

    def half(c: Any) -> None:
        with one_thread():
            node.eval_values(c)

    return two_thread_speedup(half, (coords[: coords.shape[0] // 2], coords[coords.shape[0] // 2 :]), repeats)


def run() -> Iterator[dict[str, Any]]:
    import podpac_exec as pe
    from podpac_exec.nodes import Arithmetic, CoordData, SinCoords
    from podpac_exec.engine.stats import EvaluationStats

    coords = pe.Coordinates([pe.clinspace(-45, 45, SIZE, "lat"), pe.clinspace(-90, 90, SIZE, "lon")])
    node = Arithmetic(A=SinCoords(), B=CoordData(coord_name="lat"), C=CoordData(coord_name="lon"), eqn=EQN)
    configs = {
        "untiled": {"max_tile_bytes": 2**50, "local__max_workers": 1},
        "tiled": {"max_tile_bytes": TILE_BYTES, "local__max_workers": 2},
        "tiled_one_worker": {"max_tile_bytes": TILE_BYTES, "local__max_workers": 1},
        "untiled_helper": {"max_tile_bytes": 2**50, "local__max_workers": 0},
    }
    tiles: dict[str, int] = {}

    def evaluator(name: str) -> Callable[[], Any]:
        def evaluate() -> Any:
            stats = EvaluationStats()
            out = pe.evaluate(node, coords, backend="local", stats=stats, tiling__progress="off", **configs[name])
            tiles[name] = stats.tiles
            return out

        return evaluate

    fns = {name: evaluator(name) for name in configs}
    untiled, tiled = fns["untiled"]().values, fns["tiled"]().values
    if not np.array_equal(untiled, tiled):
        raise AssertionError("tiled and untiled results differ")
    del untiled, tiled

    scaling = two_thread_scaling()
    ceiling = workload_two_thread_ceiling(node, coords)
    medians = timed_in_turns(fns, ROUNDS, 1, cpu_clock=time.process_time)
    yield ratio_record(
        NAME,
        "tiled_speedup",
        medians,
        "untiled",
        "tiled",
        ">= 1.9",
        tiled_vs_untiled_helper=round(medians["untiled_helper"]["wall"] / medians["tiled"]["wall"], 4),
        thread_speedup=round(medians["tiled_one_worker"]["wall"] / medians["tiled"]["wall"], 4),
        machine_two_thread_numpy_speedup=round(scaling, 4),
        workload_two_thread_ceiling=round(ceiling, 4),
        tiles={name: tiles[name] for name in configs},
        max_tile_bytes=TILE_BYTES,
        grid=f"{SIZE}x{SIZE} float64",
        eqn=EQN,
        rounds=ROUNDS,
    )
