"""Cold starts with per-piece dependencies, on the emulator (issue 13 item 3).

For three pipelines (numpy-only Arithmetic, a scipy Convolution, a Zarr source on S3), each on a
fresh container with nothing unpacked: the bytes the cold start fetched over all dependency
bytes (target <= 0.3 for numpy-only), and its wall time split into fetch (network, summed over
threads), unpack (inflate and write, summed over threads), the dependency phase's wall time and
import, as the function reports them in its response ``meta``. The baseline, in the same run, is
the same function code with the pieces manifest removed: the handler then downloads and unpacks
the whole dependencies zip, as before pieces. Medians of ``REPEATS`` cold starts each.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.harness import record

NAME = "cold_start"
REPO = Path(__file__).resolve().parents[1]
REPEATS = 3
FIGURES = ("deps_fetched_bytes", "deps_total_bytes", "deps_wall_s", "deps_fetch_s", "deps_unpack_s", "deps_import_s")


def _without_manifest(dist_zip: Path, out: Path) -> Path:
    """The function zip minus ``podpac_deps.json``: the handler falls back to the whole zip."""
    with zipfile.ZipFile(dist_zip) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "podpac_deps.json":
                dst.writestr(info, src.read(info))
    return out


def _zarr_store(s3: Any, bucket: str) -> str:
    import numpy as np
    import zarr

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "cube.zarr"
        group = zarr.open_group(str(store), mode="w")
        group.create_array("data", data=np.add.outer(np.arange(64.0), np.arange(80.0)), chunks=(16, 16),
                           dimension_names=["lat", "lon"])  # fmt: skip
        group.create_array("lat", data=np.linspace(40.6, 40.0, 64), dimension_names=["lat"])
        group.create_array("lon", data=np.linspace(-77.4, -76.6, 80), dimension_names=["lon"])
        for path in store.rglob("*"):
            if path.is_file():
                s3.upload_file(str(path), bucket, "bench/cube.zarr/" + str(path.relative_to(store)))
    return f"s3://{bucket}/bench/cube.zarr"


def _cold_invoke(emu: Any, function: str, request: dict[str, Any], shared: Path) -> dict[str, Any]:
    """One invoke on a new container with nothing unpacked on the host."""
    emu.stop_containers()
    shutil.rmtree(shared / "podpac_exec_deps", ignore_errors=True)
    t0 = time.perf_counter()
    response = emu.client("lambda").invoke(FunctionName=function, Payload=json.dumps(request).encode())
    wall = time.perf_counter() - t0
    body = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise RuntimeError(f"{function}: {body}")
    return {"invoke_s": wall, **body.get("meta", {})}


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(float(r.get(key, 0) or 0) for r in rows)


def run() -> Iterator[dict[str, Any]]:
    import podpac_exec as pe
    from podpac_exec.backends.aws_lambda.emulator import Emulator
    from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
    from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build
    from podpac_exec.backends.aws_lambda.wire.protocol import OutputSpec, build_request

    package = build_packages(PackageSpec(output_dir=REPO / "build" / "aws_lambda"))
    arithmetic = pe.nodes.Arithmetic(A=pe.nodes.SinCoords(), B=pe.nodes.CoordData(coord_name="lat"), eqn="A * B + 1")
    convolution = pe.nodes.Convolution(source=arithmetic, kernel_type="gaussian,3,1", kernel_dims=["lat", "lon"])
    grid = pe.Coordinates([pe.clinspace(40.6, 40.36, 24, "lat"), pe.clinspace(-77.34, -77.1, 20, "lon")])
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as state, Emulator(state_dir=state) as emu:
        with emu.exported_env():  # dummy credentials and AWS_ENDPOINT_URL for boto3
            settings = {"endpoint_url": emu.endpoint_url, "bucket": "podpac-exec-bench-cold"}
            build(pe.settings.snapshot({"aws_lambda": settings}),
                  BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip))  # fmt: skip
            whole = {**settings, "function_name": "podpac-exec-whole-zip"}
            build(pe.settings.snapshot({"aws_lambda": whole}),
                  BuildOptions(dist_zip=_without_manifest(package.dist_zip, Path(state) / "whole.zip"),
                               deps_zip=package.deps_zip))  # fmt: skip
            zarr_node = pe.Node.from_definition({"Z": {"node": "data.Zarr", "attrs": {
                "source": _zarr_store(emu.client("s3"), settings["bucket"])}}})  # fmt: skip
            pipelines = {"numpy_only": arithmetic, "scipy_convolution": convolution, "zarr_source": zarr_node}
            shared = Path(state) / "shared"
            for label, node in pipelines.items():
                request = build_request(node.definition, grid.full_definition, OutputSpec(), {})
                results[label] = [_cold_invoke(emu, "podpac-exec", request, shared) for _ in range(REPEATS)]
            request = build_request(arithmetic.definition, grid.full_definition, OutputSpec(), {})
            results["whole_zip"] = [_cold_invoke(emu, "podpac-exec-whole-zip", request, shared) for _ in range(REPEATS)]
    for label in ("numpy_only", "scipy_convolution", "zarr_source"):
        rows = results[label]
        split = {k: _median(rows, k) for k in FIGURES}
        fraction = split["deps_fetched_bytes"] / max(1.0, split["deps_total_bytes"])
        pieces = rows[0].get("deps_pieces_fetched", "")
        yield record(NAME, f"fetched_fraction_{label}", fraction, "ratio", target="<= 0.3" if label == "numpy_only" else None,
                     fetched_mb=split["deps_fetched_bytes"] / 2**20, total_mb=split["deps_total_bytes"] / 2**20,
                     pieces=pieces, refused=rows[0].get("deps_pieces_refused", ""), repeats=REPEATS)  # fmt: skip
        yield record(NAME, f"cold_start_wall_{label}", _median(rows, "invoke_s"), "s",
                     dependencies_wall_s=split["deps_wall_s"], fetch_s_summed=split["deps_fetch_s"],
                     unpack_s_summed=split["deps_unpack_s"], import_s=split["deps_import_s"])  # fmt: skip
    lazy, old = _median(results["numpy_only"], "invoke_s"), _median(results["whole_zip"], "invoke_s")
    yield record(NAME, "numpy_only_cold_vs_whole_zip_cold", lazy / old, "ratio", target="< 1",
                 lazy_s=lazy, whole_zip_s=old, deps_zip_mb=package.deps_zip.stat().st_size / 2**20)
    art = package.manifest["artifacts"]
    yield record(NAME, "function_zip_mb", art["function"]["zipped_bytes"] / 2**20, "MB",
                 unzipped_mb=art["function"]["unzipped_bytes"] / 2**20, files=art["function"]["files"])
    stripped = sum(p.get("stripped_bytes", 0) for p in package.manifest["packages"])
    yield record(NAME, "stripped_mb", stripped / 2**20, "MB", linked_duplicates_mb=art["deps"].get("linked_bytes", 0) / 2**20,
                 deps_unzipped_mb=art["deps"]["unzipped_bytes"] / 2**20, pieces=art["deps"].get("pieces"))
