"""Tiles done, rate and ETA on stderr while tiles run (setting ``tiling.progress``).

On a terminal or in a notebook: a tqdm bar (a ``\\r`` line without tqdm). Elsewhere (stderr piped
to a file or a CI log) a bar would be one unreadable line, so a plain line is printed every
``LINE_INTERVAL_S`` seconds instead; a run shorter than that prints nothing in ``auto`` mode.
Each bar counts the tiles only (never dask's assembly tasks) and is closed exactly once.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable, TextIO

LINE_INTERVAL_S = 5.0


class NoProgress:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class LineProgress:
    """A plain line every ``interval_s`` seconds, and a last one when any was printed (or ``always``)."""

    def __init__(self, total: int, *, interval_s: float | None = None, always: bool = False,
                 stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.done, self.always = total, 0, always
        self.interval_s = LINE_INTERVAL_S if interval_s is None else interval_s
        self.stream = stream or sys.stderr
        self.clock = clock
        self.t0 = self.last = clock()
        self.printed = 0
        self._lock = threading.Lock()
        self._closed = False

    def update(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            now = self.clock()
            if now - self.last >= self.interval_s and self.done < self.total:
                self.last = now
                self._line(now)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.printed or self.always:
                self._line(self.clock(), final=True)

    def _line(self, now: float, final: bool = False) -> None:
        elapsed = now - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        tail = f"done in {elapsed:.1f} s" if final else (
            f"ETA {(self.total - self.done) / rate:.0f} s" if rate else "ETA unknown")
        self.stream.write(f"podpac-exec: {self.done}/{self.total} tiles, {rate:.1f} tiles/s, {tail}\n")
        self.stream.flush()
        self.printed += 1


class _CarriageProgress(LineProgress):
    """Without tqdm on a terminal: one line rewritten in place."""

    def update(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            elapsed = self.clock() - self.t0
            rate = self.done / elapsed if elapsed > 0 else 0.0
            eta = (self.total - self.done) / rate if rate else float("inf")
            self.stream.write(f"\rpodpac-exec: {self.done}/{self.total} tiles, {rate:.1f} tiles/s, ETA {eta:.0f}s")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self.stream.write("\n")


class _ClosingOnce:
    """tqdm's bar, closed once however many times ``close`` is called."""

    def __init__(self, bar: Any) -> None:
        self.bar, self._closed, self._lock = bar, False, threading.Lock()

    def update(self, n: int = 1) -> None:
        with self._lock:
            if not self._closed:
                self.bar.update(n)

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self.bar.close()


def make_progress(mode: str, total: int, *, stream: TextIO | None = None) -> Any:
    """The progress display for ``total`` tiles in ``mode`` (``auto``, ``on``, ``off``)."""
    stream = stream or sys.stderr
    mode = str(mode).lower()
    if mode == "off" or total <= 1:
        return NoProgress()
    interactive = _isatty(stream) or _in_notebook()
    if not interactive:
        return LineProgress(total, always=mode == "on", stream=stream)
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _CarriageProgress(total, stream=stream)
    return _ClosingOnce(tqdm(total=total, unit="tile", desc="podpac-exec", file=stream))


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ip = getattr(shell, "get_ipython", lambda: None)()
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"
