"""CLI wiring for the AWS Lambda backend: ``podpac-exec aws ...`` and ``podpac-exec emulator ...``."""

from __future__ import annotations

import argparse
from typing import Any


def add_commands(subparsers: Any) -> None:
    aws = subparsers.add_parser("aws", help="package, build and manage the Lambda function")
    aws_sub = aws.add_subparsers(dest="aws_command", required=True)
    from podpac_exec.backends.aws_lambda.commands.aws import add_aws_parsers
    from podpac_exec.backends.aws_lambda.commands.package import add_package_parser

    add_package_parser(aws_sub)
    add_aws_parsers(aws_sub)

    emulator = subparsers.add_parser("emulator", help="the offline AWS emulator")
    emu_sub = emulator.add_subparsers(dest="emulator_command", required=True)
    start = emu_sub.add_parser(
        "start", help="run the emulator and print the variables to export",
        description="Serve the emulator on 127.0.0.1. One shell: `podpac-exec emulator start --background "
        "--env-file .emulator.env && . ./.emulator.env`; stop it with `kill PID` (printed).",
    )
    start.add_argument("--port", type=_int, default=None, help="port on 127.0.0.1, 0..65535 (default 4580; 0: a free one)")
    start.add_argument("--env-file", metavar="FILE", help="also write the `export` lines to FILE (for `. FILE`)")
    start.add_argument("--background", action="store_true", help="start detached, print its PID and return")
    start.add_argument("--state-dir", metavar="DIR",
                       help="keep containers, artifacts and logs in DIR (kept at exit; default: a temporary one)")
    start.set_defaults(func=_start_emulator)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def _start_emulator(args: argparse.Namespace) -> int:
    from podpac_exec.backends.aws_lambda.emulator.cli import start_command

    return start_command(args.port, env_file=args.env_file, background=args.background, state_dir=args.state_dir)
