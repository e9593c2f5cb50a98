"""Fetching dependency pieces: ranged S3 GETs in parallel, unzipped as the bytes arrive.

A piece is one byte range of the staged dependencies zip (see the packager's ``pieces.py``):
local file headers and their data, back to back, with the sizes in each header (the writer
uses no data descriptors), so it unzips front to back without the central directory. Every
byte read goes through sha256 and every member through its CRC; the caller unpacks into a
private directory and renames it into place only when both check out.

Standard library only (plus the boto3 client it is given): it runs before the dependencies exist.
"""

from __future__ import annotations

import hashlib
import os
import random
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import Any

MAX_ATTEMPTS = 5
#: One ranged GET: big enough that a request's latency is small beside its transfer, small
#: enough that a 30 MB piece arrives over several connections at once.
CHUNK_BYTES = 4 * 2**20
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_LOCAL_SIGNATURE = 0x04034B50
_BLOCK = 2**20


class DependencyError(RuntimeError):
    """The dependencies could not be fetched or failed their checksum."""


class Timings:
    """Seconds spent waiting for bytes and unpacking them, summed over threads; bytes fetched."""

    def __init__(self) -> None:
        self.fetch_s = 0.0
        self.unpack_s = 0.0
        self.fetched_bytes = 0
        self._lock = threading.Lock()

    def add(self, fetch_s: float = 0.0, unpack_s: float = 0.0, fetched: int = 0) -> None:
        with self._lock:
            self.fetch_s += fetch_s
            self.unpack_s += unpack_s
            self.fetched_bytes += fetched


def transient(exc: Exception) -> bool:
    """Throttling, 5xx and connection errors are worth another try; a missing key or a denial is not."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return True  # no HTTP answer at all: connection refused, reset, timed out
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    code = response.get("Error", {}).get("Code", "")
    return status >= 500 or status in (408, 429) or code in ("SlowDown", "RequestTimeout", "Throttling")


def with_retries(what: str, call: Callable[[], Any]) -> Any:
    """``call()``, retried on transient errors with full-jitter backoff; else one clear error."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return call()
        except Exception as exc:  # noqa: BLE001 - transient ones retried, then reported with the cause
            if attempt == MAX_ATTEMPTS or not transient(exc):
                raise DependencyError(
                    f"could not download {what} after {attempt} attempt{'s' if attempt > 1 else ''}: {exc}"
                ) from exc
            time.sleep(random.uniform(0, min(4.0, 0.2 * 2**attempt)))
    raise AssertionError("unreachable")


def ranged_chunks(
    s3: Any, bucket: str, key: str, offset: int, length: int, pool: Executor, timings: Timings
) -> Iterator[bytes]:
    """The bytes ``offset .. offset+length`` of an object, fetched as parallel ranged GETs, in order."""

    def get(start: int, end: int) -> bytes:
        t0 = time.monotonic()
        what = f"s3://{bucket}/{key} bytes {start}-{end - 1}"
        data = with_retries(what, lambda: s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{end - 1}")["Body"].read())
        if len(data) != end - start:
            raise DependencyError(f"s3://{bucket}/{key}: asked for {end - start} bytes at {start}, got {len(data)}")
        timings.add(fetch_s=time.monotonic() - t0, fetched=len(data))
        return data

    bounds = [(s, min(s + CHUNK_BYTES, offset + length)) for s in range(offset, offset + length, CHUNK_BYTES)]
    futures = [pool.submit(get, s, e) for s, e in bounds]
    try:
        for future in futures:
            yield future.result()
    finally:
        for future in futures:
            future.cancel()


class _Reader:
    """Exact reads over an iterator of chunks, hashing everything read."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks, self.buffer, self.pos, self.consumed = chunks, b"", 0, 0
        self.digest = hashlib.sha256()
        self.waited_s = 0.0  # blocked on the network, not unpacking

    def read(self, n: int) -> bytes:
        parts: list[bytes] = []
        while n > 0:
            if self.pos >= len(self.buffer):
                t0 = time.monotonic()
                chunk = next(self.chunks, None)
                self.waited_s += time.monotonic() - t0
                if chunk is None:
                    raise DependencyError("the piece ended in the middle of a file")
                self.buffer, self.pos = chunk, 0
            part = self.buffer[self.pos : self.pos + n]
            self.pos += len(part)
            n -= len(part)
            parts.append(part)
        data = b"".join(parts)
        self.digest.update(data)
        self.consumed += len(data)
        return data


def _safe_path(dest: str, name: str) -> str:
    path = os.path.normpath(os.path.join(dest, name))
    if name.startswith("/") or not path.startswith(dest.rstrip("/") + "/"):
        raise DependencyError(f"the piece holds an unsafe path {name!r}")
    return path


def unpack_stream(
    chunks: Iterator[bytes], length: int, dest: str, symlinks: frozenset[str], timings: Timings
) -> tuple[str, int]:
    """Unzip ``length`` bytes of local entries into ``dest``; returns (sha256 of the bytes, files).

    Names in ``symlinks`` are written as symbolic links whose target is the member's content.
    """
    reader = _Reader(chunks)
    files = 0
    t0 = time.monotonic()
    while reader.consumed < length:
        header = _LOCAL.unpack(reader.read(_LOCAL.size))
        sig, _, flags, method, _, _, crc, csize, usize, namelen, extralen = header
        if sig != _LOCAL_SIGNATURE or flags & 0x8 or method not in (0, 8):
            raise DependencyError("the piece is not a sequence of plain zip entries")
        name = reader.read(namelen).decode("utf-8" if flags & 0x800 else "cp437")
        reader.read(extralen)
        path = _safe_path(dest, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        inflater = zlib.decompressobj(-15) if method == 8 else None
        check, left = 0, csize
        if name in symlinks:
            data = reader.read(csize)
            target = (inflater.decompress(data) + inflater.flush()) if inflater else data
            check = zlib.crc32(target)
            store = os.path.dirname(os.path.abspath(dest))  # a link may point into a sibling piece, no further
            if not os.path.normpath(os.path.join(os.path.dirname(path), target.decode())).startswith(store + "/"):
                raise DependencyError(f"{name}: a link out of the dependencies directory")
            os.symlink(target.decode(), path)
        else:
            with open(path, "wb") as fh:
                while left:
                    block = reader.read(min(left, _BLOCK))
                    left -= len(block)
                    out = inflater.decompress(block) if inflater else block
                    check = zlib.crc32(out, check)
                    fh.write(out)
                if inflater:
                    tail = inflater.flush()
                    check = zlib.crc32(tail, check)
                    fh.write(tail)
        if check != crc:
            raise DependencyError(f"{name}: CRC differs from the zip's")
        files += 1
    timings.add(unpack_s=time.monotonic() - t0 - reader.waited_s)
    return reader.digest.hexdigest(), files


def make_read_only(top: str) -> None:
    """Files read-only (folders stay writable, so Python can cache bytecode and cleanup works)."""
    for folder, _, names in os.walk(top):
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, os.stat(path).st_mode & ~0o222)
