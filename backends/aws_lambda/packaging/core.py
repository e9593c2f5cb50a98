"""Builds the Lambda function zip and the dependencies zip (or layer zips) from the source tree.

The layout follows PODPAC's AWS workflow: ``podpac_dist.zip`` is the function code (the handler,
podpac_exec and the light dependencies) and ``podpac_deps.zip`` holds the heavy dependencies,
which the handler fetches from S3 and unpacks into /tmp at cold start, to get past Lambda's
250 MB limit on unzipped code. ``deps_mode="layers"`` instead packs them as layer zips (files
under ``python/``) for ``PublishLayerVersion``.

Wheels are chosen by pip's cross-platform selection (``--platform``, ``--only-binary=:all:``,
``--python-version``, ``--implementation cp``) for the runtime's Amazon Linux 2023 (glibc 2.34),
pinned by the project's ``constraints.txt`` and cached under ``<output>/wheels/<runtime>-<arch>``.
The same inputs give byte-identical zips: entries are sorted, timestamps and permissions fixed.
Nothing here imports boto3.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import tomllib
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Literal
from urllib.parse import unquote, urlsplit

from podpac_exec.errors import PodpacExecError

#: Lambda runtimes supported, with their Python version (all on Amazon Linux 2023, glibc 2.34).
SUPPORTED_RUNTIMES: dict[str, tuple[int, int]] = {"python3.12": (3, 12), "python3.13": (3, 13)}
#: Lambda architecture -> the machine name in wheel platform tags.
ARCHITECTURES: dict[str, str] = {"x86_64": "x86_64", "arm64": "aarch64"}
GLIBC_MINOR = 34  # Amazon Linux 2023

DIST_ZIP_NAME = "podpac_dist.zip"
DEPS_ZIP_NAME = "podpac_deps.zip"
LAYER_ZIP_TEMPLATE = "podpac_layer_{index}.zip"
MANIFEST_NAME = "manifest.json"
#: Written at the function zip's root: what the handler needs to find and check the dependencies.
DEPS_INFO_NAME = "podpac_deps.json"
HANDLER_NAME = "handler.py"
MANIFEST_FORMAT = 1

#: The AWS SDK and its own dependencies, as every python runtime ships them. Left out unless
#: asked, or unless aiobotocore pins a botocore the runtime cannot be relied on to have.
RUNTIME_SDK = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3")

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 6

# Stripped from dependencies: build-time and test-only files, never imported at run time.
STRIP_DIRS = frozenset({"__pycache__", "tests", "test"})
STRIP_FILES = frozenset({"conftest.py"})
#: Files inside test directories that library code imports at run time (numpy.testing, which
#: scipy imports, needs numpy's NA stand-in).
KEEP_FILES = frozenset({"numpy/_core/tests/_natype.py"})
STRIP_SUFFIXES = frozenset(
    {".pyc", ".pyo", ".pyi", ".pyx", ".pxd", ".pxi", ".c", ".cc", ".cpp", ".h", ".hpp", ".md", ".rst"}
)
LICENSE_PREFIXES = ("license", "licence", "copying", "notice", "authors")
STRIP_RULES = (
    "directories named __pycache__, tests or test (but numpy/_core/tests/_natype.py); conftest.py",
    "*.pyc, *.pyo (caches); *.pyi (type stubs; py.typed is kept)",
    "*.pyx, *.pxd, *.pxi, *.c, *.cc, *.cpp, *.h, *.hpp (build-time sources and headers)",
    "*.md, *.rst outside .dist-info (prose docs; license files are always kept)",
    "wheel .data/scripts, .data/headers and .data/data (not importable); .data/purelib and"
    " .data/platlib are installed at the root as pip does",
)


class PackagingError(PodpacExecError, ValueError):
    """The packages cannot be built: a size limit, a resolution failure or a missing input."""


@dataclass(frozen=True)
class PackageLimits:
    """Lambda's size limits the build checks (smaller values make the checks testable)."""

    function_zipped_bytes: int = 50 * 2**20  # direct upload of the function zip
    unzipped_bytes: int = 262_144_000  # function plus layers, unzipped (Lambda's 250 MB)
    max_layers: int = 5
    layer_zipped_bytes: int = 50 * 2**20  # a layer above this must be published from S3
    light_max_bytes: int = 2**20  # a distribution this small (stripped, unzipped) goes in the function zip
    ephemeral_margin_bytes: int = 64 * 2**20  # /tmp kept free beside the deps zip and its files
    ephemeral_margin_fraction: float = 0.10


@dataclass(frozen=True)
class PackageSpec:
    """What to build; every field is an input of the (reproducible) build."""

    runtime: str = "python3.12"
    architecture: str = "x86_64"
    with_packages: tuple[str, ...] = ()
    #: optional heavy packages to leave out when no pipeline needs them (e.g. scipy: Convolution and
    #: some interpolation; zarr and numcodecs: zarr sources), to fit Lambda's 250 MB in layers mode
    without_packages: tuple[str, ...] = ()
    include_runtime_provided: bool = False
    deps_mode: Literal["s3", "layers"] = "s3"
    ephemeral_storage_mb: int = 2048
    output_dir: Path = Path("build/aws_lambda")
    s3fs: bool = True  # s3fs + aiobotocore, for s3:// data sources
    serve: bool = False  # the serve extra but its HTTP server: the function answers tiles, WMS, WCS
    runtime_botocore_version: str | None = None  # the runtime's botocore when known (else assumed to conflict)
    source_root: Path | None = None  # the project checkout (default: the one this module is in)
    handler_path: Path | None = None  # default: <source_root>/dist/aws_lambda/handler.py
    wheel_cache_dir: Path | None = None  # default: <output_dir>/wheels
    limits: PackageLimits = field(default_factory=PackageLimits)

    @property
    def python_version(self) -> tuple[int, int]:
        return SUPPORTED_RUNTIMES[self.runtime]

    @property
    def machine(self) -> str:
        return ARCHITECTURES[self.architecture]


