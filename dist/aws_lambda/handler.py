"""AWS Lambda entry point for podpac-exec (Handler: ``handler.handler``).

The dependencies zip named by ``PODPAC_LAMBDA_DEPS_BUCKET`` / ``PODPAC_LAMBDA_DEPS_KEY`` is staged
on S3 as pieces (``podpac_deps.json`` beside this file lists them). At cold start the handler
fetches only the pieces the request's node types and the function itself declare, in parallel,
each checked by its sha256 and unpacked under ``/tmp/podpac_exec_deps/<zip sha256>/<piece>``;
an import hook fetches any other piece on its first import (``deps_pieces.py``). A zip without
pieces is downloaded whole, checked against ``PODPAC_LAMBDA_DEPS_SHA256`` and unpacked, with a
marker file written last. Either way a warm container, or a later one that finds /tmp intact,
reuses what is unpacked. Without those variables the dependencies are in the function zip or layers.

This module imports only the standard library and boto3 (which the Lambda runtime provides):
everything else comes from the dependencies.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from typing import Any

MARKER = ".podpac_exec_complete"
#: Set by the offline emulator only: a host directory all its containers share, so the
#: dependencies are downloaded and unpacked once per host instead of once per container (on
#: Lambda each container has its own /tmp, and this variable is absent).
SHARED_DIR_ENV = "PODPAC_EMULATOR_SHARED_DIR"

_state: dict[str, Any] = {"deps": None, "cold": True, "store": None, "figures": {}}
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)  # the helpers beside this file, when it is loaded from a path (tests)

from deps_fetch import MAX_ATTEMPTS, DependencyError, make_read_only, transient  # noqa: E402,F401 - after the path above
import deps_pieces  # noqa: E402


def ensure_dependencies(event: Any = None) -> str:
    """Make the dependencies importable; returns "bundled", "reused" or "downloaded"."""
    if _state["deps"] is not None:
        return _state["deps"]
    bucket = os.environ.get("PODPAC_LAMBDA_DEPS_BUCKET", "")
    key = os.environ.get("PODPAC_LAMBDA_DEPS_KEY", "")
    sha256 = os.environ.get("PODPAC_LAMBDA_DEPS_SHA256", "")
    if not bucket:
        _state["deps"] = "bundled"
        return "bundled"
    base = os.environ.get(SHARED_DIR_ENV) or tempfile.gettempdir()
    info = deps_pieces.load_info(_HERE)
    if info is not None and (not sha256 or sha256 == info["deps_zip"]["sha256"]):
        how = _ensure_pieces(info, bucket, key, base, event)
        _state["deps"] = how
        return how
    root = os.path.join(base, "podpac_exec_deps", sha256 or "unversioned")
    with _exclusive(root):  # containers sharing ``base`` wait for the first one's unpack
        if os.path.exists(os.path.join(root, MARKER)):
            how = "reused"
            log(f"dependencies reused from {root}")
        else:
            log(f"downloading dependencies s3://{bucket}/{key} (sha256 {sha256[:12] or 'not given'})")
            _download_and_unpack(bucket, key, sha256, root, read_only=base != tempfile.gettempdir())
            how = "downloaded"
    sys.path.insert(0, root)
    _state["deps"] = how
    return how


@contextlib.contextmanager
def _exclusive(root: str) -> Any:
    """An exclusive lock on ``root`` + ``.lock`` (flock: released if the holder dies)."""
    import fcntl

    os.makedirs(os.path.dirname(root), exist_ok=True)
    with open(f"{root}.lock", "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _ensure_pieces(info: dict[str, Any], bucket: str, key: str, base: str, event: Any) -> str:
    """Install the import hook, then fetch the pieces the request declares, in parallel."""
    t0 = time.monotonic()
    store = _state["store"]
    if store is None:  # once per container: a failed cold start is retried with the same store and hook
        store = deps_pieces.PieceStore(info, bucket, key, base, _s3_client, shared=base != tempfile.gettempdir())
        _state["store"] = store
        sys.meta_path.insert(0, deps_pieces.PieceFinder(store))
    sdk = info.get("sdk")
    fits, why = deps_pieces.runtime_sdk_fits(sdk)
    if sdk and not fits:
        deps_pieces.switch_sdk(store, sdk)
        _CLIENTS.clear()  # later fetches use the piece's boto3
        _s3_client()
    elif sdk:
        store.forget(sdk["piece"])
    wanted = store.plan(deps_pieces.node_names(event))
    if not all(os.path.isdir(os.path.join(store.root, name)) for name in wanted):
        _s3_client()  # boto3 imported on this thread, before any fetch thread needs it
    store.ensure(wanted)
    figures = store.figures()
    figures.update(deps_wall_s=deps_pieces.elapsed(t0), deps_pieces=",".join(wanted), deps_sdk=why)
    _state["figures"] = figures
    return "downloaded" if store.fetched else "reused"


_CLIENTS: list[Any] = []
_CLIENT_LOCK = threading.Lock()


def _s3_client() -> Any:
    """One S3 client for the pieces' fetches (boto3 clients are thread-safe)."""
    with _CLIENT_LOCK:
        if not _CLIENTS:
            import boto3

            _CLIENTS.append(boto3.client("s3"))
        return _CLIENTS[0]


