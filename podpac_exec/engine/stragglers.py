"""Stragglers: when most tiles are done and one runs far longer than the median, run a backup.

Pure decisions over durations; the fan-out starts the backups, keeps the first answer and
ignores the other.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence


@dataclass(frozen=True)
class StragglerPolicy:
    """A running call is a straggler when at least ``min_done_fraction`` of the tiles are done and
    it has run longer than ``factor`` times the median duration and ``min_seconds``."""

    enabled: bool = True
    min_done_fraction: float = 0.9
    factor: float = 3.0
    min_seconds: float = 1.0
    max_backups: int = 16

    @classmethod
    def from_settings(cls, settings: "object") -> "StragglerPolicy":
        return cls(
            enabled=bool(settings["stragglers.enabled"]),  # type: ignore[index]
            min_done_fraction=float(settings["stragglers.min_done_fraction"]),  # type: ignore[index]
            factor=float(settings["stragglers.factor"]),  # type: ignore[index]
            min_seconds=float(settings["stragglers.min_seconds"]),  # type: ignore[index]
            max_backups=int(settings["stragglers.max_backups"]),  # type: ignore[index]
        )


def stragglers(
    policy: StragglerPolicy,
    *,
    done: int,
    total: int,
    durations: Sequence[float],
    running: Mapping[Hashable, float],
    backed_up: set[Hashable] | frozenset[Hashable],
    backups_started: int,
) -> list[Hashable]:
    """The running work items (key -> seconds running so far) that deserve a backup now, longest first."""
    if not policy.enabled or total <= 1 or not durations or done < policy.min_done_fraction * total:
        return []
    room = policy.max_backups - backups_started
    if room <= 0:
        return []
    threshold = max(policy.min_seconds, policy.factor * statistics.median(durations))
    late = sorted(
        ((elapsed, key) for key, elapsed in running.items() if key not in backed_up and elapsed > threshold),
        key=lambda item: item[0],
        reverse=True,
    )
    return [key for _, key in late[:room]]
