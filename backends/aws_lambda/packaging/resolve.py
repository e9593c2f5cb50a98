"""Which wheels: pip's cross-platform resolution (cached), the wheel cache, the requirement
closure on the target and the decision about the AWS SDK."""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from podpac_exec.backends.aws_lambda.packaging.fileio import cache_lock, file_sha256, write_atomic
from podpac_exec.backends.aws_lambda.packaging.spec import (
    PackageSpec,
    PackagingError,
    canonical,
    platform_tags,
)


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
    write_atomic(cached, json.dumps(_resolution_json(resolution), indent=1, sort_keys=True).encode())
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


def _cached_ok(path: Path, wheel: ResolvedWheel) -> bool:
    return path.is_file() and (not wheel.sha256 or file_sha256(path) == wheel.sha256)


def ensure_wheels(spec: PackageSpec, wheels: Iterable[ResolvedWheel]) -> tuple[dict[str, Path], list[str]]:
    """Paths of the wheels in the cache, downloading the missing ones; and the names downloaded."""
    directory = cache_dir(spec)
    wanted = {w.filename: w for w in wheels}
    missing = [w for name, w in sorted(wanted.items()) if not _cached_ok(directory / name, w)]
    if missing:
        with cache_lock(directory):
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
def requirement(text: str) -> Any:
    from packaging.requirements import Requirement

    return Requirement(text)


def closure(
    roots: Sequence[str], wheels: dict[str, ResolvedWheel], env: dict[str, str], excluded: Iterable[str] = ()
) -> list[str]:
    """Distributions needed on the target: requirements followed with markers evaluated for it.

    Names in ``excluded`` are not followed (the runtime provides them). A needed distribution
    that pip did not resolve is a :class:`PackagingError`.
    """
    return sorted(closure_extras(roots, wheels, env, excluded))


def closure_extras(
    roots: Sequence[str], wheels: dict[str, ResolvedWheel], env: dict[str, str], excluded: Iterable[str] = ()
) -> dict[str, set[str]]:
    """:func:`closure`, each distribution with the extras that brought it in (``""``: none)."""
    skip = {canonical(n) for n in excluded}
    extras: dict[str, set[str]] = {}
    queue = [requirement(r) for r in roots]
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
            dep = requirement(text)
            if dep.marker is None or any(dep.marker.evaluate({**env, "extra": e}) for e in new):
                dep.marker = None  # evaluated here, for the extras that brought it in
                queue.append(dep)
    if missing:
        raise PackagingError(
            f"the target needs {', '.join(sorted(set(missing)))} but pip did not resolve it; pip evaluates "
            "markers for the interpreter it runs on: install the runtime's Python version, or add --with NAME"
        )
    return extras


@dataclass(frozen=True)
class SdkDecision:
    """Whether the AWS SDK (boto3, botocore ...) is bundled, and why."""

    bundled: bool
    reason: str
    #: "function" (in the function zip), "piece" (staged with the dependencies, fetched by the
    #: handler only when the runtime's botocore does not satisfy ``botocore``), or "" (not shipped)
    where: str = ""
    botocore: str = ""  # aiobotocore's botocore specifier, which the handler checks


def sdk_decision(spec: PackageSpec, wheels: dict[str, ResolvedWheel], needed: Sequence[str]) -> SdkDecision:
    """Bundle the SDK when asked, or when aiobotocore pins a botocore the runtime may not have.

    Bundled, it goes in the function zip, ahead of the runtime's copy on sys.path: the handler
    imports boto3 to fetch the dependencies zip, so a botocore in that zip would come too late
    (the runtime's would already be imported) and aiobotocore would run against the wrong one.
    """
    if spec.include_runtime_provided:
        return SdkDecision(True, "asked for (include_runtime_provided)", where="function")
    if "aiobotocore" not in needed:
        return SdkDecision(False, "the runtime provides boto3 and botocore; nothing pins them")
    pin = next((r for r in map(requirement, wheels["aiobotocore"].requires_dist) if canonical(r.name) == "botocore"), None)
    aio = f"aiobotocore {wheels['aiobotocore'].version} requires botocore{pin.specifier if pin else ''}"
    runtime = spec.runtime_botocore_version
    if pin is None or (runtime and pin.specifier.contains(runtime, prereleases=True)):
        return SdkDecision(False, f"{aio}; the runtime's botocore {runtime or '(any)'} satisfies it")
    known = f"is {runtime}" if runtime else "is unknown (AWS updates it on its own schedule, per region)"
    bundled = wheels["botocore"].version if "botocore" in wheels else "?"
    if spec.deps_mode == "s3":
        return SdkDecision(
            True,
            f"{aio} but the runtime's botocore {known}: botocore {bundled} with the matching boto3 and s3transfer "
            "is staged as a dependencies piece; at cold start the handler reads the runtime's botocore version "
            "from its metadata (without importing it) and fetches that piece, ahead of the runtime's copy on "
            "sys.path, only when the version does not satisfy the pin",
            where="piece", botocore=str(pin.specifier),
        )
    return SdkDecision(
        True,
        f"{aio} but the runtime's botocore {known}: botocore {bundled} with the matching boto3 and s3transfer "
        "is bundled in the function zip, ahead of the runtime's copy on sys.path (the handler imports boto3 "
        "before the dependencies are unpacked, so a botocore in the dependencies would come too late)",
        where="function", botocore=str(pin.specifier),
    )
