"""RenderPlacement: a pipeline renders on the event loop only while its renders are known short
(CPU time, after a warm-up) and waiting on nothing."""

from __future__ import annotations

import time

from podpac_exec.nodes.opening import READ_BYTES
from podpac_exec.serve.placement import RETRY_AFTER, RenderPlacement


def test_nothing_renders_on_the_loop_before_a_sample_after_the_warm_up():
    placement = RenderPlacement(5.0)
    assert not placement.on_loop("p")
    placement.note("p", 2.0)  # the first render (imports, colour tables): not a sample
    assert not placement.on_loop("p")
    placement.note("p", 0.001)
    assert placement.on_loop("p")
    assert not placement.on_loop("other")  # per pipeline


def test_the_average_of_cpu_time_decides():
    placement = RenderPlacement(5.0)
    for seconds in (1.0, 0.001, 0.1):  # one slow tile: the average is 26 ms
        placement.note("p", seconds)
    assert not placement.on_loop("p")
    for _ in range(12):
        placement.note("p", 0.001)
    assert placement.on_loop("p")
    zero = RenderPlacement(0.0)
    zero.note("p", 1.0)
    zero.note("p", 0.0)
    assert not zero.on_loop("p")  # serve.inline_render_ms = 0: never


def _busy(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_render_that_blocked_the_loop_sends_the_pipeline_to_threads_for_a_while():
    placement = RenderPlacement(50.0)
    for _ in range(2):  # not measured: a loaded machine may preempt a short render too
        placement.note("p", 0.002)
    assert placement.on_loop("p")
    with placement.measuring("p", on_loop=True):
        time.sleep(0.03)  # a read from a socket or a file: wall time far above CPU time, blocked
    for _ in range(RETRY_AFTER):
        assert not placement.on_loop("p")
        placement.note("p", 0.0001)  # rendered on a thread
    assert placement.on_loop("p")  # tried again: it may have waited for the GIL
    placement.note("p", 0.0001, blocked=True)  # blocked again: twice as long on threads
    for _ in range(2 * RETRY_AFTER):
        assert not placement.on_loop("p")
        placement.note("p", 0.0001)
    assert placement.on_loop("p")


def test_wall_time_on_a_thread_is_not_taken_for_waiting():
    """Threads rendering at once wait for the GIL: their wall time says nothing of I/O."""
    placement = RenderPlacement(50.0)
    for _ in range(3):
        with placement.measuring("p", on_loop=False):
            time.sleep(0.01)
            _busy(0.001)
    assert placement.on_loop("p")


def test_a_pipeline_that_reads_data_renders_on_threads_for_good():
    placement = RenderPlacement(50.0)
    placement.note("p", 0.001)
    with placement.measuring("p", on_loop=False):
        READ_BYTES.add(4096)  # what a data source's file or S3 read adds
    for _ in range(4 * RETRY_AFTER):
        placement.note("p", 0.0001)
    assert not placement.on_loop("p")


def test_a_render_that_raises_is_not_recorded():
    placement = RenderPlacement(5.0)
    try:
        with placement.measuring("p", on_loop=False):
            raise ValueError("bad tile")
    except ValueError:
        pass
    placement.note("p", 0.001)  # still the warm-up
    assert not placement.on_loop("p")


def test_a_slow_render_on_the_loop_that_never_blocked_was_preempted_not_waiting(monkeypatch):
    """Wall time above CPU time without a voluntary context switch: the scheduler ran another
    process (a loaded machine), the render waited on nothing."""
    from podpac_exec.serve import placement as module

    placement = RenderPlacement(50.0)
    for _ in range(2):
        placement.note("p", 0.002)
    monkeypatch.setattr(module, "_blocks", lambda: 7)  # as if the thread had not blocked
    with placement.measuring("p", on_loop=True):
        time.sleep(0.03)
    assert placement.on_loop("p")


def test_a_thread_blocking_is_counted():
    from podpac_exec.serve.placement import RUSAGE_THREAD, _blocks

    if RUSAGE_THREAD is None:
        assert _blocks() is None
        return
    before = _blocks()
    time.sleep(0.01)
    assert _blocks() > before
