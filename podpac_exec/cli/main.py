"""The ``podpac-exec`` command. Exit codes (docs/cli.md): 0 ok, 1 runtime or remote failure,
2 bad input or usage (one line naming it), 3 nothing to do or not found."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Sequence

from podpac_exec.cli.exit_codes import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, exit_code_for
from podpac_exec.cli.arguments import (  # noqa: F401 - also this module's API, for plugins
    CommandInputError,
    parse_set_options,
    print_table,
    read_text_argument,
)
from podpac_exec.errors import PodpacExecError

EXIT_INTERNAL = EXIT_FAILURE  # the name plugins import


def cmd_evaluate(args: argparse.Namespace) -> int:
    import podpac_exec as pe
    from podpac_exec.cli.outputs import check_output_paths
    from podpac_exec.cli.timeline import draw_timeline

    check_output_paths(output=args.output, plot=args.plot, timeline=args.timeline)  # before the work
    if args.estimate and (args.output or args.plot or args.timeline):
        raise CommandInputError("--estimate runs nothing: it takes no --output, --plot or --timeline", field="--estimate")
    if args.pipeline == "-" and args.coordinates == "-":
        raise CommandInputError("only one of pipeline and coordinates can be '-' (stdin)", field="coordinates")
    node = pe.Node.from_json(read_text_argument(args.pipeline, "pipeline"))
    coords = pe.Coordinates.from_json(read_text_argument(args.coordinates, "coordinates"))
    stats = pe.EvaluationStats()
    options = parse_set_options(args.set)
    if args.estimate:  # evaluate() prints the plan and the estimated cost
        pe.evaluate(node, coords, backend=args.backend, stats=stats, estimate=True, **options)
        return EXIT_OK
    result = pe.evaluate(node, coords, backend=args.backend, stats=stats, **options)
    if args.output:
        from podpac_exec.cli.outputs import write_result

        write_result(result, args.output)
    if args.plot:
        from podpac_exec.cli.plotting import plot_result

        plot_result(result, args.plot, title=f"{type(node).__name__} {node.hash[:10]}")
    if args.timeline:
        draw_timeline(stats, args.timeline)
    summary = {
        "dims": list(result.dims),
        "shape": list(result.shape),
        "node_hash": node.hash,
        "min": _finite_or_none(result.min(skipna=True)),
        "max": _finite_or_none(result.max(skipna=True)),
        "nan_count": int(result.isnull().sum()),
        "stats": stats.summary(),
    }
    if stats.backend_report:
        summary["backend_report"] = stats.backend_report
    if stats.estimate:
        summary["estimate"] = stats.estimate
    print(json.dumps(summary, indent=2))
    return EXIT_OK


def _finite_or_none(value: Any) -> float | None:
    import math

    f = float(value)
    return None if math.isnan(f) else f


def cmd_backends(args: argparse.Namespace) -> int:
    from podpac_exec.plugins.backends import get_backend_specs

    rows = []
    for name, spec in sorted(get_backend_specs().items()):
        missing = spec.missing_requirements()
        status = "ok" if not missing else f"missing {', '.join(missing)} (pip install 'podpac-exec[{spec.extra}]')"
        rows.append((name, spec.provider, status, spec.description))
    print_table(("backend", "plugin", "status", "description"), rows)
    return EXIT_OK


def cmd_nodes(args: argparse.Namespace) -> int:
    from podpac_exec.nodes.registry import get_node_registry

    if args.podpac:
        from podpac_exec.cli.coverage import cmd_podpac_coverage

        return cmd_podpac_coverage(args)

    rows = [(r.name, ", ".join(r.cls.podpac_aliases), r.provider) for r in get_node_registry().records]
    print_table(("node", "aliases", "plugin"), rows)
    return EXIT_OK


def cmd_config_show(args: argparse.Namespace) -> int:
    from podpac_exec.settings import settings

    rows = []
    for rec in settings.snapshot().records():
        value = "****" if rec.is_secret and rec.value else json.dumps(rec.value)
        rows.append((rec.key, value, rec.layer + (f" ({rec.source})" if rec.source and "file" in rec.layer else "")))
    print_table(("setting", "value", "layer"), rows)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from podpac_exec.plugins.manager import get_plugin_manager
    from podpac_exec.cli.timeline import add_timeline_argument

    from podpac_exec import __version__

    parser = argparse.ArgumentParser(prog="podpac-exec", description=__doc__)
    parser.add_argument("--version", action="version", version=f"podpac-exec {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser(
        "evaluate", help="evaluate a pipeline at coordinates",
        epilog="--set takes any setting: `podpac-exec config show` lists every key with its value and layer, "
        "docs/settings.md explains them (e.g. --set tiling.max_tile_bytes=1048576 to split into tiles of "
        "at most 1 MB, --set tiling.min_tiles=8 for at least 8 tiles). Exit codes: docs/cli.md.",
    )
    p.add_argument("pipeline", help="PODPAC pipeline JSON: a file, '-' for stdin, or inline JSON")
    p.add_argument("coordinates", help="PODPAC coordinates JSON: a file, '-' for stdin (if the pipeline is not), or inline JSON")
    p.add_argument("--backend", default=None, help="backend name (default: settings 'backend')")
    p.add_argument("-o", "--output", help="write the result: out.nc, out.zarr or out.npy")
    p.add_argument("--plot", help="write a PNG map of the result")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting for this call, repeatable (keys: `podpac-exec config show`)")
    p.add_argument("--estimate", action="store_true",
                   help="print the plan (tiles, invocations, GB-seconds, requests, S3 traffic) and its cost; run nothing")
    add_timeline_argument(p)
    p.set_defaults(func=cmd_evaluate)

    sub.add_parser("backends", help="list installed backends").set_defaults(func=cmd_backends)
    nodes = sub.add_parser("nodes", help="list node types")
    nodes.add_argument("--podpac", action="store_true", help="every PODPAC 4.0.5 node class and its status here")
    nodes.set_defaults(func=cmd_nodes)
    config = sub.add_parser("config", help="settings").add_subparsers(dest="config_command", required=True)
    config.add_parser("show", help="each effective value and its layer").set_defaults(func=cmd_config_show)

    from podpac_exec.cli.upgrade import add_upgrade_command

    add_upgrade_command(sub)
    get_plugin_manager().hook.podpac_exec_add_commands(subparsers=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        from podpac_exec.cli.upgrade import one_line_upgrade_warnings

        parser = build_parser()
        args = parser.parse_args(argv)
        with one_line_upgrade_warnings():
            return int(args.func(args) or 0)
    except PodpacExecError as exc:
        print(f"podpac-exec: error: {exc}", file=sys.stderr)
        return exit_code_for(exc)
    except KeyboardInterrupt:
        print("podpac-exec: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
