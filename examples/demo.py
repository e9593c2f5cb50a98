"""The main job, end to end: package -> build -> evaluate a pipeline fanned out over Lambda.

By default everything runs on the offline AWS emulator (no account, no Docker): the real
deployment zips run in isolated python3.12 workers behind a moto server on 127.0.0.1. With
``--target aws`` the same steps run against your AWS account, using boto3's own credential chain
and the ``[aws_lambda]`` settings (``podpac-exec config show``).

    python examples/demo.py [--target emulator|aws] [--out build/demo]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", choices=("emulator", "aws"), default="emulator")
    parser.add_argument("--out", type=Path, default=REPO / "build" / "demo")
    parser.add_argument("--pipeline", type=Path, default=HERE / "pipelines" / "wave_field.json")
    parser.add_argument("--coordinates", type=Path, default=HERE / "coordinates" / "grid_fanout.json")
    args = parser.parse_args(argv)

    import numpy as np

    import podpac_exec as pe
    from podpac_exec.plugins.backends import get_backend
    from podpac_exec.backends.aws_lambda.resources.build import BuildOptions, build
    from podpac_exec.backends.aws_lambda.client.version import verify
    from podpac_exec.backends.aws_lambda.packaging.core import PackageSpec, build_packages
    from podpac_exec.cli.outputs import write_result
    from podpac_exec.cli.plotting import plot_result

    node = pe.Node.from_json(args.pipeline.read_text())
    coords = pe.Coordinates.from_json(args.coordinates.read_text())
    step(f"pipeline {args.pipeline.name} ({type(node).__name__}, hash {node.hash[:12]}) at {coords.shape} cells")

    with target(args.target) as lambda_settings:
        t0 = time.perf_counter()
        package = build_packages(PackageSpec(output_dir=REPO / "build" / "aws_lambda"))
        step(
            f"packaged in {time.perf_counter() - t0:.1f}s: {package.dist_zip.name} "
            f"{package.dist_zip.stat().st_size / 2**20:.1f} MB + {package.deps_zip.name} "
            f"{package.deps_zip.stat().st_size / 2**20:.1f} MB (staged on S3; cold starts fetch only the pieces they need)"
        )
        backend = get_backend("aws_lambda", pe.settings.snapshot({"aws_lambda": lambda_settings}))
        t0 = time.perf_counter()
        report = build(backend, BuildOptions(dist_zip=package.dist_zip, deps_zip=package.deps_zip))
        step(f"built in {time.perf_counter() - t0:.1f}s ({report.mutating_calls} mutating AWS calls):")
        for resource in report.resources:
            print(f"    {resource.kind:<14} {resource.action:<10} {resource.name}")
        ok, line = verify(backend)  # as `aws build` ends: the function's first cold start
        step(line)
        if not ok:
            raise SystemExit(1)

        stats = pe.EvaluationStats()
        t0 = time.perf_counter()
        result = pe.evaluate(
            node, coords, backend="aws_lambda", aws_lambda=lambda_settings, stats=stats, max_tile_bytes=2 * 2**20
        )
        remote_s = time.perf_counter() - t0
        step(f"evaluated on Lambda in {remote_s:.1f}s: {stats.tiles} tiles, {stats.retries} retries")
        from podpac_exec.backends.aws_lambda.resources.build import fetch_logs

        for line in [e.message for e in fetch_logs(backend) if e.message.startswith("podpac-exec: dependencies:")][:2]:
            step("cold start " + line.removeprefix("podpac-exec: ").strip())  # fetch / unpack split per container
        local = pe.evaluate(node, coords)
        diff = float(np.nanmax(np.abs(result.values - local.values)))
        step(f"identical to the local backend: {bool(np.array_equal(result.values, local.values, equal_nan=True))} "
             f"(max |difference| {diff:g})")

        args.out.mkdir(parents=True, exist_ok=True)
        nc = write_result(result, args.out / "wave_field.nc")
        png = plot_result(result, args.out / "wave_field.png", title=f"{args.pipeline.stem} via AWS Lambda ({args.target})")
        step(f"wrote {nc.relative_to(REPO) if nc.is_relative_to(REPO) else nc} and {png.name}")

        summary = {"stats": stats.summary(), "lambda": backend.report(stats)}
        step(f"cost: {summary['lambda'].get('estimate_vs_actual', 'no estimate')}")
        step("stats and cost report:")
        print(json.dumps(summary, indent=2))
    return 0


@contextlib.contextmanager
def target(name: str) -> Iterator[dict[str, Any]]:
    """Settings for the chosen target; the emulator is started and stopped here."""
    if name == "aws":
        step("target: AWS (boto3 credential chain, [aws_lambda] settings)")
        yield {}
        return
    from podpac_exec.backends.aws_lambda.emulator import Emulator

    with Emulator(state_dir=REPO / "build" / "demo" / "emulator") as emu:
        step(f"target: offline AWS emulator at {emu.endpoint_url}")
        with emu.exported_env():  # dummy credentials and AWS_ENDPOINT_URL for boto3
            yield {"endpoint_url": emu.endpoint_url, "bucket": "podpac-exec-demo", "max_concurrency": 4}


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
