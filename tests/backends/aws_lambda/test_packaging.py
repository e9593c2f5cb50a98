"""``podpac-exec aws package``: real builds for python3.12/x86_64 from the wheel cache in build/.

The first run downloads the wheels (tens of MB) into ``build/aws_lambda/wheels``; later runs
reuse them and the cached resolutions, and need no network.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import shutil
import socket
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from podpac_exec.backends.aws_lambda.packaging import core as pk
from podpac_exec.backends.aws_lambda.packaging.core import (
    Contents,
    Entry,
    PackageLimits,
    PackageResult,
    PackageSpec,
    PackagingError,
    ResolvedWheel,
    build_packages,
)
from podpac_exec.backends.aws_lambda.commands.package import add_package_parser, spec_from_args, summary_lines
from podpac_exec.errors import PodpacExecError

REPO = Path(__file__).resolve().parents[3]
WHEEL_CACHE = REPO / "build" / "aws_lambda" / "wheels"
SDK = ("boto3", "botocore", "s3transfer")


def _python312() -> str | None:
    pyenv = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for path in sorted(glob.glob(os.path.join(pyenv, "versions", "3.12*", "bin", "python3.12")), reverse=True):
        if subprocess.run([path, "-I", "-S", "-c", "pass"], capture_output=True, check=False).returncode == 0:
            return path
    return None


def _pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


def _skip_if_offline(exc: PackagingError) -> None:
    if "pip could not" in str(exc) and not _pypi_reachable():
        pytest.skip(f"PyPI unreachable and the wheel cache is incomplete: {exc}")


def _build(spec: PackageSpec) -> PackageResult:
    try:
        return build_packages(spec)
    except PackagingError as exc:
        _skip_if_offline(exc)
        raise


def _names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        return zf.namelist()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def source_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the source tree, so edits made while the tests run cannot tell two builds apart."""
    root = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "constraints.txt"):
        shutil.copy2(REPO / name, root / name)
    for name in ("podpac_exec", "backends", "dist"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return root


@pytest.fixture(scope="module")
def handler_path(source_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real handler when it exists; a placeholder in a temporary directory otherwise."""
    real = source_root / "dist" / "aws_lambda" / "handler.py"
    if real.is_file():
        return real
    placeholder = tmp_path_factory.mktemp("handler") / "handler.py"
    placeholder.write_text("def handler(event, context):\n    return {}\n")
    return placeholder


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory, source_root: Path, handler_path: Path) -> PackageSpec:
    out = tmp_path_factory.mktemp("package")
    return PackageSpec(output_dir=out, wheel_cache_dir=WHEEL_CACHE, handler_path=handler_path, source_root=source_root)


@pytest.fixture(scope="module")
def built(spec: PackageSpec) -> PackageResult:
    return _build(spec)


# -- the real build -------------------------------------------------------------------------------


def test_function_zip_holds_the_handler_the_package_and_light_dependencies(built: PackageResult, handler_path: Path) -> None:
    names = set(_names(built.dist_zip))
    for required in ("handler.py", "podpac_exec/__init__.py", "podpac_exec/py.typed",
                     "podpac_exec/backends/local/plugin.py", "podpac_exec/backends/aws_lambda/plugin.py",
                     "podpac_exec-0.1.0.dist-info/entry_points.txt", pk.DEPS_INFO_NAME,
                     "traitlets/__init__.py", "pluggy/__init__.py"):  # fmt: skip
        assert required in names, required
    with zipfile.ZipFile(built.dist_zip) as zf:
        assert zf.read("handler.py") == handler_path.read_bytes()
        deps_info = json.loads(zf.read(pk.DEPS_INFO_NAME))
    assert deps_info["deps_zip"]["sha256"] == _sha256(built.deps_zip)
    assert not [n for n in names if n.endswith(".pyi") or "/tests/" in n]
    assert not [n for n in names if n.endswith(".pyc") and not n.endswith(".cpython-312.pyc")]
    assert "podpac_exec/__pycache__/__init__.cpython-312.pyc" in names  # /var/task is read-only on Lambda
    with zipfile.ZipFile(built.dist_zip) as zf:
        pyc = zf.read("podpac_exec/__pycache__/__init__.cpython-312.pyc")
    assert int.from_bytes(pyc[4:8], "little") == 0b01  # PEP 552 unchecked hash: valid whatever the mtime
    assert not [n for n in names if n.startswith(("numpy/", "pandas/"))]


def test_sdk_is_staged_as_its_own_piece_for_aiobotocore(built: PackageResult) -> None:
    dist, deps = set(_names(built.dist_zip)), set(_names(built.deps_zip))
    assert built.manifest["sdk"]["bundled"] is True
    assert "aiobotocore" in built.manifest["sdk"]["reason"] and "requires botocore" in built.manifest["sdk"]["reason"]
    for name in SDK:
        assert f"{name}/__init__.py" in deps
        assert not [n for n in dist if n.startswith(f"{name}/")]
    rows = {p["name"]: p for p in built.manifest["packages"]}
    assert rows["botocore"]["placement"] == rows["urllib3"]["placement"] == "deps"
    with zipfile.ZipFile(built.dist_zip) as zf:
        info = json.loads(zf.read(pk.DEPS_INFO_NAME))
    assert info["sdk"]["piece"] == "aws-sdk" and info["sdk"]["botocore"].startswith(("<", ">", "="))
    sdk_piece = next(p for p in info["pieces"] if p["name"] == "aws-sdk")
    assert set(sdk_piece["packages"]) >= set(SDK)


def test_function_zip_leaves_out_the_client_side(built: PackageResult) -> None:
    names = set(_names(built.dist_zip))
    for package in pk.CLIENT_ONLY_PACKAGES:
        assert not [n for n in names if n.startswith(package.replace(".", "/") + "/")], package
    for kept in ("podpac_exec/backends/aws_lambda/function/remote.py", "podpac_exec/backends/aws_lambda/wire/protocol.py",
                 "podpac_exec/backends/aws_lambda/wire/codec.py", "deps_fetch.py", "deps_pieces.py"):  # fmt: skip
        assert kept in names, kept


def test_deps_zip_holds_the_heavy_packages(built: PackageResult) -> None:
    assert built.deps_zip is not None and built.layer_zips == []
    names = _names(built.deps_zip)
    for package in ("numpy", "pandas", "xarray", "dask", "numcodecs"):
        assert f"{package}/__init__.py" in names, package
    assert not [n for n in names if ("/tests/" in n and n not in pk.KEEP_FILES and "__pycache__" not in n)]
    assert "numpy/__pycache__/__init__.cpython-312.pyc" in names
    assert not [n for n in names if n.endswith(".pyc") and not n.endswith(".cpython-312.pyc")]
    assert any(n.startswith("numpy-") and n.endswith(".dist-info/METADATA") for n in names)


def test_sizes_are_within_lambda_limits(built: PackageResult, spec: PackageSpec) -> None:
    fn, deps = built.manifest["artifacts"]["function"], built.manifest["artifacts"]["deps"]
    assert fn["zipped_bytes"] == built.dist_zip.stat().st_size <= 50 * 2**20
    assert fn["unzipped_bytes"] <= 262_144_000
    assert deps["zipped_bytes"] + deps["unzipped_bytes"] <= pk.ephemeral_budget(spec)


def test_manifest_matches_the_files(built: PackageResult) -> None:
    m = json.loads(built.manifest_path.read_text())
    assert m == built.manifest
    for key, path in (("function", built.dist_zip), ("deps", built.deps_zip)):
        art = m["artifacts"][key]
        assert art["name"] == path.name and art["sha256"] == _sha256(path)
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
        assert art["files"] == len(infos) and art["unzipped_bytes"] == sum(i.file_size for i in infos)
    placed = {p["name"]: p for p in m["packages"] if "unzipped_bytes" in p}
    deps_total = sum(p["unzipped_bytes"] for p in placed.values() if p["placement"] == "deps")
    assert deps_total == m["artifacts"]["deps"]["unzipped_bytes"]
    for row in m["packages"]:
        assert row["version"] and row["placement"] and row["reason"]
        wheel = WHEEL_CACHE / "python3.12-x86_64" / row["wheel"]
        if wheel.is_file():
            assert _sha256(wheel) == row["wheel_sha256"]
    assert {p["name"] for p in m["packages"] if p["placement"] == "skipped"}.isdisjoint(placed)


def test_building_twice_gives_identical_zips(
    built: PackageResult, spec: PackageSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_pip(*args: object) -> None:
        raise AssertionError("a cached build must not run pip")

    from podpac_exec.backends.aws_lambda.packaging import resolve as resolve_module

    monkeypatch.setattr(resolve_module, "_run_pip", no_pip)
    again = build_packages(replace(spec, output_dir=tmp_path))
    assert again.downloaded == ()
    assert _sha256(again.dist_zip) == _sha256(built.dist_zip)
    assert _sha256(again.deps_zip) == _sha256(built.deps_zip)
    assert again.manifest_path.read_bytes() == built.manifest_path.read_bytes()
    with zipfile.ZipFile(again.dist_zip) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {pk.ZIP_DATE}
    assert {i.external_attr >> 16 for i in infos} <= {0o100644, 0o100755}
    with zipfile.ZipFile(again.deps_zip) as zf:
        assert {i.external_attr >> 16 for i in zf.infolist()} <= {0o100644, 0o100755, 0o120777}


def test_zips_run_a_pipeline_on_the_target_interpreter(built: PackageResult, tmp_path: Path) -> None:
    python = _python312()
    if python is None:
        pytest.skip("no python3.12 interpreter installed")
    dist, deps = tmp_path / "dist", tmp_path / "deps"
    zipfile.ZipFile(built.dist_zip).extractall(dist)
    zipfile.ZipFile(built.deps_zip).extractall(deps)
    script = f"""
import importlib, importlib.metadata, json, sys
sys.path[:0] = [{str(dist)!r}, {str(deps)!r}]
import podpac_exec as pe
evaluate = getattr(pe, "evaluate", None) or importlib.import_module("podpac_exec.engine.executor").evaluate
nodes = getattr(pe, "nodes", None) or importlib.import_module("podpac_exec.nodes")
SinCoords = getattr(nodes, "SinCoords", None) or importlib.import_module("podpac_exec.nodes.utility").SinCoords
from podpac_exec.coordinates import Coordinates, clinspace
out = evaluate(SinCoords(), Coordinates([clinspace(0, 1, 3, "lat"), clinspace(-1, 1, 2, "lon")]))
import numpy, s3fs, xarray, zarr, h5netcdf, boto3, handler
print(json.dumps({{"values": out.values.tolist(), "dims": list(out.dims),
    "numpy": numpy.__file__, "botocore": sys.modules["botocore"].__file__, "handler": handler.__file__,
    "version": importlib.metadata.version("podpac-exec"),
    "backends": sorted(e.name for e in importlib.metadata.entry_points(group="podpac_exec.backends"))}}))
"""
    proc = subprocess.run([python, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])

    import podpac_exec.engine.executor
    from podpac_exec.coordinates import Coordinates, clinspace
    from podpac_exec.nodes.utility import SinCoords

    want = podpac_exec.engine.executor.evaluate(SinCoords(), Coordinates([clinspace(0, 1, 3, "lat"), clinspace(-1, 1, 2, "lon")]))
    assert got["dims"] == ["lat", "lon"] and got["values"] == want.values.tolist()
    assert got["numpy"].startswith(str(deps)) and got["botocore"].startswith(str(deps))
    assert got["handler"] == str(dist / "handler.py")
    assert got["version"] == "0.1.0" and {"aws_lambda", "local"} <= set(got["backends"])


def test_sdk_left_to_the_runtime_when_its_botocore_fits(built: PackageResult, spec: PackageSpec, tmp_path: Path) -> None:
    botocore = next(p["version"] for p in built.manifest["packages"] if p["name"] == "botocore")
    result = build_packages(replace(spec, output_dir=tmp_path, runtime_botocore_version=botocore))
    names = _names(result.dist_zip) + _names(result.deps_zip)
    assert not [n for n in names if n.split("/")[0] in (*SDK, "jmespath", "urllib3")]
    assert "s3fs/__init__.py" in names and "aiobotocore/__init__.py" in names
    rows = {p["name"]: p for p in result.manifest["packages"]}
    assert rows["botocore"]["placement"] == rows["urllib3"]["placement"] == "excluded"
    assert result.manifest["sdk"] == {"bundled": False, "reason": result.manifest["sdk"]["reason"]}


def test_layers_mode_puts_dependencies_under_python(built: PackageResult, spec: PackageSpec, tmp_path: Path) -> None:
    (tmp_path / pk.DEPS_ZIP_NAME).write_bytes(b"stale")
    with pytest.raises(pk.PackagingError, match="250.0 MB"):  # rasterio, scipy and zarr do not fit beside the rest
        build_packages(replace(spec, output_dir=tmp_path, deps_mode="layers"))
    lean = ("scipy", "zarr", "numcodecs", "rasterio", "pyproj")
    result = build_packages(replace(spec, output_dir=tmp_path, deps_mode="layers", without_packages=lean))
    assert {p["name"]: p["placement"] for p in result.manifest["packages"] if p["name"] in lean} == dict.fromkeys(lean, "skipped")
    assert result.deps_zip is None and not (tmp_path / pk.DEPS_ZIP_NAME).exists()
    assert 1 <= len(result.layer_zips) <= 5
    layers = result.manifest["artifacts"]["layers"]
    names = [n for path in result.layer_zips for n in _names(path)]
    assert all(n.startswith("python/") for n in names) and "python/numpy/__init__.py" in names
    total = result.manifest["artifacts"]["function"]["unzipped_bytes"] + sum(layer["unzipped_bytes"] for layer in layers)
    assert total <= 262_144_000
    for path, layer in zip(result.layer_zips, layers, strict=True):
        assert layer["sha256"] == _sha256(path) and layer["compatible_runtimes"] == ["python3.12"]
        assert layer["compatible_architectures"] == ["x86_64"] and len(layer["description"]) <= 256
    with zipfile.ZipFile(result.dist_zip) as zf:
        assert json.loads(zf.read(pk.DEPS_INFO_NAME))["mode"] == "layers"
    placements = {p["placement"] for p in result.manifest["packages"]}
    assert "deps" not in placements and "layer:1" in placements


# -- resolution for other targets --------------------------------------------------------------------


@pytest.mark.parametrize(("runtime", "architecture", "tags"), [
    ("python3.12", "arm64", ("cp312", "aarch64")),
    ("python3.13", "x86_64", ("cp313", "x86_64")),
])  # fmt: skip
def test_other_targets_select_their_wheels(runtime: str, architecture: str, tags: tuple[str, ...]) -> None:
    spec = PackageSpec(runtime=runtime, architecture=architecture, wheel_cache_dir=WHEEL_CACHE)
    try:
        resolution = pk.resolve(spec, ["numpy"], REPO / "constraints.txt")
    except PackagingError as exc:
        _skip_if_offline(exc)
        raise
    numpy = resolution.by_name()["numpy"]
    assert all(tag in numpy.filename for tag in tags), numpy.filename
    assert "manylinux" in numpy.filename and numpy.sha256


# -- size limits ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "message"), [
    ({"limits": PackageLimits(function_zipped_bytes=2**20)}, "function zip is about"),
    ({"limits": PackageLimits(unzipped_bytes=10 * 2**20)}, "over Lambda's limit"),
    ({"deps_mode": "layers", "limits": PackageLimits(unzipped_bytes=100 * 2**20)}, "function zip plus layers"),
    ({"ephemeral_storage_mb": 512, "limits": PackageLimits(ephemeral_margin_bytes=400 * 2**20)}, "of /tmp"),
])  # fmt: skip
def test_size_limits_fail_clearly(built: PackageResult, spec: PackageSpec, tmp_path: Path, changes: dict, message: str) -> None:
    with pytest.raises(PackagingError, match=message) as err:
        build_packages(replace(spec, output_dir=tmp_path, **changes))
    assert isinstance(err.value, PodpacExecError) and isinstance(err.value, ValueError)
    assert "biggest packages:" in str(err.value) and "MB" in str(err.value)
    assert not list(tmp_path.glob("*.zip")) and not (tmp_path / pk.MANIFEST_NAME).exists()


def test_checks_after_writing_name_sizes() -> None:
    spec = PackageSpec(limits=PackageLimits(function_zipped_bytes=100))
    big = Contents("botocore", "1", [Entry("botocore/x.py", 5000)], 900)
    with pytest.raises(PackagingError, match=r"function zip is 0.0 MB zipped \(900 bytes.*botocore"):
        pk.check_function_zipped(spec, 900, 5000, [big])
    with pytest.raises(PackagingError, match="raise ephemeral_storage_mb"):
        pk.check_deps(PackageSpec(ephemeral_storage_mb=512), 300 * 2**20, 300 * 2**20, [big])


# -- pure parts ---------------------------------------------------------------------------------------------


def _wheel(name: str, version: str = "1.0", *requires: str) -> ResolvedWheel:
    return ResolvedWheel(name, version, f"{name}-{version}-py3-none-any.whl", "", "", tuple(requires))


ENV = pk.marker_environment(PackageSpec())


def test_closure_evaluates_markers_for_the_target_and_skips_the_runtime_sdk() -> None:
    wheels = {w.name: w for w in (
        _wheel("dask", "1", "importlib-metadata; python_version < '3.12'", "toolz", "distributed; extra == 'complete'"),
        _wheel("toolz"), _wheel("importlib-metadata"), _wheel("distributed"),
        _wheel("s3fs", "1", "aiobotocore"), _wheel("aiobotocore", "1", "botocore<1.2,>=1.1", "jmespath"),
        _wheel("botocore", "1.1", "urllib3", "python-dateutil"), _wheel("urllib3"), _wheel("jmespath"),
        _wheel("python-dateutil", "2", "six"), _wheel("six"),
    )}  # fmt: skip
    assert pk.closure(["dask"], wheels, ENV) == ["dask", "toolz"]
    assert "distributed" in pk.closure(["dask[complete]"], wheels, ENV)
    assert "importlib-metadata" in pk.closure(["dask"], wheels, {**ENV, "python_version": "3.11"})
    assert pk.closure(["s3fs"], wheels, ENV, excluded=pk.RUNTIME_SDK) == ["aiobotocore", "s3fs"]
    assert "urllib3" in pk.closure(["s3fs"], wheels, ENV)
    with pytest.raises(PackagingError, match="pip did not resolve"):
        pk.closure(["missing-thing"], wheels, ENV)


def test_serve_function_bundles_the_serve_extra_but_its_http_server() -> None:
    from podpac_exec.backends.aws_lambda.packaging.resolve import requirement

    def names(spec: PackageSpec) -> set[str]:
        return {pk.canonical(requirement(r).name) for r in pk.root_requirements(spec, pk.read_project(REPO))}

    served = names(PackageSpec(serve=True))
    assert {"starlette", "mangum", "morecantile", "pillow", "matplotlib"} <= served
    assert not served & {"uvicorn", "httptools", "uvloop"}  # Lambda is the server
    assert "starlette" not in names(PackageSpec())


def test_sdk_decision() -> None:
    pin = _wheel("aiobotocore", "3", "botocore<1.43.118,>=1.43.115")
    wheels = {"aiobotocore": pin, "botocore": _wheel("botocore", "1.43.117")}
    assert pk.sdk_decision(PackageSpec(), wheels, ["aiobotocore", "botocore"]).bundled
    assert not pk.sdk_decision(PackageSpec(runtime_botocore_version="1.43.116"), wheels, ["aiobotocore"]).bundled
    odd = pk.sdk_decision(PackageSpec(runtime_botocore_version="1.40.0"), wheels, ["aiobotocore"])
    assert odd.bundled and "is 1.40.0" in odd.reason
    assert not pk.sdk_decision(PackageSpec(s3fs=False), wheels, ["numpy"]).bundled
    assert pk.sdk_decision(PackageSpec(include_runtime_provided=True), wheels, ["numpy"]).bundled


def test_placement_rule_and_layer_packing() -> None:
    small = Contents("pluggy", "1", [Entry("pluggy/__init__.py", 1000)], 400)
    large = Contents("numpy", "2", [Entry("numpy/x.so", 5 * 2**20)], 2 * 2**20)
    sdk = Contents("botocore", "1", [Entry("botocore/x.py", 20 * 2**20)], 8 * 2**20)
    contents = {c.name: c for c in (small, large, sdk)}
    placed = pk.place(PackageSpec(), contents, pk.SdkDecision(True, "test"))
    assert [placed[n].where for n in ("pluggy", "numpy", "botocore")] == ["function", "deps", "function"]
    assert pk.place(PackageSpec(), contents, pk.SdkDecision(False, "test"))["botocore"].where == "deps"
    assert pk.place(PackageSpec(deps_mode="layers"), contents, pk.SdkDecision(False, ""))["numpy"].where == "layer"
    many = [Contents(f"p{i}", "1", [Entry(f"p{i}/a", 10)], 30 * 2**20) for i in range(8)]
    layers = pk.pack_layers(many, PackageLimits())
    assert len(layers) == 5 and sorted(c.name for layer in layers for c in layer) == sorted(c.name for c in many)
    assert pk.pack_layers(list(reversed(many)), PackageLimits()) == layers


def test_strip_rules() -> None:
    keep = ("numpy/__init__.py", "numpy/testing/utils.py", "numpy/py.typed", "numpy/random/LICENSE.md",
            "numpy-2.2.6.dist-info/METADATA", "numpy-2.2.6.dist-info/licenses/LICENSE.txt", "dask/dask.yaml",
            "botocore/docs/client.py", "botocore/data/s3/2006-03-01/service-2.json.gz")  # fmt: skip
    drop = ("numpy/_core/tests/test_a.py", "pandas/tests/x.py", "a/__pycache__/b.cpython-312.pyc", "numpy/__init__.pyi",
            "numpy/_core/include/numpy/ndarraytypes.h", "pkg/conftest.py", "pkg/README.md", "tests/__init__.py")  # fmt: skip
    assert [p for p in keep if pk.strip_reason(p)] == []
    assert [p for p in drop if not pk.strip_reason(p)] == []
    assert pk._install_path("x-1.data/purelib/x/a.py", "x-1.data/") == "x/a.py"
    assert pk._install_path("x-1.data/scripts/run", "x-1.data/") is None


def test_platform_tags_and_validation() -> None:
    x86, arm = pk.platform_tags("x86_64"), pk.platform_tags("arm64")
    assert x86[0] == "manylinux_2_34_x86_64" and "manylinux_2_28_x86_64" in x86 and x86[-1] == "manylinux2014_x86_64"
    assert all(t.endswith("_aarch64") for t in arm) and "manylinux2014_aarch64" in arm
    for bad in ({"runtime": "python3.9"}, {"architecture": "arm"}, {"deps_mode": "efs"}, {"ephemeral_storage_mb": 100}):
        with pytest.raises(PackagingError):
            pk.validate_spec(PackageSpec(**bad))  # type: ignore[arg-type]


def test_write_zip_is_deterministic_and_rejects_duplicates(tmp_path: Path) -> None:
    wheel = tmp_path / "w-1-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("w/data.gz", b"\x1f\x8b" + bytes(range(256)), compress_type=zipfile.ZIP_STORED)
        zf.writestr("w/mod.py", "x = 1\n" * 500, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    entries = [Entry("b/x.so", 3, True, data=b"abc"), Entry("a.py", 2, data=b"hi"),
               Entry("w/data.gz", 258, wheel=wheel, member="w/data.gz"),
               Entry("w/mod.py", 3000, wheel=wheel, member="w/mod.py")]  # fmt: skip
    one, two = pk.write_zip(tmp_path / "1.zip", entries), pk.write_zip(tmp_path / "2.zip", list(reversed(entries)))
    assert one.sha256 == two.sha256 and one.files == 4 and one.unzipped_bytes == 3263
    with zipfile.ZipFile(tmp_path / "1.zip") as zf, zipfile.ZipFile(wheel) as src:
        assert zf.testzip() is None
        infos = {i.filename: i for i in zf.infolist()}
        assert zf.read("w/mod.py") == src.read("w/mod.py") and zf.read("b/x.so") == b"abc"
        assert infos["w/mod.py"].compress_size == src.getinfo("w/mod.py").compress_size  # copied, not recompressed
    assert list(infos) == ["a.py", "b/x.so", "w/data.gz", "w/mod.py"]
    assert infos["b/x.so"].external_attr >> 16 == 0o100755 and infos["a.py"].external_attr >> 16 == 0o100644
    assert infos["w/data.gz"].compress_type == zipfile.ZIP_STORED and infos["a.py"].compress_type == zipfile.ZIP_DEFLATED
    assert {i.date_time for i in infos.values()} == {pk.ZIP_DATE} and {i.create_system for i in infos.values()} == {3}
    if shutil.which("unzip"):
        assert subprocess.run(["unzip", "-tq", str(tmp_path / "1.zip")], capture_output=True).returncode == 0
    with pytest.raises(PackagingError, match="two sources"):
        pk.write_zip(tmp_path / "3.zip", [*entries, Entry("a.py", 1, data=b"x")])


def test_source_tree_mirrors_the_package_dir_mapping() -> None:
    project = pk.read_project(REPO)
    names = {e.arcname for e in pk.source_entries(project)}
    assert "podpac_exec/backends/__init__.py" in names and "podpac_exec/backends/local/backend.py" in names
    assert "podpac_exec/backends/aws_lambda/packaging/core.py" in names and "podpac_exec/py.typed" in names
    assert not [n for n in names if n.startswith("backends/") or "__pycache__" in n]
    with pytest.raises(PackagingError, match="handler"):
        pk.handler_entry(PackageSpec(handler_path=REPO / "no-such-handler.py"), REPO)


# -- CLI --------------------------------------------------------------------------------------------------


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="podpac-exec aws")
    add_package_parser(parser.add_subparsers(dest="aws_command", required=True))
    return parser.parse_args(["package", *argv])


def test_cli_options_make_the_spec() -> None:
    args = _parse("--runtime", "python3.13", "--architecture", "arm64", "--with", "scipy", "--with", "lz4",
                  "--include-runtime-provided", "--deps-mode", "layers", "--output-dir", "out", "--no-s3fs",
                  "--ephemeral-storage-mb", "4096", "--runtime-botocore", "1.43.116")  # fmt: skip
    spec = spec_from_args(args)
    assert (spec.runtime, spec.architecture, spec.with_packages) == ("python3.13", "arm64", ("scipy", "lz4"))
    assert spec.include_runtime_provided and spec.deps_mode == "layers" and spec.output_dir == Path("out")
    assert (spec.s3fs, spec.ephemeral_storage_mb, spec.runtime_botocore_version) == (False, 4096, "1.43.116")
    defaults = spec_from_args(_parse())
    assert (defaults.runtime, defaults.architecture, defaults.ephemeral_storage_mb) == ("python3.12", "x86_64", 2048)
    assert args.func.__name__ == "package_command"


def test_cli_summary_names_every_zip_and_the_manifest(built: PackageResult, spec: PackageSpec) -> None:
    text = "\n".join(summary_lines(spec, built, 1.0))
    for needle in (str(built.dist_zip), str(built.deps_zip), str(built.manifest_path), "MB zipped", "AWS SDK", "in deps"):
        assert needle in text


def test_a_sources_bytecode_does_not_depend_on_where_it_was_compiled(tmp_path: Path) -> None:
    """Two builds compiling the same source at once write one cache entry: the same bytes."""
    import json
    import subprocess
    import sys

    from podpac_exec.backends.aws_lambda.packaging.bytecode import _COMPILE

    jobs = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        src = tmp_path / folder / "0123abcd.py"
        src.write_text("def f():\n    raise ValueError('x')\n")
        jobs.append((str(src), str(tmp_path / folder / "out.pyc")))
    subprocess.run([sys.executable, "-I", "-c", _COMPILE], input=json.dumps(jobs), text=True, check=True)
    assert (tmp_path / "a" / "out.pyc").read_bytes() == (tmp_path / "b" / "out.pyc").read_bytes()
