"""``podpac-exec aws package``: build the Lambda function zip and its dependencies from the source tree."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from podpac_exec.backends.aws_lambda.packaging.core import (
    ARCHITECTURES,
    SUPPORTED_RUNTIMES,
    PackageResult,
    PackageSpec,
    build_packages,
    cache_dir,
)

DESCRIPTION = """\
Build podpac_dist.zip (handler, podpac_exec, light dependencies) and podpac_deps.zip (heavy
dependencies, staged on S3 and unpacked into /tmp at cold start), or layer zips with
--deps-mode layers, plus manifest.json. Wheels are selected for the Lambda runtime and
architecture with pip's cross-platform options, pinned by constraints.txt, and cached under
OUTPUT_DIR/wheels. The same inputs give byte-identical zips."""


def add_package_parser(aws_subparsers: Any) -> None:
    """Add ``package`` to the ``podpac-exec aws`` subcommands."""
    p = aws_subparsers.add_parser("package", help="build the Lambda zips from the source tree", description=DESCRIPTION)
    p.add_argument("--runtime", choices=sorted(SUPPORTED_RUNTIMES), default=None,
                   help="Lambda runtime (default: setting aws_lambda.runtime)")
    p.add_argument("--architecture", choices=sorted(ARCHITECTURES), default=None,
                   help="Lambda architecture (default: setting aws_lambda.architecture)")
    p.add_argument("--with", dest="with_packages", action="append", default=[], metavar="NAME",
                   help="an extra requirement to bundle (repeatable), e.g. --with scipy")
    p.add_argument("--without", dest="without_packages", action="append", default=[], metavar="NAME",
                   help="leave out an optional heavy package no pipeline needs (repeatable), e.g. --without scipy")
    p.add_argument("--include-runtime-provided", action="store_true",
                   help="bundle boto3/botocore and their dependencies although the runtime provides them")
    p.add_argument("--deps-mode", choices=("s3", "layers"), default="s3",
                   help="heavy dependencies as one zip staged on S3 (default) or as Lambda layer zips")
    p.add_argument("--output-dir", type=Path, default=Path("build/aws_lambda"), help="where the zips go (default: %(default)s)")
    p.add_argument("--ephemeral-storage-mb", type=int, default=None,
                   help="the function's /tmp size the dependencies must fit (default: setting aws_lambda.ephemeral_storage_mb)")
    p.add_argument("--no-s3fs", dest="s3fs", action="store_false", help="leave out s3fs/aiobotocore (no s3:// sources)")
    p.add_argument("--serve", action="store_true",
                   help="bundle the serve extra (starlette, mangum, morecantile, pillow, matplotlib): for aws build --serve")
    p.add_argument("--runtime-botocore", dest="runtime_botocore_version", metavar="VERSION", default=None,
                   help="the runtime's botocore version, when known: if aiobotocore accepts it, botocore is not bundled")
    p.set_defaults(func=package_command)  # fmt: skip


def spec_from_args(args: argparse.Namespace) -> PackageSpec:
    """A :class:`PackageSpec` from the options, unset ones from the ``[aws_lambda]`` settings."""
    from podpac_exec.settings import settings

    def setting(value: Any, key: str) -> Any:
        return value if value is not None else settings.get(f"aws_lambda.{key}")

    return PackageSpec(
        runtime=setting(args.runtime, "runtime"),
        architecture=setting(args.architecture, "architecture"),
        with_packages=tuple(args.with_packages),
        without_packages=tuple(args.without_packages),
        include_runtime_provided=args.include_runtime_provided,
        deps_mode=args.deps_mode,
        ephemeral_storage_mb=int(setting(args.ephemeral_storage_mb, "ephemeral_storage_mb")),
        output_dir=args.output_dir,
        s3fs=args.s3fs,
        serve=args.serve,
        runtime_botocore_version=args.runtime_botocore_version,
    )


def package_command(args: argparse.Namespace) -> int:
    """Build, then print where each zip is, its sizes and what went where."""
    spec = spec_from_args(args)
    start = time.perf_counter()
    result = build_packages(spec)
    for line in summary_lines(spec, result, time.perf_counter() - start):
        print(line)
    return 0


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def _artifact_line(label: str, path: Path, art: dict[str, Any]) -> str:
    return (f"{label:<12}{path}  {_mb(art['zipped_bytes'])} zipped, {_mb(art['unzipped_bytes'])} unzipped, "
            f"{art['files']} files, sha256 {art['sha256']}")  # fmt: skip


def summary_lines(spec: PackageSpec, result: PackageResult, elapsed: float) -> list[str]:
    """The human summary ``package`` prints."""
    m = result.manifest
    arts = m["artifacts"]
    lines = [f"{'target':<12}{spec.runtime} {spec.architecture} ({spec.deps_mode} dependencies)"]
    lines.append(_artifact_line("function", result.dist_zip, arts["function"]))
    if result.deps_zip is not None:
        deps = arts["deps"]
        lines.append(_artifact_line("deps", result.deps_zip, deps))
        lines.append(f"{'':<12}needs {_mb(deps['zipped_bytes'] + deps['unzipped_bytes'])} of /tmp; "
                     f"budget {_mb(m['limits']['ephemeral_budget_bytes'])}")  # fmt: skip
    for path, layer in zip(result.layer_zips, arts.get("layers", []), strict=True):
        route = "direct upload" if layer["direct_upload"] else "publish from S3 (over the direct-upload size)"
        lines.append(_artifact_line(f"layer {layer['index']}", path, layer) + f", {route}")
    total = arts["function"]["unzipped_bytes"] + sum(layer["unzipped_bytes"] for layer in arts.get("layers", []))
    lines.append(f"{'':<12}function{' + layers' if spec.deps_mode == 'layers' else ''} unzipped {_mb(total)} of "
                 f"{_mb(m['limits']['unzipped_bytes'])}")  # fmt: skip
    for where in sorted({p["placement"] for p in m["packages"]}):
        rows = [p for p in m["packages"] if p["placement"] == where]
        big = sorted(rows, key=lambda p: -p.get("unzipped_bytes", 0))[:4]
        shown = ", ".join(f"{p['name']} {p['version']}" + (f" {_mb(p['unzipped_bytes'])}" if "unzipped_bytes" in p else "")
                          for p in big)  # fmt: skip
        lines.append(f"{'in ' + where:<12}{len(rows)} packages: {shown}{', ...' if len(rows) > len(big) else ''}")
    lines.append(f"{'AWS SDK':<12}{'bundled' if m['sdk']['bundled'] else 'from the runtime'}: {m['sdk']['reason']}")
    lines.append(f"{'manifest':<12}{result.manifest_path}")
    cached = f"{len(result.downloaded)} downloaded" if result.downloaded else "all from the cache"
    lines.append(f"{'wheels':<12}{cached} ({cache_dir(spec)})")
    lines.append(f"{'elapsed':<12}{elapsed:.1f} s")
    return lines
