"""What a build is asked for: the target (runtime, architecture), its options and Lambda's limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

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

