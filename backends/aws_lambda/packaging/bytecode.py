"""Bytecode for the target interpreter, shipped beside the sources.

Stripped wheels have no ``__pycache__``, so every cold start compiled every module it imported
(numpy, pandas, xarray, dask: seconds of CPU), and on Lambda ``/var/task`` is read-only, so the
function zip's own modules were compiled again by every container. Each ``.py`` is compiled once
by the runtime's Python version into an unchecked-hash pyc (PEP 552: valid whatever the file's
mtime after unzipping, and the same bytes for the same source), cached by the source's sha256.
Without an interpreter of the target version nothing is compiled (the manifest says so).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from podpac_exec.backends.aws_lambda.packaging.contents import Contents, Entry
from podpac_exec.backends.aws_lambda.packaging.resolve import cache_dir, resolver_python
from podpac_exec.backends.aws_lambda.packaging.spec import PackageSpec
from podpac_exec.backends.aws_lambda.packaging.zipwrite import read_entries

_COMPILE = """
import json, os, py_compile, sys
for src, out in json.load(sys.stdin):
    py_compile.compile(src, cfile=out, dfile=os.path.basename(src), doraise=False,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""
# dfile: the pyc's bytes must not name the temporary folder it was compiled in, or two builds
# compiling the same source at once (parallel tests) would cache different bytes for one key;
# the import system replaces the name with the module's real path when it loads the pyc.


def _pyc_name(arcname: str, tag: str) -> str:
    folder, _, base = arcname.rpartition("/")
    return f"{folder + '/' if folder else ''}__pycache__/{base[:-3]}.{tag}.pyc"


def add_bytecode(spec: PackageSpec, contents: Sequence[Contents]) -> str:
    """Add ``__pycache__/*.cpython-XY.pyc`` entries to ``contents``; returns what was done."""
    major, minor = spec.python_version
    python = resolver_python(spec.python_version)
    probe = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    if probe.stdout.strip() != f"{major}.{minor}":
        return f"not compiled: no python{major}.{minor} to compile with (modules compile at import)"
    tag = f"cpython-{major}{minor}"
    store = cache_dir(spec) / f"pyc-{tag}"
    store.mkdir(parents=True, exist_ok=True)
    sources = [(c, e) for c in contents for e in c.entries if e.arcname.endswith(".py") and not e.symlink]
    data = read_entries([e for _, e in sources])
    keys = {e.arcname: hashlib.sha256(data[id(e)]).hexdigest() for _, e in sources}
    missing = {keys[e.arcname]: e for _, e in sources if not (store / f"{keys[e.arcname]}.pyc").is_file()}
    if missing:
        with tempfile.TemporaryDirectory(prefix="podpac-pyc-") as tmp:
            jobs = []
            for key, entry in missing.items():
                src = Path(tmp) / f"{key}.py"
                src.write_bytes(data[id(entry)])
                jobs.append((str(src), str(store / f"{key}.pyc")))
            subprocess.run([python, "-I", "-c", _COMPILE], input=json.dumps(jobs), text=True, check=True,
                           capture_output=True, timeout=1800)  # fmt: skip
    added = 0
    for c, entry in sources:
        pyc = store / f"{keys[entry.arcname]}.pyc"
        if pyc.is_file():  # a file that does not compile (a template, py2 syntax) gets none
            blob = pyc.read_bytes()
            c.entries.append(Entry(_pyc_name(entry.arcname, tag), len(blob), data=blob))
            added += 1
    return f"{added} modules compiled by python{major}.{minor} (unchecked-hash pyc, PEP 552)"