@dataclass(frozen=True)
class PackageResult:
    """The zips built, and the manifest describing them (also written to ``manifest_path``)."""

    dist_zip: Path
    deps_zip: Path | None
    layer_zips: list[Path]
    manifest: dict[str, Any]
    manifest_path: Path
    downloaded: tuple[str, ...] = ()  # wheels fetched by this build (empty when the cache had all)


@dataclass(frozen=True)
class ResolvedWheel:
    """One wheel of a resolution, as pip's installation report gives it."""

    name: str  # canonical (PEP 503) name
    version: str
    filename: str
    url: str
    sha256: str
    requires_dist: tuple[str, ...]


@dataclass(frozen=True)
class Resolution:
    """The wheels pip selected for one set of requirements on one target."""

    key: str
    wheels: tuple[ResolvedWheel, ...]

    def by_name(self) -> dict[str, ResolvedWheel]:
        return {w.name: w for w in self.wheels}


@dataclass(frozen=True)
class Entry:
    """One file of an output zip: a wheel member, or bytes in memory."""

    arcname: str
    size: int
    executable: bool = False
    wheel: Path | None = None
    member: str | None = None
    data: bytes | None = None


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


@dataclass(frozen=True)
class Placement:
    """Where a distribution goes ("function", "deps", "layer", "excluded", "skipped") and why."""

    where: str
    reason: str


@dataclass(frozen=True)
class ZipStats:
    """A written zip: name, sha256 and sizes."""

    name: str
    sha256: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "sha256": self.sha256, "zipped_bytes": self.zipped_bytes,
            "unzipped_bytes": self.unzipped_bytes, "files": self.files,
        }  # fmt: skip


# -- target ------------------------------------------------------------------------------------


def validate_spec(spec: PackageSpec) -> None:
    """Raise :class:`PackagingError` naming the first unusable field."""
    if spec.runtime not in SUPPORTED_RUNTIMES:
        choices = ", ".join(SUPPORTED_RUNTIMES)
        raise PackagingError(f"unsupported runtime {spec.runtime!r}; choose one of {choices}", field="runtime")
    if spec.architecture not in ARCHITECTURES:
        choices = ", ".join(ARCHITECTURES)
        raise PackagingError(f"unsupported architecture {spec.architecture!r}; choose one of {choices}", field="architecture")
    if spec.deps_mode not in ("s3", "layers"):
        raise PackagingError(f"deps_mode must be 's3' or 'layers', not {spec.deps_mode!r}", field="deps_mode")
    if not 512 <= spec.ephemeral_storage_mb <= 10240:
        value = spec.ephemeral_storage_mb
        raise PackagingError(f"ephemeral_storage_mb must be 512-10240, not {value}", field="ephemeral_storage_mb")


def platform_tags(architecture: str) -> list[str]:
    """Wheel platforms Amazon Linux 2023 runs, most specific first (pip prefers earlier ones)."""
    machine = ARCHITECTURES[architecture]
    return [f"manylinux_2_{minor}_{machine}" for minor in range(GLIBC_MINOR, 16, -1)] + [f"manylinux2014_{machine}"]


def marker_environment(spec: PackageSpec) -> dict[str, str]:
    """PEP 508 marker values of the Lambda runtime (markers are evaluated for it, not for us)."""
    major, minor = spec.python_version
    return {
        "implementation_name": "cpython", "implementation_version": f"{major}.{minor}.0", "os_name": "posix",
        "platform_machine": spec.machine, "platform_python_implementation": "CPython", "platform_release": "",
        "platform_system": "Linux", "platform_version": "", "python_full_version": f"{major}.{minor}.0",
        "python_version": f"{major}.{minor}", "sys_platform": "linux", "extra": "",
    }  # fmt: skip


def canonical(name: str) -> str:
    """PEP 503 normalized distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- project -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Project:
    """What the build reads from the source tree's pyproject.toml."""

    root: Path
    name: str
    version: str
    summary: str
    requires_python: str
    dependencies: tuple[str, ...]
    extras: dict[str, tuple[str, ...]]
    packages: tuple[str, ...]
    package_dir: dict[str, str]
    package_data: dict[str, tuple[str, ...]]
    entry_points: dict[str, dict[str, str]]

    @property
    def constraints(self) -> Path:
        return self.root / "constraints.txt"


def default_source_root() -> Path:
    """The checkout this module lives in (``backends/aws_lambda/packaging/core.py``)."""
    return Path(__file__).resolve().parents[3]


def read_project(root: Path) -> Project:
    """Parse the parts of ``pyproject.toml`` the build mirrors."""
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackagingError(f"no pyproject.toml in {root}: packaging needs a source checkout", field="source_root") from None
    proj, tools = data["project"], data.get("tool", {}).get("setuptools", {})
    entry_points = {group: dict(eps) for group, eps in proj.get("entry-points", {}).items()}
    if proj.get("scripts"):
        entry_points["console_scripts"] = dict(proj["scripts"])
    return Project(
        root=root, name=proj["name"], version=proj["version"], summary=proj.get("description", ""),
        requires_python=proj.get("requires-python", ""), dependencies=tuple(proj.get("dependencies", ())),
        extras={k: tuple(v) for k, v in proj.get("optional-dependencies", {}).items()},
        packages=tuple(tools.get("packages", ())), package_dir=dict(tools.get("package-dir", {})),
        package_data={k: tuple(v) for k, v in tools.get("package-data", {}).items()}, entry_points=entry_points,
    )  # fmt: skip


