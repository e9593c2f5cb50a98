"""``podpac-exec upgrade OLD.json > NEW.json``: an older-format pipeline in PODPAC 4.0.5's format."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from podpac_exec.cli.arguments import CommandInputError, read_text_argument
from podpac_exec.cli.exit_codes import EXIT_OK


def cmd_upgrade(args: argparse.Namespace) -> int:
    from podpac_exec.nodes.loader import load_definition, parse_json
    from podpac_exec.pipelines import PipelineUpgradeWarning, upgrade_definition

    definition = parse_json(read_text_argument(args.pipeline, "pipeline"))
    upgraded, report = upgrade_definition(definition)
    if args.check:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PipelineUpgradeWarning)
            load_definition(upgraded)  # the result must build here, not only in PODPAC
    text = json.dumps(upgraded, indent=2) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandInputError(f"cannot write {args.output}: {exc}", field="--output") from None
    else:
        sys.stdout.write(text)
    done = f"upgraded {report.summary}" if report else "the pipeline is already in PODPAC 4.0.5's format"
    print(f"podpac-exec: {done}", file=sys.stderr)
    return EXIT_OK


def add_upgrade_command(sub: Any) -> None:
    p = sub.add_parser("upgrade", help="rewrite an older PODPAC pipeline (1.x-3.x) in the current format")
    p.add_argument("pipeline", help="pipeline JSON: a file, '-' for stdin, or inline JSON")
    p.add_argument("-o", "--output", help="write the upgraded JSON here (default: standard output)")
    p.add_argument(
        "--no-check", dest="check", action="store_false", help="do not check that podpac-exec can build the result"
    )
    p.set_defaults(func=cmd_upgrade)


@contextmanager
def one_line_upgrade_warnings() -> Iterator[None]:
    """Within: a pipeline-upgrade warning prints as one ``podpac-exec: warning:`` line on stderr."""
    from podpac_exec.pipelines import PipelineUpgradeWarning

    with warnings.catch_warnings():
        previous = warnings.showwarning

        def show(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
            if issubclass(category, PipelineUpgradeWarning):
                print(f"podpac-exec: warning: {message}", file=sys.stderr)
            else:
                previous(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield
