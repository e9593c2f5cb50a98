"""Half of a node's array work on a second thread: one helper thread per process.

numpy ufuncs (and most of scipy's and GDAL's C loops) release the GIL, so an operation split
into independent parts runs on two cores. Each caller splits its work so that every output
cell is computed by the same steps whichever thread computes it: results never depend on
whether the helper was free.

The helper serves one caller at a time; a caller that finds it busy (a parallel tile's
evaluation, say) does all its work itself. :func:`one_thread` turns the helper off for a block
(the local backend does so with ``local.max_workers = 1``).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from typing import Any, Callable, Iterator

#: (process id, executor or None): made on first use; a forked child makes its own
_HELPER: list[tuple[int, Any]] = []
_HELPER_FREE = threading.Lock()
_HELPER_MADE = threading.Lock()
_ALLOWED: contextvars.ContextVar[bool] = contextvars.ContextVar("podpac_exec_helper_thread", default=True)


def cpu_count() -> int:
    """CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run the block without the helper thread (per thread/task, nests)."""
    token = _ALLOWED.set(False)
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def _reserve() -> Any:
    """The helper's executor, reserved for the caller (release ``_HELPER_FREE`` when its work
    ends); None with one CPU, inside :func:`one_thread`, or when another caller has it."""
    if not _ALLOWED.get():
        return None
    pid = os.getpid()
    if not _HELPER or _HELPER[0][0] != pid:  # a forked child has no helper thread
        with _HELPER_MADE:
            if not _HELPER or _HELPER[0][0] != pid:  # two first callers make one helper
                global _HELPER_FREE
                from concurrent.futures import ThreadPoolExecutor

                pool = ThreadPoolExecutor(1, thread_name_prefix="podpac-exec-helper") if cpu_count() > 1 else None
                _HELPER_FREE = threading.Lock()
                _HELPER[:] = [(pid, pool)]
    pool = _HELPER[0][1]
    if pool is None or not _HELPER_FREE.acquire(blocking=False):
        return None
    return pool


@contextlib.contextmanager
def reserved_helper(wanted: bool = True) -> Iterator[bool]:
    """Hold the helper thread for the block (for C code that starts its own second thread, such
    as GDAL's warp): yields whether it was free (and ``wanted``), and frees it after."""
    pool = _reserve() if wanted else None
    try:
        yield pool is not None
    finally:
        if pool is not None:
            _HELPER_FREE.release()


def in_two(work: Callable[[int, int], None], n: int) -> None:
    """``work(start, stop)`` over ``range(n)``: ``[0, n // 2)`` here and the rest on the helper
    thread when it is free, else all of it here. ``work`` must write disjoint outputs per range."""
    pool = _reserve() if n > 1 else None
    if pool is None:
        work(0, n)
        return
    middle = n // 2

    def helped() -> None:
        try:
            work(middle, n)
        finally:
            _HELPER_FREE.release()

    try:
        pending = pool.submit(helped)
    except BaseException:
        _HELPER_FREE.release()
        raise
    try:
        work(0, middle)
    finally:
        pending.result()
