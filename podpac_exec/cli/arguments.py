"""What the commands share: JSON arguments (inline, a path or ``-``), ``--set`` pairs, tables."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Sequence

from podpac_exec.errors import PodpacExecError


class CommandInputError(PodpacExecError, ValueError):
    """A CLI argument is unusable (missing file, bad --set...)."""


def read_text_argument(value: str, what: str) -> str:
    """A JSON argument given inline or as a path (``-`` reads standard input)."""
    if value == "-":
        return sys.stdin.read()
    if value.lstrip().startswith(("{", "[")):
        return value
    path = Path(value)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandInputError(f"{what} file not found: {value}", field=what) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandInputError(f"cannot read {what} file {value}: {exc}", field=what) from None


def parse_set_options(pairs: Sequence[str]) -> dict[str, Any]:
    """``--set section.key=value`` pairs; values are JSON when they parse, else strings."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CommandInputError(f"--set expects KEY=VALUE, got {pair!r}", field="--set")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns padded to their widest cell, one row per line."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip())
