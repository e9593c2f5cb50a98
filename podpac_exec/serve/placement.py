"""Where a served render runs: on the event loop, or on a worker thread.

A thread hand-off and back costs more than a small tile takes to compute, and renders on several
threads contend for the GIL; but a render on the loop holds up every other request until it
ends. So a pipeline's tiles render on the loop only while they are known to be short and to
wait on nothing:

- short: a moving average of their CPU time (not wall time, which contention inflates) stays
  under ``serve.inline_render_ms``; a pipeline's first render warms up (imports, colour tables)
  and is not counted;
- waiting on nothing: no render read data (``READ_BYTES``; such a pipeline renders on threads
  from then on), and none that ran on the loop took much longer than its CPU time while
  blocking (a voluntary context switch, where Linux counts them: a render the scheduler
  preempted did not wait). A pipeline that blocked the loop renders its next ``RETRY_AFTER``
  tiles on threads, twice as many after each new block: what blocked it may have been the GIL,
  held by a large render on a thread.
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
RETRY_AFTER = 64  # renders on threads after a pipeline first blocked the loop
MAX_RETRY_AFTER = 1 << 16


@dataclass
class _PipelineRenders:
    cpu_seconds: float | None = None  # moving average; None until a render after the warm-up
    reads_data: bool = False  # for good
    blocks: int = 0  # times a render blocked the loop
    threads_left: int = 0  # renders to run on threads before the loop is tried again

    def blocked(self) -> None:
        self.blocks += 1
        self.threads_left = min(RETRY_AFTER << (self.blocks - 1), MAX_RETRY_AFTER)


class RenderPlacement:
    """Per-pipeline render costs, and the decision taken from them (thread-safe)."""

    def __init__(self, inline_budget_ms: float) -> None:
        self.inline_budget_s = inline_budget_ms / 1e3
        self._pipelines: dict[str, _PipelineRenders] = {}
        self._lock = threading.Lock()

    def on_loop(self, pipeline: str) -> bool:
        """Whether the pipeline's next render may run on the event loop."""
        found = self._pipelines.get(pipeline)
        if found is None or found.reads_data or found.threads_left or found.cpu_seconds is None:
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
        self.note(pipeline, cpu, read_data=read_data, blocked=slow and (blocks is None or _blocks() != blocks))

    def note(self, pipeline: str, cpu_seconds: float, read_data: bool = False, blocked: bool = False) -> None:
        """Record a render of ``cpu_seconds``; ``read_data``: it read data; ``blocked``: it ran
        on the loop and blocked it."""
        with self._lock:
            found = self._pipelines.get(pipeline)
            warm_up = found is None
            if found is None:
                found = self._pipelines[pipeline] = _PipelineRenders()
            found.reads_data = found.reads_data or read_data
            if blocked:
                found.blocked()
            elif found.threads_left:
                found.threads_left -= 1
            if warm_up:  # the first render: no sample
                return
            recent = found.cpu_seconds
            found.cpu_seconds = cpu_seconds if recent is None else recent + (cpu_seconds - recent) * RECENT_WEIGHT


def _blocks() -> int | None:
    """How often this thread has blocked (voluntary context switches; None where unknown)."""
    return None if RUSAGE_THREAD is None else getrusage(RUSAGE_THREAD).ru_nvcsw
