"""Older PODPAC pipeline formats: detected (:mod:`.formats`), rewritten to the current one
(:mod:`.upgrade`), reported in one warning (:mod:`.report`)."""

from podpac_exec.pipelines.report import PipelineUpgradeError, PipelineUpgradeWarning, UpgradeReport
from podpac_exec.pipelines.upgrade import upgrade_definition

__all__ = ["PipelineUpgradeError", "PipelineUpgradeWarning", "UpgradeReport", "upgrade_definition"]
