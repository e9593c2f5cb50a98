"""X-Ray trace ids of invocations, carrying the ``Lineage`` count the emulator uses to stop recursive loops.

A handler's boto3 sends ``_X_AMZN_TRACE_ID`` back as the ``X-Amzn-Trace-Id`` header (botocore's recursion
detection), so a write made by a function tells the emulator how deep in an event chain it happened.
"""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import unquote

_LINEAGE = re.compile(r"(?:^|;)\s*Lineage=(?:[^;]*:)?(\d+)\s*(?:;|$)")


def new_trace_id(lineage: int = 0) -> str:
    """A fresh trace id; ``lineage`` > 0 (event-triggered invocations in the chain so far) is appended."""
    trace = f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Parent={uuid.uuid4().hex[:16]};Sampled=0"
    return f"{trace};Lineage={lineage}" if lineage > 0 else trace


def lineage_of(header: str | None) -> int:
    """The ``Lineage`` count of an ``X-Amzn-Trace-Id`` header (0 without one)."""
    m = _LINEAGE.search(unquote(header or ""))
    return int(m.group(1)) if m else 0
