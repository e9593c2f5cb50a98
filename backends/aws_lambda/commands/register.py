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
    start = emu_sub.add_parser("start", help="run the emulator in the foreground and print the variables to export")
    start.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    start.set_defaults(func=_start_emulator)


def _start_emulator(args: argparse.Namespace) -> int:
    from podpac_exec.backends.aws_lambda.emulator.cli import start_command

    return start_command(args.port)
