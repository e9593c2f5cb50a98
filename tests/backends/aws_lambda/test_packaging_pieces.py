"""packaging/pieces.py and the piece-wise zip: grouping, byte ranges, duplicate libraries, the manifest."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

from podpac_exec.backends.aws_lambda.packaging import pieces as pc
from podpac_exec.backends.aws_lambda.packaging.contents import Contents, Entry, strip_reason
from podpac_exec.backends.aws_lambda.packaging.resolve import ResolvedWheel
from podpac_exec.backends.aws_lambda.packaging.zipwrite import read_entry, write_grouped_zip

ENV = {"python_version": "3.12", "sys_platform": "linux", "platform_machine": "x86_64", "extra": ""}


def _wheel(name: str, *requires: str) -> ResolvedWheel:
    return ResolvedWheel(name, "1", f"{name}-1.whl", "", "", tuple(requires))


def _contents(name: str, files: dict[str, bytes]) -> Contents:
    entries = [Entry(arc, len(data), data=data) for arc, data in files.items()]
    return Contents(name, "1", entries, sum(len(d) for d in files.values()))


LIB = bytes(range(256)) * 400  # 100 KB: above the duplicate-library threshold


def _sample() -> tuple[list[Contents], dict[str, ResolvedWheel]]:
    heavy = [
        _contents("numpy", {"numpy/__init__.py": b"x = 1\n", "numpy.libs/libg-1.so.5": LIB,
                            "numpy-1.dist-info/METADATA": b"Name: numpy\n"}),
        _contents("scipy", {"scipy/__init__.py": b"import numpy\n", "scipy.libs/libg-1.so.5": LIB,
                            "scipy.libs/libother.so": LIB[::-1]}),
        _contents("pyyaml", {"yaml/__init__.py": b"", "_yaml/__init__.py": b""}),
        _contents("nsa", {"ns/a/__init__.py": b""}),
        _contents("nsb", {"ns/b/__init__.py": b""}),
        _contents("botocore", {"botocore/__init__.py": b""}),
        _contents("boto3", {"boto3/__init__.py": b""}),
    ]  # fmt: skip
    wheels = {
        "numpy": _wheel("numpy"), "scipy": _wheel("scipy", "numpy>=1"), "pyyaml": _wheel("pyyaml"),
        "nsa": _wheel("nsa"), "nsb": _wheel("nsb"), "botocore": _wheel("botocore"),
        "boto3": _wheel("boto3", "botocore"), "dask": _wheel("dask", "pyyaml", "numpy; extra == 'array'"),
    }  # fmt: skip
    return heavy, wheels


def test_top_level_modules_are_the_importable_names() -> None:
    entries = [Entry(n, 1) for n in ("numpy/__init__.py", "numpy.libs/x.so", "numpy-2.dist-info/RECORD",
                                     "six.py", "_cffi_backend.cpython-312-x86_64-linux-gnu.so", "x.pth")]  # fmt: skip
    assert pc.top_level_modules(entries) == {"numpy", "six", "_cffi_backend"}


def test_pieces_group_by_distribution_shared_names_and_the_sdk() -> None:
    heavy, wheels = _sample()
    pieces = {p.name: p for p in pc.group_pieces(heavy, wheels, ENV, {})}
    assert sorted(pieces) == ["aws-sdk", "nsa+nsb", "numpy", "pyyaml", "scipy"]
    assert pieces["scipy"].requires == ("numpy",) and pieces["numpy"].requires == ()
    assert pieces["pyyaml"].modules == ("_yaml", "yaml") and pieces["nsa+nsb"].modules == ("ns",)
    assert set(pieces["aws-sdk"].packages) == {"boto3", "botocore"}


def test_duplicate_libraries_become_symlinks_into_the_required_piece() -> None:
    heavy, wheels = _sample()
    pieces = pc.group_pieces(heavy, wheels, ENV, {})
    saved = pc.link_duplicates(pieces, read_entry)
    assert saved == len(LIB)
    scipy = next(p for p in pieces if p.name == "scipy")
    link = next(e for e in scipy.entries if e.arcname == "scipy.libs/libg-1.so.5")
    assert link.symlink and link.data == b"../../numpy/numpy.libs/libg-1.so.5"
    assert not next(e for e in scipy.entries if e.arcname == "scipy.libs/libother.so").symlink
    assert scipy.linked_bytes == len(LIB)


def test_each_piece_is_one_byte_range_of_a_valid_zip(tmp_path: Path) -> None:
    heavy, wheels = _sample()
    pieces = pc.group_pieces(heavy, wheels, ENV, {})
    pc.link_duplicates(pieces, read_entry)
    path = tmp_path / "deps.zip"
    stats, spans = write_grouped_zip(path, [(p.name, p.entries) for p in pieces])
    records = pc.piece_records(pieces, spans, path)
    data = path.read_bytes()
    assert records[0]["offset"] == 0
    for a, b in zip(records, records[1:]):
        assert a["offset"] + a["length"] == b["offset"]  # back to back
    for row in records:
        assert hashlib.sha256(data[row["offset"] : row["offset"] + row["length"]]).hexdigest() == row["sha256"]
    with zipfile.ZipFile(path) as zf:  # still one valid zip of everything
        assert len(zf.namelist()) == stats.files == sum(r["files"] for r in records)
        link = zf.getinfo("scipy.libs/libg-1.so.5")
        assert link.external_attr >> 16 == 0o120777
    assert next(r for r in records if r["name"] == "scipy")["symlinks"] == ["scipy.libs/libg-1.so.5"]


def test_importers_may_fetch_only_what_their_distribution_requires() -> None:
    heavy, wheels = _sample()
    dask = _contents("dask", {"dask/__init__.py": b""})
    pieces = pc.group_pieces(heavy, wheels, ENV, {})
    table = pc.importer_allowances([*heavy, dask], pieces, wheels, ENV, {}, project_modules={"podpac_exec"})
    assert table["dask"] == ["numpy", "pyyaml"]  # its `array` extra; an `import scipy` is not its to fetch
    assert table["scipy"] == ["numpy", "scipy"] and "podpac_exec" not in table
    wheels["dask"] = _wheel("dask", "pyyaml", "numpy; extra == 'array'", "scipy; extra == 'tests'")
    with_array = pc.importer_allowances([*heavy, dask], pieces, wheels, ENV, {}, ())
    assert with_array["dask"] == ["numpy", "pyyaml"]  # a declared extra counts, a development one does not
    wheels["pandas"] = _wheel("pandas", "numpy", "scipy; extra == 'computation'")
    wheels["dask"] = _wheel("dask", "pyyaml", "pandas; extra == 'dataframe'")
    pandas = _contents("pandas", {"pandas/__init__.py": b""})
    table = pc.importer_allowances([*heavy, dask, pandas], pieces, wheels, ENV, {}, ())
    assert "scipy" not in table["dask"] and "scipy" in table["pandas"]  # extras count at the first level only


def test_node_types_declare_their_imports() -> None:
    table, function = pc.node_imports()
    assert "scipy" in table["core.algorithm.signal.Convolution"] and "numpy" in table["algorithm.Arithmetic"]
    assert "scipy" not in table["core.algorithm.generic.Arithmetic"] and table["data.Zarr"] == ["numpy", "zarr"]
    assert set(function) >= {"numpy", "xarray"}


def test_new_strip_rules() -> None:
    assert strip_reason("numpy/_pyinstaller/hook-numpy.py") == "directory"
    assert strip_reason("scipy/lib/libfoo.a") == "file"
    assert strip_reason("scipy/linalg/cython_blas.pxd") == "file"
    assert strip_reason("botocore/docs/client.py") is None  # imported at run time
