"""AWS Lambda entry point for podpac-exec (Handler: ``handler.handler``).

At cold start the dependencies zip named by ``PODPAC_LAMBDA_DEPS_BUCKET`` /
``PODPAC_LAMBDA_DEPS_KEY`` is downloaded from S3, checked against ``PODPAC_LAMBDA_DEPS_SHA256``
and unpacked into ``/tmp/podpac_exec_deps/<sha256>``; a marker file written last says the unpack
is complete, so a warm container (or a later container that finds /tmp intact) reuses it without
downloading again. Without those variables the dependencies are in the function zip or layers.

This module imports only the standard library and boto3 (which the Lambda runtime provides):
everything else comes from the dependencies.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import sys
import tempfile
import time
import zipfile
from typing import Any

MARKER = ".podpac_exec_complete"
MAX_ATTEMPTS = 5
#: Set by the offline emulator only: a host directory all its containers share, so the
#: dependencies are downloaded and unpacked once per host instead of once per container (on
#: Lambda each container has its own /tmp, and this variable is absent).
SHARED_DIR_ENV = "PODPAC_EMULATOR_SHARED_DIR"

_state: dict[str, Any] = {"deps": None, "cold": True}


class DependencyError(RuntimeError):
    """The dependencies zip could not be fetched or failed its checksum."""


def ensure_dependencies() -> str:
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


def _download_and_unpack(bucket: str, key: str, sha256: str, root: str, *, read_only: bool = False) -> None:
    import boto3

    s3 = boto3.client("s3")
    partial = f"{root}.partial-{os.getpid()}"
    archive = f"{partial}.zip"
    os.makedirs(os.path.dirname(root), exist_ok=True)
    t0 = time.monotonic()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            s3.download_file(bucket, key, archive)
            break
        except Exception as exc:  # noqa: BLE001 - transient ones retried, then reported with the cause
            if attempt == MAX_ATTEMPTS or not _transient(exc):
                raise DependencyError(
                    f"could not download dependencies s3://{bucket}/{key} after {attempt} "
                    f"attempt{'s' if attempt > 1 else ''}: {exc}"
                ) from exc
            time.sleep(random.uniform(0, min(4.0, 0.2 * 2**attempt)))  # full jitter
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
        _make_read_only(partial)
    try:
        os.replace(partial, root)
    except OSError:  # another process finished first: use its copy
        shutil.rmtree(partial, ignore_errors=True)
    log(f"dependencies: {size_mb:.1f} MB downloaded in {t1 - t0:.1f} s, checked and unpacked in "
        f"{time.monotonic() - t1:.1f} s to {root}")


def log(message: str) -> None:
    """One line in the function's log (CloudWatch): what the cold start spends its time on."""
    print(f"podpac-exec: {message}", flush=True)


def _make_read_only(top: str) -> None:
    """Files read-only (folders stay writable, so Python can cache bytecode and cleanup works)."""
    for folder, _, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            os.chmod(path, os.stat(path).st_mode & ~0o222)


def _transient(exc: Exception) -> bool:
    """Throttling, 5xx and connection errors are worth another try; a missing key or a denial is not."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return True  # no HTTP answer at all: connection refused, reset, timed out
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    code = response.get("Error", {}).get("Code", "")
    return status >= 500 or status in (408, 429) or code in ("SlowDown", "RequestTimeout", "Throttling")


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def handler(event: Any, context: Any) -> Any:
    """Lambda handler: stage dependencies, then answer the event with podpac-exec."""
    deps = ensure_dependencies()
    from podpac_exec.backends.aws_lambda.function import remote

    remote.RUNTIME_STATE.update(deps=deps if _state["cold"] else "warm", cold=_state["cold"])
    _state["cold"] = False
    return remote.handle_event(event, context)
