"""What an upgrade rewrote, the one warning that says so, and the error when it cannot."""

from __future__ import annotations

from dataclasses import dataclass, field

from podpac_exec.errors import PipelineError

#: Rewrites named in the warning before it says "and N more".
_SHOWN = 12


class PipelineUpgradeWarning(UserWarning):
    """A pipeline in an older PODPAC format was rewritten to the current one on load."""


class PipelineUpgradeError(PipelineError):
    """An older-format pipeline that cannot be rewritten to the current format."""


@dataclass
class UpgradeReport:
    """The format a pipeline was found in and every rewrite made, in order."""

    source_format: str
    changes: list[str] = field(default_factory=list)

    def add(self, change: str) -> None:
        if change not in self.changes:
            self.changes.append(change)

    @property
    def message(self) -> str:
        """One line: the format and each rewrite."""
        shown = "; ".join(self.changes[:_SHOWN])
        more = len(self.changes) - _SHOWN
        tail = f"; and {more} more" if more > 0 else ""
        return (
            f"pipeline upgraded from {self.source_format} to PODPAC 4.0.5's format "
            f"(run 'podpac-exec upgrade' to save it): {shown}{tail}"
        )
