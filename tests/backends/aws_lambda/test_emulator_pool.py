"""Cold starts at once are capped to what the host can run; the rest wait for a warm container."""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

#: Init takes 0.4 s, an invocation 0.3 s; init records when it ran (in the host directory every container shares).
SLOW_INIT = """
import json, os, time
START = time.time()
time.sleep(0.4)
with open(os.path.join(os.environ["PODPAC_EMULATOR_SHARED_DIR"], "inits.jsonl"), "a") as fh:
    fh.write(json.dumps([os.getpid(), START, time.time()]) + "\\n")

def handler(event, context):
    time.sleep(0.3)  # long enough that a queue of them is worth new containers (pool.py's wait rule)
    return os.getpid()
"""


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans], key=lambda e: (e[0], e[1]))
    now = most = 0
    for _, step in edges:
        now += step
        most = max(most, now)
    return most


def test_cold_starts_are_capped_and_the_rest_reuse_warm_containers(aws_emulator, deploy, lambda_client):
    aws_emulator.configure(cold_start_concurrency=2)
    deploy(SLOW_INIT, Timeout=10)

    def invoke(_: int) -> dict[str, Any]:
        resp = lambda_client.invoke(FunctionName="fn", Payload=b"{}")
        return {"error": resp.get("FunctionError"), "pid": json.loads(resp["Payload"].read())}

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(invoke, range(32)))
    assert [r["error"] for r in results] == [None] * 32
    shared = Path(aws_emulator.state_dir) / "shared"
    inits = [json.loads(line) for line in (shared / "inits.jsonl").read_text().splitlines()]
    assert _most_at_once([(a, b) for _, a, b in inits]) <= 2
    assert len({r["pid"] for r in results}) == len(inits) < 32  # warm containers served the rest
    assert aws_emulator.status()["cold_start_waits"] > 0
    log = (Path(aws_emulator.state_dir) / "server.log").read_text()
    assert "cold starts capped at 2 at once on this host" in log


def test_the_default_cap_is_one_per_cpu(aws_emulator):
    expected = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert aws_emulator.settings()["cold_start_concurrency"] == expected
    with pytest.raises(Exception, match="HTTP 400"):
        aws_emulator.configure(cold_start_concurrency=0)


RECORDS = """
import json, os, time

def handler(event, context):
    start = time.time()
    with open(os.path.join(os.environ["PODPAC_EMULATOR_SHARED_DIR"], "calls.jsonl"), "a") as fh:
        fh.write(json.dumps([os.getpid(), start, time.time(), event["n"]]) + "\\n")
    return event["n"]
"""


@pytest.mark.parametrize("cap", [1, 2])
def test_a_container_serves_one_invocation_at_a_time(aws_emulator, deploy, lambda_client, cap):
    """Waiters woken by a check-in must never share a container (responses would cross)."""
    aws_emulator.configure(cold_start_concurrency=cap)
    deploy(RECORDS, Timeout=10)

    def invoke(n: int) -> int:
        resp = lambda_client.invoke(FunctionName="fn", Payload=json.dumps({"n": n}).encode())
        return json.loads(resp["Payload"].read())

    with ThreadPoolExecutor(32) as pool:
        answers = list(pool.map(invoke, range(400)))
    assert answers == list(range(400))  # every caller got its own answer
    calls = [json.loads(l) for l in (Path(aws_emulator.state_dir) / "shared" / "calls.jsonl").read_text().splitlines()]
    by_pid: dict[int, list[tuple[float, float]]] = {}
    for pid, start, end, _ in calls:
        by_pid.setdefault(pid, []).append((start, end))
    for spans in by_pid.values():
        spans.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))


class _Busy:
    """Stands for a container in the pool's bookkeeping (only its fingerprint is read)."""

    def __init__(self, fingerprint: str) -> None:
        self.fingerprint = fingerprint


def test_durations_use_the_median_of_recent_warm_invocations():
    from podpac_exec.backends.aws_lambda.emulator.pool import DEFAULT_COLD_START_S, _Durations

    d = _Durations()
    assert d.cold_s == DEFAULT_COLD_START_S and d.warm_s is None
    d.add(2.5, cold=True)
    assert d.cold_s == 2.5  # the first timed cold start replaces the guess
    for seconds in (0.3, 0.01):
        d.add(seconds, cold=False)
    assert d.warm_s is None  # too few to trust
    d.add(0.012, cold=False)
    assert d.warm_s == 0.012  # the slow first one (lazy imports) does not dominate


def test_a_waiter_waits_for_a_busy_container_only_while_that_is_sooner_than_a_cold_start():
    import time

    from podpac_exec.backends.aws_lambda.emulator.pool import Pool

    pool = Pool(lambda: 60.0, lambda: 1000)
    try:
        busy = _Busy("fp")
        with pool._lock:
            pool._busy.add(busy)
            pool._since[busy] = time.monotonic()
        assert pool._expected_wait_s("fp", 0) is None  # nothing timed yet
        durations = pool._durations["fp"]
        durations.add(1.0, cold=True)
        for _ in range(3):
            durations.add(0.01, cold=False)
        assert pool._expected_wait_s("fp", 10) < durations.cold_s  # 10 x 10 ms ahead: wait
        assert pool._expected_wait_s("fp", 500) > durations.cold_s  # 5 s of queue: start one
        assert pool._expected_wait_s("other", 0) == float("inf")  # nothing of its own busy
        pool._since[busy] = time.monotonic() - 30  # stuck for 30 s: not worth waiting for
        assert pool._expected_wait_s("fp", 0) >= 30
    finally:
        with pool._lock:
            pool._busy.clear()
        pool.stop_all(closing=True)
