"""``podpac-exec aws build | status | logs | delete``.

Errors are :class:`~podpac_exec.errors.PodpacExecError` subclasses, which the ``podpac-exec``
entry point turns into one line and its exit code (docs/cli.md: AWS failures 1, bad input 2,
nothing there 3: ``status`` and ``delete`` when no resource exists).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path
from typing import Any

from podpac_exec.backends.aws_lambda.resources.build import (
    BuildInputError,
    BuildOptions,
    BuildReport,
    build,
    delete,
    fetch_logs,
    status,
)

from podpac_exec.cli.exit_codes import EXIT_FAILURE, EXIT_NOT_FOUND

SINCE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def add_aws_parsers(aws_subparsers: Any) -> None:
    """Add ``build``, ``status``, ``logs`` and ``delete`` to the ``podpac-exec aws`` subparsers."""
    p = aws_subparsers.add_parser("build", help="create or update the function and its AWS resources (idempotent)")
    _add_zip_options(p)
    p.add_argument("--role-arn", help="use this role as is instead of managing one")
    trigger = p.add_mutually_exclusive_group()
    trigger.add_argument("--s3-trigger", dest="s3_trigger", action="store_const", const=True, default=None,
                         help="run pipelines put under <prefix>/input/ (*.json), results to <prefix>/output/")  # fmt: skip
    trigger.add_argument("--no-s3-trigger", dest="s3_trigger", action="store_const", const=False,
                         help="remove the S3 trigger")  # fmt: skip
    p.add_argument("--function-url", choices=("AWS_IAM", "NONE", "off"), default=None,
                   help="create or update the function URL with this auth type (AWS_IAM: SigV4-signed callers); "
                   "off removes it; NONE needs --public")  # fmt: skip
    p.add_argument("--public", action="store_true", help="allow --function-url NONE: anyone may invoke the URL")
    p.add_argument("--serve", action="append", default=None, metavar="[NAME=]FILE",
                   help="a pipeline the function serves over HTTP (tiles, WMS, WCS, map page); repeatable; "
                   "without it the function keeps serving what it serves now")  # fmt: skip
    p.add_argument("--no-verify", dest="verify", action="store_false",
                   help="skip the last step: one invocation that checks the function answers as this client "
                   "expects (it also pays the function's first cold start, so the first run does not)")  # fmt: skip
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--upload-only", action="store_true", help="only stage the zips in S3 (for --from-s3 builds)")
    mode.add_argument("--from-s3", action="store_true", help="code and dependencies from the function_source_* objects")
    _add_set_option(p)
    p.set_defaults(func=cmd_build)

    p = aws_subparsers.add_parser("status", help="each resource: exists, up to date (changes nothing)")
    _add_zip_options(p)
    p.add_argument("--role-arn", help="the role the function should use, if not managed")
    p.add_argument("--from-s3", action="store_true", help="compare with the function_source_* objects")
    _add_set_option(p)
    p.set_defaults(func=cmd_status)

    p = aws_subparsers.add_parser("logs", help="recent log events of /aws/lambda/<function>")
    p.add_argument("--since", default="10m", help="how far back: 30s, 10m, 2h, 1d (default 10m)")
    p.add_argument("--limit", type=int, default=100, help="at most this many (the latest) events")
    _add_set_option(p)
    p.set_defaults(func=cmd_logs)

    p = aws_subparsers.add_parser("delete", help="remove what build created (tagged), and objects under the prefix")
    p.add_argument("--yes", action="store_true", help="really delete (without it: only list what would go)")
    p.add_argument("--role-arn", help="the given role (never deleted)")
    _add_set_option(p)
    p.set_defaults(func=cmd_delete)


def _add_zip_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dist-zip", type=Path, help="function zip (default build/aws_lambda/podpac_dist.zip)")
    p.add_argument("--deps-zip", type=Path, help="dependencies zip (default build/aws_lambda/podpac_deps.zip)")
    p.add_argument("--layer-zip", type=Path, action="append", default=[], help="a layer zip (layers mode); repeatable")


def _add_set_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting for this command, e.g. aws_lambda.bucket=my-bucket")  # fmt: skip


def _settings(args: argparse.Namespace) -> Any:
    from podpac_exec.cli.main import parse_set_options
    from podpac_exec.settings import settings

    return settings.snapshot(parse_set_options(args.set))


def _options(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(
        dist_zip=args.dist_zip, deps_zip=args.deps_zip, layer_zips=tuple(args.layer_zip),
        role_arn=args.role_arn, s3_trigger=getattr(args, "s3_trigger", None),
        upload_only=getattr(args, "upload_only", False), from_s3=args.from_s3,
        function_url=getattr(args, "function_url", None), public=getattr(args, "public", False),
        serve=tuple(args.serve) if getattr(args, "serve", None) is not None else None,
    )  # fmt: skip


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    from podpac_exec.cli.arguments import print_table

    print_table(header, rows)


def print_actions(report: BuildReport) -> None:
    _table(("resource", "name", "action", "detail"), [(r.kind, r.name, r.action, r.detail) for r in report.resources])
    print(f"{report.operation}: {report.mutating_calls} mutating AWS call(s); function {report.function_arn}")


def _yes_no(value: bool | None) -> str:
    return "?" if value is None else ("yes" if value else "no")


def cmd_build(args: argparse.Namespace) -> int:
    options = _options(args)
    if options.function_url == "NONE" and options.public:
        import sys

        from podpac_exec.backends.aws_lambda.resources.function_url import PUBLIC_WARNING

        print(f"podpac-exec aws build: {PUBLIC_WARNING}", file=sys.stderr)
    report = build(_settings(args), options)
    print_actions(report)
    for r in report.resources:
        if r.kind == "function url" and r.name.startswith("http"):
            print(f"function URL: {r.name}")
    if args.verify and not options.upload_only:
        from podpac_exec.backends.aws_lambda.client.version import verify
        from podpac_exec.plugins.backends import get_backend

        ok, line = verify(get_backend("aws_lambda", _settings(args)))
        print(line)
        return 0 if ok else EXIT_FAILURE
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    report = status(_settings(args), _options(args))
    rows = [(r.kind, r.name, _yes_no(r.exists), "-" if r.action == "skipped" else _yes_no(r.up_to_date if r.exists else False),
             r.detail) for r in report.resources]  # fmt: skip
    _table(("resource", "name", "exists", "up to date", "detail"), rows)
    if not any(r.exists for r in report.resources if r.action != "skipped"):
        print(f"nothing exists for function {report.function_name!r}: run `podpac-exec aws build`")
        return EXIT_NOT_FOUND
    print(f"function {report.function_arn}: {'up to date' if report.up_to_date else 'run `podpac-exec aws build`'}")
    if any(r.kind == "function" and r.exists for r in report.resources):
        from podpac_exec.backends.aws_lambda.client.version import status_lines
        from podpac_exec.plugins.backends import get_backend

        for line in status_lines(get_backend("aws_lambda", _settings(args))):
            print(line)
    return 0


def parse_since(text: str) -> float:
    """``"10m"`` -> 600.0; a bare number is seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m:
        raise BuildInputError(f"--since expects e.g. 30s, 10m, 2h or 1d, got {text!r}", field="--since")
    return float(m.group(1)) * SINCE_UNITS[m.group(2) or "s"]


def cmd_logs(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise BuildInputError("--limit must be at least 1", field="--limit")
    events = fetch_logs(_settings(args), since_s=parse_since(args.since), limit=args.limit)
    for e in events:
        when = dt.datetime.fromtimestamp(e.timestamp_ms / 1000, dt.timezone.utc).isoformat(timespec="milliseconds")
        print(f"{when}  {e.stream}  {e.message.rstrip()}")
    if not events:
        print(f"no log events in the last {args.since}")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    report = delete(_settings(args), yes=args.yes, role_arn=args.role_arn)
    print_actions(report)
    if not any(r.exists for r in report.resources):
        print(f"nothing to delete for function {report.function_name!r}")
        return EXIT_NOT_FOUND
    if not args.yes:
        print("dry run: nothing deleted; pass --yes to delete what is listed above")
    return 0
