"""Interpreters for Lambda's python runtimes, and the packages the real runtime provides (boto3 ...)."""

from __future__ import annotations

import glob
import hashlib
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

# boto3 and its dependencies, as the managed python runtimes ship them (all pure Python).
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")


@dataclass(frozen=True)
class Interpreter:
    """The interpreter that runs a function, and whether it matches the function's Runtime."""

    path: str
    version: str  # "3.12"
    exact: bool
    note: str  # one line for INIT_START, naming any fallback


_found: dict[str, Interpreter] = {}


def _own_version() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


_lock = threading.Lock()


def python_version(runtime: str | None) -> str | None:
    """``"3.12"`` for ``"python3.12"``; None for non-python runtimes."""
    m = re.fullmatch(r"python(\d+\.\d+)", runtime or "")
    return m.group(1) if m else None


def _probe(path: str) -> str | None:
    """The ``X.Y`` version of a working interpreter at ``path``, or None (pyenv shims fail here)."""
    try:
        out = subprocess.run(
            [path, "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def _candidates(version: str) -> list[str]:
    names = [f"python{version}"]
    found: list[str] = []
    if _own_version() == version:
        found.append(sys.executable)
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.join(os.path.expanduser("~"), ".pyenv")
    found += sorted(
        glob.glob(os.path.join(pyenv_root, "versions", f"{version}*", "bin", f"python{version}")), reverse=True
    )
    for name in names:
        which = shutil.which(name)
        if which:
            found.append(which)
    for prefix in ("/usr/local/bin", "/usr/bin", "/opt/python/bin"):
        found.append(os.path.join(prefix, f"python{version}"))
    return list(dict.fromkeys(p for p in found if os.path.exists(p)))


def find_interpreter(runtime: str) -> Interpreter:
    """The installed interpreter of ``runtime``'s version, else this process's interpreter (said in ``note``)."""
    with _lock:
        if runtime in _found:
            return _found[runtime]
    wanted = python_version(runtime)
    interp: Interpreter | None = None
    if wanted:
        for path in _candidates(wanted):
            if _probe(path) == wanted:
                interp = Interpreter(path, wanted, True, f"Runtime Version: python:{wanted} (emulated by {path})")
                break
    if interp is None:
        own = _own_version()
        interp = Interpreter(
            sys.executable,
            own,
            False,
            f"Runtime Version: python:{own} (EMULATOR FALLBACK: no interpreter for {runtime} is installed; "
            f"running Python {own} at {sys.executable})",
        )
        print(f"podpac-exec emulator: {interp.note}", file=sys.stderr, flush=True)
    with _lock:
        _found[runtime] = interp
    return interp


def _distribution_files(name: str) -> tuple[str, list[Path]]:
    """Version and top-level paths (packages, modules, dist-info) of an installed distribution."""
    dist = importlib.metadata.distribution(name)
    base = Path(str(dist.locate_file("")))
    tops: set[Path] = set()
    for f in dist.files or []:
        first = f.parts[0]
        if first.endswith(".pth") or first == ".." or first.startswith("__pycache__"):
            continue
        tops.add(base / first)
    return dist.version, sorted(tops)


def runtime_packages(cache_dir: str | Path) -> Path:
    """A directory holding copies of the runtime-provided packages, built once per set of versions."""
    parts = {name: _distribution_files(name) for name in RUNTIME_DISTRIBUTIONS}
    key = hashlib.sha256(repr(sorted((n, v) for n, (v, _) in parts.items())).encode()).hexdigest()[:16]
    target = Path(cache_dir) / "runtime-packages" / key
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=target.parent))
    for _version, paths in parts.values():
        for src in paths:
            dst = tmp / src.name
            if src.is_dir():
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
            elif src.exists():
                shutil.copy2(src, dst)
    try:
        os.rename(tmp, target)
    except OSError:  # another process built it first
        shutil.rmtree(tmp, ignore_errors=True)
    return target
