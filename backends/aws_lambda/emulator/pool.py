"""Warm containers per function configuration, idle expiry, and Lambda's concurrency accounting."""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from .containers import Container
from .errors import throttled

FunctionKey = tuple[str, str, str]  # account, region, function name
#: How long an invocation waits for a busy container of its function before a cold start.
WARM_PREFERENCE_S = 1.0


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
        plus the warm containers they leave serve the same requests in seconds."""
        expired: list[Container] = []
        since = time.monotonic()
        try:
            with self._lock:
                waited = False
                while True:
                    found = self._pop_idle(fingerprint, expired)
                    if found is not None or self._closing.is_set():
                        return found
                    # a busy container of this function will likely be free before a new one has
                    # started: prefer it for a moment (new starts would take CPU from it)
                    warm_soon = any(c.fingerprint == fingerprint for c in self._busy)
                    patient = warm_soon and time.monotonic() - since < WARM_PREFERENCE_S
                    capped = self._cold_starting >= self._cold_start_concurrency()
                    if not patient and not capped:
                        self._cold_starting += 1
                        return None
                    if not waited:
                        waited = True
                        self.cold_start_waits += 1
                    if capped:
                        self._log_cap()
                    self._changed.wait(timeout=0.1 if patient else 0.5)
        finally:
            for c in expired:
                c.close()

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

    def checkin(self, container: Container) -> None:
        """Back to the idle set if it still runs; stopped otherwise. Only the first call counts."""
        with self._lock:
            if container not in self._busy:
                return
            self._busy.discard(container)
            keep = container.alive and not self._closing.is_set()
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
