"""Lambda's execution log: INIT_START/START/END/REPORT lines, the 4 KB tail, CloudWatch stream names."""

from __future__ import annotations

import base64
import calendar
import math
import re
import time
from dataclasses import dataclass, field

TAIL_BYTES = 4096


@dataclass
class Report:
    """Figures of the REPORT line."""

    request_id: str
    duration_ms: float
    memory_mb: int
    max_memory_mb: int
    init_duration_ms: float | None = None
    status: str | None = None  # "timeout" | "error"
    error_type: str | None = None

    def line(self) -> str:
        parts = [
            f"REPORT RequestId: {self.request_id}",
            f"Duration: {self.duration_ms:.2f} ms",
            f"Billed Duration: {max(1, math.ceil(self.duration_ms))} ms",
            f"Memory Size: {self.memory_mb} MB",
            f"Max Memory Used: {self.max_memory_mb} MB",
        ]
        if self.init_duration_ms is not None:
            parts.append(f"Init Duration: {self.init_duration_ms:.2f} ms")
        if self.status:
            parts.append(f"Status: {self.status}")
        if self.error_type:
            parts.append(f"Error Type: {self.error_type}")
        return "\t".join(parts) + "\t\n"


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}\n"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}\n"


def init_start_line(note: str, region: str, version: str) -> str:
    return f"INIT_START {note}\tRuntime Version ARN: arn:aws:lambda:{region}::runtime:emulated-python{version}\n"


def timeout_line(request_id: str, timeout_s: float) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z"
    return f"{stamp} {request_id} Task timed out after {timeout_s:.2f} seconds\n"


def exit_lines(request_id: str, reason: str) -> str:
    return f"RequestId: {request_id} Error: Runtime exited with error: {reason}\nRuntime.ExitError\n"


def tail(text: str) -> str:
    """Base64 of the last 4 KB of the log, as ``X-Amz-Log-Result`` carries it."""
    return base64.b64encode(text.encode("utf-8")[-TAIL_BYTES:]).decode()


def now_ms() -> int:
    return int(time.time() * 1000)


#: A line the runtime's logging formatter wrote (``[INFO]\t2026-12-03T06:00:00.123Z\t...``) or a
#: timeout line: it says when it was written.
_STAMP = re.compile(r"^(?:\[[A-Z]+\]\t)?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})Z")


@dataclass
class TimedLog:
    """An invocation's log as chunks stamped when they were added, so START, END and REPORT
    (and the function's output) keep their own times in CloudWatch, as in Lambda."""

    chunks: list[tuple[int, str]] = field(default_factory=list)

    def add(self, text: str, at_ms: int | None = None) -> None:
        if text:
            self.chunks.append((now_ms() if at_ms is None else at_ms, text))

    def text(self) -> str:
        return "".join(text for _, text in self.chunks)

    def events(self) -> list[dict[str, object]]:
        """CloudWatch events, one per line, in order (a line's own stamp wins over its chunk's)."""
        out: list[dict[str, object]] = []
        last = 0
        for at_ms, text in self.chunks:
            for line in text.splitlines():
                if not line:
                    continue
                stamp = _line_stamp(line)
                last = max(last, stamp if stamp is not None and stamp <= at_ms else at_ms)
                out.append({"timestamp": last, "message": line})
        return out


def _line_stamp(line: str) -> int | None:
    match = _STAMP.match(line)
    if not match:
        return None
    seconds = calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S"))
    return seconds * 1000 + int(match.group(2))

