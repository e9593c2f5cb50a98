"""Which of PODPAC 4.0.5's node classes podpac-exec has: has / planned / not planned, with the reason.

"has" is computed: the class's PODPAC path is a registered node type (a plugin's included). Every
other class takes its status from :data:`PLANNED` or :data:`NOT_PLANNED` below, the one place to
edit; a class listed in neither is reported as missing from this table. Run
``python -m podpac_exec.pipelines.coverage`` to rewrite the table in docs/podpac-compatibility.md
(a test fails when it is stale).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from podpac_exec.pipelines.classes import PodpacClass, podpac_classes

HAS, PLANNED_STATUS, NOT_PLANNED_STATUS = "has", "planned", "not planned"

PLANNED: dict[str, str] = {}

_MANAGER = "PODPAC's execution managers: podpac-exec's execution backends and tile fan-out do this"
#: PODPAC's managers (remote, multi-process and parallel execution), by the package they live in
MANAGER_PACKAGE = "core.managers."
_CACHE = "PODPAC's cache layer: podpac-exec evaluates without PODPAC's caches (results are written by batch)"
_BASE = "abstract base class: not a node a pipeline names"
NOT_PLANNED: dict[str, str] = {
    "DayOfYearWindow": "abstract in PODPAC 4.0.5: its function() raises NotImplementedError (BetaFitDayOfYear, "
    "which podpac-exec has, is the one implementation)",
    "Generic": "runs the Python code in its 'code' attr: arbitrary code execution is refused",
    "CacheNode": _CACHE,
    "HashCache": _CACHE,
    "ZarrCache": _CACHE,
    "WCS": "remote OGC service client (server-side interpolation, network access per request)",
    "PyDAP": "remote OPeNDAP client (pydap is not a dependency)",
    "OGR": "vector data rasterized through GDAL's OGR (GDAL vector support is not a dependency)",
    "ReprojectedSource": "deprecated in PODPAC 4 in favour of Reproject (issue 10)",
    "ZarrMemory": "wraps an in-memory zarr store object, which a pipeline JSON cannot carry",
}


@dataclass(frozen=True)
class Coverage:
    """podpac-exec's status for one PODPAC 4.0.5 class."""

    cls: PodpacClass
    status: str
    reason: str


def coverage() -> list[Coverage]:
    """Every PODPAC 4.0.5 node class with its status, in PODPAC path order."""
    from podpac_exec.nodes.registry import get_node_registry

    registered = {name for record in get_node_registry().records for name in record.names}
    out = []
    for cls in podpac_classes().classes:
        if any(name in registered for name in cls.names):
            out.append(Coverage(cls, HAS, ""))
        elif cls.name in PLANNED:
            out.append(Coverage(cls, PLANNED_STATUS, PLANNED[cls.name]))
        elif cls.name in NOT_PLANNED:
            out.append(Coverage(cls, NOT_PLANNED_STATUS, NOT_PLANNED[cls.name]))
        elif cls.path.startswith(MANAGER_PACKAGE):
            out.append(Coverage(cls, NOT_PLANNED_STATUS, _MANAGER))
        elif cls.abstract:
            out.append(Coverage(cls, NOT_PLANNED_STATUS, _BASE))
        else:
            out.append(Coverage(cls, "unknown", "not in podpac_exec/pipelines/coverage.py's tables"))
    return out


def markdown_table(rows: list[Coverage]) -> str:
    """The table docs/podpac-compatibility.md carries."""
    counts = {s: sum(r.status == s for r in rows) for s in (HAS, PLANNED_STATUS, NOT_PLANNED_STATUS)}
    lines = [
        f"{len(rows)} PODPAC {podpac_classes().version} node classes: "
        + ", ".join(f"{n} {s}" for s, n in counts.items())
        + ".",
        "",
        "(TerrainTiles lives in `podpac.datalib`, which the PODPAC 4.0.5 wheel does not include; podpac-exec "
        "has it as `datalib.terraintiles.TerrainTiles`, in its own node plugin.)",
        "",
        "| PODPAC class | status | reason |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{r.cls.path}` | {r.status} | {r.reason.replace('|', '/')} |" for r in rows]
    return "\n".join(lines) + "\n"


DOC = Path(__file__).resolve().parents[2] / "docs" / "podpac-compatibility.md"
BEGIN, END = "<!-- podpac-coverage -->\n", "<!-- /podpac-coverage -->"


def write_doc(path: Path = DOC) -> None:
    """Replace the table between the markers in ``path`` (appending a section the first time)."""
    text = path.read_text()
    table = markdown_table(coverage())
    if BEGIN in text:
        head, rest = text.split(BEGIN, 1)
        text = head + BEGIN + table + END + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## PODPAC node classes\n\n" + BEGIN + table + END + "\n"
    path.write_text(text)


if __name__ == "__main__":
    write_doc(Path(sys.argv[1]) if len(sys.argv) > 1 else DOC)
    print(f"wrote the PODPAC node class table to {DOC if len(sys.argv) < 2 else sys.argv[1]}")
