"""What each wheel contributes: its files as installed, minus what no runtime import needs."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from podpac_exec.backends.aws_lambda.packaging.resolve import ResolvedWheel


# Stripped from dependencies: build-time and test-only files, never imported at run time.
STRIP_DIRS = frozenset({"__pycache__", "tests", "test", "_pyinstaller"})
STRIP_FILES = frozenset({"conftest.py"})
#: Files inside test directories that library code imports at run time (numpy.testing, which
#: scipy imports, needs numpy's NA stand-in).
KEEP_FILES = frozenset({"numpy/_core/tests/_natype.py"})
STRIP_SUFFIXES = frozenset(
    {".pyc", ".pyo", ".pyi", ".pyx", ".pxd", ".pxi", ".c", ".cc", ".cpp", ".h", ".hpp", ".md", ".rst", ".a"}
)
LICENSE_PREFIXES = ("license", "licence", "copying", "notice", "authors")
STRIP_RULES = (
    "directories named __pycache__, tests or test (but numpy/_core/tests/_natype.py); conftest.py",
    "directories named _pyinstaller (PyInstaller hooks, read only by PyInstaller)",
    "*.pyc, *.pyo (caches); *.pyi (type stubs; py.typed is kept)",
    "*.pyx, *.pxd, *.pxi, *.c, *.cc, *.cpp, *.h, *.hpp, *.a (build-time sources, headers, static libraries)",
    "*.md, *.rst outside .dist-info (prose docs; license files are always kept)",
    "wheel .data/scripts, .data/headers and .data/data (not importable); .data/purelib and"
    " .data/platlib are installed at the root as pip does",
    "in the dependencies zip, a vendored shared library byte-identical to one in a piece it requires"
    " (scipy.libs' copies of numpy.libs' libgfortran) becomes a relative symlink to that copy",
)


@dataclass(frozen=True)
class Entry:
    """One file of an output zip: a wheel member, or bytes in memory."""

    arcname: str
    size: int
    executable: bool = False
    wheel: Path | None = None
    member: str | None = None
    data: bytes | None = None
    symlink: bool = False  # ``data`` is the link's target


@dataclass
class Contents:
    """What one distribution contributes to the zips after stripping."""

    name: str
    version: str
    entries: list[Entry]
    estimated_zipped: int
    stripped_files: int = 0
    stripped_bytes: int = 0
    wheel: ResolvedWheel | None = None

    @property
    def unzipped_bytes(self) -> int:
        return sum(e.size for e in self.entries)


def strip_reason(arcname: str) -> str | None:
    """Why a dependency file is left out, or None to keep it."""
    parts = arcname.split("/")
    if parts[0].endswith(".dist-info") or arcname in KEEP_FILES:
        return None
    if any(p in STRIP_DIRS for p in parts[:-1]):
        return "directory"
    base = parts[-1]
    if base.lower().startswith(LICENSE_PREFIXES):
        return None
    if base in STRIP_FILES or PurePosixPath(base).suffix.lower() in STRIP_SUFFIXES:
        return "file"
    return None


def _install_path(member: str, data_dir: str) -> str | None:
    """Where a wheel member lands in site-packages; None for .data parts that are not importable."""
    if not member.startswith(data_dir):
        return member
    scheme, _, rest = member[len(data_dir):].partition("/")
    return rest if scheme in ("purelib", "platlib") and rest else None


def wheel_contents(path: Path, wheel: ResolvedWheel) -> Contents:
    """The kept files of a wheel, with a RECORD rewritten to list exactly them."""
    with zipfile.ZipFile(path) as zf:
        infos = [i for i in zf.infolist() if not i.is_dir()]
        dist_info = next(i.filename.split("/")[0] for i in infos if re.fullmatch(r"[^/]+\.dist-info/WHEEL", i.filename))
        data_dir = dist_info[: -len(".dist-info")] + ".data/"
        record_name = f"{dist_info}/RECORD"
        entries: list[Entry] = []
        kept: dict[str, str] = {}  # member -> arcname
        contents = Contents(wheel.name, wheel.version, entries, 0, wheel=wheel)
        for info in infos:
            arc = _install_path(info.filename, data_dir)
            if info.filename == record_name:
                continue
            if arc is None or strip_reason(arc):
                contents.stripped_files += 1
                contents.stripped_bytes += info.file_size
                continue
            kept[info.filename] = arc
            executable = bool((info.external_attr >> 16) & 0o111)
            entries.append(Entry(arc, info.file_size, executable, wheel=path, member=info.filename))
            contents.estimated_zipped += info.compress_size
        record = _filtered_record(zf.read(record_name).decode("utf-8"), kept, record_name)
    entries.append(Entry(record_name, len(record), data=record))
    return contents


def _filtered_record(text: str, kept: dict[str, str], record_name: str) -> bytes:
    """The wheel's RECORD restricted to the kept files (their hashes are still right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in csv.reader(io.StringIO(text)):
        if row and row[0] in kept:
            writer.writerow([kept[row[0]], *row[1:]])
    writer.writerow([record_name, "", ""])
    return out.getvalue().encode("utf-8")

