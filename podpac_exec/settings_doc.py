"""``python -m podpac_exec.settings_doc [PATH]``: rewrite the settings table of docs/settings.md
(between its ``<!-- settings-table -->`` markers) from the declared specs."""

from __future__ import annotations

import sys
from pathlib import Path

from podpac_exec.settings import settings
from podpac_exec.settings_schema import markdown_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "settings.md"
START, END = "<!-- settings-table -->\n", "<!-- /settings-table -->"


def table_of(text: str) -> str:
    """The table part of a settings document."""
    return text.split(START, 1)[1].split(END, 1)[0]


def write_doc(path: Path = DOC) -> None:
    text = path.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    path.write_text(head + START + markdown_table(settings.specs()) + END + tail)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DOC
    write_doc(target)
    print(f"wrote the settings table to {target}")
