"""Encoded tiles by key: a memory LRU bounded in bytes, in front of optional stores that outlive
the process (a directory, an ``s3://bucket/prefix`` shared by servers and remote workers)."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol, Sequence

log = logging.getLogger("podpac_exec.serve")


def cache_key(*parts: object) -> str:
    """A stable key of the parts (pipeline hash, tile, format, style...)."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


class Store(Protocol):
    def read(self, key: str) -> bytes | None: ...

    def write(self, key: str, data: bytes) -> None: ...


class TileCache:
    """``get``/``put`` of bytes by key; thread-safe. ``memory_bytes=0`` disables the memory
    layer; ``directory`` (created when missing) and ``s3`` (``s3://bucket/prefix``) keep entries
    across restarts; a miss in memory is looked up in them, in that order."""

    def __init__(self, memory_bytes: int, directory: str | os.PathLike[str] | None = None, s3: str | None = None) -> None:
        self.memory_bytes = memory_bytes
        stores: list[Store] = []
        if directory:
            stores.append(DirectoryStore(Path(directory)))
        if s3:
            stores.append(S3Store(s3))
        self.stores: Sequence[Store] = tuple(stores)
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get_memory(self, key: str) -> bytes | None:
        """The memory layer's bytes for ``key`` (never the stores: no I/O, so safe on the event loop)."""
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
                self.hits += 1
            return data

    def get(self, key: str) -> bytes | None:
        data = self.get_memory(key)
        if data is not None:
            return data
        for store in self.stores:
            data = store.read(key)
            if data is not None:
                break
        with self._lock:
            if data is None:
                self.misses += 1
                return None
            self.hits += 1
        self._remember(key, data)
        return data

    def put(self, key: str, data: bytes) -> None:
        self._remember(key, data)
        for store in self.stores:
            store.write(key, data)

    def clear_memory(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    def _remember(self, key: str, data: bytes) -> None:
        if len(data) > self.memory_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = data
            self._size += len(data)
            while self._size > self.memory_bytes:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)


class DirectoryStore:
    """``<directory>/<key[:2]>/<key>``, written through a rename so a reader never sees half."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / key

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except OSError:
            return None

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class S3Store:
    """``s3://bucket/prefix/<key[:2]>/<key>`` through fsspec/s3fs, as data sources read S3 (the
    usual credential chain, the endpoint from ``AWS_ENDPOINT_URL``). A cache is best effort: an S3
    failure is logged and counts as a miss, never fails the request."""

    def __init__(self, url: str, filesystem: Any = None) -> None:
        if not url.startswith("s3://") or not url[5:].split("/", 1)[0]:
            from podpac_exec.serve.errors import ServeRequestError

            raise ServeRequestError(f"serve.cache_s3 must be s3://bucket[/prefix], got {url!r}", field="serve.cache_s3")
        self.bucket, _, prefix = url[5:].partition("/")
        self.prefix = prefix.strip("/")
        self._fs = filesystem
        self._lock = threading.Lock()

    @property
    def fs(self) -> Any:
        with self._lock:
            if self._fs is None:
                import fsspec

                from podpac_exec.nodes.opening import s3_options

                self._fs = fsspec.filesystem("s3", **s3_options(anon=False))
            return self._fs

    def _path(self, key: str) -> str:
        return "/".join(p for p in (self.bucket, self.prefix, key[:2], key) if p)

    def read(self, key: str) -> bytes | None:
        try:
            return self.fs.cat_file(self._path(key))
        except FileNotFoundError:
            return None
        except Exception as exc:  # noqa: BLE001 - any failure is a miss
            log.warning("tile cache: cannot read s3://%s: %s", self._path(key), exc)
            return None

    def write(self, key: str, data: bytes) -> None:
        try:
            self.fs.pipe_file(self._path(key), data)
        except Exception as exc:  # noqa: BLE001 - the tile was served; only its caching failed
            log.warning("tile cache: cannot write s3://%s: %s", self._path(key), exc)
