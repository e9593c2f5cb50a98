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
    def summary(self) -> str:
        """The format and each rewrite: ``from X to PODPAC 4.0.5's format: a; b``."""
        shown = "; ".join(self.changes[:_SHOWN])
        more = len(self.changes) - _SHOWN
        tail = f"; and {more} more" if more > 0 else ""
        return f"from {self.source_format} to PODPAC 4.0.5's format: {shown}{tail}"

    @property
    def message(self) -> str:
        """One line for a pipeline upgraded on load: the summary and how to save the result."""
        return f"pipeline upgraded {self.summary} (run 'podpac-exec upgrade' to save it)"
