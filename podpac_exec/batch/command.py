"""``podpac-exec batch SPEC``: the CLI of batch jobs, added through ``podpac_exec_add_commands``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from podpac_exec.plugins.manager import hookimpl
from podpac_exec.cli.timeline import add_timeline_argument


@hookimpl
def podpac_exec_add_commands(subparsers: Any) -> None:
    """``podpac-exec batch``."""
    add_batch_command(subparsers)


def add_batch_command(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "batch",
        help="run a batch spec on dask.distributed into a zarr store (resumable)",
        description="Evaluate every request of a batch spec (JSON or TOML) tile by tile into one zarr store; "
        "a rerun computes only the tiles not yet recorded as done.",
    )
    p.add_argument("spec", help="the batch spec: a .json or .toml file")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="an existing dask.distributed scheduler (default: a new LocalCluster)")
    p.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                   help="worker processes of the LocalCluster (default: min(4, CPUs))")
    p.add_argument("--overwrite", action="store_true", help="replace an output store that holds another job")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_timeline_argument(p)
    p.set_defaults(func=cmd_batch)


def cmd_batch(args: argparse.Namespace) -> int:
    from podpac_exec.batch.run import run_batch
    from podpac_exec.cli.main import EXIT_INTERNAL, EXIT_OK
    from podpac_exec.cli.outputs import check_output_paths

    check_output_paths(timeline=args.timeline)
    report = run_batch(args.spec, scheduler=args.scheduler, workers=args.workers, overwrite=args.overwrite)
    if args.timeline:
        from podpac_exec.cli.timeline import draw_timeline

        draw_timeline(report.stats, args.timeline)
    summary = report.summary()
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    for failure in report.failures:
        print(f"podpac-exec: tile failed: {failure.message}", file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_INTERNAL


def format_summary(summary: dict[str, Any]) -> str:
    """The human-readable summary of a batch run."""
    lines = [
        f"batch: {summary['output']} ({summary['backend']} backend, store {summary['store']})",
        f"  tiles      {summary['tiles_total']} total: {summary['computed']} computed, "
        f"{summary['skipped']} skipped (done before), {summary['failed']} failed",
        f"  retries    {summary['retries']}",
        f"  wall time  {summary['wall_seconds']:.2f} s",
    ]
    backend_summary = (summary.get("backend_report") or {}).get("summary")
    if backend_summary:
        lines.append(f"  {backend_summary}")
    if summary["failed"]:
        lines.append("  rerun the same command to retry the failed tiles only")
    return "\n".join(lines)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value
