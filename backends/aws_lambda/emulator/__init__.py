"""Offline AWS emulator: moto's S3, IAM, STS, Lambda and CloudWatch Logs, with Lambda Invoke running
the function's real code in isolated local containers. See docs/emulator.md."""

from podpac_exec.backends.aws_lambda.emulator.cli import start_command
from podpac_exec.backends.aws_lambda.emulator.client import Emulator
from podpac_exec.backends.aws_lambda.emulator.errors import EmulatorError

__all__ = ["Emulator", "EmulatorError", "start_command"]
