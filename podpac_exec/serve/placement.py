"""Where a served render runs: on the event loop, or on a worker thread.

A thread hand-off and back costs more than a small tile takes to compute, and renders on several
threads contend for the GIL; but a render on the loop holds up every other request until it
ends. So a pipeline's tiles render on the loop only while they are known to be short and to
wait on nothing:

- short: a moving average of their CPU time (not wall time, which contention inflates) stays
  under ``serve.inline_render_ms``; a pipeline's first render warms up (imports, colour tables)
  and is not counted;
- waiting on nothing: no render read data (``READ_BYTES``), and none that ran on the loop took
  much longer than its CPU time while blocking (a file, a socket: a voluntary context switch,
  where Linux counts them; a render the scheduler preempted did not wait). A pipeline seen
  waiting renders on threads from then on.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from podpac_exec.nodes.opening import READ_BYTES

try:
    from resource import RUSAGE_THREAD, getrusage
except ImportError:  # not Linux: every long on-loop render counts as blocked
    RUSAGE_THREAD = None

RECENT_WEIGHT = 0.25  # of the latest render in a pipeline's moving average
WAIT_SLACK_S = 0.001  # wall time beyond CPU time that is still no wait (scheduling, page faults)


@dataclass
class _PipelineRenders:
    cpu_seconds: float | None = None  # moving average; None until a render after the warm-up
    waits: bool = False


class RenderPlacement:
    """Per-pipeline render costs, and the decision taken from them (thread-safe)."""

    def __init__(self, inline_budget_ms: float) -> None:
        self.inline_budget_s = inline_budget_ms / 1e3
        self._pipelines: dict[str, _PipelineRenders] = {}
        self._lock = threading.Lock()

    def on_loop(self, pipeline: str) -> bool:
        """Whether the pipeline's next render may run on the event loop."""
        found = self._pipelines.get(pipeline)
        if found is None or found.waits or found.cpu_seconds is None:
            return False
        return found.cpu_seconds < self.inline_budget_s

    @contextmanager
    def measuring(self, pipeline: str, on_loop: bool) -> Iterator[None]:
        """Record the render run inside (``on_loop``: on the event loop)."""
        wall, cpu, read, blocks = time.perf_counter(), time.thread_time(), READ_BYTES.total, _blocks()
        yield
        wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
        read_data = READ_BYTES.total != read  # another thread's read counts too: the safe side
        slow = on_loop and wall - cpu > WAIT_SLACK_S + cpu / 2
        blocked = blocks is None or _blocks() != blocks
        self.note(pipeline, cpu, waited=read_data or (slow and blocked))

    def note(self, pipeline: str, cpu_seconds: float, waited: bool = False) -> None:
        with self._lock:
            found = self._pipelines.get(pipeline)
            if found is None:  # the warm-up render: no sample
                self._pipelines[pipeline] = _PipelineRenders(waits=waited)
                return
            found.waits = found.waits or waited
            recent = found.cpu_seconds
            found.cpu_seconds = cpu_seconds if recent is None else recent + (cpu_seconds - recent) * RECENT_WEIGHT


def _blocks() -> int | None:
    """How often this thread has blocked (voluntary context switches; None where unknown)."""
    return None if RUSAGE_THREAD is None else getrusage(RUSAGE_THREAD).ru_nvcsw
