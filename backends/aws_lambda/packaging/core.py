"""Builds the Lambda function zip and the dependencies zip (or layer zips) from the source tree.

The layout follows PODPAC's AWS workflow: ``podpac_dist.zip`` is the function code (the handler,
podpac_exec's function side and the light dependencies) and ``podpac_deps.zip`` holds the heavy
dependencies as pieces (``pieces.py``), which the handler fetches from S3 by byte range and
unpacks into /tmp at cold start, only those a request needs, to get past Lambda's 250 MB limit
on unzipped code. ``deps_mode="layers"`` instead packs them as layer zips (files under
``python/``) for ``PublishLayerVersion``.

This module runs the build; each step has a module of its own: ``spec`` (what to build),
``project`` (the source tree), ``resolve`` (pip's selection, the wheel cache, the SDK decision),
``contents`` (what a wheel contributes, stripped), ``pieces`` (the dependencies' pieces and the
handler's manifest), ``zipwrite`` (reproducible zips) and ``checks`` (placement, size limits).
The same inputs give byte-identical zips. Nothing here imports boto3.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from podpac_exec.backends.aws_lambda.packaging.bytecode import add_bytecode
from podpac_exec.backends.aws_lambda.packaging.checks import (  # noqa: F401 - the package's API
    Placement,
    check_deps,
    check_function_zipped,
    check_unzipped,
    ephemeral_budget,
    pack_layers,
    place,
)
from podpac_exec.backends.aws_lambda.packaging.contents import (  # noqa: F401
    KEEP_FILES,
    STRIP_RULES,
    Contents,
    Entry,
    _install_path,
    strip_reason,
    wheel_contents,
)
from podpac_exec.backends.aws_lambda.packaging.fileio import file_sha256, write_atomic
from podpac_exec.backends.aws_lambda.packaging.pieces import (
    SDK_PIECE,
    group_pieces,
    importer_allowances,
    link_duplicates,
    node_imports,
    piece_records,
    top_level_modules,
)
from podpac_exec.backends.aws_lambda.packaging.project import (  # noqa: F401
    CLIENT_ONLY_PACKAGES,
    Project,
    default_source_root,
    handler_entry,
    handler_helpers,
    project_dist_info,
    read_project,
    root_requirements,
    source_entries,
)
from podpac_exec.backends.aws_lambda.packaging.resolve import (  # noqa: F401
    Resolution,
    ResolvedWheel,
    SdkDecision,
    _run_pip,
    cache_dir,
    closure,
    closure_extras,
    ensure_wheels,
    resolve,
    sdk_decision,
)
from podpac_exec.backends.aws_lambda.packaging.spec import (  # noqa: F401
    ARCHITECTURES,
    DEPS_INFO_NAME,
    DEPS_ZIP_NAME,
    DIST_ZIP_NAME,
    LAYER_ZIP_TEMPLATE,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    RUNTIME_SDK,
    SUPPORTED_RUNTIMES,
    ZIP_COMPRESSLEVEL,
    ZIP_DATE,
    PackageLimits,
    PackageResult,
    PackageSpec,
    PackagingError,
    canonical,
    marker_environment,
    platform_tags,
    validate_spec,
)
from podpac_exec.backends.aws_lambda.packaging.zipwrite import ZipStats, read_entry, write_grouped_zip, write_zip

#: The handler's manifest format: 2 adds the pieces (1 was one zip, fetched whole).
DEPS_INFO_FORMAT = 2


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
    extras = closure_extras(roots, wheels, env, excluded=left_out)
    all_needed = sorted(extras)
    sdk = sdk_decision(spec, wheels, all_needed)
    needed = all_needed if sdk.bundled else closure(roots, wheels, env, excluded=RUNTIME_SDK + left_out)
    paths, downloaded = ensure_wheels(spec, [wheels[n] for n in needed])
    contents = {n: wheel_contents(paths[n], wheels[n]) for n in needed}
    placements = place(spec, contents, sdk)
    function = [contents[n] for n in needed if placements[n].where == "function"]
    heavy = [contents[n] for n in needed if placements[n].where != "function"]
    layers = pack_layers(heavy, spec.limits) if spec.deps_mode == "layers" else []
    own = source_entries(project, exclude=CLIENT_ONLY_PACKAGES)
    own_entries = [handler, *handler_helpers(spec, root), *own, *project_dist_info(project, own)]
    own_contents = Contents(project.name, project.version, own_entries, sum(e.size for e in own_entries))
    bytecode = add_bytecode(spec, [*function, *heavy, own_contents])  # own_entries grows with it
    check_unzipped(spec, [*function, own_contents], layers)
    _check_estimates(spec, [*function, own_contents], heavy)

    out = Path(spec.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    with tempfile.TemporaryDirectory(prefix=".build-", dir=out) as tmp:
        graph = _Graph(wheels, env, extras, [*function, *heavy], top_level_modules(own))
        deps_info, artifacts = _write_heavy(spec, Path(tmp), heavy, layers, placements, staged, graph, sdk)
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
    artifacts["bytecode"] = bytecode
    manifest = _manifest(spec, project, roots, constraints, resolution, contents, placements, sdk, artifacts, all_needed)
    manifest_path = out / MANIFEST_NAME
    write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode() + b"\n")
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


@dataclass(frozen=True)
class _Graph:
    """What the pieces' manifest is computed from: the wheels, the target and everything shipped."""

    wheels: dict[str, ResolvedWheel]
    env: dict[str, str]
    extras: dict[str, set[str]]
    shipped: list[Contents]
    project_modules: set[str]


