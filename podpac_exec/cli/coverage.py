"""``podpac-exec nodes --podpac``: every PODPAC 4.0.5 node class and podpac-exec's status for it."""

from __future__ import annotations

import argparse

from podpac_exec.cli.arguments import print_table
from podpac_exec.cli.exit_codes import EXIT_OK


def cmd_podpac_coverage(args: argparse.Namespace) -> int:
    from podpac_exec.pipelines.coverage import coverage

    rows = coverage()
    print_table(("PODPAC class", "status", "reason"), [(r.cls.path, r.status, r.reason) for r in rows])
    summary: dict[str, int] = {}
    for row in rows:
        summary[row.status] = summary.get(row.status, 0) + 1
    print(f"\n{len(rows)} PODPAC classes: " + ", ".join(f"{n} {s}" for s, n in summary.items()))
    return EXIT_OK
