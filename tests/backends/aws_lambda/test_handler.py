"""dist/aws_lambda/handler.py: dependency staging from S3 (checksum, marker, reuse, retries).

Runs the real handler module in-process against the emulator's S3; the same code runs inside
the emulated function in test_lambda_e2e.py.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import pytest

HANDLER = Path(__file__).resolve().parents[3] / "dist" / "aws_lambda" / "handler.py"


@pytest.fixture
def handler(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("podpac_exec_test_handler", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    monkeypatch.setattr(module.time, "sleep", lambda s: None)  # the backoff itself is tested in test_retry
    yield module
    sys.path[:] = [p for p in sys.path if str(tmp_path) not in p]


@pytest.fixture
def staged(aws_emulator):
    s3 = aws_emulator.client("s3")
    s3.create_bucket(Bucket="deps")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("podpac_exec_fake_dep/__init__.py", "VALUE = 42\n")
    body = buf.getvalue()
    s3.put_object(Bucket="deps", Key="p/podpac_deps.zip", Body=body)
    return hashlib.sha256(body).hexdigest()


def configure(monkeypatch, sha: str, key: str = "p/podpac_deps.zip") -> None:
    monkeypatch.setenv("PODPAC_LAMBDA_DEPS_BUCKET", "deps")
    monkeypatch.setenv("PODPAC_LAMBDA_DEPS_KEY", key)
    monkeypatch.setenv("PODPAC_LAMBDA_DEPS_SHA256", sha)


def test_downloads_checks_unpacks_then_reuses(handler, staged, monkeypatch, tmp_path, capsys):
    configure(monkeypatch, staged)
    assert handler.ensure_dependencies() == "downloaded"
    logged = capsys.readouterr().out.splitlines()  # the cold start says where its time goes
    assert logged[0] == f"podpac-exec: downloading dependencies s3://deps/p/podpac_deps.zip (sha256 {staged[:12]})"
    assert logged[1].startswith("podpac-exec: dependencies: 0.0 MB downloaded in ") and "unpacked in" in logged[1]
    root = tmp_path / "podpac_exec_deps" / staged
    assert (root / handler.MARKER).read_text() == staged
    assert (root / "podpac_exec_fake_dep" / "__init__.py").exists() and str(root) in sys.path
    assert handler.ensure_dependencies() == "downloaded"  # warm: module state, no second look
    handler._state["deps"] = None  # a new container finding /tmp intact: the marker, not a guess
    assert handler.ensure_dependencies() == "reused"
    assert capsys.readouterr().out == f"podpac-exec: dependencies reused from {root}\n"


def test_checksum_mismatch_is_reported(handler, staged, monkeypatch, tmp_path):
    configure(monkeypatch, "0" * 64)
    with pytest.raises(handler.DependencyError, match="expected 0000"):
        handler.ensure_dependencies()
    assert not (tmp_path / "podpac_exec_deps" / ("0" * 64)).exists()


def test_missing_object_is_reported_without_retrying(handler, staged, monkeypatch):
    configure(monkeypatch, staged, key="p/missing.zip")
    with pytest.raises(handler.DependencyError, match="after 1 attempt: .*404"):
        handler.ensure_dependencies()


def test_connection_errors_are_retried_then_reported(handler, staged, monkeypatch):
    import socket

    with socket.socket() as sock:  # a port nobody listens on: connection refused, at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    configure(monkeypatch, staged)
    with pytest.raises(handler.DependencyError, match=f"after {handler.MAX_ATTEMPTS} attempts"):
        handler.ensure_dependencies()


def test_bundled_when_no_bucket(handler, monkeypatch):
    monkeypatch.delenv("PODPAC_LAMBDA_DEPS_BUCKET", raising=False)
    assert handler.ensure_dependencies() == "bundled"


SHOWS_DEPS = """
import os, tempfile, time, handler as podpac_handler

def handler(event, context):
    how = podpac_handler.ensure_dependencies()
    time.sleep(1.5)  # longer than the emulator waits for a busy container: the others start their own
    import podpac_exec_fake_dep
    own = os.path.join(tempfile.gettempdir(), "podpac_exec_deps")
    return {"how": how, "pid": os.getpid(), "value": podpac_exec_fake_dep.VALUE, "file": podpac_exec_fake_dep.__file__,
            "own_tmp_copy": os.path.exists(own)}
"""


def test_emulated_containers_unpack_once_per_host_and_share_it_read_only(aws_emulator, deploy, staged):
    """Containers cold-starting together: one download and unpack, the others reuse it, read-only."""
    from concurrent.futures import ThreadPoolExecutor
    import json as _json
    import os
    import stat

    aws_emulator.configure(cold_start_concurrency=8)  # all at once: the lock, not the cap, serialises
    env = {"PODPAC_LAMBDA_DEPS_BUCKET": "deps", "PODPAC_LAMBDA_DEPS_KEY": "p/podpac_deps.zip",
           "PODPAC_LAMBDA_DEPS_SHA256": staged}
    helpers = {p.name: p.read_text() for p in HANDLER.parent.glob("deps_*.py")}
    deploy(files={"h.py": SHOWS_DEPS, "handler.py": HANDLER.read_text(), **helpers}, Timeout=30,
           Environment={"Variables": env})
    client = aws_emulator.client("lambda")

    def invoke(_: int):
        return _json.loads(client.invoke(FunctionName="fn", Payload=b"{}")["Payload"].read())

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(invoke, range(8)))
    # one container downloaded (a warm container keeps answering how it got them); none twice
    assert len({a["pid"] for a in answers if a["how"] == "downloaded"}) == 1, answers
    assert len({a["pid"] for a in answers}) >= 2 and {a["how"] for a in answers} == {"downloaded", "reused"}
    assert {a["value"] for a in answers} == {42} and not any(a["own_tmp_copy"] for a in answers)
    shared = Path(aws_emulator.state_dir) / "shared" / "podpac_exec_deps" / staged
    assert {a["file"] for a in answers} == {str(shared / "podpac_exec_fake_dep" / "__init__.py")}
    module = shared / "podpac_exec_fake_dep" / "__init__.py"
    assert not os.stat(module).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert sorted(p.name for p in shared.parent.iterdir()) == sorted([staged, f"{staged}.lock"])  # no partials
