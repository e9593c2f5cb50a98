"""Warm containers per function configuration, idle expiry, and Lambda's concurrency accounting."""

from __future__ import annotations

import statistics
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from .containers import Container
from .errors import throttled

FunctionKey = tuple[str, str, str]  # account, region, function name
#: What a cold start is taken to cost before one of the function's has been timed on this host.
DEFAULT_COLD_START_S = 1.0
#: Weight of the newest cold start in a function's running average.
SMOOTHING = 0.3
#: Warm invocations kept per function for the median, and how many before it is used.
WARM_SAMPLES, MIN_WARM_SAMPLES = 9, 3


class _Durations:
    """How long a function's containers take on this host: a cold start (start, init and first
    invocation) as a running average, and a warm invocation as the median of the latest ones
    (robust to a container's slow second invocation, where lazy imports happen); ``warm_s`` is
    None until a few were timed."""

    def __init__(self) -> None:
        self.cold_s = DEFAULT_COLD_START_S
        self._cold_timed = False
        self._warm: deque[float] = deque(maxlen=WARM_SAMPLES)

    @property
    def warm_s(self) -> float | None:
        if len(self._warm) < MIN_WARM_SAMPLES:
            return None
        return statistics.median(self._warm)

    def add(self, seconds: float, cold: bool) -> None:
        if not cold:
            self._warm.append(seconds)
        elif self._cold_timed:
            self.cold_s += SMOOTHING * (seconds - self.cold_s)
        else:
            self.cold_s, self._cold_timed = seconds, True


