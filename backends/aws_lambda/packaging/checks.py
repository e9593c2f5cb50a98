"""Where each distribution goes, and Lambda's size limits checked with a message naming the biggest."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from podpac_exec.backends.aws_lambda.packaging.contents import Contents
from podpac_exec.backends.aws_lambda.packaging.resolve import SdkDecision
from podpac_exec.backends.aws_lambda.packaging.spec import RUNTIME_SDK, PackageLimits, PackageSpec, PackagingError


@dataclass(frozen=True)
class Placement:
    """Where a distribution goes ("function", "deps", "layer", "excluded", "skipped") and why."""

    where: str
    reason: str


def place(spec: PackageSpec, contents: dict[str, Contents], sdk: SdkDecision) -> dict[str, Placement]:
    """Function zip or dependencies, by a rule that only looks at each distribution itself.

    SDK distributions follow :func:`sdk_decision`; every other one goes in the function zip when
    its stripped, unzipped size is at most ``limits.light_max_bytes``, else in the dependencies.
    """
    light = spec.limits.light_max_bytes
    heavy = "deps" if spec.deps_mode == "s3" else "layer"
    out: dict[str, Placement] = {}
    for name, c in sorted(contents.items()):
        if name in RUNTIME_SDK and sdk.where == "piece":
            out[name] = Placement(heavy, "AWS SDK, in its own piece: see sdk.reason")
        elif name in RUNTIME_SDK and sdk.bundled:
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

