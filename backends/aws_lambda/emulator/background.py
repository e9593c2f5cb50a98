"""``InvocationType=Event``: runs in background threads, recorded so tests can wait for them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from .errors import AwsError
from .moto_bridge import FunctionSnapshot


class BackgroundInvocations:
    """``InvocationType=Event``: queued runs (throttled ones wait for a slot), recorded for ``wait``."""

    def __init__(self, run: Callable[..., Any]) -> None:
        """``run(fn, payload, request_id, client_context, trace_id)`` runs one invocation."""
        self._run_one = run
        self._cond = threading.Condition()
        self._pending = 0
        self._records: list[dict[str, Any]] = []
        self._generation = 0

    def submit(
        self, fn: FunctionSnapshot, payload: bytes, request_id: str, trace_id: str | None = None, **extra: Any
    ) -> None:
        """Run one event invocation in the background; ``extra`` fields go into its record."""
        record: dict[str, Any] = {"request_id": request_id, "function": fn.name, **extra}
        with self._cond:
            self._pending += 1
            generation = self._generation
        threading.Thread(
            target=self._run,
            args=(fn, payload, trace_id, record, generation),
            daemon=True,
            name=f"event-{request_id[:8]}",
        ).start()

    def note(self, record: dict[str, Any]) -> None:
        """Record an event that was dropped without running (``wait`` returns it with the others)."""
        with self._cond:
            self._records.append(record)
            self._cond.notify_all()

    def _run(
        self, fn: FunctionSnapshot, payload: bytes, trace_id: str | None, record: dict[str, Any], generation: int
    ) -> None:
        try:
            while True:
                try:
                    record.update(self._run_one(fn, payload, record["request_id"], None, trace_id).as_dict())
                    break
                except AwsError as e:
                    if e.status != 429 or generation != self._generation:
                        record.update(error=e.code, message=e.message)
                        break
                    time.sleep(0.02)  # Lambda keeps throttled events queued and retries them
        except Exception as e:  # recorded rather than lost in a thread
            record.update(error=type(e).__name__, message=str(e))
        finally:
            with self._cond:
                if generation == self._generation:
                    self._pending -= 1
                    self._records.append(record)
                self._cond.notify_all()

    def wait(self, timeout_s: float) -> dict[str, Any]:
        """Block until no event invocation is pending (or the timeout); returns pending count and records."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._pending and (remaining := deadline - time.monotonic()) > 0:
                self._cond.wait(remaining)
            return {"pending": self._pending, "completed": list(self._records)}

    def reset(self) -> None:
        with self._cond:
            self._generation += 1
            self._pending = 0
            self._records.clear()
            self._cond.notify_all()