class Pool:
    """Idle containers keyed by configuration fingerprint, plus in-flight invocation counts."""

    def __init__(
        self,
        idle_timeout_s: Callable[[], float],
        account_concurrency: Callable[[], int],
        cold_start_concurrency: Callable[[], int] = lambda: 1 << 30,
    ) -> None:
        self._idle_timeout_s = idle_timeout_s
        self._account_concurrency = account_concurrency
        self._cold_start_concurrency = cold_start_concurrency
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # a container went idle or a cold start ended
        self._cold_starting = 0
        self.cold_start_waits = 0  # invocations that waited for a warm container or a start slot
        self._last_cap_log = 0.0
        self._idle: dict[str, list[Container]] = defaultdict(list)
        self._busy: set[Container] = set()
        self._inflight: dict[FunctionKey, int] = defaultdict(int)
        self._durations: dict[str, _Durations] = defaultdict(_Durations)
        self._since: dict[Container, float] = {}  # when a busy container took its invocation (or started)
        self._starting: set[Container] = set()  # busy with their cold start
        self._waiting: dict[str, list[object]] = defaultdict(list)  # waiters per fingerprint, oldest first
        self._unreserved_inflight = 0
        self._closing = threading.Event()
        self._reaper = threading.Thread(target=self._reap_loop, name="emulator-reaper", daemon=True)
        self._reaper.start()

    def acquire_slot(self, key: FunctionKey, reserved: int | None, reserved_total: int) -> None:
        """Count one invocation in flight, or raise the 429 Lambda answers at the concurrency cap."""
        with self._lock:
            if reserved is not None:
                if self._inflight[key] >= reserved:
                    raise throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
            elif self._unreserved_inflight >= self._account_concurrency() - reserved_total:
                raise throttled("ConcurrentInvocationLimitExceeded")
            self._inflight[key] += 1
            if reserved is None:
                self._unreserved_inflight += 1

    def release_slot(self, key: FunctionKey, reserved: int | None) -> None:
        with self._lock:
            self._inflight[key] -= 1
            if reserved is None:
                self._unreserved_inflight -= 1

    def checkout_or_cold_slot(self, fingerprint: str) -> Container | None:
        """An idle container, else ``None`` with a cold-start slot held (give it back with
        :meth:`cold_start_done`). While ``cold_start_concurrency`` cold starts run, wait for
        whichever comes first: a container going idle or a slot.

        Lambda would start every container at once; on one host, dozens of interpreters importing
        the same packages at once take minutes each and time out, where a few starts at a time
        plus the warm containers they leave serve the same requests in seconds. Below the cap, an
        invocation still waits for a busy container of its function when that is expected to be
        free (given the waiters ahead) sooner than a new container would start on this host."""
        expired: list[Container] = []
        ticket, since = object(), time.monotonic()
        try:
            with self._lock:
                queue = self._waiting[fingerprint]
                queue.append(ticket)
                waited = False
                while True:
                    found = self._pop_idle(fingerprint, expired)
                    if found is not None or self._closing.is_set():
                        return found
                    expected = self._expected_wait_s(fingerprint, queue.index(ticket))
                    if expected is None:  # no warm invocation timed yet: wait a moment, as for one
                        patient = any(c.fingerprint == fingerprint for c in self._busy) and (
                            time.monotonic() - since < DEFAULT_COLD_START_S)
                    else:  # waiting then running warm, against starting (its cold time includes the run)
                        durations = self._durations[fingerprint]
                        patient = expected + (durations.warm_s or 0.0) < durations.cold_s
                    capped = self._cold_starting >= self._cold_start_concurrency()
                    if not patient and not capped:
                        self._cold_starting += 1
                        return None
                    if not waited:
                        waited = True
                        self.cold_start_waits += 1
                    if capped:
                        self._log_cap()
                    self._changed.wait(timeout=0.05 if patient else 0.5)
        finally:
            with self._lock:
                queue = self._waiting[fingerprint]
                queue.remove(ticket)
                if not queue:
                    del self._waiting[fingerprint]
            for c in expired:
                c.close()

    def _expected_wait_s(self, fingerprint: str, ahead: int) -> float | None:
        """Seconds until a busy container of the function is expected to be free for the waiter
        with ``ahead`` waiters before it: infinite when none is busy, None before any warm
        invocation of the function was timed. A container past its expected time is taken to
        need as long again (so a stuck one is not waited for forever)."""
        busy = [c for c in self._busy if c.fingerprint == fingerprint]
        if not busy:
            return float("inf")
        durations = self._durations[fingerprint]
        warm_s = durations.warm_s
        if warm_s is None:
            return None
        now = time.monotonic()
        soonest = float("inf")
        for c in busy:
            elapsed = now - self._since.get(c, now)
            typical = durations.cold_s if c in self._starting else warm_s
            soonest = min(soonest, typical - elapsed if elapsed < typical else elapsed)
        return soonest + ahead * warm_s / len(busy)

    def cold_start_done(self) -> None:
        with self._lock:
            self._cold_starting -= 1
            self._changed.notify_all()

    def _pop_idle(self, fingerprint: str, expired: list[Container]) -> Container | None:
        now = time.monotonic()
        stack = self._idle.get(fingerprint, [])
        while stack:
            c = stack.pop()
            if now - c.last_used >= self._idle_timeout_s() or not c.alive:
                expired.append(c)
                continue
            self._busy.add(c)
            self._since[c] = now
            return c
        return None

    def _log_cap(self) -> None:
        now = time.monotonic()
        if now - self._last_cap_log >= 10.0:  # once per burst, not once per invocation
            self._last_cap_log = now
            sys.stderr.write(
                f"emulator: cold starts capped at {self._cold_start_concurrency()} at once on this host "
                "(cold_start_concurrency); further invocations wait for a warm container or a start slot\n"
            )
            sys.stderr.flush()

    def adopt(self, container: Container) -> None:
        """Track a container being started (so ``stop_all`` reaches it)."""
        with self._lock:
            self._busy.add(container)
            self._since[container] = time.monotonic()
            self._starting.add(container)

    def checkin(self, container: Container) -> None:
        """Back to the idle set if it still runs; stopped otherwise. Only the first call counts."""
        with self._lock:
            if container not in self._busy:
                return
            self._busy.discard(container)
            started = self._since.pop(container, None)
            cold = container in self._starting
            self._starting.discard(container)
            keep = container.alive and not self._closing.is_set()
            if keep and started is not None:
                self._durations[container.fingerprint].add(time.monotonic() - started, cold)
            if keep:
                self._idle[container.fingerprint].append(container)
                self._changed.notify_all()
        if not keep:
            container.close()

    def retire(self, key: FunctionKey, keep_fingerprint: str) -> None:
        """Stop idle containers of a function whose code or configuration has since changed."""
        stale: list[Container] = []
        with self._lock:
            for fp, stack in list(self._idle.items()):
                if fp != keep_fingerprint and stack and stack[0].function_key == key:
                    stale += stack
                    del self._idle[fp]
        for c in stale:
            c.close()

    def reap(self) -> int:
        """Stop containers idle for longer than the idle timeout; returns how many."""
        limit = self._idle_timeout_s()
        now = time.monotonic()
        expired: list[Container] = []
        with self._lock:
            for fp, stack in list(self._idle.items()):
                keep = [c for c in stack if now - c.last_used < limit and c.alive]
                expired += [c for c in stack if c not in keep]
                self._idle[fp] = keep
        for c in expired:
            c.close()
        return len(expired)

    def _reap_loop(self) -> None:
        while not self._closing.wait(min(1.0, max(0.05, self._idle_timeout_s() / 4))):
            self.reap()

    def stop_all(self, closing: bool = False) -> None:
        """Stop every container; busy ones are killed and closed by the thread serving them."""
        if closing:
            self._closing.set()
        with self._lock:
            idle = [c for stack in self._idle.values() for c in stack]
            busy = list(self._busy)
            self._idle.clear()
        for c in busy:
            c.kill()
        for c in idle:
            c.close()

    def snapshot(self) -> list[dict[str, Any]]:
        """One record per container, for tests and the admin API."""
        with self._lock:
            rows = [(c, "idle") for stack in self._idle.values() for c in stack] + [(c, "busy") for c in self._busy]
        return [
            {
                "id": c.id,
                "pid": c.pid,
                "state": state,
                "function": c.function_key[2],
                "invocations": c.invocations,
                "interpreter": c.launch.interpreter.path,
            }
            for c, state in rows
        ]
