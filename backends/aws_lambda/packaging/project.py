"""The project's own side of the function zip: pyproject.toml, its packages and the handler."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podpac_exec.backends.aws_lambda.packaging.contents import Entry
from podpac_exec.backends.aws_lambda.packaging.resolve import requirement
from podpac_exec.backends.aws_lambda.packaging.spec import HANDLER_NAME, PackageSpec, PackagingError, canonical


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


#: The serve extra's HTTP server and its speed-ups: on Lambda the function is the server.
HTTP_SERVER_PACKAGES = ("uvicorn", "httptools", "uvloop")


def root_requirements(spec: PackageSpec, project: Project) -> list[str]:
    """The requirements the function needs: core dependencies, s3fs (aws extra), the serve extra
    (without its HTTP server), --with packages."""
    reqs = list(project.dependencies)
    if spec.s3fs:
        reqs += project.extras.get("aws", ())
    if spec.serve:
        reqs += [r for r in project.extras.get("serve", ()) if canonical(requirement(r).name) not in HTTP_SERVER_PACKAGES]
    if spec.include_runtime_provided:
        reqs.append("boto3")
    reqs += spec.with_packages
    return list(dict.fromkeys(reqs))


def _package_source_dir(project: Project, package: str) -> Path:
    """The directory of ``package`` under setuptools' package-dir mapping (longest prefix wins)."""
    best = ""
    for prefix in project.package_dir:
        if prefix and (package == prefix or package.startswith(prefix + ".")) and len(prefix) > len(best):
            best = prefix
    base = project.package_dir.get(best, "") if best else project.package_dir.get("", "")
    rest = package[len(best):].lstrip(".") if best else package
    return project.root / base / rest.replace(".", "/")


#: The client side of the Lambda backend: the function never imports these (``function/``,
#: ``wire/`` and ``plugin.py`` are what it runs), so the function zip leaves them out.
CLIENT_ONLY_PACKAGES = tuple(
    f"podpac_exec.backends.aws_lambda.{name}" for name in ("client", "commands", "emulator", "packaging", "resources")
)


def source_entries(project: Project, exclude: Sequence[str] = ()) -> list[Entry]:
    """podpac_exec and podpac_exec.backends (from ``backends/``) as installed, from the source tree;
    packages in ``exclude`` (and their sub-packages) left out."""
    entries: list[Entry] = []
    for package in project.packages:
        if any(package == x or package.startswith(x + ".") for x in exclude):
            continue
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


def handler_helpers(spec: PackageSpec, root: Path) -> list[Entry]:
    """The handler's standard-library helpers beside it (``dist/aws_lambda/deps_*.py``), at the zip root."""
    folder = Path(spec.handler_path or root / "dist" / "aws_lambda" / HANDLER_NAME).parent
    return [_file_entry(p, p.name) for p in sorted(folder.glob("deps_*.py"))]