def root_requirements(spec: PackageSpec, project: Project) -> list[str]:
    """The requirements the function needs: core dependencies, s3fs (aws extra), the serve extra
    (without uvicorn: Lambda is the server), --with packages."""
    reqs = list(project.dependencies)
    if spec.s3fs:
        reqs += project.extras.get("aws", ())
    if spec.serve:
        reqs += [r for r in project.extras.get("serve", ()) if not r.startswith("uvicorn")]
    if spec.include_runtime_provided:
        reqs.append("boto3")
    reqs += spec.with_packages
    return list(dict.fromkeys(reqs))


# -- resolution and the wheel cache -------------------------------------------------------------


def cache_dir(spec: PackageSpec) -> Path:
    """``<wheel cache>/<runtime>-<arch>``, where wheels and cached resolutions live."""
    base = spec.wheel_cache_dir if spec.wheel_cache_dir is not None else spec.output_dir / "wheels"
    return Path(base) / f"{spec.runtime}-{spec.architecture}"


def _target_options(spec: PackageSpec) -> list[str]:
    major, minor = spec.python_version
    opts = ["--only-binary=:all:", "--python-version", f"{major}.{minor}", "--implementation", "cp", "--abi", f"cp{major}{minor}"]
    for tag in platform_tags(spec.architecture):
        opts += ["--platform", tag]
    return opts


def resolution_key(spec: PackageSpec, requirements: Sequence[str], constraints: Path | None) -> str:
    """sha256 of everything that decides which wheels pip picks."""
    lines = constraints.read_text(encoding="utf-8").splitlines() if constraints else []
    payload = {
        "requirements": sorted(requirements),
        "constraints": sorted({ln.split("#")[0].strip() for ln in lines} - {""}),  # order and comments don't matter
        "options": _target_options(spec),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


@cache
def resolver_python(version: tuple[int, int]) -> str:
    """An interpreter of the target's version with pip, else this one.

    pip evaluates environment markers (``python_version < "3.12"``) for the interpreter running
    it, not for ``--python-version``; running the target's version makes them right. The marker
    closure computed here catches what a fallback interpreter would miss.
    """
    if sys.version_info[:2] == version:
        return sys.executable
    dotted = f"{version[0]}.{version[1]}"
    name = f"python{dotted}"
    pyenv = os.environ.get("PYENV_ROOT") or os.path.join(os.path.expanduser("~"), ".pyenv")
    candidates = sorted(glob.glob(os.path.join(pyenv, "versions", f"{dotted}*", "bin", name)), reverse=True)
    candidates += [p for p in (shutil.which(name),) if p]
    code = "import pip, sys; print('%d.%d' % sys.version_info[:2], pip.__version__)"
    for path in candidates:
        probe = subprocess.run([path, "-c", code], capture_output=True, text=True, timeout=30, check=False)
        found, _, pip_version = probe.stdout.strip().partition(" ")
        if probe.returncode == 0 and found == dotted and _at_least(pip_version, (22, 2)):
            return path
    return sys.executable


def _at_least(version: str, minimum: tuple[int, int]) -> bool:
    """``pip --report`` needs pip 22.2."""
    parts = re.findall(r"\d+", version)[:2]
    return len(parts) == 2 and (int(parts[0]), int(parts[1])) >= minimum


def _run_pip(python: str, args: list[str], what: str) -> None:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    proc = subprocess.run([python, "-m", "pip", *args], capture_output=True, text=True, env=env, check=False, timeout=1800)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip() and not ln.startswith("WARNING:")]
        tail = "\n  ".join(lines[-15:])
        raise PackagingError(f"pip could not {what} (exit {proc.returncode}):\n  {tail}")


def resolve(spec: PackageSpec, requirements: Sequence[str], constraints: Path | None = None) -> Resolution:
    """The wheels pip picks for ``requirements`` on the target; cached by :func:`resolution_key`.

    Only the index metadata is read (``pip install --dry-run --report``); nothing is downloaded.
    """
    key = resolution_key(spec, requirements, constraints)
    cached = cache_dir(spec) / f"resolution-{key[:16]}.json"
    if cached.is_file():
        return _load_resolution(cached, key)
    with tempfile.TemporaryDirectory(prefix="podpac-resolve-") as tmp:
        report = Path(tmp) / "report.json"
        args = ["install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report),
                "--target", str(Path(tmp) / "target"), *_target_options(spec)]  # fmt: skip
        if constraints:
            args += ["-c", str(constraints)]
        _run_pip(resolver_python(spec.python_version), args + list(requirements), "resolve the requirements")
        resolution = Resolution(key, tuple(_wheel_from_report(item) for item in json.loads(report.read_text())["install"]))
    _write_atomic(cached, json.dumps(_resolution_json(resolution), indent=1, sort_keys=True).encode())
    return resolution


def _wheel_from_report(item: dict[str, Any]) -> ResolvedWheel:
    meta, info = item["metadata"], item["download_info"]
    url = info["url"]
    hashes = info.get("archive_info", {}).get("hashes", {})
    filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
    return ResolvedWheel(
        name=canonical(meta["name"]), version=meta["version"], filename=filename,
        url=url, sha256=hashes.get("sha256", ""), requires_dist=tuple(meta.get("requires_dist", ())),
    )  # fmt: skip


def _resolution_json(resolution: Resolution) -> dict[str, Any]:
    return {"key": resolution.key, "wheels": [w.__dict__ for w in resolution.wheels]}