def _write_heavy(
    spec: PackageSpec, tmp: Path, heavy: list[Contents], layers: list[list[Contents]],
    placements: dict[str, Placement], staged: list[tuple[Path, Path]], graph: _Graph, sdk: SdkDecision,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Write the dependencies zip or the layer zips; return the handler's deps info and the artifacts."""
    out = Path(spec.output_dir)
    if spec.deps_mode == "s3":
        return _write_pieces(spec, tmp, heavy, staged, graph, sdk)
    layer_infos: list[dict[str, Any]] = []
    for index, group in enumerate(layers, start=1):
        name = LAYER_ZIP_TEMPLATE.format(index=index)
        info = write_zip(tmp / name, [e for c in group for e in c.entries], prefix="python/")
        staged.append((tmp / name, out / name))
        for c in group:
            placements[c.name] = Placement(f"layer:{index}", placements[c.name].reason)
        layer_infos.append(_layer_dict(spec, info, index, len(layers), group))
    return {"format": MANIFEST_FORMAT, "mode": "layers", "layers": layer_infos}, {"layers": layer_infos}


def _write_pieces(
    spec: PackageSpec, tmp: Path, heavy: list[Contents], staged: list[tuple[Path, Path]], graph: _Graph,
    sdk: SdkDecision,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """The dependencies zip, piece after piece, and the manifest the handler fetches pieces by."""
    pieces = group_pieces(heavy, graph.wheels, graph.env, graph.extras)
    linked = link_duplicates(pieces, read_entry)
    info, spans = write_grouped_zip(tmp / DEPS_ZIP_NAME, [(p.name, p.entries) for p in pieces])
    check_deps(spec, info.zipped_bytes, info.unzipped_bytes, heavy)
    staged.append((tmp / DEPS_ZIP_NAME, Path(spec.output_dir) / DEPS_ZIP_NAME))
    records = piece_records(pieces, spans, tmp / DEPS_ZIP_NAME)
    nodes, function_imports = node_imports()
    deps_info = {
        "format": DEPS_INFO_FORMAT, "mode": "s3", "deps_zip": info.as_dict(),
        "packages": {c.name: c.version for c in heavy}, "pieces": records,
        "prefetch": {"function": function_imports, "nodes": nodes},
        "importers": importer_allowances(graph.shipped, pieces, graph.wheels, graph.env, graph.extras,
                                         graph.project_modules),
        "sdk": {"piece": SDK_PIECE, "botocore": sdk.botocore} if sdk.where == "piece" else None,
    }  # fmt: skip
    summary = {**info.as_dict(), "pieces": len(records), "linked_bytes": linked}
    return deps_info, {"deps": summary, "pieces": records}


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

