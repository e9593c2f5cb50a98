"""podpac_exec.nodes.parallel: the helper thread takes half of the work, once at a time."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

from podpac_exec.nodes import parallel


def _threads_of(n: int) -> dict[int, str]:
    seen: dict[int, str] = {}

    def work(start: int, stop: int) -> None:
        for i in range(start, stop):
            seen[i] = threading.current_thread().name

    parallel.in_two(work, n)
    return seen


@pytest.mark.skipif(parallel.cpu_count() < 2, reason="the helper thread needs two CPUs")
def test_the_second_half_runs_on_the_helper_thread() -> None:
    seen = _threads_of(10)
    assert sorted(seen) == list(range(10))
    here = threading.current_thread().name
    assert {seen[i] for i in range(5)} == {here}
    assert {seen[i] for i in range(5, 10)} != {here}
    assert not parallel._HELPER_FREE.locked()


def test_one_thread_and_a_busy_helper_keep_all_work_here() -> None:
    here = threading.current_thread().name
    with parallel.one_thread():
        assert set(_threads_of(10).values()) == {here}
    pool = parallel._reserve()  # another caller holds the helper
    try:
        assert set(_threads_of(10).values()) == {here}
    finally:
        if pool is not None:
            parallel._HELPER_FREE.release()
    assert set(_threads_of(1).values()) == {here}


def test_an_error_on_either_half_propagates_and_frees_the_helper() -> None:
    def work(start: int, stop: int) -> None:
        if stop == 8:
            raise ValueError("second half failed")

    with pytest.raises(ValueError, match="second half"):
        parallel.in_two(work, 8)
    assert not parallel._HELPER_FREE.locked()
    assert np.array_equal(list(_threads_of(4)), [0, 1, 2, 3])


def test_a_forked_child_makes_its_own_helper(monkeypatch) -> None:
    monkeypatch.setattr(parallel, "_HELPER", [(os.getpid() + 1, None)])  # as a child sees its parent's
    assert sorted(_threads_of(6)) == list(range(6))
    assert parallel._HELPER[0][0] == os.getpid()


@pytest.mark.skipif(parallel.cpu_count() < 2, reason="the helper thread needs two CPUs")
def test_a_reserved_helper_is_held_for_the_block_only() -> None:
    with parallel.reserved_helper() as held:
        assert held and parallel._HELPER_FREE.locked()
        with parallel.reserved_helper() as again:
            assert not again  # one caller at a time
    assert not parallel._HELPER_FREE.locked()
    with parallel.reserved_helper(wanted=False) as held:
        assert not held
    with parallel.one_thread(), parallel.reserved_helper() as held:
        assert not held