def _load_resolution(path: Path, key: str) -> Resolution:
    data = json.loads(path.read_text())
    wheels = tuple(ResolvedWheel(**{**w, "requires_dist": tuple(w["requires_dist"])}) for w in data["wheels"])
    return Resolution(key, wheels)


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(tmp, 0o644)  # mkstemp creates 0600; these are shareable build outputs
    os.replace(tmp, path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def _cache_lock(directory: Path) -> Iterator[None]:
    """Serialize downloads into one cache directory (parallel test workers, concurrent builds)."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # not POSIX: downloads stay safe (atomic renames), only possibly duplicated
        yield
        return
    with open(directory / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _cached_ok(path: Path, wheel: ResolvedWheel) -> bool:
    return path.is_file() and (not wheel.sha256 or file_sha256(path) == wheel.sha256)


def ensure_wheels(spec: PackageSpec, wheels: Iterable[ResolvedWheel]) -> tuple[dict[str, Path], list[str]]:
    """Paths of the wheels in the cache, downloading the missing ones; and the names downloaded."""
    directory = cache_dir(spec)
    wanted = {w.filename: w for w in wheels}
    missing = [w for name, w in sorted(wanted.items()) if not _cached_ok(directory / name, w)]
    if missing:
        with _cache_lock(directory):
            missing = [w for w in missing if not _cached_ok(directory / w.filename, w)]
            if missing:
                _download(spec, missing, directory)
    return {w.name: directory / w.filename for w in wanted.values()}, [w.filename for w in missing]


def _download(spec: PackageSpec, wheels: Sequence[ResolvedWheel], directory: Path) -> None:
    with tempfile.TemporaryDirectory(prefix=".download-", dir=directory) as tmp:
        args = ["download", "--no-deps", "--quiet", "--progress-bar", "off", "-d", tmp, *_target_options(spec)]
        _run_pip(resolver_python(spec.python_version), args + [w.url for w in wheels], "download the wheels")
        for wheel in wheels:
            got = Path(tmp) / wheel.filename
            if not got.is_file():
                raise PackagingError(f"pip did not download {wheel.filename}")
            if wheel.sha256 and file_sha256(got) != wheel.sha256:
                raise PackagingError(f"{wheel.filename}: sha256 differs from the index's ({wheel.sha256})")
            os.replace(got, directory / wheel.filename)


# -- requirement closure and the runtime SDK ----------------------------------------------------


def _requirement(text: str) -> Any:
    from packaging.requirements import Requirement

    return Requirement(text)


def closure(
    roots: Sequence[str], wheels: dict[str, ResolvedWheel], env: dict[str, str], excluded: Iterable[str] = ()
) -> list[str]:
    """Distributions needed on the target: requirements followed with markers evaluated for it.

    Names in ``excluded`` are not followed (the runtime provides them). A needed distribution
    that pip did not resolve is a :class:`PackagingError`.
    """
    skip = {canonical(n) for n in excluded}
    extras: dict[str, set[str]] = {}
    queue = [_requirement(r) for r in roots]
    missing: list[str] = []
    while queue:
        req = queue.pop()
        name = canonical(req.name)
        if name in skip:
            continue
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        if name not in wheels:
            missing.append(str(req))
            continue
        new = ({""} | set(req.extras)) - extras.get(name, set())
        if not new:
            continue
        extras.setdefault(name, set()).update(new)
        for text in wheels[name].requires_dist:
            dep = _requirement(text)
            if dep.marker is None or any(dep.marker.evaluate({**env, "extra": e}) for e in new):
                dep.marker = None  # evaluated here, for the extras that brought it in
                queue.append(dep)
    if missing:
        raise PackagingError(
            f"the target needs {', '.join(sorted(set(missing)))} but pip did not resolve it; pip evaluates "
            "markers for the interpreter it runs on: install the runtime's Python version, or add --with NAME"
        )
    return sorted(extras)


@dataclass(frozen=True)
class SdkDecision:
    """Whether the AWS SDK (boto3, botocore ...) is bundled, and why."""

    bundled: bool
    reason: str


def sdk_decision(spec: PackageSpec, wheels: dict[str, ResolvedWheel], needed: Sequence[str]) -> SdkDecision:
    """Bundle the SDK when asked, or when aiobotocore pins a botocore the runtime may not have.

    Bundled, it goes in the function zip, ahead of the runtime's copy on sys.path: the handler
    imports boto3 to fetch the dependencies zip, so a botocore in that zip would come too late
    (the runtime's would already be imported) and aiobotocore would run against the wrong one.
    """
    if spec.include_runtime_provided:
        return SdkDecision(True, "asked for (include_runtime_provided)")
    if "aiobotocore" not in needed:
        return SdkDecision(False, "the runtime provides boto3 and botocore; nothing pins them")
    pin = next((r for r in map(_requirement, wheels["aiobotocore"].requires_dist) if canonical(r.name) == "botocore"), None)
    aio = f"aiobotocore {wheels['aiobotocore'].version} requires botocore{pin.specifier if pin else ''}"
    runtime = spec.runtime_botocore_version
    if pin is None or (runtime and pin.specifier.contains(runtime, prereleases=True)):
        return SdkDecision(False, f"{aio}; the runtime's botocore {runtime or '(any)'} satisfies it")
    known = f"is {runtime}" if runtime else "is unknown (AWS updates it on its own schedule, per region)"
    bundled = wheels["botocore"].version if "botocore" in wheels else "?"
    return SdkDecision(
        True,
        f"{aio} but the runtime's botocore {known}: botocore {bundled} with the matching boto3 and s3transfer "
        "is bundled in the function zip, ahead of the runtime's copy on sys.path (the handler imports boto3 "
        "before the dependencies are unpacked, so a botocore in the dependencies would come too late)",
    )


# -- wheel contents --------------------------------------------------------------------------------


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


# -- the project's own files ------------------------------------------------------------------------


def _package_source_dir(project: Project, package: str) -> Path:
    """The directory of ``package`` under setuptools' package-dir mapping (longest prefix wins)."""
    best = ""
    for prefix in project.package_dir:
        if prefix and (package == prefix or package.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    base = project.package_dir.get(best, "") if best else project.package_dir.get("", "")
    rest = package[len(best):].lstrip(".") if best else package
    return project.root / base / rest.replace(".", "/")


def source_entries(project: Project) -> list[Entry]:
    """podpac_exec and podpac_exec.backends (from ``backends/``) as installed, from the source tree."""
    entries: list[Entry] = []
    for package in project.packages:
        directory = _package_source_dir(project, package)
        if not directory.is_dir():
            raise PackagingError(f"package {package} has no directory {directory}", field="source_root")
        patterns = ("*.py", *project.package_data.get(package, ()), *project.package_data.get("*", ()))
        files = {p for pattern in patterns for p in directory.glob(pattern) if p.is_file()}
        for path in sorted(files):
            # package data keeps its sub-directories (serve's static/leaflet/...)
            entries.append(_file_entry(path, f"{package.replace('.', '/')}/{path.relative_to(directory).as_posix()}"))
    return entries


def _file_entry(path: Path, arcname: str) -> Entry:
    data = path.read_bytes()
    return Entry(arcname, len(data), bool(path.stat().st_mode & 0o111), data=data)


def project_dist_info(project: Project, files: Sequence[Entry]) -> list[Entry]:
    """A ``.dist-info`` for podpac_exec, so importlib.metadata and entry points work in Lambda."""
    dist_info = f"{re.sub(r'[-_.]+', '_', project.name)}-{project.version}.dist-info"
    meta = ["Metadata-Version: 2.1", f"Name: {project.name}", f"Version: {project.version}", f"Summary: {project.summary}"]
    if project.requires_python:
        meta.append(f"Requires-Python: {project.requires_python}")
    meta += [f"Requires-Dist: {r}" for r in project.dependencies]
    eps = "\n".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in sorted(points.items()))
        for group, points in sorted(project.entry_points.items())
    )
    tops = sorted({p.split(".")[0] for p in project.packages})
    generated = {
        "METADATA": ("\n".join(meta) + "\n").encode(),
        "entry_points.txt": eps.encode(),
        "top_level.txt": ("\n".join(tops) + "\n").encode(),
        "INSTALLER": b"podpac-exec aws package\n",
    }
    entries = [Entry(f"{dist_info}/{name}", len(data), data=data) for name, data in generated.items()]
    rows = [[e.arcname, f"sha256={_record_hash(e.data or b'')}", str(e.size)] for e in [*files, *entries]]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(sorted(rows) + [[f"{dist_info}/RECORD", "", ""]])
    record = out.getvalue().encode()
    return entries + [Entry(f"{dist_info}/RECORD", len(record), data=record)]


def _record_hash(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def handler_entry(spec: PackageSpec, root: Path) -> Entry:
    """``dist/aws_lambda/handler.py`` as ``handler.py`` at the zip root."""
    path = spec.handler_path or root / "dist" / "aws_lambda" / HANDLER_NAME
    if not Path(path).is_file():
        raise PackagingError(f"the Lambda handler {path} does not exist", field="handler_path")
    return _file_entry(Path(path), HANDLER_NAME)


# -- placement ---------------------------------------------------------------------------------------


def place(spec: PackageSpec, contents: dict[str, Contents], sdk: SdkDecision) -> dict[str, Placement]:
    """Function zip or dependencies, by a rule that only looks at each distribution itself.

    SDK distributions follow :func:`sdk_decision`; every other one goes in the function zip when
    its stripped, unzipped size is at most ``limits.light_max_bytes``, else in the dependencies.
    """
    light = spec.limits.light_max_bytes
    heavy = "deps" if spec.deps_mode == "s3" else "layer"
    out: dict[str, Placement] = {}
    for name, c in sorted(contents.items()):
        if name in RUNTIME_SDK and sdk.bundled:
            out[name] = Placement("function", "AWS SDK, bundled: see sdk.reason")
        elif c.unzipped_bytes <= light:
            out[name] = Placement("function", f"{c.unzipped_bytes} bytes unzipped <= {light} (light)")
        else:
            out[name] = Placement(heavy, f"{c.unzipped_bytes} bytes unzipped > {light} (heavy)")
    return out


def pack_layers(contents: Sequence[Contents], limits: PackageLimits) -> list[list[Contents]]:
    """Distributions in at most ``max_layers`` groups, first-fit decreasing by estimated zipped size.

    Groups aim at ``layer_zipped_bytes`` (direct upload); when that needs more than
    ``max_layers`` groups, the rest go to the smallest group (publish those layers from S3).
    """
    layers: list[list[Contents]] = []
    sizes: list[int] = []
    for c in sorted(contents, key=lambda c: (-c.estimated_zipped, c.name)):
        fit = next((i for i, s in enumerate(sizes) if s + c.estimated_zipped <= limits.layer_zipped_bytes), None)
        if fit is None and len(layers) < limits.max_layers:
            layers.append([])
            sizes.append(0)
            fit = len(layers) - 1
        if fit is None:
            fit = min(range(len(sizes)), key=lambda i: (sizes[i], i))
        layers[fit].append(c)
        sizes[fit] += c.estimated_zipped
    return [sorted(group, key=lambda c: c.name) for group in layers]


# -- zips --------------------------------------------------------------------------------------------


def write_zip(path: Path, entries: Sequence[Entry], prefix: str = "") -> ZipStats:
    """A reproducible zip: sorted entries, fixed dates and modes.

    Wheel members keep the wheel's own compressed bytes (copied, not recompressed: the same
    wheels give the same bytes, and it makes builds several times faster); generated and
    source files are deflated at ``ZIP_COMPRESSLEVEL``.
    """
    seen: dict[str, Entry] = {}
    for e in entries:
        if e.arcname in seen:
            raise PackagingError(f"two sources for {prefix}{e.arcname}: {_origin(seen[e.arcname])} and {_origin(e)}")
        seen[e.arcname] = e
    if len(seen) > 0xFFFF:
        raise PackagingError(f"{path.name} would hold {len(seen)} files; more than 65535 needs zip64, which this writer omits")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh, _WheelReaders() as readers:
        writer = _ZipWriter(fh)
        for arcname in sorted(seen):
            entry = seen[arcname]
            mode = 0o100755 if entry.executable else 0o100644
            writer.add(prefix + arcname, *_member_bytes(entry, readers), mode=mode)
        writer.close()
    unzipped = sum(e.size for e in entries)
    return ZipStats(path.name, file_sha256(path), path.stat().st_size, unzipped, len(entries))


def _origin(entry: Entry) -> str:
    return entry.wheel.name if entry.wheel else "the source tree"


_LOCAL = struct.Struct("<IHHHHHIIIHH")  # local file header
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")  # central directory header
_END = struct.Struct("<IHHHHIIH")  # end of central directory
_DOS_TIME, _DOS_DATE = 0, (ZIP_DATE[0] - 1980) << 9 | ZIP_DATE[1] << 5 | ZIP_DATE[2]


class _ZipWriter:
    """The minimal zip format: no extra fields, no comments, no data descriptors, no zip64."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.central: list[bytes] = []

    def add(self, name: str, method: int, crc: int, data: bytes, size: int, *, mode: int) -> None:
        raw = name.encode("utf-8")
        flags = 0 if name.isascii() else 0x800  # bit 11: the name is UTF-8
        offset = self.fh.tell()
        if offset > 0xFFFFFFFF or size > 0xFFFFFFFF:
            raise PackagingError(f"{name}: over 4 GB needs zip64, which this writer omits")
        common = (20, flags, method, _DOS_TIME, _DOS_DATE, crc, len(data), size, len(raw))
        self.fh.write(_LOCAL.pack(0x04034B50, *common, 0) + raw)
        self.fh.write(data)
        self.central.append(_CENTRAL.pack(0x02014B50, 3 << 8 | 20, *common, 0, 0, 0, 0, mode << 16, offset) + raw)

    def close(self) -> None:
        start = self.fh.tell()
        for header in self.central:
            self.fh.write(header)
        count, size = len(self.central), self.fh.tell() - start
        self.fh.write(_END.pack(0x06054B50, 0, 0, count, count, size, start, 0))


class _WheelReaders:
    """Open wheels, each once: its member table and a raw file handle."""

    def __init__(self) -> None:
        self.open: dict[Path, tuple[zipfile.ZipFile, BinaryIO]] = {}

    def __enter__(self) -> _WheelReaders:
        return self

    def __exit__(self, *exc: object) -> None:
        for zf, fh in self.open.values():
            zf.close()
            fh.close()

    def get(self, wheel: Path) -> tuple[zipfile.ZipFile, BinaryIO]:
        if wheel not in self.open:
            self.open[wheel] = (zipfile.ZipFile(wheel), open(wheel, "rb"))
        return self.open[wheel]


def _member_bytes(entry: Entry, readers: _WheelReaders) -> tuple[int, int, bytes, int]:
    """(method, crc32, stored bytes, uncompressed size) of an entry."""
    if entry.data is None:
        assert entry.wheel is not None and entry.member is not None
        zf, fh = readers.get(entry.wheel)
        info = zf.getinfo(entry.member)
        if info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) and not info.flag_bits & 0x1:
            fh.seek(info.header_offset)
            header = _LOCAL.unpack(fh.read(_LOCAL.size))
            fh.seek(info.header_offset + _LOCAL.size + header[-2] + header[-1])
            return info.compress_type, info.CRC, fh.read(info.compress_size), info.file_size
        data = zf.read(entry.member)  # another compression method: deflate it ourselves
    else:
        data = entry.data
    packer = zlib.compressobj(ZIP_COMPRESSLEVEL, zlib.DEFLATED, -15)
    return zipfile.ZIP_DEFLATED, zlib.crc32(data), packer.compress(data) + packer.flush(), len(data)


# -- checks ------------------------------------------------------------------------------------------


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def _biggest(contents: Iterable[Contents], count: int = 5) -> str:
    top = sorted(contents, key=lambda c: (-c.unzipped_bytes, c.name))[:count]
    return ", ".join(f"{c.name} {_mb(c.unzipped_bytes)}" for c in top)


def check_unzipped(spec: PackageSpec, function: Sequence[Contents], layers: Sequence[Sequence[Contents]]) -> None:
    """Function plus layers within Lambda's unzipped limit; at most ``max_layers`` layers."""
    limits = spec.limits
    if len(layers) > limits.max_layers:
        raise PackagingError(f"{len(layers)} layers needed, Lambda allows {limits.max_layers}")
    everything = [*function, *(c for layer in layers for c in layer)]
    total = sum(c.unzipped_bytes for c in everything)
    if total > limits.unzipped_bytes:
        what = "function zip plus layers" if layers else "function zip"
        raise PackagingError(
            f"{what} unzipped is {_mb(total)} ({total} bytes), over Lambda's limit of {_mb(limits.unzipped_bytes)} "
            f"({limits.unzipped_bytes} bytes); biggest packages: {_biggest(everything)}"
            + ("" if layers else "; lower light_max_bytes to move packages to the dependencies zip"),
            field="limits.unzipped_bytes",
        )


def check_function_zipped(
    spec: PackageSpec, zipped: int, unzipped: int, function: Sequence[Contents], estimated: bool = False
) -> None:
    """The function zip within the direct-upload limit (``estimated``: checked before writing)."""
    limit = spec.limits.function_zipped_bytes
    if zipped > limit:
        about = "about " if estimated else ""
        raise PackagingError(
            f"function zip is {about}{_mb(zipped)} zipped ({zipped} bytes; {_mb(unzipped)} unzipped), over the "
            f"{_mb(limit)} ({limit} bytes) limit; biggest packages: {_biggest(function)}",
            field="limits.function_zipped_bytes",
        )


def ephemeral_budget(spec: PackageSpec) -> int:
    """Bytes of /tmp the dependencies may use: ephemeral storage minus a safety margin."""
    total = spec.ephemeral_storage_mb * 2**20
    margin = max(spec.limits.ephemeral_margin_bytes, int(total * spec.limits.ephemeral_margin_fraction))
    return total - margin


def check_deps(spec: PackageSpec, zipped: int, unzipped: int, deps: Sequence[Contents], estimated: bool = False) -> None:
    """The dependencies zip and its unpacked files fit in /tmp (both exist while the handler unpacks)."""
    need, budget = zipped + unzipped, ephemeral_budget(spec)
    if need > budget:
        about = "about " if estimated else ""
        raise PackagingError(
            f"dependencies need {about}{_mb(need)} of /tmp ({_mb(zipped)} zipped + {_mb(unzipped)} "
            f"unpacked), over {_mb(budget)} ({budget} bytes: {spec.ephemeral_storage_mb} MB ephemeral storage minus "
            f"a safety margin); raise ephemeral_storage_mb; biggest packages: {_biggest(deps)}",
            field="ephemeral_storage_mb",
        )


# -- the build ---------------------------------------------------------------------------------------


def build_packages(spec: PackageSpec) -> PackageResult:
    """Build ``podpac_dist.zip`` and ``podpac_deps.zip`` (or layer zips) and ``manifest.json``.

    Zips are written under temporary names and renamed into ``spec.output_dir`` only when every
    check passes, so a failed build leaves the output directory as it was. Concurrent builds
    (e.g. parallel test workers) sharing a build directory and wheel cache take turns.
    """
    import fcntl

    lock_path = Path(spec.output_dir).resolve().parent / ".podpac-exec-package.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _build_packages(spec)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _build_packages(spec: PackageSpec) -> PackageResult:
    validate_spec(spec)
    root = Path(spec.source_root or default_source_root()).resolve()
    project = read_project(root)
    handler = handler_entry(spec, root)
    constraints = project.constraints if project.constraints.is_file() else None
    roots = root_requirements(spec, project)
    resolution = resolve(spec, roots, constraints)
    wheels = resolution.by_name()
    env = marker_environment(spec)
    left_out = tuple(spec.without_packages)
    all_needed = closure(roots, wheels, env, excluded=left_out)
    sdk = sdk_decision(spec, wheels, all_needed)
    needed = all_needed if sdk.bundled else closure(roots, wheels, env, excluded=RUNTIME_SDK + left_out)
    paths, downloaded = ensure_wheels(spec, [wheels[n] for n in needed])
    contents = {n: wheel_contents(paths[n], wheels[n]) for n in needed}
    placements = place(spec, contents, sdk)
    function = [contents[n] for n in needed if placements[n].where == "function"]
    heavy = [contents[n] for n in needed if placements[n].where != "function"]
    layers = pack_layers(heavy, spec.limits) if spec.deps_mode == "layers" else []
    own = source_entries(project)
    own_entries = [handler, *own, *project_dist_info(project, own)]
    own_contents = Contents(project.name, project.version, own_entries, sum(e.size for e in own_entries))
    check_unzipped(spec, [*function, own_contents], layers)
    _check_estimates(spec, [*function, own_contents], heavy)

    out = Path(spec.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out) as tmp:
        deps_info, artifacts = _write_heavy(spec, Path(tmp), heavy, layers, placements, staged)
        info_bytes = json.dumps(deps_info, indent=1, sort_keys=True).encode() + b"\n"
        dist_entries = [*own_entries, Entry(DEPS_INFO_NAME, len(info_bytes), data=info_bytes)]
        dist_entries += [e for c in function for e in c.entries]
        dist = write_zip(Path(tmp) / DIST_ZIP_NAME, dist_entries)
        check_function_zipped(spec, dist.zipped_bytes, dist.unzipped_bytes, [*function, own_contents])
        staged.append((Path(tmp) / DIST_ZIP_NAME, out / DIST_ZIP_NAME))
        _remove_stale(out, spec.deps_mode)
        (out / MANIFEST_NAME).unlink(missing_ok=True)  # no manifest until every zip of this build is in place
        for src, dst in staged:
            os.replace(src, dst)
    artifacts["function"] = dist.as_dict()
    manifest = _manifest(spec, project, roots, constraints, resolution, contents, placements, sdk, artifacts, all_needed)
    manifest_path = out / MANIFEST_NAME
    _write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode() + b"\n")
    return PackageResult(
        dist_zip=out / DIST_ZIP_NAME,
        deps_zip=out / DEPS_ZIP_NAME if spec.deps_mode == "s3" else None,
        layer_zips=[out / LAYER_ZIP_TEMPLATE.format(index=i + 1) for i in range(len(layers))],
        manifest=manifest, manifest_path=manifest_path, downloaded=tuple(downloaded),
    )  # fmt: skip


def _check_estimates(spec: PackageSpec, function: Sequence[Contents], heavy: Sequence[Contents]) -> None:
    """Fail before writing anything when the wheels' own compressed sizes already break a limit."""
    zipped = sum(c.estimated_zipped for c in function)
    check_function_zipped(spec, zipped, sum(c.unzipped_bytes for c in function), function, estimated=True)
    if spec.deps_mode == "s3":
        check_deps(spec, sum(c.estimated_zipped for c in heavy), sum(c.unzipped_bytes for c in heavy), heavy, estimated=True)


def _write_heavy(
    spec: PackageSpec, tmp: Path, heavy: list[Contents], layers: list[list[Contents]],
    placements: dict[str, Placement], staged: list[tuple[Path, Path]],
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Write the dependencies zip or the layer zips; return the handler's deps info and the artifacts."""
    out = Path(spec.output_dir)
    if spec.deps_mode == "s3":
        info = write_zip(tmp / DEPS_ZIP_NAME, [e for c in heavy for e in c.entries])
        check_deps(spec, info.zipped_bytes, info.unzipped_bytes, heavy)
        staged.append((tmp / DEPS_ZIP_NAME, out / DEPS_ZIP_NAME))
        packages = {c.name: c.version for c in heavy}
        deps_info = {"format": MANIFEST_FORMAT, "mode": "s3", "deps_zip": info.as_dict(), "packages": packages}
        return deps_info, {"deps": info.as_dict()}
    layer_infos: list[dict[str, Any]] = []
    for index, group in enumerate(layers, start=1):
        name = LAYER_ZIP_TEMPLATE.format(index=index)
        info = write_zip(tmp / name, [e for c in group for e in c.entries], prefix="python/")
        staged.append((tmp / name, out / name))
        for c in group:
            placements[c.name] = Placement(f"layer:{index}", placements[c.name].reason)
        layer_infos.append(_layer_dict(spec, info, index, len(layers), group))
    return {"format": MANIFEST_FORMAT, "mode": "layers", "layers": layer_infos}, {"layers": layer_infos}


def _layer_dict(spec: PackageSpec, info: ZipStats, index: int, count: int, group: Sequence[Contents]) -> dict[str, Any]:
    """What publishing a layer needs (``PublishLayerVersion`` arguments and the upload route)."""
    names = ", ".join(c.name for c in group)
    description = f"podpac-exec deps {index}/{count} {spec.runtime} {spec.architecture} sha256:{info.sha256[:12]}: {names}"
    return {
        **info.as_dict(), "index": index, "packages": {c.name: c.version for c in group},
        "description": description[:256], "compatible_runtimes": [spec.runtime],
        "compatible_architectures": [spec.architecture],
        "direct_upload": info.zipped_bytes <= spec.limits.layer_zipped_bytes,
    }  # fmt: skip


def _remove_stale(out: Path, mode: str) -> None:
    """Artifacts of the other mode (or of a build with more layers) would mislead an upload."""
    for path in out.glob(LAYER_ZIP_TEMPLATE.format(index="*")):
        path.unlink()
    if mode != "s3" and (out / DEPS_ZIP_NAME).exists():
        (out / DEPS_ZIP_NAME).unlink()


def _manifest(
    spec: PackageSpec, project: Project, roots: list[str], constraints: Path | None, resolution: Resolution,
    contents: dict[str, Contents], placements: dict[str, Placement], sdk: SdkDecision,
    artifacts: dict[str, Any], all_needed: list[str],
) -> dict[str, Any]:  # fmt: skip
    """Everything about the build that is reproducible: no paths outside output_dir, no times."""
    packages: list[dict[str, Any]] = []
    for wheel in sorted(resolution.wheels, key=lambda w: w.name):
        row: dict[str, Any] = {"name": wheel.name, "version": wheel.version}
        row.update(wheel=wheel.filename, wheel_sha256=wheel.sha256)
        if wheel.name in contents:
            c = contents[wheel.name]
            p = placements[wheel.name]
            row.update(placement=p.where, reason=p.reason, files=len(c.entries), unzipped_bytes=c.unzipped_bytes,
                       stripped_files=c.stripped_files, stripped_bytes=c.stripped_bytes)  # fmt: skip
        elif wheel.name in all_needed:
            row.update(placement="excluded", reason=f"provided by the {spec.runtime} runtime")
        else:
            row.update(placement="skipped", reason=f"not required on {spec.runtime} (environment markers or extras)")
        packages.append(row)
    limits = spec.limits
    return {
        "format": MANIFEST_FORMAT,
        "project": {"name": project.name, "version": project.version},
        "target": {
            "runtime": spec.runtime, "architecture": spec.architecture,
            "python_version": "{}.{}".format(*spec.python_version), "implementation": "cp",
            "platforms": platform_tags(spec.architecture), "deps_mode": spec.deps_mode,
            "ephemeral_storage_mb": spec.ephemeral_storage_mb,
        },
        "inputs": {
            "requirements": roots, "with_packages": list(spec.with_packages),
            "without_packages": list(spec.without_packages), "s3fs": spec.s3fs,
            "include_runtime_provided": spec.include_runtime_provided,
            "runtime_botocore_version": spec.runtime_botocore_version,
            "constraints_sha256": file_sha256(constraints) if constraints else None,
            "resolution_key": resolution.key,
        },
        "rules": {
            "function": f"a distribution goes in the function zip when its stripped, unzipped size is at most "
                        f"{limits.light_max_bytes} bytes; the AWS SDK goes there when bundled",
            "deps": "every other distribution goes in "
                    + ("the dependencies zip (unpacked into /tmp at cold start)" if spec.deps_mode == "s3" else
                       f"layer zips under python/ (first-fit decreasing by zipped size, <= {limits.max_layers} layers)"),
            "excluded": f"{', '.join(RUNTIME_SDK)} are left out (the runtime provides them) unless bundled",
            "stripped": list(STRIP_RULES),
            "zip": "entries sorted by name, dated 1980-01-01 00:00, modes 0644/0755; wheel members keep the "
                   f"wheel's compressed bytes, other files are deflated at level {ZIP_COMPRESSLEVEL}",
        },
        "limits": {
            "function_zipped_bytes": limits.function_zipped_bytes, "unzipped_bytes": limits.unzipped_bytes,
            "max_layers": limits.max_layers, "ephemeral_budget_bytes": ephemeral_budget(spec),
        },
        "sdk": {"bundled": sdk.bundled, "reason": sdk.reason},
        "artifacts": artifacts,
        "packages": packages,
    }  # fmt: skip