def _download_and_unpack(bucket: str, key: str, sha256: str, root: str, *, read_only: bool = False) -> None:
    import boto3

    s3 = boto3.client("s3")
    partial = f"{root}.partial-{os.getpid()}"
    archive = f"{partial}.zip"
    os.makedirs(os.path.dirname(root), exist_ok=True)
    t0 = time.monotonic()
    from deps_fetch import with_retries

    with_retries(f"dependencies s3://{bucket}/{key}", lambda: s3.download_file(bucket, key, archive))
    size_mb, t1 = os.path.getsize(archive) / 2**20, time.monotonic()
    digest = _sha256(archive)
    if sha256 and digest != sha256:
        os.remove(archive)
        raise DependencyError(f"dependencies s3://{bucket}/{key} have sha256 {digest}, expected {sha256}")
    shutil.rmtree(partial, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(partial)
    os.remove(archive)
    with open(os.path.join(partial, MARKER), "w") as fh:
        fh.write(digest)
    if read_only:  # shared between containers: none may change what the others import
        make_read_only(partial)
    try:
        os.replace(partial, root)
    except OSError:  # another process finished first: use its copy
        shutil.rmtree(partial, ignore_errors=True)
    log(f"dependencies: {size_mb:.1f} MB downloaded in {t1 - t0:.1f} s, checked and unpacked in "
        f"{time.monotonic() - t1:.1f} s to {root}")


def log(message: str) -> None:
    """One line in the function's log (CloudWatch): what the cold start spends its time on."""
    print(f"podpac-exec: {message}", flush=True)


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _log_cold_start(f: dict[str, Any], store: Any) -> None:
    """One line: what the cold start fetched and where its time went (fetch, unpack, import)."""
    mb = f["deps_fetched_bytes"] / 2**20
    log(f"dependencies: {mb:.1f} of {store.total_bytes / 2**20:.1f} MB fetched "
        f"({f['deps_pieces_fetched'] or 'no pieces'}; reused: {f['deps_pieces_reused'] or 'none'}) in "
        f"{f['deps_wall_s']:.2f} s (network {f['deps_fetch_s']:.2f} s, unpack {f['deps_unpack_s']:.2f} s, summed "
        f"over threads), then imports {f['deps_import_s']:.2f} s; {f['deps_sdk']}")  # fmt: skip


def handler(event: Any, context: Any) -> Any:
    """Lambda handler: stage dependencies, then answer the event with podpac-exec."""
    deps = ensure_dependencies(event)
    t0 = time.monotonic()
    from podpac_exec.backends.aws_lambda.function import remote

    if _state["cold"]:
        store = _state["store"]
        for name in store.info.get("prefetch", {}).get("function", ()) if store else ():
            __import__(name)  # what every evaluation imports: counted as the cold start's import time
        remote.RUNTIME_STATE.update(_state["figures"], deps_import_s=round(time.monotonic() - t0, 4))
        if store:
            _log_cold_start(remote.RUNTIME_STATE, store)
    elif _state["store"] is not None:  # pieces the import hook fetched since
        remote.RUNTIME_STATE.update(_state["store"].figures())
    remote.RUNTIME_STATE.update(deps=deps if _state["cold"] else "warm", cold=_state["cold"])
    _state["cold"] = False
    return remote.wire_answer(remote.handle_event(event, context))
