"""dist/aws_lambda/deps_pieces.py and deps_fetch.py: pieces fetched by range from the emulator's S3.

A small pieces zip is written by the packager's own writer and staged in the emulator; the
store fetches, checks and unpacks pieces, and the import hook fetches or refuses on import.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import pytest

from podpac_exec.backends.aws_lambda.packaging import pieces as pc
from podpac_exec.backends.aws_lambda.packaging.contents import Contents, Entry
from podpac_exec.backends.aws_lambda.packaging.resolve import ResolvedWheel
from podpac_exec.backends.aws_lambda.packaging.zipwrite import read_entry, write_grouped_zip

DIST = Path(__file__).resolve().parents[3] / "dist" / "aws_lambda"
ENV = {"python_version": "3.12", "sys_platform": "linux", "platform_machine": "x86_64", "extra": ""}
LIB = os.urandom(80_000)


@pytest.fixture
def helpers(monkeypatch):
    monkeypatch.syspath_prepend(str(DIST))
    import deps_fetch
    import deps_pieces

    return deps_pieces, deps_fetch


def _contents(name: str, files: dict[str, bytes]) -> Contents:
    return Contents(name, "1", [Entry(a, len(d), data=d) for a, d in files.items()], 0)


@pytest.fixture
def staged(aws_emulator, tmp_path):
    """Three pieces: base (a library), user (requires base, shares the library), extra (optional)."""
    heavy = [
        _contents("pdx-base", {"pdx_base/__init__.py": b"VALUE = 1\n", "pdx_base.libs/libz-1.so": LIB}),
        _contents("pdx-user", {"pdx_user/__init__.py": b"import pdx_base\nVALUE = pdx_base.VALUE + 1\n",
                               "pdx_user.libs/libz-1.so": LIB}),
        _contents("pdx-extra", {"pdx_extra/__init__.py": b"VALUE = 3\n"}),
        _contents("pdx-prober", {"pdx_prober/__init__.py": b"try:\n    import pdx_extra\nexcept ImportError:\n"
                                                          b"    pdx_extra = None\n"}),
    ]  # fmt: skip
    wheels = {c.name: ResolvedWheel(c.name, "1", "", "", "", ()) for c in heavy}
    wheels["pdx-user"] = ResolvedWheel("pdx-user", "1", "", "", "", ("pdx-base",))
    pieces = pc.group_pieces(heavy, wheels, ENV, {})
    pc.link_duplicates(pieces, read_entry)
    path = tmp_path / "deps.zip"
    stats, spans = write_grouped_zip(path, [(p.name, p.entries) for p in pieces])
    info = {
        "format": 2, "deps_zip": stats.as_dict(), "pieces": pc.piece_records(pieces, spans, path),
        "prefetch": {"function": ["pdx_base"], "nodes": {"UserNode": ["pdx_user"]}},
        "importers": pc.importer_allowances(heavy, pieces, wheels, ENV, {}, ()),
    }  # fmt: skip
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="deps")
    s3.put_object(Bucket="deps", Key="p/deps.zip", Body=path.read_bytes())
    yield info, s3
    for name in [m for m in sys.modules if m.startswith("pdx_")]:
        del sys.modules[name]


def _store(helpers, info, s3, base):
    deps_pieces, _ = helpers
    return deps_pieces.PieceStore(info, "deps", "p/deps.zip", str(base), lambda: s3)


def test_fetches_the_planned_pieces_only_and_reuses_them(helpers, staged, tmp_path, monkeypatch):
    info, s3 = staged
    store = _store(helpers, info, s3, tmp_path)
    plan = store.plan(["UserNode"])
    assert plan == ["pdx-base", "pdx-user"] and store.plan([]) == ["pdx-base"]
    store.ensure(plan)
    assert sorted(store.fetched) == plan and store.timings.fetched_bytes == sum(
        p["length"] for p in info["pieces"] if p["name"] in plan)
    root = Path(store.root)
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == plan  # no partial directory left
    link = root / "pdx-user" / "pdx_user.libs" / "libz-1.so"
    assert link.is_symlink() and link.read_bytes() == LIB
    monkeypatch.setattr(sys, "path", list(sys.path))
    assert importlib.import_module("pdx_user").VALUE == 2
    again = _store(helpers, info, s3, tmp_path)  # another container sharing the directory
    again.ensure(plan)
    assert again.fetched == [] and sorted(again.reused) == plan and again.timings.fetched_bytes == 0


def test_a_corrupted_piece_is_one_clear_error_and_leaves_nothing_behind(helpers, staged, tmp_path):
    info, s3 = staged
    bad = {**info, "pieces": [{**p, "sha256": "0" * 64} if p["name"] == "pdx-base" else p for p in info["pieces"]]}
    store = _store(helpers, bad, s3, tmp_path)
    with pytest.raises(helpers[1].DependencyError) as caught:
        store.ensure(["pdx-base"])
    message = str(caught.value)
    assert "\n" not in message and "dependency piece pdx-base" in message and "expected 0000" in message
    assert [p.name for p in Path(store.root).iterdir() if p.is_dir()] == []  # nothing half unpacked to reuse
    good = _store(helpers, info, s3, tmp_path)
    good.ensure(["pdx-base"])  # the next attempt fetches it afresh
    assert good.fetched == ["pdx-base"]


def test_the_import_hook_fetches_for_the_project_and_refuses_optional_imports(helpers, staged, tmp_path, monkeypatch):
    deps_pieces, _ = helpers
    info, s3 = staged
    store = _store(helpers, info, s3, tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "meta_path", [deps_pieces.PieceFinder(store), *sys.meta_path])
    prober = importlib.import_module("pdx_prober")  # its `try: import pdx_extra` is not its to fetch
    assert prober.pdx_extra is None and "pdx-extra" in store.refused
    assert "pdx-extra" not in store.fetched
    assert importlib.import_module("pdx_extra").VALUE == 3  # imported by this (unlisted) module: fetched
    assert "pdx-extra" in store.fetched


def test_version_specifiers_and_node_names(helpers):
    deps_pieces, _ = helpers
    assert deps_pieces.satisfies("1.43.117", ">=1.43.115,<1.43.118")
    assert not deps_pieces.satisfies("1.34.0", ">=1.43.115,<1.43.118")
    assert deps_pieces.satisfies("1.4.2", "~=1.4") and not deps_pieces.satisfies("2.0", "~=1.4")
    assert deps_pieces.runtime_sdk_fits(None)[0]
    fits, why = deps_pieces.runtime_sdk_fits({"piece": "aws-sdk", "botocore": ">=99"})  # the host's botocore is older
    assert not fits and "does not satisfy >=99" in why
    event = {"pipeline": {"a": {"node": "core.algorithm.signal.Convolution"}, "b": {"node": "algorithm.Arithmetic"}}}
    assert deps_pieces.node_names(event) == ["algorithm.Arithmetic", "core.algorithm.signal.Convolution"]
    assert deps_pieces.node_names({"body": '{"pipeline": {"a": {"node": "data.Zarr"}}}'}) == ["data.Zarr"]
    assert deps_pieces.node_names("junk") == [] and deps_pieces.node_names({"pipeline": 3}) == []
