"""Settings shared by the server process and the ``Emulator`` client."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, ClassVar

DEFAULT_IDLE_TIMEOUT_S = 300.0
DEFAULT_ACCOUNT_CONCURRENCY = 1000
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def default_cache_dir() -> Path:
    """Where unpacked runtime packages are kept across runs (``$PODPAC_EXEC_EMULATOR_CACHE`` or XDG cache)."""
    env = os.environ.get("PODPAC_EXEC_EMULATOR_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "podpac-exec" / "emulator"


def default_cold_start_concurrency() -> int:
    """Cold starts at once: one per CPU. A cold start (interpreter, imports, unpacking) is CPU
    bound, so more at once only make every one of them slower (and time out)."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@dataclass(frozen=True)
class Settings:
    """Emulator settings; the ``RUNTIME_KEYS`` can be changed at run time over HTTP."""

    idle_timeout_s: float = DEFAULT_IDLE_TIMEOUT_S
    account_concurrency: int = DEFAULT_ACCOUNT_CONCURRENCY
    state_dir: str = ""
    cache_dir: str = field(default_factory=lambda: str(default_cache_dir()))
    cold_start_concurrency: int = field(default_factory=default_cold_start_concurrency)

    RUNTIME_KEYS: ClassVar[tuple[str, ...]] = ("idle_timeout_s", "account_concurrency", "cold_start_concurrency")

    def updated(self, changes: dict[str, Any]) -> Settings:
        """A copy with the run-time settable keys in ``changes`` applied (unknown keys: ``ValueError``)."""
        unknown = set(changes) - set(self.RUNTIME_KEYS)
        if unknown:
            raise ValueError(
                f"unknown or read-only emulator settings: {sorted(unknown)}; settable: {self.RUNTIME_KEYS}"
            )
        typed: dict[str, Any] = {}
        for f in fields(self):
            if f.name in changes and changes[f.name] is not None:
                typed[f.name] = type(getattr(self, f.name))(changes[f.name])
        if typed.get("idle_timeout_s", 1.0) <= 0 or typed.get("account_concurrency", 1) < 1:
            raise ValueError("idle_timeout_s must be > 0 and account_concurrency >= 1")
        if typed.get("cold_start_concurrency", 1) < 1:
            raise ValueError("cold_start_concurrency must be >= 1")
        return replace(self, **typed)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
